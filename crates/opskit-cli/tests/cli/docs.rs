//! `opskit completions` and `opskit man`: generated scripts and pages that shells and man accept.

use std::process::{Command, Stdio};

fn opskit(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(args)
        .output()
        .expect("run opskit");
    assert!(
        out.status.success(),
        "opskit {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn bash_completion_script_is_valid_bash_and_knows_the_subcommands() {
    let script = opskit(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("opskit.bash");
    std::fs::write(&path, &script).expect("write script");
    let status = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .expect("run bash -n");
    assert!(status.success(), "bash -n rejected the completion script");
    let text = String::from_utf8(script).expect("utf-8");
    for word in [
        "scan",
        "graph",
        "rrd",
        "trace",
        "asn",
        "routemap",
        "--max-ttl",
    ] {
        assert!(text.contains(word), "bash completion lacks {word}");
    }
}

#[test]
fn every_shell_gets_a_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = opskit(&["completions", shell]).stdout;
        assert!(
            String::from_utf8(script)
                .expect("utf-8")
                .contains("routemap"),
            "{shell}"
        );
    }
}

/// Every long flag in `--help` appears in the command's page, and groff renders the page
/// without a warning.
#[test]
fn man_pages_cover_every_subcommand_and_flag_and_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("man");
    opskit(&["man", "--out", out.to_str().expect("utf-8 path")]);
    let pages = [
        &["scan"][..],
        &["graph"],
        &["rrd"],
        &["rrd", "create"],
        &["rrd", "update"],
        &["rrd", "fetch"],
        &["rrd", "xport"],
        &["trace"],
        &["asn"],
        &["routemap"],
        &["completions"],
        &["man"],
    ];
    for sub in pages {
        let name = format!("opskit-{}.1", sub.join("-"));
        let page =
            std::fs::read_to_string(out.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut args = sub.to_vec();
        args.push("--help");
        let help = String::from_utf8(opskit(&args).stdout).expect("utf-8");
        for flag in help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
        {
            let flag = flag.trim_end_matches(|c: char| !c.is_alphanumeric());
            // roff escapes '-' as '\-'.
            let escaped = flag.replace('-', "\\-");
            assert!(page.contains(&escaped), "{name} lacks {flag}");
        }
        let render = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(out.join(&name))
            .stderr(Stdio::piped())
            .output()
            .expect("run groff (Debian groff-base)");
        assert!(render.status.success(), "groff failed on {name}");
        assert!(
            render.stderr.is_empty(),
            "groff warned on {name}: {}",
            String::from_utf8_lossy(&render.stderr)
        );
    }
    assert!(out.join("opskit.1").exists());
    assert!(
        !out.join("opskit-help.1").exists(),
        "clap's help pseudo-command got a page"
    );
}
