//! `opskit graph OUTPUT ARGS...`: a drop-in for `rrdtool graph`, with validation.
//!
//! The arguments are those of `rrdtool graph` (output file first). They are parsed and
//! validated into a [`GraphSpec`] first, so a mistyped CDEF or a stray `:` in a legend is
//! reported with the argument index and the field instead of a librrd message; then the graph
//! is rendered in-process through librrd.
//!
//! Like `rrdtool graph`, the command prints the image size (`481x155`, `0x0` for a graph that
//! only prints) and then each PRINT value on its own line; with `-` as the output file the
//! image goes to stdout instead. Modes:
//! - `--check`: validate only; print `OK` or the diagnostics;
//! - `--emit`: print the canonical argument list, one argument per line;
//! - `--info`: render and print what `rrdtool graphv` prints (`print[0] = "..."`,
//!   `graph_width = ...`, `legend[0] = "..."`, ...); the image is still written to OUTPUT;
//! - `--to-rust`: print Rust builder code for the graph.
//!
//! Exit status: 0 on success, 1 when librrd refuses the graph (`ERROR: <librrd's message>`),
//! 2 when the arguments are invalid.

use std::io::Write as _;
use std::process::ExitCode;

use rrdgraph::{GraphSpec, RrdError};

/// A drop-in for `rrdtool graph`.
#[derive(clap::Args)]
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
    #[arg(
        required = true,
        num_args = 1..,
        allow_hyphen_values = true,
        trailing_var_arg = true,
        value_name = "OUTPUT ARGS"
    )]
    graph: Vec<String>,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let Args {
        check,
        emit,
        info,
        to_rust,
        graph,
    } = args;
    let spec = match GraphSpec::parse_args(&graph) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    if check {
        let _ = writeln!(out, "OK");
        return ExitCode::SUCCESS;
    }
    if emit {
        for a in spec.to_args() {
            let _ = writeln!(out, "{a}");
        }
        return ExitCode::SUCCESS;
    }
    if to_rust {
        let _ = out.write_all(spec.to_rust().as_bytes());
        return ExitCode::SUCCESS;
    }
    let to_stdout = spec.output() == "-";
    // With `-`, the image comes back in memory; otherwise librrd writes the file itself.
    let rendered = match spec.render_to_output() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ERROR: {}", message(&e));
            return ExitCode::from(1);
        }
    };
    if info {
        let _ = out.write_all(rendered.to_graphv_text().as_bytes());
        return ExitCode::SUCCESS;
    }
    if to_stdout {
        if let Some(img) = rendered.image() {
            let _ = out.write_all(img);
        }
        return ExitCode::SUCCESS;
    }
    let (w, h) = rendered
        .meta()
        .map_or((0, 0), |m| (m.image_width, m.image_height));
    let _ = writeln!(out, "{w}x{h}");
    for p in rendered.prints() {
        let _ = writeln!(out, "{p}");
    }
    ExitCode::SUCCESS
}

fn message(e: &RrdError) -> String {
    match e {
        RrdError::Librrd { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
