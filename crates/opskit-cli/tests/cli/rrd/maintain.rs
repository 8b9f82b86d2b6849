//! `opskit rrd dump`, `restore`, `tune`, `resize` and `list` against the rrdtool binary: the
//! same output, the same files, the same refusals.

use std::path::Path;
use std::process::{Command, Output};

use testbed::rrd::TrafficRrd;

use super::{assert_refused, corrupt_rrds, opskit, stderr, stdout};

/// `program args` run in `dir`.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .expect("run the program")
}

fn ours_in(dir: &Path, args: &[&str]) -> Output {
    run_in(
        dir,
        env!("CARGO_BIN_EXE_opskit"),
        &[&["rrd"][..], args].concat(),
    )
}

fn rrdtool(args: &[&str]) -> Output {
    run_in(Path::new("/"), "rrdtool", args)
}

fn ok(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: {}", stderr(o));
    stdout(o)
}

/// A traffic RRD (two COUNTERs, the recipe's four archives, three hours of data) and a
/// Holt-Winters one, copied into `dir`.
fn fixtures(dir: &Path) -> Vec<String> {
    let traffic = TrafficRrd::builder().hours(3).create_in(dir).unwrap();
    let hw = dir.join("hw.rrd");
    let h = hw.to_str().unwrap();
    ok(
        &rrdtool(&[
            "create",
            h,
            "--step",
            "300",
            "--start",
            "1767225000",
            "DS:x:GAUGE:600:U:U",
            "RRA:AVERAGE:0.5:1:100",
            "RRA:HWPREDICT:100:0.1:0.0035:12",
        ]),
        "rrdtool create",
    );
    ok(
        &rrdtool(&["update", h, "1767225300:5", "1767225600:7", "1767225900:U"]),
        "rrdtool update",
    );
    vec![traffic.path().to_str().unwrap().to_owned(), h.to_owned()]
}

#[test]
fn dump_is_rrdtools_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    for f in fixtures(dir.path()) {
        for header in [
            &[][..],
            &["--header", "xsd"],
            &["--header", "none"],
            &["--no-header"],
        ] {
            let args = [&["dump"][..], header, &[f.as_str()]].concat();
            let ours = ok(&ours_in(dir.path(), &args), "opskit rrd dump");
            let theirs = ok(&rrdtool(&args), "rrdtool dump");
            assert_eq!(ours, theirs, "{args:?}");
            assert!(ours.contains("<rrd"), "{ours}");
        }
        let xml = dir.path().join("out.xml");
        ok(
            &ours_in(dir.path(), &["dump", &f, xml.to_str().unwrap()]),
            "dump to a file",
        );
        assert_eq!(
            std::fs::read_to_string(&xml).unwrap(),
            stdout(&rrdtool(&["dump", &f]))
        );
    }
}

#[test]
fn restore_round_trips_and_refuses_what_rrdtool_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, f) in fixtures(d).iter().enumerate() {
        let xml = d.join(format!("{i}.xml"));
        let x = xml.to_str().unwrap();
        std::fs::write(&xml, stdout(&rrdtool(&["dump", f]))).unwrap();
        let (ours, theirs) = (
            d.join(format!("{i}-ours.rrd")),
            d.join(format!("{i}-rrdtool.rrd")),
        );
        let (o, t) = (ours.to_str().unwrap(), theirs.to_str().unwrap());
        ok(&ours_in(d, &["restore", x, o]), "opskit rrd restore");
        ok(&rrdtool(&["restore", x, t]), "rrdtool restore");
        assert_eq!(
            stdout(&rrdtool(&["dump", o])),
            stdout(&rrdtool(&["dump", t]))
        );
        assert_eq!(
            stdout(&rrdtool(&["dump", o])),
            std::fs::read_to_string(&xml).unwrap()
        );

        // An existing file is refused, and left alone, unless --force-overwrite.
        let before = std::fs::read(&ours).unwrap();
        let again = ours_in(d, &["restore", x, o]);
        assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
        assert_eq!(rrdtool(&["restore", x, t]).status.code(), Some(1));
        assert_eq!(std::fs::read(&ours).unwrap(), before);
        ok(
            &ours_in(d, &["restore", "-f", "-r", x, o]),
            "restore --force-overwrite --range-check",
        );
        ok(
            &rrdtool(&["restore", "-f", "-r", x, t]),
            "rrdtool restore -f -r",
        );
        assert_eq!(
            stdout(&rrdtool(&["dump", o])),
            stdout(&rrdtool(&["dump", t]))
        );
    }
    // XML that is not a dump: exit 1 as rrdtool, and no half-written file is left.
    let bad = d.join("bad.xml");
    std::fs::write(&bad, "<rrd><version>0003</version><step>300").unwrap();
    let out = d.join("bad.rrd");
    let o = ours_in(
        d,
        &["restore", bad.to_str().unwrap(), out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // libxml2 prints its parser's complaint first, as under rrdtool; then our one error line.
    assert!(
        stderr(&o).lines().any(|l| l.starts_with("error: ")),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    let t = rrdtool(&[
        "restore",
        bad.to_str().unwrap(),
        d.join("bad2.rrd").to_str().unwrap(),
    ]);
    assert_eq!(t.status.code(), Some(1));
    // XML librrd restores into a file it then crashes on (a step of 0): refused, removed.
    let good = stdout(&rrdtool(&["dump", &fixtures(d)[1]]));
    let step0 = d.join("step0.xml");
    std::fs::write(&step0, good.replace("<step>300</step>", "<step>0</step>")).unwrap();
    let out0 = d.join("step0.rrd");
    let o = ours_in(
        d,
        &["restore", step0.to_str().unwrap(), out0.to_str().unwrap()],
    );
    assert_refused(
        &o,
        out0.to_str().unwrap(),
        "pdp_step",
        "restore of <step>0</step>",
    );
    assert!(!out0.exists());
}

#[test]
fn tune_changes_the_file_as_rrdtool_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let traffic = &fixtures(d)[0];
    let name = |i: usize, who: &str| {
        d.join(format!("t{i}-{who}.rrd"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let ds = stdout(&rrdtool(&["info", traffic]));
    let first_ds = ds
        .lines()
        .find_map(|l| {
            l.strip_prefix("ds[")?
                .split_once("].index = 0")
                .map(|(n, _)| n.to_owned())
        })
        .unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--heartbeat".into(),
            format!("{first_ds}:900"),
            "--maximum".into(),
            format!("{first_ds}:1e9"),
        ],
        vec![
            "--minimum".into(),
            format!("{first_ds}:U"),
            "--data-source-type".into(),
            format!("{first_ds}:DERIVE"),
        ],
        vec!["--data-source-rename".into(), format!("{first_ds}:renamed")],
        vec![
            format!("DEL:{first_ds}"),
            "DS:added:GAUGE:600:0:100".into(),
            "RRA:MAX:0.5:12:24".into(),
        ],
    ];
    for (i, opts) in cases.iter().enumerate() {
        let (o, t) = (name(i, "ours"), name(i, "rrdtool"));
        std::fs::copy(traffic, &o).unwrap();
        std::fs::copy(traffic, &t).unwrap();
        let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
        ok(
            &ours_in(d, &[&["tune", o.as_str()][..], &opts].concat()),
            "opskit rrd tune",
        );
        ok(
            &rrdtool(&[&["tune", t.as_str()][..], &opts].concat()),
            "rrdtool tune",
        );
        let info = |f: &str| stdout(&rrdtool(&["info", f])).replace(f, "FILE");
        assert_eq!(info(&o), info(&t), "{opts:?}");
        assert_ne!(
            info(&o),
            info(traffic).replace(traffic.as_str(), "FILE"),
            "{opts:?} changed nothing"
        );
    }
    let o = ours_in(d, &["tune", traffic, "--heartbeat", "nosuch:900"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nosuch"), "{}", stderr(&o));
    // What librrd 1.7.2's tune crashes on (SIGFPE) or turns into a file it can't open again
    // (no data source, an archive of no rows) exits 1, before librrd touches the file.
    let before = std::fs::read(traffic).unwrap();
    let del_all: Vec<String> = ds
        .lines()
        .filter_map(|l| {
            l.strip_prefix("ds[")?
                .split_once("].index")
                .map(|(n, _)| format!("DEL:{n}"))
        })
        .collect();
    let hostile: Vec<Vec<String>> = vec![
        vec!["RRA:HWPREDICT:1:0.5:0.5:0".into()],
        vec!["RRA:HWPREDICT:100:0.5:0.5:12".into()],
        del_all,
        vec!["RRA#0:-100000".into()],
        vec!["RRA#99:+1".into()],
        vec!["--heartbeat".into(), format!("{first_ds}:0")],
        vec!["--step".into(), "0".into()],
        vec!["--data-source-type".into(), format!("{first_ds}:COMPUTE")],
    ];
    for args in hostile {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = ours_in(d, &[&["tune", traffic.as_str()][..], &args].concat());
        assert_eq!(
            o.status.code(),
            Some(1),
            "{args:?}: {:?} {}",
            o.status,
            stderr(&o)
        );
        assert_eq!(std::fs::read(traffic).unwrap(), before, "{args:?}");
    }
}

#[test]
fn resize_writes_rrdtools_resize_rrd() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = fixtures(d);
    for (how, rows) in [("GROW", "10"), ("SHRINK", "20")] {
        for f in &files {
            let (ours, theirs) = (d.join(format!("o-{how}")), d.join(format!("t-{how}")));
            std::fs::create_dir_all(&ours).unwrap();
            std::fs::create_dir_all(&theirs).unwrap();
            let before = std::fs::read(f).unwrap();
            ok(
                &ours_in(&ours, &["resize", f, "0", how, rows]),
                "opskit rrd resize",
            );
            ok(
                &run_in(&theirs, "rrdtool", &["resize", f, "0", how, rows]),
                "rrdtool resize",
            );
            assert_eq!(std::fs::read(f).unwrap(), before, "the input is left alone");
            let dump =
                |p: &Path| stdout(&rrdtool(&["dump", p.join("resize.rrd").to_str().unwrap()]));
            assert_eq!(dump(&ours), dump(&theirs), "{how} {f}");
        }
    }
    let o = ours_in(d, &["resize", &files[0], "99", "GROW", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = ours_in(d, &["resize", &files[0], "0", "WIDEN", "1"]);
    assert!(!o.status.success());
    // librrd would write every row of a huge grow (10^11 rows: 800 GB); we refuse it first.
    let o = ours_in(d, &["resize", &files[0], "0", "GROW", "100000000000"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("at most 100000000"), "{}", stderr(&o));
    assert!(!d.join("resize.rrd").exists());
}

#[test]
fn list_is_rrdtools() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
    std::fs::copy(d.join("hw.rrd"), d.join("sub/deeper/c.rrd")).unwrap();
    std::fs::write(d.join("notes.txt"), "not an rrd").unwrap();
    let dir_s = d.to_str().unwrap();
    for args in [vec!["list", dir_s], vec!["list", "--recursive", dir_s]] {
        let ours = ok(&ours_in(d, &args), "opskit rrd list");
        let theirs = ok(&rrdtool(&args), "rrdtool list");
        assert_eq!(ours, theirs, "{args:?}");
        assert!(
            ours.contains("hw.rrd\n") && !ours.contains("notes.txt"),
            "{ours}"
        );
    }
    assert!(
        ok(&ours_in(d, &["list", "--recursive", dir_s]), "list").contains("sub/deeper/c.rrd\n")
    );
    // rrdtool prints the error and exits 0; we exit 1.
    let o = ours_in(d, &["list", "/nonexistent/opskit"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/opskit"), "{}", stderr(&o));
}

#[test]
fn corrupt_headers_are_refused_by_dump_tune_and_resize() {
    let dir = tempfile::tempdir().unwrap();
    for (f, field) in corrupt_rrds(dir.path()) {
        let runs: [&[&str]; 3] = [
            &["rrd", "dump", &f],
            &["rrd", "tune", &f, "--heartbeat", "eth0_in:900"],
            &["rrd", "resize", &f, "0", "GROW", "10"],
        ];
        for args in runs {
            assert_refused(&opskit(args), &f, field, &args[..2].join(" "));
        }
    }
}
