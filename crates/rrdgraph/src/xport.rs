//! A typed `rrdtool xport`, and the raw argument form.

use std::ffi::OsStr;

use crate::ffi;
use crate::rrd_error::RrdError;
use crate::series::Series;

/// A typed `rrdtool xport`: DEF, CDEF and VDEF elements of the graph model, then the series to
/// export with their legends.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rrdgraph::{Cf, Def, DsName, Rpn, CDef, VName, XportRequest};
///
/// let octets = VName::new("octets")?;
/// let bits = VName::new("bits")?;
/// let series = XportRequest::new()
///     .start_at("-1d")
///     .step(300)
///     .element(Def::new(&octets, "Flow.rrd", DsName::new("eth0_in")?, Cf::Average))
///     .element(CDef::new(&bits, "octets,8,*".parse::<Rpn>()?))
///     .export(&bits, "in bits/s")
///     .run()?;
/// print!("{}", series.to_text());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct XportRequest {
    options: Vec<String>,
    elements: Vec<crate::Element>,
    exports: Vec<(crate::VName, String)>,
}

impl XportRequest {
    /// An empty request (rrdtool's defaults: the last day, the best resolution).
    pub fn new() -> Self {
        Self::default()
    }

    fn option(mut self, name: &str, value: String) -> Self {
        self.options.push(name.to_owned());
        self.options.push(value);
        self
    }

    /// Start, seconds since the epoch (`--start`).
    pub fn start(self, time: i64) -> Self {
        self.option("--start", time.to_string())
    }

    /// Start as an at-style time (`-1d`, `end-2h`, ...).
    pub fn start_at(self, at: impl Into<String>) -> Self {
        self.option("--start", at.into())
    }

    /// End, seconds since the epoch (`--end`).
    pub fn end(self, time: i64) -> Self {
        self.option("--end", time.to_string())
    }

    /// End as an at-style time.
    pub fn end_at(self, at: impl Into<String>) -> Self {
        self.option("--end", at.into())
    }

    /// Preferred step in seconds (`--step`).
    pub fn step(self, seconds: u64) -> Self {
        self.option("--step", seconds.to_string())
    }

    /// At most this many rows (`--maxrows`).
    pub fn maxrows(self, rows: u64) -> Self {
        self.option("--maxrows", rows.to_string())
    }

    /// Read through the rrdcached at `address` (`--daemon`).
    pub fn daemon(self, address: impl Into<String>) -> Self {
        self.option("--daemon", address.into())
    }

    /// Adds a DEF, CDEF or VDEF.
    pub fn element(mut self, element: impl Into<crate::Element>) -> Self {
        self.elements.push(element.into());
        self
    }

    /// Exports the series `vname` under `legend`.
    pub fn export(mut self, vname: &crate::VName, legend: impl Into<String>) -> Self {
        self.exports.push((vname.clone(), legend.into()));
        self
    }

    /// Checks the request.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for an element that is not DEF/CDEF/VDEF, nothing to export, an
    /// export of an undefined vname or of a VDEF (a single value, not a series), and a legend
    /// with a NUL byte.
    pub fn validate(&self) -> Result<(), RrdError> {
        use crate::ElementKind;
        let bad = |what: &'static str, reason: String| RrdError::Invalid { what, reason };
        for (i, e) in self.elements.iter().enumerate() {
            if !matches!(
                e.kind(),
                ElementKind::Def | ElementKind::CDef | ElementKind::VDef
            ) {
                return Err(bad(
                    "xport element",
                    format!(
                        "element {i} is a {:?}: xport takes DEF, CDEF and VDEF",
                        e.kind()
                    ),
                ));
            }
        }
        if self.exports.is_empty() {
            return Err(bad("xport", "nothing to export".into()));
        }
        for (vname, legend) in &self.exports {
            let def = self
                .elements
                .iter()
                .find(|e| e.defines() == Some(vname))
                .ok_or_else(|| bad("xport vname", format!("{vname} is not defined")))?;
            if def.kind() == ElementKind::VDef {
                return Err(bad(
                    "xport vname",
                    format!("{vname} is a VDEF (one value), not a series"),
                ));
            }
            if legend.contains('\0') {
                return Err(bad(
                    "xport legend",
                    format!("{legend:?} contains a NUL byte"),
                ));
            }
        }
        Ok(())
    }

    /// The arguments after `xport`, as librrd takes them.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = self.options.clone();
        args.extend(self.elements.iter().map(crate::element_arg));
        for (vname, legend) in &self.exports {
            // A `:` would start a new field; a trailing backslash would escape nothing.
            let legend = legend.replace(':', "\\:");
            args.push(format!("XPORT:{vname}:{legend}"));
        }
        args
    }

    /// Runs the export.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] from [`XportRequest::validate`], [`RrdError::Librrd`] with
    /// librrd's message (a missing file, a data source that the RRD does not have, ...).
    pub fn run(&self) -> Result<Series, RrdError> {
        self.validate()?;
        xport(&self.to_args())
    }
}

/// Exports computed series (`rrdtool xport`). `args` are the arguments after `xport`: options
/// (`--start`, `--end`, `--step`, `--maxrows`, `--daemon`, ...) and `DEF`, `CDEF`, `VDEF` and
/// `XPORT` elements.
///
/// # Errors
///
/// [`RrdError::Librrd`] with librrd's message when the arguments or files are wrong.
///
/// The arguments go to librrd as their bytes: a DEF's file need not be UTF-8.
pub fn xport<S: AsRef<OsStr>>(args: &[S]) -> Result<Series, RrdError> {
    crate::header::check_defs(args)?;
    let args: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
    ffi::call_xport(&args).map(Series::from_matrix)
}
