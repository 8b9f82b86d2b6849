//! `opskit rrd`: create, update, info, first, last, lastupdate, fetch and xport.

use std::process::{Command, Output};

use testbed::rrd::{DEFAULT_END, Rrdcached, TrafficRrd};

mod create;
mod json;
mod maintain;

fn opskit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(args)
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .expect("run opskit")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `opskit rrd create` and `update` of a small Flow.rrd in `dir`; returns its path.
fn recipe_rrd(dir: &std::path::Path) -> String {
    let file = dir.join("Flow.rrd");
    let f = file.to_str().unwrap();
    let o = opskit(&[
        "rrd",
        "create",
        f,
        "--step",
        "300",
        "--start",
        "1767225000",
        "DS:eth0_in:COUNTER:600:0:U",
        "DS:eth0_out:COUNTER:600:0:U",
        "RRA:AVERAGE:0.5:1:600",
        "RRA:MAX:0.5:1:600",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = opskit(&[
        "rrd",
        "update",
        f,
        "1767225300:1000:500",
        "1767225600:301000:150500",
        "1767225900:601000:300500",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    f.to_owned()
}

#[test]
fn create_update_and_inspect_like_the_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let file = recipe_rrd(dir.path());
    let f = file.as_str();
    let info = stdout(&opskit(&["rrd", "info", f]));
    assert!(info.contains("ds[eth0_in].type = \"COUNTER\"\n"), "{info}");
    assert!(
        info.contains("ds[eth0_out].minimal_heartbeat = 600\n"),
        "{info}"
    );
    assert!(info.contains("step = 300\n"));

    assert_eq!(stdout(&opskit(&["rrd", "last", f])), "1767225900\n");
    assert_eq!(
        stdout(&opskit(&["rrd", "first", f])),
        format!("{}\n", 1_767_225_900 - 599 * 300)
    );
    let last = stdout(&opskit(&["rrd", "lastupdate", f]));
    assert_eq!(last, " eth0_in eth0_out\n\n1767225900: 601000 300500\n");

    let fetch = stdout(&opskit(&[
        "rrd",
        "fetch",
        f,
        "AVERAGE",
        "--start",
        "1767225300",
        "--end",
        "1767225900",
    ]));
    assert!(
        fetch.starts_with(&format!(
            "{}{:>20}{:>20}\n\n",
            " ".repeat(11),
            "eth0_in",
            "eth0_out"
        )),
        "{fetch}"
    );
    assert!(
        fetch.contains("1767225900: 1.0000000000e+03 5.0000000000e+02\n"),
        "{fetch}"
    );
    let json = stdout(&opskit(&[
        "rrd",
        "fetch",
        f,
        "MAX",
        "-s",
        "1767225300",
        "-e",
        "1767225900",
        "--json",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["columns"], serde_json::json!(["eth0_in", "eth0_out"]));
    assert_eq!(
        doc["rows"][1],
        serde_json::json!([1_767_225_900, 1000.0, 500.0])
    );
}

#[test]
fn xport_exports_computed_series() {
    let dir = tempfile::tempdir().unwrap();
    let file = recipe_rrd(dir.path());
    let f = file.as_str();
    let xport = stdout(&opskit(&[
        "rrd",
        "xport",
        "--json",
        "--start",
        "1767225300",
        "--end",
        "1767225900",
        &format!("DEF:i={f}:eth0_in:AVERAGE"),
        "CDEF:bits=i,8,*",
        "XPORT:bits:in bits",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&xport).unwrap();
    assert_eq!(doc["columns"], serde_json::json!(["in bits"]));
    assert!(
        doc["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r[1] == serde_json::json!(8000.0)),
        "{xport}"
    );
}

#[test]
fn librrd_errors_exit_1_with_rrdtools_message() {
    let o = opskit(&["rrd", "info", "/nonexistent/opskit/x.rrd"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("/nonexistent/opskit/x.rrd"), "{err}");

    let rrd = TrafficRrd::builder().hours(1).create().unwrap();
    let f = rrd.path().to_str().unwrap();
    let o = opskit(&["rrd", "update", f, &format!("{DEFAULT_END}:1:2")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("minimum one second step"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_definitions_exit_1_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.rrd");
    let o = opskit(&[
        "rrd",
        "create",
        f.to_str().unwrap(),
        "DS:in:COUNTR:600:0:U",
        "RRA:AVERAGE:0.5:1:10",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("data source type"), "{}", stderr(&o));
    assert!(!f.exists());
    let o = opskit(&["rrd", "fetch", f.to_str().unwrap(), "AVG"]);
    assert_eq!(o.status.code(), Some(1));
    let o = opskit(&["rrd", "update", f.to_str().unwrap(), "now:1"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn through_rrdcached_with_daemon() {
    let cached = Rrdcached::start().unwrap();
    let rrd = TrafficRrd::builder()
        .hours(1)
        .create_in(cached.base_dir())
        .unwrap();
    let f = rrd.path().to_str().unwrap();
    let next = DEFAULT_END + 300;
    let addr = cached.address();
    let o = opskit(&[
        "rrd",
        "update",
        "--daemon",
        &addr,
        f,
        &format!("{next}:3300000000:1300000000"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Not on disk yet; the daemon knows it.
    assert_eq!(
        stdout(&opskit(&["rrd", "last", f])),
        format!("{DEFAULT_END}\n")
    );
    assert_eq!(
        stdout(&opskit(&["rrd", "last", "-d", &addr, f])),
        format!("{next}\n")
    );
    // RRDCACHED_ADDRESS works too: lastupdate flushes through it.
    let o = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(["rrd", "lastupdate", f])
        .env("RRDCACHED_ADDRESS", &addr)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("{next}: 3300000000 1300000000")),
        "{}",
        stdout(&o)
    );
    // dump flushes through the daemon first, as rrdtool does.
    let later = next + 300;
    let o = opskit(&[
        "rrd",
        "update",
        "-d",
        &addr,
        f,
        &format!("{later}:3400000000:1400000000"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dump = stdout(&opskit(&["rrd", "dump", "-d", &addr, f]));
    assert!(
        dump.contains(&format!("<lastupdate>{later}</lastupdate>")),
        "{dump}"
    );
}

/// The inspection commands the recipe names print exactly what `rrdtool` prints.
#[test]
fn info_first_last_lastupdate_fetch_match_rrdtool_byte_for_byte() {
    let rrd = TrafficRrd::builder().hours(3).create().unwrap();
    let f = rrd.path().to_str().unwrap();
    let start = (DEFAULT_END - 3600).to_string();
    let end = DEFAULT_END.to_string();
    for args in [
        vec!["info", f],
        vec!["first", f],
        vec!["last", f],
        vec!["lastupdate", f],
        vec!["fetch", f, "AVERAGE", "--start", &start, "--end", &end],
        vec!["fetch", f, "MAX", "--start", &start, "--end", &end],
    ] {
        let ours = opskit(&[&["rrd"][..], &args].concat());
        assert!(ours.status.success(), "{args:?}: {}", stderr(&ours));
        let real = Command::new("rrdtool")
            .args(&args)
            .output()
            .expect("rrdtool (Debian package rrdtool) is installed");
        assert!(real.status.success(), "{args:?}");
        assert_eq!(stdout(&ours), stdout(&real), "{args:?}");
    }
}

/// `fetch --pure` (no librrd) prints what `rrdtool fetch` prints, text and JSON alike.
#[test]
fn fetch_pure_matches_rrdtool_byte_for_byte() {
    let rrd = TrafficRrd::builder().hours(30).create().unwrap();
    let f = rrd.path().to_str().unwrap();
    let end = DEFAULT_END.to_string();
    let starts = [
        DEFAULT_END - 3600,
        DEFAULT_END - 86_400 - 17,
        DEFAULT_END - 600_000,
    ];
    for start in starts.map(|s| s.to_string()) {
        for (cf, res) in [("AVERAGE", "1"), ("MAX", "1800"), ("MIN", "7200")] {
            let args = ["fetch", f, cf, "--start", &start, "--end", &end, "-r", res];
            let real = Command::new("rrdtool").args(args).output().unwrap();
            assert!(real.status.success(), "{args:?}");
            let ours = opskit(&[&["rrd"][..], &args, &["--pure"]].concat());
            assert!(ours.status.success(), "{args:?}: {}", stderr(&ours));
            assert_eq!(stdout(&ours), stdout(&real), "{args:?}");
            let json = |extra: &[&str]| {
                stdout(&opskit(&[&["rrd"][..], &args, &["--json"], extra].concat()))
            };
            assert_eq!(json(&["--pure"]), json(&[]), "{args:?}");
        }
    }
    let aligned = [
        "fetch",
        f,
        "AVERAGE",
        "-s",
        "1767139217",
        "-e",
        &end,
        "-r",
        "3600",
        "-a",
    ];
    let real = Command::new("rrdtool").args(aligned).output().unwrap();
    let ours = opskit(&[&["rrd"][..], &aligned, &["--pure"]].concat());
    assert_eq!(stdout(&ours), stdout(&real));
}

#[test]
fn fetch_pure_refuses_what_it_cannot_do_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = recipe_rrd(dir.path());
    let o = opskit(&[
        "rrd", "fetch", &file, "AVERAGE", "--pure", "--start", "end-1h",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("seconds since the epoch"),
        "{}",
        stderr(&o)
    );
    let o = opskit(&[
        "rrd", "fetch", &file, "AVERAGE", "--pure", "--daemon", "unix:/x",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--daemon"), "{}", stderr(&o));
    let o = opskit(&[
        "rrd",
        "fetch",
        &file,
        "HWPREDICT",
        "--pure",
        "-s",
        "1767225300",
        "-e",
        "1767225900",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("does not contain an RRA matching the chosen CF"),
        "{}",
        stderr(&o)
    );
    for (path, field) in corrupt_rrds(dir.path()) {
        let o = opskit(&[
            "rrd",
            "fetch",
            &path,
            "AVERAGE",
            "--pure",
            "-s",
            "1767225300",
            "-e",
            "1767225900",
        ]);
        assert_eq!(o.status.code(), Some(1), "{path}");
        assert!(
            stderr(&o).contains(&format!("bad RRD header: {field}")),
            "{path}: {}",
            stderr(&o)
        );
    }
}

type Patch = dyn Fn(&mut Vec<u8>);

/// Copies of a real RRD with a corrupt header, and the field each one must be refused for.
pub(crate) fn corrupt_rrds(dir: &std::path::Path) -> Vec<(String, &'static str)> {
    let good = std::fs::read(recipe_rrd(dir)).unwrap();
    let set =
        |at: usize, v: u64| move |b: &mut Vec<u8>| b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    let cases: Vec<(&str, &str, Box<Patch>)> = vec![
        ("ds0.rrd", "ds_cnt", Box::new(set(24, 0))),
        ("step0.rrd", "pdp_step", Box::new(set(40, 0))),
        ("rra40.rrd", "rra_cnt", Box::new(set(32, 1 << 40))),
        (
            "short.rrd",
            "length",
            Box::new(|b| b.truncate(b.len() - 100)),
        ),
        ("cookie.rrd", "cookie", Box::new(|b| b[0] = b'X')),
    ];
    cases
        .into_iter()
        .map(|(name, field, patch)| {
            let mut bytes = good.clone();
            patch(&mut bytes);
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            (path.to_str().unwrap().to_owned(), field)
        })
        .collect()
}

/// Exit 1 and one `error:` line naming the file and the field, not a signal.
pub(crate) fn assert_refused(o: &Output, file: &str, field: &str, what: &str) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{what} on {file}: {:?} {err}",
        o.status
    );
    assert!(err.starts_with("error: "), "{what}: {err}");
    assert!(
        err.contains(file) && err.contains(&format!("bad RRD header: {field}:")),
        "{what}: {err}"
    );
}

#[test]
fn corrupt_headers_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for (f, field) in corrupt_rrds(dir.path()) {
        let def = format!("DEF:i={f}:eth0_in:AVERAGE");
        let runs: [&[&str]; 8] = [
            &["rrd", "info", &f],
            &["rrd", "update", &f, "1767226200:1:2"],
            &["rrd", "first", &f],
            &["rrd", "last", &f],
            &["rrd", "lastupdate", &f],
            &[
                "rrd",
                "fetch",
                &f,
                "AVERAGE",
                "--start",
                "1767225300",
                "--end",
                "1767225900",
            ],
            &[
                "rrd",
                "xport",
                "--start",
                "1767225300",
                "--end",
                "1767225900",
                &def,
                "XPORT:i:in",
            ],
            &[
                "graph",
                "-",
                "--start",
                "1767225300",
                "--end",
                "1767225900",
                &def,
                "LINE1:i#ff0000",
            ],
        ];
        for args in runs {
            assert_refused(&opskit(args), &f, field, &args[..2].join(" "));
        }
    }
}

/// Runs `program args` and returns its output; `args` may hold any bytes.
fn run_os(program: &str, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(program)
        .args(args)
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .expect("run the program")
}

#[test]
fn paths_that_are_not_utf8_work_like_rrdtool() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    // `café.rrd` in Latin-1: not UTF-8, and a fine file name for librrd.
    let file = dir.path().join(OsStr::from_bytes(b"caf\xe9.rrd"));
    let f = file.as_os_str();
    let os = |s: &'static str| OsStr::new(s);
    let opskit_bin = env!("CARGO_BIN_EXE_opskit");
    let mut create = vec![os("rrd"), os("create"), f];
    create.extend(crate::SMALL_RRD_LAYOUT.map(OsStr::new));
    let o = run_os(opskit_bin, &create);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_os(
        opskit_bin,
        &[
            os("rrd"),
            os("update"),
            f,
            os("1767225300:1"),
            os("1767225600:3"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Every reading command prints what rrdtool prints for the same file.
    for cmd in [
        &[os("last"), f][..],
        &[os("first"), f],
        &[os("lastupdate"), f],
        &[
            os("fetch"),
            f,
            os("AVERAGE"),
            os("--start"),
            os("1767225000"),
            os("--end"),
            os("1767225600"),
        ],
    ] {
        let mut ours = vec![os("rrd")];
        ours.extend_from_slice(cmd);
        let o = run_os(opskit_bin, &ours);
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
        let real = run_os("rrdtool", cmd);
        assert!(real.status.success(), "{cmd:?}: {}", stdout(&real));
        assert_eq!(stdout(&o), stdout(&real), "{cmd:?}");
    }
    // A graph and an xport whose DEF names the file by its bytes.
    let mut def = b"DEF:a=".to_vec();
    def.extend_from_slice(f.as_bytes());
    def.extend_from_slice(b":v:AVERAGE");
    let def = OsStr::from_bytes(&def);
    let range = ["--start", "1767225000", "--end", "1767225600"].map(OsStr::new);
    let mut graph = vec![os("graph"), os("/dev/null")];
    graph.extend_from_slice(&range);
    graph.extend([
        def,
        os("VDEF:m=a,AVERAGE"),
        os("PRINT:m:%lf"),
        os("LINE1:a#FF0000"),
    ]);
    let o = run_os(opskit_bin, &graph);
    assert!(o.status.success(), "{}", stderr(&o));
    let real = run_os("rrdtool", &graph);
    assert_eq!(stdout(&o), stdout(&real));
    assert!(stdout(&o).ends_with("\n2.000000\n"), "{}", stdout(&o));
    let mut emit = vec![
        os("graph"),
        os("--emit"),
        os("/dev/null"),
        def,
        os("LINE1:a#FF0000"),
    ];
    let o = run_os(opskit_bin, &emit);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut want = b"/dev/null\n".to_vec();
    want.extend_from_slice(def.as_bytes());
    want.extend_from_slice(b"\nLINE1:a#FF0000\n");
    assert_eq!(o.stdout, want);
    emit.clear();
    let mut xport = vec![os("xport")];
    xport.extend_from_slice(&range);
    xport.extend([def, os("XPORT:a:v")]);
    let real = run_os("rrdtool", &xport);
    assert!(real.status.success(), "{}", stdout(&real));
    let mut ours = vec![os("rrd")];
    ours.extend_from_slice(&xport);
    let o = run_os(opskit_bin, &ours);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1767225600: 3"), "{}", stdout(&o));
}
