//! In-process rendering through librrd's `rrd_graph_v`.
//!
//! A render hands librrd the argument list of `rrdtool graphv` and copies its answer into a
//! [`Rendered`]: the image bytes (when the output file is `-`), the graph's geometry and value
//! range ([`GraphMeta`]), and the `PRINT` values and legends in order. A graph that only
//! `PRINT`s draws nothing: its `Rendered` has prints and no image or geometry.
//!
//! There is one way to render a graph: [`GraphSpec::render`](crate::GraphSpec::render), which
//! does what `rrdtool graph` does with the spec's output (`-`: the image comes back in memory;
//! a path: librrd writes the file), and its parallel form
//! [`BatchRenderer::render`](crate::BatchRenderer::render). Below both lies
//! [`render_raw_args`], an unvalidated `rrdtool graph` argument list, for callers that must
//! pass librrd exactly what they were given.
//!
//! Renders are serialised by the librrd lock (see [`render_raw_args`], "Concurrency"). Before the
//! caller's arguments, every render passes `--week-fmt Week %V`, librrd's default: librrd keeps
//! that option in a global buffer, so one graph's `--week-fmt` would otherwise leak into the
//! next graph drawn by the same process. A caller's own `--week-fmt` comes later and wins.

use std::ffi::OsStr;
use std::fmt::Write as _;

use crate::ffi;
use crate::info::{Info, InfoValue};
use crate::rrd_error::RrdError;

/// The options whose values librrd keeps in globals, with librrd's defaults. Every render
/// passes them first, so that a render never sees the previous render's value.
pub const PINNED_OPTIONS: [&str; 2] = ["--week-fmt", "Week %V"];

/// The geometry and range of a drawn graph, as `graphv` reports them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphMeta {
    /// Pixels from the left edge of the image to the graph area.
    pub graph_left: u64,
    /// Pixels from the top edge of the image to the graph area.
    pub graph_top: u64,
    /// Width of the graph area in pixels.
    pub graph_width: u64,
    /// Height of the graph area in pixels.
    pub graph_height: u64,
    /// Width of the whole image in pixels.
    pub image_width: u64,
    /// Height of the whole image in pixels.
    pub image_height: u64,
    /// Start of the graph's time range, seconds since the epoch.
    pub graph_start: i64,
    /// End of the graph's time range, seconds since the epoch.
    pub graph_end: i64,
    /// Bottom of the y axis.
    pub value_min: f64,
    /// Top of the y axis.
    pub value_max: f64,
}

/// The result of a render.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    image: Option<Vec<u8>>,
    meta: Option<GraphMeta>,
    prints: Vec<String>,
    legends: Vec<String>,
    info: Info,
}

impl Rendered {
    pub(crate) fn from_info(mut info: Info) -> Result<Self, RrdError> {
        let image = match info.take("image") {
            Some(InfoValue::Blob(b)) => Some(b),
            Some(other) => {
                return Err(RrdError::Output {
                    op: "graph",
                    detail: format!("image is not a blob but {other:?}"),
                });
            }
            None => None,
        };
        let texts = |name: &str| -> Result<Vec<String>, RrdError> {
            info.indexed(name)
                .into_iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| RrdError::Output {
                            op: "graph",
                            detail: format!("{name}[] holds {v:?}, not text"),
                        })
                })
                .collect()
        };
        let prints = texts("print")?;
        let legends = texts("legend")?;
        let meta = if info.get("graph_width").is_some() || info.get("image_width").is_some() {
            Some(meta_from(&info)?)
        } else {
            None
        };
        Ok(Self {
            image,
            meta,
            prints,
            legends,
            info,
        })
    }

    /// The image bytes in the requested format (PNG by default), when the output file was
    /// `-`. `None` for a graph that only `PRINT`s, and when librrd wrote a named file.
    pub fn image(&self) -> Option<&[u8]> {
        self.image.as_deref()
    }

    /// Takes the image bytes out.
    pub fn into_image(self) -> Option<Vec<u8>> {
        self.image
    }

    /// Geometry and range of the drawn graph; `None` when nothing was drawn (PRINT only).
    pub fn meta(&self) -> Option<&GraphMeta> {
        self.meta.as_ref()
    }

    /// The `PRINT` results, in order (`print[0]`, `print[1]`, ...).
    pub fn prints(&self) -> &[String] {
        &self.prints
    }

    /// The `--imginfo` line librrd formatted (`image_info`), if the graph asked for one.
    pub fn image_info(&self) -> Option<&str> {
        self.info.get("image_info").and_then(InfoValue::as_str)
    }

    /// The legend texts librrd drew, in order (`legend[0]`, ...), as `graphv` reports them.
    pub fn legends(&self) -> &[String] {
        &self.legends
    }

    /// Everything else `graphv` returned (coordinates of legends, ...), in librrd's order,
    /// without the image.
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// The answer as `rrdtool graphv` prints it: `print[0] = "..."`, `graph_width = ...`,
    /// `legend[0] = "..."`, ... and `image = BLOB_SIZE:n` last when there is an image.
    pub fn to_graphv_text(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.info {
            let _ = writeln!(out, "{k} = {v}");
        }
        if let Some(img) = &self.image {
            let _ = writeln!(out, "image = BLOB_SIZE:{}", img.len());
        }
        out
    }
}

fn meta_from(info: &Info) -> Result<GraphMeta, RrdError> {
    let count = |key: &'static str| -> Result<u64, RrdError> {
        info.get(key)
            .and_then(InfoValue::as_u64)
            .ok_or_else(|| RrdError::Output {
                op: "graph",
                detail: format!("{key} is missing or not a count"),
            })
    };
    let time = |key: &'static str| -> Result<i64, RrdError> {
        match info.get(key) {
            Some(InfoValue::Count(c)) => i64::try_from(*c).ok(),
            Some(InfoValue::Int(i)) => Some(*i),
            _ => None,
        }
        .ok_or_else(|| RrdError::Output {
            op: "graph",
            detail: format!("{key} is missing or not a time"),
        })
    };
    let value = |key: &'static str| -> f64 {
        info.get(key)
            .and_then(InfoValue::as_f64)
            .unwrap_or(f64::NAN)
    };
    Ok(GraphMeta {
        // --only-graph images have no separate graph area keys in some versions: fall back to
        // the image size.
        graph_left: count("graph_left").unwrap_or(0),
        graph_top: count("graph_top").unwrap_or(0),
        graph_width: count("graph_width").or_else(|_| count("image_width"))?,
        graph_height: count("graph_height").or_else(|_| count("image_height"))?,
        image_width: count("image_width")?,
        image_height: count("image_height")?,
        graph_start: time("graph_start").unwrap_or(0),
        graph_end: time("graph_end").unwrap_or(0),
        value_min: value("value_min"),
        value_max: value("value_max"),
    })
}

/// The lower-level render: an `rrdtool graph` argument list as it is, **without** the spec's
/// validation (the output file first, then options and elements, exactly as after
/// `rrdtool graph`). Use [`GraphSpec::render`](crate::GraphSpec::render) unless the arguments
/// must reach librrd byte for byte: librrd may crash or exhaust memory on arguments the spec
/// would refuse. The arguments go to librrd as their bytes, so a DEF's file (or the output
/// file) need not be UTF-8; each DEF's file header is checked first
/// ([`check_header`](crate::check_header)).
///
/// With `-` as the output file the image comes back in [`Rendered::image`] and no file is
/// written; with a path, librrd writes the file, as `rrdtool graph` does.
///
/// Before the caller's arguments, [`PINNED_OPTIONS`] are passed: librrd keeps their values in
/// globals, so each render states them afresh (a caller's own value comes later and wins).
///
/// # Concurrency
///
/// librrd's graph code is not thread-safe (it keeps global option state, calls `setlocale`,
/// and corrupts shared `GLib`/`Pango` state when graphs run in parallel; see
/// [`BatchRenderer`](crate::BatchRenderer) for the evidence). Every librrd call of this crate
/// (renders and the [`Rrd`](crate::Rrd) operations alike) therefore takes one process-wide
/// lock, so this function may be called from any thread but renders run one at a time. For
/// throughput, use [`BatchRenderer`](crate::BatchRenderer), which spreads graphs over worker
/// processes.
///
/// # Errors
///
/// [`RrdError::Invalid`] for an empty list, [`RrdError::NulByte`] for an argument with a NUL
/// byte, [`RrdError::Librrd`] with rrdtool's own message when librrd refuses the graph.
pub fn render_raw_args<S: AsRef<OsStr>>(args: &[S]) -> Result<Rendered, RrdError> {
    let Some((file, rest)) = args.split_first() else {
        return Err(RrdError::Invalid {
            what: "graph arguments",
            reason: "the output file name is missing".into(),
        });
    };
    let mut full: Vec<&OsStr> = Vec::with_capacity(args.len() + PINNED_OPTIONS.len());
    full.push(file.as_ref());
    full.extend(PINNED_OPTIONS.iter().map(OsStr::new));
    full.extend(rest.iter().map(AsRef::as_ref));
    crate::header::check_defs(rest)?;
    let info = ffi::call_info(ffi::InfoCall::Graph, &full)?;
    Rendered::from_info(Info::new(info))
}

impl crate::GraphSpec {
    /// Renders the graph in-process, as `rrdtool graph` would with these arguments: with `-`
    /// as the output the image comes back in [`Rendered::image`] and nothing is written; with
    /// a path librrd writes the file and [`Rendered::image`] is `None`. To get the bytes of a
    /// spec that names a file, render `spec.clone().with_output("-")`.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Into memory, e.g. to serve over HTTP:
    /// let png = rrdgraph::traffic("-", "Flow.rrd")?.render()?.into_image();
    /// // Or let librrd write the file, as `rrdtool graph Flow.png ...` does:
    /// let rendered = rrdgraph::traffic("Flow.png", "Flow.rrd")?.render()?;
    /// println!("{:?}", rendered.meta().map(|m| (m.image_width, m.image_height)));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Renders take the librrd lock, one at a time (see [`render_raw_args`], "Concurrency");
    /// for throughput use [`BatchRenderer::render`](crate::BatchRenderer::render).
    ///
    /// # Errors
    ///
    /// [`RrdError::Librrd`] with rrdtool's own message when librrd refuses the graph (a
    /// missing RRD file, an unknown data source, ...): the spec itself was validated when it
    /// was built. [`RrdError::BadHeader`] when a DEF's file is not an RRD that librrd reads
    /// safely.
    pub fn render(&self) -> Result<Rendered, RrdError> {
        render_raw_args(&self.to_os_args())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_only_answer_has_no_meta() {
        let r = Rendered::from_info(Info::new(vec![(
            "print[0]".into(),
            InfoValue::Text("0.040000".into()),
        )]))
        .unwrap();
        assert_eq!(r.prints(), ["0.040000"]);
        assert!(r.meta().is_none());
        assert!(r.image().is_none());
        assert_eq!(r.to_graphv_text(), "print[0] = \"0.040000\"\n");
    }

    #[test]
    fn full_answer_is_split() {
        let r = Rendered::from_info(Info::new(vec![
            ("print[0]".into(), InfoValue::Text("1".into())),
            ("graph_left".into(), InfoValue::Count(51)),
            ("graph_top".into(), InfoValue::Count(15)),
            ("graph_width".into(), InfoValue::Count(400)),
            ("graph_height".into(), InfoValue::Count(100)),
            ("graph_start".into(), InfoValue::Count(920_804_400)),
            ("graph_end".into(), InfoValue::Count(920_808_000)),
            ("value_min".into(), InfoValue::Value(0.0)),
            ("value_max".into(), InfoValue::Value(0.04)),
            ("legend[0]".into(), InfoValue::Text("  x".into())),
            ("coords[0]".into(), InfoValue::Text("16,134,37,148".into())),
            ("image_width".into(), InfoValue::Count(481)),
            ("image_height".into(), InfoValue::Count(155)),
            ("image".into(), InfoValue::Blob(b"\x89PNG".to_vec())),
        ]))
        .unwrap();
        let m = r.meta().unwrap();
        assert_eq!((m.image_width, m.image_height), (481, 155));
        assert_eq!((m.graph_start, m.graph_end), (920_804_400, 920_808_000));
        assert_eq!(r.legends(), ["  x"]);
        assert_eq!(r.image(), Some(&b"\x89PNG"[..]));
        let text = r.to_graphv_text();
        assert!(
            text.starts_with("print[0] = \"1\"\ngraph_left = 51\n"),
            "{text}"
        );
        assert!(text.contains("value_max = 4.0000000000e-02\n"));
        assert!(text.ends_with("image_height = 155\nimage = BLOB_SIZE:4\n"));
    }

    #[test]
    fn wrong_types_are_output_errors() {
        let err = Rendered::from_info(Info::new(vec![("print[0]".into(), InfoValue::Count(3))]))
            .unwrap_err();
        assert!(matches!(err, RrdError::Output { op: "graph", .. }));
        let err = Rendered::from_info(Info::new(vec![(
            "image_width".into(),
            InfoValue::Text("x".into()),
        )]))
        .unwrap_err();
        assert!(matches!(err, RrdError::Output { .. }));
    }

    #[test]
    fn empty_args_are_refused() {
        let none: [&str; 0] = [];
        assert!(matches!(
            render_raw_args(&none),
            Err(RrdError::Invalid { .. })
        ));
    }
}
