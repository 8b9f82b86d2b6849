//! `opskit routemap`: draw a route map from `opskit trace --json` output, or from RIPE Atlas,
//! scamper or mtr results, merged from any number of runs and vantage points; or convert
//! them to opskit's trace JSON.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use routeviz::import::{self, ImportFormat};
use routeviz::{MapReport, RenderOptions, RouteMap};
use tcptrace::{TraceReport, TraceSource};

use crate::error::{Context as _, Error, Exit, Result, warn, write_stdout};

/// The largest input file read, in bytes.
const MAX_INPUT: u64 = 64 * 1024 * 1024;
/// The most input bytes of one run, all files together.
const MAX_TOTAL_INPUT: u64 = 256 * 1024 * 1024;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// SVG, our own writer.
    Svg,
    /// PNG, rasterized with the bundled font.
    Png,
    /// graphviz DOT in scapy's style.
    Dot,
    /// One self-contained HTML page: the SVG map with pan and zoom, node details, trace
    /// highlighting, search and an AS-level view, under a strict Content-Security-Policy.
    Html,
    /// opskit's own trace JSON (the schema of `opskit trace --json`): the merged, imported
    /// traces, converted.
    Json,
}

/// `--from`: the input format.
fn parse_from(s: &str) -> std::result::Result<ImportFormat, String> {
    s.parse()
}

/// Limits and --fit, for `--help`.
const LIMITS_HELP: &str = "\
Inputs: opskit trace --json reports; RIPE Atlas traceroute results (a JSON array as the API
serves it, or one result per line; each probe is a vantage point: `probe 6021`); scamper JSON
(sc_warts2json: trace and tracelb); mtr --json (run with -n). The format of each file is
detected from its content, or given with --from. Several files are merged into one map: a
hop shared by several traces is drawn once, and each vantage point has its own colour group
and legend section (opskit's own reports count as one vantage point per file when several
are given). With -o FILE.json nothing is drawn: the merged traces are written as opskit trace
JSON, so routemap converts between the formats. A result without a destination address is
kept as a failed target; Atlas late replies are counted in the trace's source, not drawn.

With -o FILE.html the map is one self-contained page: the SVG inline, with pan (drag) and
zoom (wheel, +/-), each node's detail on hover or click (address, PTR name, AS number and
name, RTT min/avg/max, loss and replies per trace, MPLS labels, unreachable marks, middlebox
rewrites), a click on a legend entry to show one trace and dim the rest, a search box for an
address, a name or an AS, and an AS view that folds each AS into one node. It loads nothing:
its Content-Security-Policy is default-src 'none' with the inline script and styles allowed
by their SHA-256 hashes, and every name in it is text, never markup.

Limits: each input file is at most 64 MiB and all of them 256 MiB; at most 200,000 records
per file and 64 packets per hop; at most 4096 traces, 32 replies per hop and
200,000 edges. A map whose size (checked before the layout, from its widest TTL layer and
its number of layers) is over 134,217,728 pixels (16384x8192, or --max-pixels for PNG) is
refused with its size and that budget, exit status 2, in bounded memory and time. For PNG
the size is checked at the --scale asked for.

With --fit, a PNG over the budget is drawn at the largest smaller scale (down to 0.1) that
fits. A map too large even for that, of more than 10,000 nodes (one per TTL an address
answered at, plus the bend points of long edges: about what 16384x8192 pixels show legibly
at scale 1), or over the trace or edge limits, is drawn from its first traces only, as many
as fit all of them; nothing is dropped
silently: the map carries a note at the top (`N of M traces (H of T hops) not drawn`),
stderr repeats it as a warning, and the exit status is 1. Only a map whose first trace alone
is over the budget at scale 0.1 is refused.";

/// Draw a TTL-layered route map (SVG, PNG, DOT or an interactive HTML report) from trace
/// files of several formats, or convert them to trace JSON.
#[derive(clap::Args)]
#[command(after_long_help = LIMITS_HELP)]
pub(crate) struct Args {
    /// Trace files: `opskit trace --json` reports, RIPE Atlas results, scamper JSON or
    /// `mtr --json` (`-` reads standard input). Several are merged into one map.
    #[arg(required = true, num_args = 1..)]
    inputs: Vec<PathBuf>,
    /// The format of every input (atlas, scamper, mtr or opskit), instead of detecting it
    /// from each file's content.
    #[arg(long, value_name = "FORMAT", value_parser = parse_from)]
    from: Option<ImportFormat>,
    /// Where to write the map; the extension (.svg, .png, .dot, .html, or .json to convert)
    /// picks the format. `-` writes to standard output (then give --format).
    #[arg(short, long)]
    output: PathBuf,
    /// The output format, instead of the output's extension.
    #[arg(short, long, value_enum)]
    format: Option<Format>,
    /// A title drawn above the map.
    #[arg(short, long)]
    title: Option<String>,
    /// PNG scale factor (0.1 to 8). A PNG is at most 4096 pixels wide: a map wider than that
    /// at this scale is drawn at the largest smaller scale that fits (down to 0.1).
    #[arg(short, long, default_value_t = 1.0)]
    scale: f32,
    /// Label edges with the RTT of the hop they lead to (SVG, PNG, DOT and HTML).
    #[arg(long)]
    rtt: bool,
    /// Leave out the legend of trace colours.
    #[arg(long)]
    no_legend: bool,
    /// PNG only: when the map at --scale would be over the pixel budget, draw it at the largest
    /// smaller scale (down to 0.1) that fits instead of refusing it; a map too large even so
    /// (or of more than 10,000 nodes) is drawn from its first traces, with the rest counted in
    /// a note, a warning and exit status 1.
    #[arg(long)]
    fit: bool,
    /// PNG only: the pixel budget, from 1 to 134217728 (the default, 16384x8192).
    #[arg(long, value_name = "PIXELS", default_value_t = routeviz::MAX_PIXELS)]
    max_pixels: u64,
    /// Geography database: an ip-location-db country or city CSV table or an MMDB
    /// (GeoLite2-City/Country, ip-location-db's geolite2-city), format detected. Every
    /// reply's country and city (replacing any the input had) go under its node's address
    /// and into its tooltip, and into -o FILE.json. Repeat for the IPv4 and IPv6 halves.
    #[arg(long, value_name = "FILE")]
    geo_db: Vec<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<Exit> {
    let Some(report) = draw(args)? else {
        return Ok(Exit::SUCCESS);
    };
    if let Some(note) = report.note() {
        warn(format_args!("{note}"));
        return Ok(Exit::PARTIAL);
    }
    Ok(Exit::SUCCESS)
}

fn format_of(output: &Path, format: Option<Format>) -> Result<Format> {
    if let Some(f) = format {
        return Ok(f);
    }
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        Some("dot" | "gv") => Ok(Format::Dot),
        Some("html" | "htm") => Ok(Format::Html),
        Some("json") => Ok(Format::Json),
        _ => Err(Error::Usage(format!(
            "cannot tell the format of {}: use a .svg, .png, .dot, .html or .json name, or --format",
            output.display()
        ))),
    }
}

fn read_input(path: &Path, budget: u64) -> Result<String> {
    let limit = MAX_INPUT.min(budget);
    let mut text = String::new();
    let res = if path.as_os_str() == "-" {
        std::io::stdin().take(limit + 1).read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_string(&mut text))
    };
    res.map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if text.len() as u64 > limit {
        let what = if limit < MAX_INPUT {
            format!("the inputs together are larger than {MAX_TOTAL_INPUT} bytes")
        } else {
            format!("{} is larger than {MAX_INPUT} bytes", path.display())
        };
        return Err(Error::Usage(what));
    }
    Ok(text)
}

/// Reads every input in its format and merges them, in the order given.
fn read_all(inputs: &[PathBuf], from: Option<ImportFormat>) -> Result<TraceReport> {
    let mut budget = MAX_TOTAL_INPUT;
    let mut reports = Vec::with_capacity(inputs.len());
    for path in inputs {
        let text = read_input(path, budget)?;
        budget -= text.len() as u64;
        let format = from.or_else(|| import::detect(&text));
        let mut report = if format == Some(ImportFormat::Opskit) {
            TraceReport::from_json(&text)
                .map_err(Error::TraceJson)
                .context(path.display())?
        } else {
            import::import(&text, format).context(path.display())?
        };
        if inputs.len() > 1 {
            // Several of opskit's own runs: each file is a vantage point of its own.
            for t in report.traces.iter_mut().filter(|t| t.source.is_none()) {
                t.source = Some(TraceSource::new("opskit").vantage(path.display().to_string()));
            }
        }
        reports.push(report);
    }
    import::merge(reports).ok_or_else(|| Error::Usage("no input given".to_owned()))
}

/// Draws the map and writes it, and returns what it drew of the input; or, for JSON, writes
/// the merged traces.
fn draw(args: Args) -> Result<Option<MapReport>> {
    let Args {
        inputs,
        from,
        output,
        format,
        title,
        scale,
        rtt,
        no_legend,
        fit,
        max_pixels,
        geo_db,
    } = args;
    let format = format_of(&output, format)?;
    let mut opts = RenderOptions::builder()
        .scale(scale)
        .rtt_labels(rtt)
        .legend(!no_legend)
        .fit(fit)
        .max_pixels(max_pixels);
    if let Some(t) = title {
        opts = opts.title(t);
    }
    let opts = opts.build()?;
    let mut report = read_all(&inputs, from)?;
    if !geo_db.is_empty() {
        let db = asn_lookup::GeoDatabase::open_all(&geo_db).context("--geo-db")?;
        asn_lookup::annotate_geo(&mut report, &db).context("geography")?;
    }
    if format == Format::Json {
        let mut text = report.to_json_pretty().map_err(Error::TraceJson)?;
        text.push('\n');
        write_output(&output, text.as_bytes())?;
        return Ok(None);
    }
    let map = if format == Format::Png {
        RouteMap::for_png(&report, &opts)?
    } else {
        RouteMap::new(&report)?
    };
    let bytes = match format {
        Format::Png => map.to_png(&opts)?,
        Format::Dot => map.to_dot(&opts).into_bytes(),
        Format::Html => map.to_html(&opts).into_bytes(),
        Format::Svg | Format::Json => map.to_svg(&opts).into_bytes(),
    };
    write_output(&output, &bytes)?;
    Ok(Some(*map.report()))
}

fn write_output(output: &Path, bytes: &[u8]) -> Result<()> {
    if output.as_os_str() == "-" {
        write_stdout(bytes)
    } else {
        std::fs::write(output, bytes)
            .map_err(|e| Error::io(format!("writing {}", output.display()), e))
    }
}
