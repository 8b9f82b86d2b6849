//! `opskit graph OUTPUT ARGS...`: a drop-in for `rrdtool graph`, with validation.
//!
//! The arguments are those of `rrdtool graph` (output file first). They are parsed and
//! validated into a [`GraphSpec`] first, so a mistyped CDEF or a stray `:` in a legend is
//! reported with the argument index and the field instead of a librrd message; then the graph
//! is rendered in-process through librrd.
//!
//! The arguments are read the way rrdtool 1.7.2's getopt reads them: options may follow
//! elements, a short option and its value may be one argument (`"-h 200"`, as PHP and shell
//! scripts produce), LINE, AREA, STACK and TICK may draw a number (`LINE1:100#FF0000`), and a
//! graph may have no elements at all (rrdtool then draws and prints nothing). The mode flags
//! below may stand anywhere on the line; an argument that is the value of the option before it
//! (`--title --check`) stays that value.
//!
//! Like `rrdtool graph`, the command prints the image size (`481x155`, `0x0` for a graph that
//! only prints), then the `--imginfo` line, then each PRINT value on its own line; with `-` as
//! the output file the image goes to stdout instead. As in rrdtool, the `--imginfo` line
//! replaces the size when the option is written `--imginfo FORMAT` or `-f FORMAT`. PRINT
//! writes its format text as it is: `PRINT:v:%lf\t` prints the value and `\t`. Modes:
//! - `--check`: validate only; print `OK`, or every problem (not only the first), one line
//!   each with its argument index, and exit 1;
//! - `--emit`: print the canonical argument list, one argument per line;
//! - `--info`: render and print what `rrdtool graphv` prints (`print[0] = "..."`,
//!   `graph_width = ...`, `legend[0] = "..."`, ...); the image is still written to OUTPUT;
//! - `--to-rust`: print Rust builder code for the graph;
//! - `--data`: print, as one JSON document, the data behind the graph, computed in Rust with
//!   no librrd call: `{"start", "end", "step", "series": {"<vname>": [1.5, null, ...]},
//!   "vdefs": {"<vname>": {"value": 2.5, "time": 0}}, "prints": [...], "gprints": [...]}`,
//!   every DEF and CDEF on xport's grid (`null` for UNKN, `"inf"`/`"-inf"`), every VDEF with
//!   its time (0 when it has none), the PRINT and GPRINT texts; nothing is drawn or written
//!   to OUTPUT. The local time zone is the one `TZ` names, read as glibc reads it
//!   (`rrdgraph::Zone::from_env`: unset is /etc/localtime, a zone name or path, a POSIX TZ
//!   string): `--start`/`--end` in librrd's whole at-style grammar (dates, times of day,
//!   calendar days and months across DST changes), `LTIME`, `NEWDAY` and friends and the
//!   `:strftime` texts (`%Z` too) are what rrdtool writes under the same `TZ`;
//!   `:valstrftime` is UTC in both.
//!
//! Exit status: 0 on success, 1 on any error (invalid arguments, or librrd refusing the graph,
//! with librrd's own message), as rrdtool.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;

use rrdgraph::{Clock, GraphSpec, OPTIONS, OptionInfo, Zone, option_info};

use crate::error::{Error, Exit, Result, report, write_stdout};

/// The limits `--check` (and every render) enforces so that librrd's C code never crashes.
const LIMITS_HELP: &str = "\
Limits (refused by validation, so librrd never crashes or exhausts memory):
  PRINT/GPRINT, axis and duration format width and precision: at most 255
    (librrd allocates what the width asks; a width of 2^31 segfaults it)
  TREND/TRENDNAN/PREDICT/PREDICTSIGMA/PREDICTPERC window: 1 to 4194304 s (2^22)
    (librrd turns window/step into an int through a float, exact only up to 2^24)
  PREDICT shifts: at most 31 of them, each (or count x multiplier) at most 1073741824 s
  RPN counts (SORT, AVG, COPY, INDEX, ROLL, PERCENT, PREDICT): literal numbers or DEPTH;
    PREDICT's window and shifts: literal numbers (librrd trusts them at run time)
  RPN stack: at most 4096 values
  Image: at most 33554432 pixels (2^25), zoom included, counting the canvas
    (--width x --height) and an upper bound of the margins, legend rows, fonts and border
  --x-grid: intervals and label placement at most 2147483647 s, and at most 100000 lines
    or labels over the time range
  --y-grid: label factor at most 10000, and (|--lower-limit| + |--upper-limit|) / step
    at most 10000 lines (a step far below the data's own range still draws for long)
  LINE width: at most 100000 pixels (cairo needs gigabytes for 10^11)
  SHIFT: refused with the data formats (--imgformat CSV, JSON, XML, ...; librrd 1.7.2's
    export path segfaults once a shift leaves the RRD's archive)
  VRULE: not at time 0 (librrd 1.7.2 then reads a VDEF that is not there)
  --step: at most 2147483647 s (librrd reads it with atoi)

Read like rrdtool 1.7.2: options before or after elements; a short option and its value
in one argument (\"-h 200\"); LINE/AREA/STACK/TICK drawing a number (LINE1:100#FF0000);
a graph with no elements (nothing drawn or printed). Refused like rrdtool: a long option
and its value in one argument (\"--height 200\": write --height=200). Stricter than
rrdtool: trailing text after a number option (--width 300px), a drawn number that is not
finite (AREA:inf). Every error exits 1, as rrdtool.";

/// A drop-in for `rrdtool graph`.
#[derive(clap::Args)]
#[command(after_help = LIMITS_HELP)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "five mutually exclusive command-line flags"
)]
pub(crate) struct Args {
    /// Validate only: print OK, or every problem with its argument index (exit 1). This and
    /// the other mode flags may also stand anywhere after OUTPUT.
    #[arg(long, group = "mode")]
    check: bool,
    /// Print the canonical argument list, one argument per line.
    #[arg(long, group = "mode")]
    emit: bool,
    /// Print the metadata lines the way `rrdtool graphv` does.
    #[arg(long, group = "mode")]
    info: bool,
    /// Print Rust code that builds this graph with `GraphSpec::builder`.
    #[arg(long, group = "mode")]
    to_rust: bool,
    /// Print the data behind the graph as JSON, computed in Rust without librrd (series,
    /// VDEFs, PRINT and GPRINT texts); nothing is drawn. Local time is TZ's, as rrdtool
    /// reads it (--start/--end dates and calendar days, LTIME, NEWDAY, :strftime with %Z).
    #[arg(long, group = "mode")]
    data: bool,
    /// The output file (`-` for stdout), then the options and elements of `rrdtool graph`.
    /// A DEF's RRD file path may be any bytes (it need not be UTF-8).
    #[arg(
        required = true,
        num_args = 1..,
        allow_hyphen_values = true,
        trailing_var_arg = true,
        value_name = "OUTPUT ARGS",
        value_parser = clap::value_parser!(OsString)
    )]
    graph: Vec<OsString>,
}

/// The mode flags, as they are written.
const MODES: [&str; 5] = ["--check", "--emit", "--info", "--to-rust", "--data"];

/// Takes our mode flags out of the graph's arguments, wherever they stand, the way getopt
/// would read them: the value of an option that takes one (`--title --check`, `-t --check`)
/// stays a value, and nothing after `--` is a flag.
fn take_modes(graph: Vec<OsString>) -> (Vec<OsString>, Vec<&'static str>) {
    let by_short = |c: char| OPTIONS.iter().find(|o| o.short == Some(c));
    let (mut rest, mut modes) = (Vec::with_capacity(graph.len()), Vec::new());
    let (mut value_next, mut positional_only) = (false, false);
    for a in graph {
        if std::mem::take(&mut value_next) || positional_only {
            rest.push(a);
            continue;
        }
        let Some(s) = a.to_str() else {
            rest.push(a);
            continue;
        };
        if let Some(mode) = MODES.iter().find(|m| **m == s) {
            modes.push(*mode);
            continue;
        }
        if s == "--" {
            positional_only = true;
        } else if let Some(long) = s.strip_prefix("--") {
            value_next =
                !long.contains('=') && option_info(long).is_some_and(OptionInfo::takes_value);
        } else if let Some(cluster) = s.strip_prefix('-') {
            for (i, c) in cluster.char_indices() {
                match by_short(c) {
                    Some(o) if o.takes_value() => {
                        value_next = cluster[i + c.len_utf8()..].is_empty();
                        break;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        }
        rest.push(a);
    }
    (rest, modes)
}

pub(crate) fn run(args: Args) -> Result<Exit> {
    let Args {
        mut check,
        mut emit,
        mut info,
        mut to_rust,
        mut data,
        graph,
    } = args;
    let (graph, modes) = take_modes(graph);
    for m in &modes {
        match *m {
            "--check" => check = true,
            "--emit" => emit = true,
            "--info" => info = true,
            "--data" => data = true,
            _ => to_rust = true,
        }
    }
    if [check, emit, info, to_rust, data]
        .iter()
        .filter(|m| **m)
        .count()
        > 1
    {
        return Err(Error::Usage(
            "--check, --emit, --info, --to-rust and --data exclude each other".into(),
        ));
    }
    if check {
        let problems = GraphSpec::diagnose_os(&graph);
        if problems.is_empty() {
            write_stdout(b"OK\n")?;
            return Ok(Exit::SUCCESS);
        }
        for p in problems {
            report(&Error::Graph(p));
        }
        return Ok(Exit::code(1));
    }
    let spec = GraphSpec::parse_os_args(&graph)?;
    if emit {
        let mut text = Vec::new();
        for a in spec.to_os_args() {
            text.extend_from_slice(a.as_bytes());
            text.push(b'\n');
        }
        write_stdout(&text)?;
        return Ok(Exit::SUCCESS);
    }
    if to_rust {
        write_stdout(spec.to_rust().as_bytes())?;
        return Ok(Exit::SUCCESS);
    }
    if data {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let clock = Clock::at(now).in_zone(Zone::from_env());
        let computed = spec.data(clock).map_err(rrdgraph::Error::from)?;
        let mut text = serde_json::to_vec(&computed).map_err(|e| Error::Io {
            what: "writing the graph's data as JSON".into(),
            source: std::io::Error::other(e),
        })?;
        text.push(b'\n');
        write_stdout(&text)?;
        return Ok(Exit::SUCCESS);
    }
    let to_stdout = spec.output() == "-";
    // With `-`, the image comes back in memory; otherwise librrd writes the file itself.
    let rendered = spec.render()?;
    if info {
        write_stdout(rendered.to_graphv_text().as_bytes())?;
    } else if to_stdout {
        if let Some(img) = rendered.image() {
            write_stdout(img)?;
        }
    } else if rendered.meta().is_none()
        && rendered.prints().is_empty()
        && rendered.image_info().is_none()
    {
        // A graph that neither draws nor prints (no elements, only COMMENTs, only DEFs): librrd
        // answers nothing, and rrdtool prints nothing, not even `0x0`.
    } else {
        let mut text = String::new();
        // rrdtool prints the --imginfo line in place of the size, but it only looks for the
        // arguments `--imginfo` and `-f` themselves (`--imginfo=...` gets both lines).
        if !graph.iter().any(|a| a == "--imginfo" || a == "-f") {
            let (w, h) = rendered
                .meta()
                .map_or((0, 0), |m| (m.image_width, m.image_height));
            text = format!("{w}x{h}\n");
        }
        if let Some(line) = rendered.image_info() {
            text.push_str(line);
            text.push('\n');
        }
        for p in rendered.prints() {
            text.push_str(p);
            text.push('\n');
        }
        write_stdout(text.as_bytes())?;
    }
    Ok(Exit::SUCCESS)
}
