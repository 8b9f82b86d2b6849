//! Tests of the rrd fixture.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use rrd::ConsolidationFn;
use rrd::ops::info::InfoValue;
use testbed::rrd::{DEFAULT_END, Rrdcached, STEP, TrafficRrd};

fn info(path: &std::path::Path) -> HashMap<String, InfoValue> {
    rrd::ops::info::info(path).expect("rrd info")
}

fn last_update(path: &std::path::Path) -> u64 {
    info(path)
        .remove("last_update")
        .and_then(InfoValue::into_count)
        .expect("last_update in info")
}

#[test]
fn info_shows_both_data_sources() {
    let rrd = TrafficRrd::create().unwrap();
    let info = info(rrd.path());
    for ds in ["eth0_in", "eth0_out"] {
        assert_eq!(
            info.get(&format!("ds[{ds}].type")),
            Some(&InfoValue::String("COUNTER".into())),
            "{ds} in {info:?}"
        );
        assert_eq!(
            info.get(&format!("ds[{ds}].minimal_heartbeat")),
            Some(&InfoValue::Count(600))
        );
    }
    assert_eq!(info.get("step"), Some(&InfoValue::Count(STEP)));
    assert_eq!(
        info.get("last_update"),
        Some(&InfoValue::Count(DEFAULT_END))
    );
    assert_eq!(
        info.get("rra[0].cf"),
        Some(&InfoValue::String("AVERAGE".into()))
    );
    assert_eq!(
        info.get("rra[11].pdp_per_row"),
        Some(&InfoValue::Count(444))
    );
    // A day or more of traffic.
    assert!(rrd.rates().len() >= 288);
    assert_eq!(rrd.last_update(), DEFAULT_END);
}

#[test]
fn fetch_reads_back_every_rate() {
    let rrd = TrafficRrd::builder().hours(24).seed(3).create().unwrap();
    let rates = rrd.rates();
    let data = rrd::ops::fetch::fetch(
        rrd.path(),
        ConsolidationFn::Avg,
        UNIX_EPOCH + Duration::from_secs(rrd.first_rate_time() - STEP),
        UNIX_EPOCH + Duration::from_secs(rrd.last_update()),
        Duration::from_secs(STEP),
    )
    .unwrap();
    assert_eq!(data.ds_names(), ["eth0_in", "eth0_out"]);
    let rows: Vec<_> = data.rows().iter().collect();
    // librrd may add a row past the end, with no data yet.
    assert!(rows.len() >= rates.len(), "{} rows", rows.len());
    assert!(
        rows[rates.len()..]
            .iter()
            .all(|r| r.as_slice().iter().all(|v| v.is_nan()))
    );
    for (row, rate) in rows.iter().zip(rates) {
        let t = row
            .timestamp()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(t, rate.time);
        let v = row.as_slice();
        assert!(
            (v[0] - rate.eth0_in).abs() < 1e-6,
            "{t}: {} vs {}",
            v[0],
            rate.eth0_in
        );
        assert!(
            (v[1] - rate.eth0_out).abs() < 1e-6,
            "{t}: {} vs {}",
            v[1],
            rate.eth0_out
        );
    }
}

fn fetch_all(path: &std::path::Path, start: u64, end: u64) -> Vec<Vec<u64>> {
    let data = rrd::ops::fetch::fetch(
        path,
        ConsolidationFn::Max,
        UNIX_EPOCH + Duration::from_secs(start),
        UNIX_EPOCH + Duration::from_secs(end),
        Duration::from_secs(STEP),
    )
    .unwrap();
    data.rows()
        .iter()
        .map(|r| r.as_slice().iter().map(|v| v.to_bits()).collect())
        .collect()
}

#[test]
fn same_settings_give_the_same_data() {
    // librrd randomises the archives' current rows at create, so the bytes differ; the data
    // must not.
    let a = TrafficRrd::builder().hours(2).create().unwrap();
    let b = TrafficRrd::builder().hours(2).create().unwrap();
    assert_eq!(a.rates(), b.rates());
    let (start, end) = (DEFAULT_END - 7200, DEFAULT_END);
    let fa = fetch_all(a.path(), start, end);
    assert!(fa.len() >= 24);
    assert_eq!(fa, fetch_all(b.path(), start, end));
    let c = TrafficRrd::builder().hours(2).seed(9).create().unwrap();
    assert_ne!(a.rates(), c.rates());
}

#[test]
fn create_in_keeps_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let rrd = TrafficRrd::builder()
            .file_name("kept.rrd")
            .hours(1)
            .create_in(dir.path())
            .unwrap();
        rrd.path().to_owned()
    };
    assert!(path.is_file());
    assert_eq!(last_update(&path), DEFAULT_END);
}

#[test]
fn rrdcached_caches_updates_until_flushed() {
    let cached = Rrdcached::start().unwrap();
    assert!(cached.address().starts_with("unix:/"));
    assert!(cached.command("PING").unwrap()[0].contains("PONG"));

    let rrd = TrafficRrd::builder()
        .hours(1)
        .create_in(cached.base_dir())
        .unwrap();
    let next = DEFAULT_END + STEP;
    let reply = cached
        .command(&format!(
            "UPDATE {} {next}:3300000000:1300000000",
            rrd.path().display()
        ))
        .unwrap();
    assert!(reply[0].starts_with("0 "), "{reply:?}");
    // Cached, not yet on disk (the daemon writes only every hour).
    assert_eq!(last_update(rrd.path()), DEFAULT_END);
    let pending = cached
        .command(&format!("PENDING {}", rrd.path().display()))
        .unwrap();
    assert_eq!(pending.len(), 2, "{pending:?}");

    cached.flush(rrd.path()).unwrap();
    assert_eq!(last_update(rrd.path()), next);
    // FLUSHALL empties the queue too (nothing is left pending).
    cached.flush_all().unwrap();
    let pending = cached
        .command(&format!("PENDING {}", rrd.path().display()))
        .unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
}

#[test]
fn rrdcached_refuses_paths_outside_its_base() {
    let cached = Rrdcached::start().unwrap();
    let err = cached
        .command("UPDATE /etc/outside.rrd 1767225900:1:2")
        .unwrap_err();
    assert!(err.to_string().contains("rrdcached"), "{err}");
}

#[test]
fn two_rrdcached_instances_run_side_by_side() {
    let a = Rrdcached::start().unwrap();
    let b = Rrdcached::start().unwrap();
    assert_ne!(a.socket(), b.socket());
    assert_ne!(a.pid(), b.pid());
    let socket = a.socket().to_owned();
    drop(a);
    assert!(!socket.exists());
    assert!(b.command("PING").is_ok());
}
