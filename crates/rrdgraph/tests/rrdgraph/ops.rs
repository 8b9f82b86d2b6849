//! Typed RRD operations against the real librrd and a real rrdcached.

use std::path::Path;

use rrdgraph::{
    Cf, CreateSpec, DataSource, FetchRequest, InfoValue, Rra, Rrd, RrdError, Update, xport,
};
use testbed::rrd::{DEFAULT_END, Rrdcached, STEP, TrafficRrd};

const T0: i64 = 920_804_400;

fn speed_spec() -> CreateSpec {
    CreateSpec::new()
        .step(300)
        .start(T0)
        .data_source(DataSource::counter("speed", 600))
        .archive(Rra::new(Cf::Average, 0.5, 1, 24))
        .archive(Rra::new(Cf::Average, 0.5, 6, 10))
}

/// The updates of rrdtool's tests/graph1 (and the tutorial): a car's odometer.
pub(crate) fn speed_updates() -> Vec<Update> {
    [
        12345, 12357, 12363, 12363, 12363, 12373, 12383, 12393, 12399, 12405, 12411, 12415, 12420,
        12422, 12423,
    ]
    .iter()
    .zip(1..)
    .map(|(v, i)| Update::at(T0 + 300 * i, [f64::from(*v)]))
    .collect()
}

/// Creates rrdtool's test RRD (`speed`, COUNTER) in `dir` with our create and update.
pub(crate) fn speed_rrd(dir: &Path) -> Rrd {
    let rrd = Rrd::new(dir.join("speed.rrd"));
    rrd.create(&speed_spec()).unwrap();
    rrd.update(&speed_updates()).unwrap();
    rrd
}

#[test]
fn create_update_info_first_last_lastupdate() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = speed_rrd(dir.path());
    let info = rrd.info().unwrap();
    assert_eq!(info.get("step"), Some(&InfoValue::Count(300)));
    assert_eq!(
        info.get("ds[speed].type").and_then(InfoValue::as_str),
        Some("COUNTER")
    );
    assert_eq!(info.get("rra[1].pdp_per_row"), Some(&InfoValue::Count(6)));
    assert_eq!(
        info.get("last_update"),
        Some(&InfoValue::Count(920_808_900))
    );
    assert!(
        info.to_text()
            .contains("ds[speed].minimal_heartbeat = 600\n")
    );

    assert_eq!(rrd.last().unwrap(), 920_808_900);
    // 24 rows of 300 s end at the last full step.
    assert_eq!(rrd.first(0).unwrap(), 920_808_900 - 23 * 300);
    assert_eq!(rrd.first(1).unwrap(), 920_808_000 - 9 * 1800);
    assert!(matches!(
        rrd.first(7),
        Err(RrdError::Librrd { op: "first", .. })
    ));

    let last = rrd.lastupdate().unwrap();
    assert_eq!(last.time, 920_808_900);
    assert_eq!(last.values, [("speed".to_owned(), "12423".to_owned())]);
}

#[test]
fn fetch_returns_rates() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = speed_rrd(dir.path());
    let s = rrd
        .fetch(&FetchRequest::new(Cf::Average).start(T0).end(T0 + 3600))
        .unwrap();
    assert_eq!(s.names(), ["speed"]);
    assert_eq!(s.step(), 300);
    let rows: Vec<(i64, f64)> = s.rows().map(|(t, r)| (t, r[0])).collect();
    assert_eq!(rows[0].0, T0 + 300);
    assert!(rows[0].1.is_nan(), "the first update only sets the counter");
    // 12 m in 300 s.
    assert!((rows[1].1 - 12.0 / 300.0).abs() < 1e-12, "{rows:?}");
    assert!(rows.iter().any(|(_, v)| *v == 0.0));
    let text = s.to_text();
    // Byte for byte what `rrdtool fetch` prints.
    assert!(
        text.starts_with(&format!("{}speed\n\n", " ".repeat(26))),
        "{text}"
    );
    assert!(
        text.contains(&format!(" {}: 4.0000000000e-02\n", T0 + 600)),
        "{text}"
    );
    let real = std::process::Command::new("rrdtool")
        .args(["fetch", rrd.path().to_str().unwrap(), "AVERAGE", "-s"])
        .arg(T0.to_string())
        .arg("-e")
        .arg((T0 + 3600).to_string())
        .output()
        .expect("rrdtool (Debian package rrdtool) is installed");
    assert_eq!(String::from_utf8_lossy(&real.stdout), text);

    let missing = Rrd::new(dir.path().join("missing.rrd"));
    assert!(matches!(
        missing.fetch(&FetchRequest::new(Cf::Max)),
        Err(RrdError::Librrd { op: "fetch", .. })
    ));
}

#[test]
fn update_v_reports_the_consolidated_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = Rrd::new(dir.path().join("v.rrd"));
    rrd.create(
        &CreateSpec::new()
            .step(60)
            .start(999_999_960)
            .data_source(DataSource::gauge("g", 120))
            .archive(Rra::new(Cf::Last, 0.0, 1, 10)),
    )
    .unwrap();
    let info = rrd
        .update_v(&[
            Update::at(1_000_000_020, [5.0]),
            Update::at(1_000_000_080, [7.0]),
        ])
        .unwrap();
    assert_eq!(info.get("return_value"), Some(&InfoValue::Int(0)));
    assert!(
        info.iter()
            .any(|(k, v)| k.ends_with("DS[g]") && *v == InfoValue::Value(7.0)),
        "{}",
        info.to_text()
    );
}

#[test]
fn librrd_refusals_keep_their_message() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = speed_rrd(dir.path());
    // An update in the past.
    let err = rrd.update(&[Update::at(T0, [1.0])]).unwrap_err();
    let RrdError::Librrd { op, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*op, "update");
    assert!(message.contains("minimum one second step"), "{message}");
    // No overwrite.
    let err = rrd.create(&speed_spec().no_overwrite()).unwrap_err();
    assert!(
        matches!(&err, RrdError::Librrd { op: "create", message } if message.contains("exists")),
        "{err:?}"
    );
    // Missing file.
    let err = Rrd::new(dir.path().join("none.rrd")).info().unwrap_err();
    assert!(err.to_string().contains("none.rrd"), "{err}");
    // Refused before librrd.
    assert!(matches!(
        rrd.update(&[]),
        Err(RrdError::Invalid { what: "update", .. })
    ));
    assert!(matches!(
        Rrd::new(dir.path().join("x.rrd")).create(&CreateSpec::new()),
        Err(RrdError::Invalid { .. })
    ));
}

#[test]
fn xport_computes_series() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = speed_rrd(dir.path());
    let p = rrd.path().display();
    let s = xport(&[
        "--start".to_owned(),
        T0.to_string(),
        "--end".into(),
        (T0 + 3600).to_string(),
        format!("DEF:s={p}:speed:AVERAGE"),
        "CDEF:kmh=s,3600,*".into(),
        "XPORT:s:speed".into(),
        "XPORT:kmh:kilometres per hour".into(),
    ])
    .unwrap();
    assert_eq!(s.names(), ["speed", "kilometres per hour"]);
    assert_eq!(s.step(), 300);
    for (_, row) in s.rows() {
        if !row[0].is_nan() {
            assert!((row[1] - row[0] * 3600.0).abs() < 1e-9);
        }
    }
    assert_eq!(s.len(), 12);
}

#[test]
fn rrdcached_via_daemon_option() {
    let cached = Rrdcached::start().unwrap();
    let path = cached.base_dir().join("cached.rrd");
    let rrd = Rrd::new(&path).daemon(cached.address());
    rrd.create(&speed_spec()).unwrap();
    rrd.update(&speed_updates()).unwrap();
    // The updates wait in the daemon: the file on disk has none yet.
    let on_disk = Rrd::new(&path);
    assert_eq!(on_disk.last().unwrap(), T0);
    // Through the daemon, last and lastupdate see them (lastupdate flushes, as rrdtool does).
    assert_eq!(rrd.last().unwrap(), 920_808_900);
    let last = rrd.lastupdate().unwrap();
    assert_eq!(last.time, 920_808_900);
    assert_eq!(on_disk.last().unwrap(), 920_808_900);

    // More updates, then a graph through the daemon flushes them before reading.
    rrd.update(&[Update::at(920_809_200, [12_723.0])]).unwrap();
    assert_eq!(on_disk.last().unwrap(), 920_808_900);
    let graph = |daemon: Option<&str>| {
        let mut args = vec![
            "--start".to_owned(),
            "920808000".into(),
            "--end".into(),
            "920809200".into(),
        ];
        if let Some(d) = daemon {
            args.extend(["--daemon".to_owned(), d.to_owned()]);
        }
        args.extend([
            format!("DEF:s={}:speed:AVERAGE", path.display()),
            "VDEF:m=s,MAXIMUM".into(),
            "PRINT:m:%.1lf".into(),
        ]);
        crate::render::render_to_memory(&args)
            .unwrap()
            .prints()
            .to_vec()
    };
    assert_eq!(graph(Some(&cached.address())), ["1.0"]);
    assert_eq!(on_disk.last().unwrap(), 920_809_200);

    // Fetch and info through the daemon.
    let s = rrd
        .fetch(
            &FetchRequest::new(Cf::Average)
                .start(920_808_600)
                .end(920_809_200),
        )
        .unwrap();
    // (rrdcached's fetch may add an unknown row after the end, as `rrdtool fetch` shows.)
    let at_end = s.rows().find(|(t, _)| *t == 920_809_200).map(|(_, r)| r[0]);
    assert_eq!(at_end, Some(1.0), "{}", s.to_text());
    assert_eq!(
        rrd.info().unwrap().get("last_update"),
        Some(&InfoValue::Count(920_809_200))
    );
    rrd.flush().unwrap();
    // Without a daemon (and without RRDCACHED_ADDRESS) librrd has nobody to flush.
    assert!(matches!(
        on_disk.flush(),
        Err(RrdError::Librrd {
            op: "flushcached",
            ..
        })
    ));
}

#[test]
fn rrdcached_via_def_daemon_field() {
    let cached = Rrdcached::start().unwrap();
    let rrd = TrafficRrd::builder()
        .hours(2)
        .create_in(cached.base_dir())
        .unwrap();
    let next = DEFAULT_END + STEP;
    let handle = Rrd::new(rrd.path()).daemon(cached.address());
    handle
        .update(&[Update::at(i64::try_from(next).unwrap(), [4e9, 2e9])])
        .unwrap();
    let print_last = |def_extra: &str| {
        crate::render::render_to_memory(&[
            "--start".to_owned(),
            (DEFAULT_END - 3600).to_string(),
            "--end".into(),
            next.to_string(),
            format!("DEF:i={}:eth0_in:AVERAGE{def_extra}", rrd.path().display()),
            "VDEF:l=i,LAST".into(),
            // The time of the last known value.
            "PRINT:l:%s:strftime".into(),
        ])
        .unwrap()
        .prints()
        .to_vec()
    };
    // Without the daemon the last step is unknown; the DEF's daemon= flushes it first.
    let before = print_last("");
    let socket = cached.socket().display().to_string();
    let after = print_last(&format!(":daemon={socket}"));
    assert_eq!(before, [DEFAULT_END.to_string()]);
    assert_eq!(after, [next.to_string()]);
    assert_eq!(
        Rrd::new(rrd.path()).last().unwrap(),
        i64::try_from(next).unwrap()
    );
}

/// `RRDCACHED_ADDRESS` is read by librrd from the environment. The test re-runs itself in a
/// child process with the variable set, so that no other test sees it.
#[test]
fn rrdcached_via_environment() {
    const CHILD: &str = "OPSKIT_TEST_RRDCACHED_CHILD_FILE";
    if let Some(file) = std::env::var_os(CHILD) {
        // Child: every operation goes through the daemon named by RRDCACHED_ADDRESS.
        let rrd = Rrd::new(&file);
        rrd.update(&[Update::at(920_809_200, [12_723.0])]).unwrap();
        assert_eq!(rrd.last().unwrap(), 920_809_200);
        println!("CHILD-DONE");
        return;
    }
    let cached = Rrdcached::start().unwrap();
    let path = cached.base_dir().join("env.rrd");
    let rrd = Rrd::new(&path);
    rrd.create(&speed_spec()).unwrap();
    rrd.update(&speed_updates()).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "ops::rrdcached_via_environment", "--nocapture"])
        .env(CHILD, &path)
        .env("RRDCACHED_ADDRESS", cached.address())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHILD-DONE"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The child's update went through the daemon: not on disk until flushed.
    assert_eq!(rrd.last().unwrap(), 920_808_900);
    // FLUSH answers once the file is written and unlocked; FLUSHALL's empty queue may still
    // have this file being written (librrd then says "could not lock RRD").
    cached.flush(&path).unwrap();
    assert_eq!(rrd.last().unwrap(), 920_809_200);
}

#[test]
fn typed_xport_matches_the_raw_one() {
    use rrdgraph::{CDef, Def, DsName, Rpn, VDef, VDefExpr, VDefFunc, VName, XportRequest};
    let dir = tempfile::tempdir().unwrap();
    let rrd = speed_rrd(dir.path());
    let p = rrd.path().to_str().unwrap();
    let (s, kmh, peak) = (
        VName::new("s").unwrap(),
        VName::new("kmh").unwrap(),
        VName::new("peak").unwrap(),
    );
    let request = XportRequest::new()
        .start(T0)
        .end(T0 + 3600)
        .element(Def::new(&s, p, DsName::new("speed").unwrap(), Cf::Average))
        .element(CDef::new(&kmh, "s,3600,*".parse::<Rpn>().unwrap()))
        .element(VDef::new(
            &peak,
            VDefExpr::new(kmh.clone(), VDefFunc::Maximum),
        ))
        .export(&s, "speed")
        .export(&kmh, "km/h: rounded");
    let typed = request.run().unwrap();
    assert_eq!(typed.names(), ["speed", "km/h: rounded"]);
    let raw = xport(&[
        "--start".to_owned(),
        T0.to_string(),
        "--end".into(),
        (T0 + 3600).to_string(),
        format!("DEF:s={p}:speed:AVERAGE"),
        "CDEF:kmh=s,3600,*".into(),
        "XPORT:s:speed".into(),
        "XPORT:kmh:km/h\\: rounded".into(),
    ])
    .unwrap();
    assert_eq!(typed.len(), raw.len());
    for ((t1, a), (t2, b)) in typed.rows().zip(raw.rows()) {
        assert_eq!(t1, t2);
        for (x, y) in a.iter().zip(b) {
            assert!(x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
        }
    }

    let invalid = |r: XportRequest, what: &str| match r.validate() {
        Err(RrdError::Invalid { what: w, .. }) => assert_eq!(w, what),
        other => panic!("{other:?}"),
    };
    invalid(
        XportRequest::new().element(Def::new(&s, p, DsName::new("speed").unwrap(), Cf::Average)),
        "xport",
    );
    invalid(XportRequest::new().export(&kmh, "x"), "xport vname");
    invalid(
        XportRequest::new()
            .element(Def::new(&s, p, DsName::new("speed").unwrap(), Cf::Average))
            .element(VDef::new(
                &peak,
                VDefExpr::new(s.clone(), VDefFunc::Maximum),
            ))
            .export(&peak, "peak"),
        "xport vname",
    );
    invalid(
        XportRequest::new()
            .element(rrdgraph::Element::Comment(
                rrdgraph::Legend::new("x").unwrap(),
            ))
            .export(&s, "s"),
        "xport element",
    );
}
