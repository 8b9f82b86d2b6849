//! `opskit routemap`: draw a route map from `opskit trace --json` output.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use routeviz::{MapReport, RenderOptions, RouteMap};
use tcptrace::TraceReport;

use crate::error::{Context as _, Error, Exit, Result, warn, write_stdout};

/// The largest trace file read, in bytes.
const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// SVG, our own writer.
    Svg,
    /// PNG, rasterized with the bundled font.
    Png,
    /// graphviz DOT in scapy's style.
    Dot,
}

/// Limits and --fit, for `--help`.
const LIMITS_HELP: &str = "\
Limits: the input file is at most 64 MiB; at most 4096 traces, 32 replies per hop and
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

/// Draw a TTL-layered route map (SVG, PNG or DOT) from trace JSON.
#[derive(clap::Args)]
#[command(after_long_help = LIMITS_HELP)]
pub(crate) struct Args {
    /// Trace JSON as written by `opskit trace --json` (`-` reads standard input): a trace
    /// report, read into the same types the tracer fills.
    input: PathBuf,
    /// Where to write the map; the extension (.svg, .png, .dot) picks the format. `-` writes
    /// to standard output (then give --format).
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
    /// Label edges with the RTT of the hop they lead to (SVG, PNG and DOT).
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
}

pub(crate) fn run(args: Args) -> Result<Exit> {
    let report = draw(args)?;
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
        _ => Err(Error::Usage(format!(
            "cannot tell the format of {}: use a .svg, .png or .dot name, or --format",
            output.display()
        ))),
    }
}

fn read_input(path: &Path) -> Result<String> {
    let mut text = String::new();
    let res = if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_INPUT + 1)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_string(&mut text))
    };
    res.map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if text.len() as u64 > MAX_INPUT {
        return Err(Error::Usage(format!(
            "{} is larger than {MAX_INPUT} bytes",
            path.display()
        )));
    }
    Ok(text)
}

/// Draws the map and writes it; returns what it drew of the input.
fn draw(args: Args) -> Result<MapReport> {
    let Args {
        input,
        output,
        format,
        title,
        scale,
        rtt,
        no_legend,
        fit,
        max_pixels,
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
    let text = read_input(&input)?;
    let report = TraceReport::from_json(&text)
        .map_err(Error::TraceJson)
        .context(input.display())?;
    let map = if format == Format::Png {
        RouteMap::for_png(&report, &opts)?
    } else {
        RouteMap::new(&report)?
    };
    let bytes = match format {
        Format::Svg => map.to_svg(&opts).into_bytes(),
        Format::Png => map.to_png(&opts)?,
        Format::Dot => map.to_dot(&opts).into_bytes(),
    };
    if output.as_os_str() == "-" {
        write_stdout(&bytes)?;
    } else {
        std::fs::write(&output, bytes)
            .map_err(|e| Error::io(format!("writing {}", output.display()), e))?;
    }
    Ok(*map.report())
}
