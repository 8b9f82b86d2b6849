//! The maintenance commands: dump, restore, tune, resize and list, as rrdtool runs them.

use std::io::Write as _;
use std::path::PathBuf;

use rrdgraph::{DumpHeader, ListRequest, Resize, RestoreOptions, Rrd, RrdError, TuneSpec};

use super::Daemon;

/// `opskit rrd dump`.
#[derive(clap::Args)]
pub(crate) struct Dump {
    /// The RRD.
    file: PathBuf,
    /// Write the XML here instead of to standard output.
    output: Option<PathBuf>,
    /// The declaration the XML starts with.
    #[arg(long, value_enum, default_value_t = Header::Dtd)]
    header: Header,
    /// No declaration (`--header none`).
    #[arg(long, short = 'n')]
    no_header: bool,
    #[command(flatten)]
    daemon: Daemon,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Header {
    None,
    Dtd,
    Xsd,
}

/// `opskit rrd restore`.
#[derive(clap::Args)]
pub(crate) struct Restore {
    /// The XML of a dump.
    xml: PathBuf,
    /// The RRD to write.
    file: PathBuf,
    /// Store values outside a data source's min/max as unknown.
    #[arg(long, short = 'r')]
    range_check: bool,
    /// Replace the file if it exists.
    #[arg(long, short = 'f')]
    force_overwrite: bool,
}

/// `opskit rrd tune`.
#[derive(clap::Args)]
pub(crate) struct Tune {
    /// The RRD.
    file: PathBuf,
    /// rrdtool's tune options: `--heartbeat|-h ds:600`, `--minimum|-i ds:0`,
    /// `--maximum|-a ds:1e9`, `--data-source-type|-d ds:DERIVE`, `--data-source-rename|-r
    /// old:new`, `--step 60`, `--alpha`, `--beta`, `--gamma`, `--gamma-deviation`,
    /// `--smoothing-window`, `--smoothing-window-deviation`, `--deltapos`, `--deltaneg`,
    /// `--window-length`, `--failure-threshold`, `--aberrant-reset ds`, `DEL:ds`, `DS:...`,
    /// `RRA:...` (not Holt-Winters), `DELRRA:n`, `RRA#n:[+-=]rows`. Each change is checked
    /// against the file before librrd writes it.
    #[arg(
        required = true,
        num_args = 1..,
        allow_hyphen_values = true,
        trailing_var_arg = true
    )]
    options: Vec<String>,
}

/// `opskit rrd resize`.
#[derive(clap::Args)]
pub(crate) struct ResizeArgs {
    /// The RRD (left as it is: the result is written to resize.rrd in the current directory,
    /// as rrdtool does).
    file: PathBuf,
    /// The archive, from 0.
    rra: usize,
    /// GROW or SHRINK.
    #[arg(value_parser = how)]
    how: Resize,
    /// Rows to add or remove.
    rows: u64,
}

fn how(text: &str) -> Result<Resize, String> {
    match text {
        "GROW" => Ok(Resize::Grow),
        "SHRINK" => Ok(Resize::Shrink),
        _ => Err(format!("{text:?} is not GROW or SHRINK")),
    }
}

/// `opskit rrd list`.
#[derive(clap::Args)]
pub(crate) struct List {
    /// The directory (the daemon's, with --daemon).
    dir: PathBuf,
    /// The RRDs of the whole tree, as paths relative to the directory.
    #[arg(long)]
    recursive: bool,
    /// Ask the daemon not to flush first.
    #[arg(long)]
    noflush: bool,
    #[command(flatten)]
    daemon: Daemon,
}

/// A failure to write the dump, as librrd's other dump failures are reported.
fn write_error(what: &str, e: &std::io::Error) -> RrdError {
    RrdError::Output {
        op: "dump",
        detail: format!("{what}: {e}"),
    }
}

pub(crate) fn dump(a: Dump) -> Result<String, RrdError> {
    let header = match (a.no_header, a.header) {
        (true, _) | (_, Header::None) => DumpHeader::None,
        (false, Header::Dtd) => DumpHeader::Dtd,
        (false, Header::Xsd) => DumpHeader::Xsd,
    };
    let rrd = a.daemon.rrd(a.file);
    let (mut out, what): (Box<dyn std::io::Write>, String) = match a.output {
        Some(path) => {
            let what = path.display().to_string();
            let file = std::fs::File::create(&path).map_err(|e| write_error(&what, &e))?;
            (Box::new(file), what)
        }
        None => (Box::new(std::io::stdout().lock()), "standard output".into()),
    };
    let mut out = std::io::BufWriter::new(&mut out);
    rrd.dump(header, &mut out)?;
    out.flush().map_err(|e| write_error(&what, &e))?;
    Ok(String::new())
}

pub(crate) fn restore(a: Restore) -> Result<String, RrdError> {
    let mut options = RestoreOptions::default();
    if a.range_check {
        options = options.range_check();
    }
    if a.force_overwrite {
        options = options.force_overwrite();
    }
    Rrd::new(a.file).restore(&a.xml, options)?;
    Ok(String::new())
}

pub(crate) fn tune(a: Tune) -> Result<String, RrdError> {
    Rrd::new(a.file).tune(&TuneSpec::parse_args(&a.options)?)?;
    Ok(String::new())
}

pub(crate) fn resize(a: ResizeArgs) -> Result<String, RrdError> {
    Rrd::new(a.file).resize(a.rra, a.how, a.rows)?;
    Ok(String::new())
}

pub(crate) fn list(a: &List) -> Result<String, RrdError> {
    let mut req = ListRequest::new();
    if a.recursive {
        req = req.recursive();
    }
    if a.noflush {
        req = req.no_flush();
    }
    if let Some(d) = a.daemon.address() {
        req = req.daemon(d);
    }
    let mut out = String::new();
    for entry in rrdgraph::list(&a.dir, &req)? {
        out.push_str(&entry);
        out.push('\n');
    }
    Ok(out)
}
