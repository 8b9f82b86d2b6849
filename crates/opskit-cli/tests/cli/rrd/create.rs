//! `opskit rrd create` as a drop-in for `rrdtool create`: for the same arguments, `rrdtool info`
//! of our file and of rrdtool's is the same (but for the file name and the randomly chosen
//! current rows).

use std::path::Path;
use std::process::{Command, Output};

use super::{opskit, stderr, stdout};

fn rrdtool(args: &[&str]) -> Output {
    Command::new("rrdtool")
        .args(args)
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .expect("rrdtool (Debian package rrdtool) is installed")
}

/// `rrdtool info FILE` without what differs between two creations of one layout: the name and
/// each archive's `cur_row` (librrd starts each archive at a random row).
fn info_of(file: &str) -> String {
    let o = rrdtool(&["info", file]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .filter(|l| !l.starts_with("filename = ") && !l.contains("].cur_row = "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Creates `ours.rrd` with opskit and `theirs.rrd` with rrdtool from `args` in `dir`, and
/// returns both paths after checking that both succeeded and that their info is the same.
fn both(dir: &Path, name: &str, args: &[&str]) -> (String, String) {
    let ours = dir.join(format!("{name}-ours.rrd"));
    let theirs = dir.join(format!("{name}-rrdtool.rrd"));
    let (ours, theirs) = (ours.to_str().unwrap(), theirs.to_str().unwrap());
    let o = opskit(&[&["rrd", "create", ours][..], args].concat());
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    let r = rrdtool(&[&["create", theirs][..], args].concat());
    assert!(r.status.success(), "{name}: {}", stderr(&r));
    assert_eq!(info_of(ours), info_of(theirs), "{name}: {args:?}");
    (ours.to_owned(), theirs.to_owned())
}

const START: &str = "1767225000";

#[test]
fn create_matches_rrdtool_info_for_durations_and_every_archive_kind() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "durations",
            &[
                "--step",
                "5m",
                "--start",
                START,
                "DS:a:GAUGE:10m:0:U",
                "DS:b:COUNTER:600:U:1e9",
                "DS:c:DERIVE:1h:-5:5",
                "DS:d:ABSOLUTE:600:U:U",
                "DS:e:DCOUNTER:600:0:U",
                "DS:f:DDERIVE:600:U:U",
                "DS:g:COMPUTE:a,b,+,8,*",
                "RRA:AVERAGE:0.5:1h:1y",
                "RRA:MAX:0.5:1:7d",
                "RRA:MIN:0:1d:1M",
                "RRA:LAST:0.25:1w:52",
            ],
        ),
        (
            "holt-winters-implicit",
            &[
                "-s",
                "300",
                "-b",
                START,
                "DS:x:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1:2016",
                "RRA:HWPREDICT:1440:0.1:0.0035:288",
            ],
        ),
        (
            "mhw-implicit-durations",
            &[
                "--step",
                "300",
                "--start",
                START,
                "DS:x:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1:10",
                "RRA:MHWPREDICT:5d:0.2:0.1:288",
            ],
        ),
        (
            "holt-winters-explicit",
            &[
                "--step",
                "300",
                "--start",
                START,
                "DS:x:COUNTER:1800:0:4294967295",
                "RRA:AVERAGE:0.5:1:2016",
                "RRA:HWPREDICT:1440:0.1:0.0035:288:3",
                "RRA:SEASONAL:1d:0.1:2",
                "RRA:DEVPREDICT:5d:5",
                "RRA:DEVSEASONAL:288:0.1:2:smoothing-window=0.25",
                "RRA:FAILURES:1d:7:9:5",
            ],
        ),
        (
            "mhw-explicit",
            &[
                "--step",
                "60",
                "--start",
                START,
                "DS:x:GAUGE:120:U:U",
                "RRA:MHWPREDICT:600:0.5:0.5:60:2",
                "RRA:SEASONAL:60:0.3:1:smoothing-window=0.1",
                "RRA:DEVSEASONAL:1h:0.3:1",
                "RRA:DEVPREDICT:600:3",
                "RRA:FAILURES:600:3:5:3",
            ],
        ),
    ];
    for (name, args) in cases {
        both(dir.path(), name, args);
    }
}

#[test]
fn template_source_and_no_overwrite_match_rrdtool() {
    let dir = tempfile::tempdir().unwrap();
    let (old, _) = both(
        dir.path(),
        "old",
        &[
            "--step",
            "5m",
            "--start",
            START,
            "DS:in:COUNTER:600:0:U",
            "DS:out:COUNTER:600:0:U",
            "RRA:AVERAGE:0.5:1:100",
            "RRA:MAX:0.5:1h:7d",
        ],
    );
    let o = rrdtool(&[
        "update",
        &old,
        "1767225300:1000:500",
        "1767225600:31000:15500",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    // The template's step and layout, plus a data source and an archive whose durations
    // scale by the template's step.
    both(
        dir.path(),
        "template",
        &[
            "--template",
            &old,
            "--start",
            START,
            "DS:extra:GAUGE:10m:U:U",
            "RRA:LAST:0.5:1h:1d",
        ],
    );
    // Data from a source, a renamed data source among them (without --start, the new file
    // starts at the source's last update, so that its rows are copied).
    let (ours, theirs) = both(
        dir.path(),
        "source",
        &[
            "--source",
            &old,
            "--step",
            "300",
            "DS:in:COUNTER:600:0:U",
            "DS:sent=out:COUNTER:600:0:U",
            "RRA:AVERAGE:0.5:1:100",
        ],
    );
    let fetch = |f: &str| {
        stdout(&rrdtool(&[
            "fetch",
            f,
            "AVERAGE",
            "-s",
            "1767225000",
            "-e",
            "1767225600",
        ]))
    };
    assert_eq!(fetch(&ours), fetch(&theirs));
    assert!(
        fetch(&ours).contains("1767225600: 1.0000000000e+02 5.0000000000e+01"),
        "{}",
        fetch(&ours)
    );

    // --no-overwrite: both refuse, exit 1, and the file is untouched.
    let before = std::fs::read(&ours).unwrap();
    let args = [
        "--no-overwrite",
        "DS:a:GAUGE:600:U:U",
        "RRA:AVERAGE:0.5:1:10",
    ];
    let o = opskit(&[&["rrd", "create", &ours][..], &args].concat());
    let r = rrdtool(&[&["create", &theirs][..], &args].concat());
    assert_eq!((o.status.code(), r.status.code()), (Some(1), Some(1)));
    assert!(
        stderr(&o).contains("already exists") || stderr(&o).contains("File exists"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&ours).unwrap(), before);
}

#[test]
fn create_refuses_what_rrdtool_refuses_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--step",
                "7m",
                "DS:a:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1h:1y",
            ],
            "RRA steps",
        ),
        (
            &["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1h:1000s"],
            "RRA rows",
        ),
        (
            &["--step", "5x", "DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"],
            "step size",
        ),
        (
            &["--step", "0", "DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"],
            "step size",
        ),
        (
            &["DS:a:GAUGE:1.5:U:U", "RRA:AVERAGE:0.5:1:10"],
            "data source heartbeat",
        ),
        (
            &["DS:a:GAUGE:600:U:U", "RRA:HWPREDICT:100:1:0.1:12"],
            "RRA alpha",
        ),
        (
            &[
                "DS:a:GAUGE:600:U:U",
                "RRA:HWPREDICT:100:0.5:0.5:12",
                "RRA:SEASONAL:12:1:1",
            ],
            "RRA gamma",
        ),
        (
            &[
                "DS:a:GAUGE:600:U:U",
                "RRA:HWPREDICT:100:0.5:0.5:12",
                "RRA:FAILURES:10:3:29:2",
            ],
            "RRA window length",
        ),
        (&["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:1:1:10"], "RRA xff"),
        (
            &["DS:a:GAUGE:600:U:U", "RRA:FOO:0.5:1:1"],
            "RRA consolidation function",
        ),
        (&["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1"], "archive"),
    ];
    for (i, (args, field)) in cases.iter().enumerate() {
        let ours = dir.path().join(format!("o{i}.rrd"));
        let theirs = dir.path().join(format!("r{i}.rrd"));
        let o = opskit(&[&["rrd", "create", ours.to_str().unwrap()][..], args].concat());
        let r = rrdtool(&[&["create", theirs.to_str().unwrap()][..], args].concat());
        assert_eq!(r.status.code(), Some(1), "rrdtool accepts {args:?}");
        assert!(!o.status.success(), "{args:?}");
        assert!(stderr(&o).contains(field), "{args:?}: {}", stderr(&o));
        assert!(!ours.exists(), "{args:?}");
    }
}

/// A template or source is a librrd open of a local file: a corrupt header is refused first.
#[test]
fn corrupt_templates_and_sources_are_refused_before_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.rrd");
    let n = new.to_str().unwrap();
    for (f, field) in super::corrupt_rrds(dir.path()) {
        let runs: [&[&str]; 2] = [
            &["rrd", "create", n, "--template", &f],
            &[
                "rrd",
                "create",
                n,
                "--source",
                &f,
                "DS:eth0_in:COUNTER:600:0:U",
                "RRA:AVERAGE:0.5:1:10",
            ],
        ];
        for args in runs {
            super::assert_refused(&opskit(args), &f, field, &args[3..5].join(" "));
            assert!(!new.exists());
        }
    }
}

/// Where we are stricter than rrdtool on purpose: a Holt-Winters `rra-num` that names no
/// archive, or one of the wrong kind, is refused (librrd 1.7.2 writes the file, whose updates
/// then read the wrong archive).
#[test]
fn a_dangling_holt_winters_rra_num_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (i, defs) in [
        &["RRA:HWPREDICT:100:0.5:0.5:12", "RRA:FAILURES:10:3:9:0"][..],
        &["RRA:HWPREDICT:100:0.5:0.5:12:9"],
        &["RRA:AVERAGE:0.5:1:10", "RRA:DEVPREDICT:100:1"],
    ]
    .iter()
    .enumerate()
    {
        let f = dir.path().join(format!("{i}.rrd"));
        let f = f.to_str().unwrap();
        let args = [&["rrd", "create", f, "DS:a:GAUGE:600:U:U"][..], defs].concat();
        let o = opskit(&args);
        assert_eq!(o.status.code(), Some(1), "{defs:?}");
        assert!(stderr(&o).contains("RRA rra-num"), "{}", stderr(&o));
        assert!(!Path::new(f).exists());
        // rrdtool writes these files.
        let r = rrdtool(
            &[
                &["create", &format!("{f}.rrdtool"), "DS:a:GAUGE:600:U:U"][..],
                defs,
            ]
            .concat(),
        );
        assert!(r.status.success(), "{defs:?}: {}", stderr(&r));
    }
}

/// librrd writes every row of a new file: a layout past the documented bounds (`MAX_ROWS`
/// rows per archive, `MAX_DATA_BYTES` of values) is refused before it fills the disk. (Not run
/// through rrdtool, which would write it.)
#[test]
fn a_layout_too_large_to_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.rrd");
    let f = f.to_str().unwrap();
    for (defs, field) in [
        (
            &["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:100000000000"][..],
            "RRA rows",
        ),
        (
            &[
                "--step",
                "1",
                "DS:a:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1s:10y",
            ],
            "RRA rows",
        ),
        (
            &[
                // 8 × 180,000,000 rows × 8 bytes: 11.5 GB, past 8 GiB.
                "DS:a:GAUGE:600:U:U",
                "DS:b:GAUGE:600:U:U",
                "DS:c:GAUGE:600:U:U",
                "DS:d:GAUGE:600:U:U",
                "DS:e:GAUGE:600:U:U",
                "DS:f:GAUGE:600:U:U",
                "DS:g:GAUGE:600:U:U",
                "DS:h:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:1:90000000",
                "RRA:MAX:0.5:1:90000000",
            ],
            "RRD size",
        ),
    ] {
        let o = opskit(&[&["rrd", "create", f][..], defs].concat());
        assert_eq!(o.status.code(), Some(1), "{defs:?}");
        assert!(stderr(&o).contains(field), "{defs:?}: {}", stderr(&o));
        assert!(!Path::new(f).exists());
    }
}
