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
