//! `opskit graph OUTPUT ARGS...`: a drop-in for `rrdtool graph`, with validation.
//!
//! The arguments are those of `rrdtool graph` (output file first). They are parsed and
//! validated into a [`GraphSpec`] first, so a mistyped CDEF or a stray `:` in a legend is
//! reported with the argument index and the field instead of a librrd message; then the graph
//! is rendered in-process through librrd.
//!
//! Like `rrdtool graph`, the command prints the image size (`481x155`, `0x0` for a graph that
//! only prints), then the `--imginfo` line, then each PRINT value on its own line; with `-` as
//! the output file the image goes to stdout instead. As in rrdtool, the `--imginfo` line
//! replaces the size when the option is written `--imginfo FORMAT` or `-f FORMAT`. PRINT
//! writes its format text as it is: `PRINT:v:%lf\t` prints the value and `\t`. Modes:
//! - `--check`: validate only; print `OK` or the diagnostics;
//! - `--emit`: print the canonical argument list, one argument per line;
//! - `--info`: render and print what `rrdtool graphv` prints (`print[0] = "..."`,
//!   `graph_width = ...`, `legend[0] = "..."`, ...); the image is still written to OUTPUT;
//! - `--to-rust`: print Rust builder code for the graph.
//!
//! Exit status: 0 on success, 1 on any error (invalid arguments, or librrd refusing the graph,
//! with librrd's own message), as rrdtool.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;

use rrdgraph::GraphSpec;

use crate::error::{Exit, Result, write_stdout};

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
  --step: at most 2147483647 s (librrd reads it with atoi)";

/// A drop-in for `rrdtool graph`.
#[derive(clap::Args)]
#[command(after_help = LIMITS_HELP)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "four mutually exclusive command-line flags"
)]
pub(crate) struct Args {
    /// Validate only and print the diagnostics.
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

pub(crate) fn run(args: Args) -> Result<Exit> {
    let Args {
        check,
        emit,
        info,
        to_rust,
        graph,
    } = args;
    let spec = GraphSpec::parse_os_args(&graph)?;
    if check {
        write_stdout(b"OK\n")?;
        return Ok(Exit::SUCCESS);
    }
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
    let to_stdout = spec.output() == "-";
    // With `-`, the image comes back in memory; otherwise librrd writes the file itself.
    let rendered = spec.render()?;
    if info {
        write_stdout(rendered.to_graphv_text().as_bytes())?;
    } else if to_stdout {
        if let Some(img) = rendered.image() {
            write_stdout(img)?;
        }
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
