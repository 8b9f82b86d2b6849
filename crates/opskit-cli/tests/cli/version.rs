use std::process::Command;

#[test]
fn version_names_the_program_and_the_workspace_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .arg("--version")
        .output()
        .expect("run opskit --version");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.trim(), format!("opskit {}", env!("CARGO_PKG_VERSION")));
}

fn opskit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(args)
        .output()
        .expect("run opskit")
}

/// `-V` in any subcommand, at any depth, is opskit's own version under opskit's own name (the
/// clamd hosts' versions are `scan --server-version`).
#[test]
fn every_subcommand_reports_opskits_version() {
    let version = env!("CARGO_PKG_VERSION");
    for sub in [
        "graph",
        "rrd",
        "trace",
        "asn",
        "routemap",
        "completions",
        "man",
        "scan",
    ] {
        let help = String::from_utf8(opskit(&[sub, "--help"]).stdout).expect("utf-8");
        assert!(
            help.contains("-V, --version"),
            "{sub} --help does not list -V, --version:\n{help}"
        );
        let out = opskit(&[sub, "-V"]);
        assert!(out.status.success(), "{sub} -V failed");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert_eq!(text.trim(), format!("opskit {version}"), "{sub} -V");
    }
    let out = opskit(&["rrd", "info", "-V"]);
    assert!(out.status.success(), "rrd info -V failed");
    assert_eq!(
        String::from_utf8(out.stdout).expect("utf-8").trim(),
        format!("opskit {version}"),
        "rrd info -V"
    );
    let out = opskit(&["-V"]);
    assert_eq!(
        String::from_utf8(out.stdout).expect("utf-8").trim(),
        format!("opskit {version}")
    );
}
