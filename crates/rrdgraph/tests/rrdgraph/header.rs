//! Corrupt RRD headers are refused in Rust, with the file and the field, before librrd (which
//! crashes on them) opens the file (issue 10 item 12).

use std::path::{Path, PathBuf};

use rrdgraph::{Cf, CreateSpec, DataSource, FetchRequest, Rra, Rrd, RrdError, Update};

const START: i64 = 1_767_225_000;

/// A real two-DS, three-RRA file written by librrd.
fn good(dir: &Path) -> PathBuf {
    let path = dir.join("good.rrd");
    let rrd = Rrd::new(&path);
    rrd.create(
        &CreateSpec::new()
            .step(300)
            .start(START)
            .data_source(DataSource::gauge("a", 600))
            .data_source(DataSource::counter("b", 600))
            .archive(Rra::new(Cf::Average, 0.5, 1, 10))
            .archive(Rra::new(Cf::Max, 0.5, 2, 5))
            .archive(Rra::new(Cf::Min, 0.5, 1, 3)),
    )
    .unwrap();
    rrd.update(&[Update::at(START + 300, [1.0, 10.0])]).unwrap();
    path
}

fn patched(dir: &Path, name: &str, f: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(good(dir)).unwrap();
    f(&mut bytes);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn set_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// The corrupt files and the field each one must be refused for.
fn corrupt(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    vec![
        (patched(dir, "ds0.rrd", |b| set_u64(b, 24, 0)), "ds_cnt"),
        (patched(dir, "step0.rrd", |b| set_u64(b, 40, 0)), "pdp_step"),
        (
            patched(dir, "rra40.rrd", |b| set_u64(b, 32, 1 << 40)),
            "rra_cnt",
        ),
        (
            patched(dir, "short.rrd", |b| b.truncate(b.len() - 100)),
            "length",
        ),
        (patched(dir, "tiny.rrd", |b| b.truncate(60)), "length"),
        (patched(dir, "cookie.rrd", |b| b[0] = b'X'), "cookie"),
        (patched(dir, "version.rrd", |b| b[7] = b'9'), "version"),
        (patched(dir, "float.rrd", |b| b[16] ^= 1), "float_cookie"),
    ]
}

fn assert_bad<T: std::fmt::Debug>(r: Result<T, RrdError>, path: &Path, want: &str, op: &str) {
    match r {
        Err(RrdError::BadHeader { path: p, field, .. }) => {
            assert_eq!(p, path, "{op}");
            assert_eq!(field, want, "{op} on {}", path.display());
        }
        other => panic!("{op} on {}: {other:?}", path.display()),
    }
}

#[test]
fn header_layout_matches_a_real_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = good(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    // stat_head 128, 2 ds_def, 3 rra_def, live_head 16, 2 pdp_prep, 3x2 cdp_prep, 3 rra_ptr,
    // then (10 + 5 + 3) rows of 2 values.
    let header = 128 + 2 * 120 + 3 * 120 + 16 + 2 * 112 + 3 * 2 * 80 + 3 * 8;
    assert_eq!(len, header + (10 + 5 + 3) * 2 * 8);
    rrdgraph::check_header(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..9], b"RRD\x000003\0");
    let short = dir.path().join("short.rrd");
    std::fs::write(&short, &bytes[..bytes.len() - 1]).unwrap();
    assert_bad(rrdgraph::check_header(&short), &short, "length", "check");
}

#[test]
fn every_operation_refuses_a_corrupt_header_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    for (path, field) in corrupt(dir.path()) {
        let rrd = Rrd::new(&path);
        let file = path.to_str().unwrap();
        assert_bad(rrd.info(), &path, field, "info");
        assert_bad(rrd.first(0), &path, field, "first");
        assert_bad(rrd.last(), &path, field, "last");
        assert_bad(rrd.lastupdate(), &path, field, "lastupdate");
        let request = FetchRequest::new(Cf::Average).start(START).end(START + 600);
        assert_bad(rrd.fetch(&request), &path, field, "fetch");
        let def = format!("DEF:x={}:a:AVERAGE", file.replace(':', "\\:"));
        let xport = rrdgraph::xport(&[
            "--start",
            &START.to_string(),
            "--end",
            &(START + 600).to_string(),
            &def,
            "XPORT:x:x",
        ]);
        assert_bad(xport, &path, field, "xport");
        let graph = crate::render::render_to_memory(&[
            "--start",
            &START.to_string(),
            "--end",
            &(START + 600).to_string(),
            &def,
            "LINE1:x#ff0000",
        ]);
        assert_bad(graph, &path, field, "graph");
        let message = rrd.info().unwrap_err().to_string();
        assert!(
            message.contains(file) && message.contains(field),
            "{message}"
        );
    }
}

#[test]
fn a_daemon_skips_the_header_check() {
    let dir = tempfile::tempdir().unwrap();
    let bad = patched(dir.path(), "cookie.rrd", |b| b[0] = b'X');
    // The file may be remote: librrd (here failing to connect) has the word.
    let err = Rrd::new(&bad)
        .daemon("unix:/nonexistent/opskit/rrdcached.sock")
        .last()
        .unwrap_err();
    assert!(!matches!(err, RrdError::BadHeader { .. }), "{err:?}");
    let def = format!(
        "DEF:x={}:a:AVERAGE:daemon=unix\\:/nonexistent/x.sock",
        bad.display()
    );
    let err = crate::render::render_to_memory(&[def.as_str(), "LINE1:x#ff0000"]).unwrap_err();
    assert!(!matches!(err, RrdError::BadHeader { .. }), "{err:?}");
}
