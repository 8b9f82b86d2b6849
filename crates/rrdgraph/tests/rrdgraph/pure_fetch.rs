//! The pure-Rust reader and fetch ([`RrdFile`], issue 14) against librrd's fetch on files
//! librrd wrote: the same start, end, step and names, and the same values bit for bit (UNKN
//! where librrd has UNKN), across step boundaries, ring wraps and archive switches.
#![expect(
    clippy::cast_precision_loss,
    reason = "test values stay far below 2^52"
)]

use std::path::Path;

use proptest::prelude::*;
use rrdgraph::{
    Cf, CreateSpec, DataSource, DsType, FetchRequest, Rra, Rrd, RrdError, RrdFile, Series, Update,
};
use testbed::rrd::{DEFAULT_END, TrafficRrd};

/// librrd's fetch and ours of the same request; `Err` describes a disagreement.
fn compare(path: &Path, cf: Cf, start: i64, end: i64, resolution: u64) -> Result<(), String> {
    let request = FetchRequest::new(cf)
        .start(start)
        .end(end)
        .resolution(resolution);
    let theirs = Rrd::new(path).fetch(&request);
    let ours = RrdFile::open(path).and_then(|f| f.fetch(cf, start, end, resolution));
    let what = format!("{cf} {start}..{end} resolution {resolution}");
    match (theirs, ours) {
        (Ok(t), Ok(o)) => same_series(&t, &o).map_err(|e| format!("{what}: {e}")),
        (Err(t), Err(o)) => same_refusal(&t, &o).map_err(|e| format!("{what}: {e}")),
        (Ok(t), Err(o)) => Err(format!(
            "{what}: librrd answered {} rows, we refused: {o}",
            t.len()
        )),
        (Err(t), Ok(o)) => Err(format!(
            "{what}: librrd refused ({t}), we answered {} rows",
            o.len()
        )),
    }
}

fn same_series(theirs: &Series, ours: &Series) -> Result<(), String> {
    let shape = |s: &Series| (s.start(), s.end(), s.step(), s.names().to_vec(), s.len());
    if shape(theirs) != shape(ours) {
        return Err(format!(
            "shape: librrd {:?}, ours {:?}",
            shape(theirs),
            shape(ours)
        ));
    }
    for ((tt, tv), (ot, ov)) in theirs.rows().zip(ours.rows()) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        if tt != ot || bits(tv) != bits(ov) {
            return Err(format!(
                "row {tt}: librrd {tv:?} {:x?}, ours {ot}: {ov:?} {:x?}",
                bits(tv),
                bits(ov)
            ));
        }
    }
    Ok(())
}

/// Both refused: for the same reason, where librrd's message says which.
fn same_refusal(theirs: &RrdError, ours: &RrdError) -> Result<(), String> {
    let t = theirs.to_string();
    let agree = match ours {
        RrdError::NoMatchingArchive { .. } => t.contains("does not contain an RRA matching"),
        RrdError::Invalid { reason, .. } => t.contains(reason.as_str()),
        _ => false,
    };
    if agree {
        Ok(())
    } else {
        Err(format!("librrd refused with {t:?}, we with {ours}"))
    }
}

fn assert_same(path: &Path, cf: Cf, start: i64, end: i64, resolution: u64) {
    if let Err(e) = compare(path, cf, start, end, resolution) {
        panic!("{}: {e}", path.display());
    }
}

const T0: i64 = 1_700_000_000;

/// Three data sources, six archives of four CFs and three steps, two days of minute updates
/// with gaps: the finest archives have wrapped many times.
fn busy_rrd(dir: &Path) -> (std::path::PathBuf, i64) {
    let path = dir.join("busy.rrd");
    let rrd = Rrd::new(&path);
    rrd.create(
        &CreateSpec::new()
            .step(60)
            .start(T0)
            .data_source(DataSource::gauge("temp", 120))
            .data_source(DataSource::counter("bytes", 120))
            .data_source(DataSource::new("delta", DsType::Derive, 120))
            .archive(Rra::new(Cf::Average, 0.5, 1, 120))
            .archive(Rra::new(Cf::Average, 0.5, 5, 100))
            .archive(Rra::new(Cf::Max, 0.5, 5, 100))
            .archive(Rra::new(Cf::Min, 0.5, 60, 48))
            .archive(Rra::new(Cf::Last, 0.5, 1, 30))
            .archive(Rra::new(Cf::Average, 0.5, 60, 200)),
    )
    .unwrap();
    let mut updates = Vec::new();
    let (mut t, mut bytes, mut delta) = (T0, 1_000_000.0_f64, 0.0_f64);
    for i in 0..2900_i64 {
        // Irregular times, and a gap past the heartbeat now and then: UNKN rows in the middle.
        t += if i % 97 == 0 { 400 } else { 45 + (i * 7) % 31 };
        bytes += ((i * 13) % 1000) as f64;
        delta += ((i * 5) % 17) as f64 - 8.0;
        let temp = if i % 41 == 0 {
            None
        } else {
            Some(20.0 + (i % 50) as f64 / 3.0)
        };
        updates.push(Update::with_unknowns(t, [temp, Some(bytes), Some(delta)]));
    }
    rrd.update(&updates).unwrap();
    (path, t)
}

#[test]
fn windows_over_a_busy_rrd_match_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let (path, last) = busy_rrd(dir.path());
    let resolutions = [1, 30, 60, 250, 300, 301, 1800, 3600, 7200, 86_400];
    let mut checked = 0;
    for cf in Cf::ALL {
        for back in [
            0, 59, 60, 61, 1800, 7140, 7200, 7260, 30_000, 172_800, 500_000, 1_000_000,
        ] {
            for len in [0, 1, 60, 299, 300, 3600, 86_400] {
                for &res in &resolutions {
                    let start = last - back;
                    assert_same(&path, cf, start, start + len, res);
                    checked += 1;
                }
            }
        }
    }
    // Windows after the last update and long before the file's start.
    for (start, end) in [
        (last + 10, last + 1000),
        (last + 100_000, last + 200_000),
        (T0 - 1_000_000, T0 - 500_000),
        (T0 - 200_000, last + 50_000),
    ] {
        for &res in &resolutions {
            assert_same(&path, Cf::Average, start, end, res);
            checked += 1;
        }
    }
    assert_eq!(checked, 10 * 12 * 7 * 10 + 4 * 10);
}

#[test]
fn refusals_match_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let (path, last) = busy_rrd(dir.path());
    let file = RrdFile::open(&path).unwrap();
    // No archive answers HWPREDICT (nor the other Holt-Winters CFs).
    assert_same(&path, Cf::HwPredict, last - 600, last, 1);
    assert!(matches!(
        file.fetch(Cf::Failures, last - 600, last, 1),
        Err(RrdError::NoMatchingArchive { cf: "FAILURES", .. })
    ));
    // An end before the start.
    assert_same(&path, Cf::Average, last, last - 600, 1);
    // A start before 1980 (librrd's at-style parser reads such a number as a date before
    // `rrd_fetch`'s own check, so there is no librrd answer to compare).
    assert!(matches!(
        file.fetch(Cf::Average, 300_000_000, last, 1),
        Err(RrdError::Invalid { reason, .. }) if reason.contains("after 1980")
    ));
    assert!(matches!(
        file.fetch(Cf::Average, last, last, 0),
        Err(RrdError::Invalid { what: "fetch", .. })
    ));
}

#[test]
fn a_window_past_the_values_budget_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fine.rrd");
    Rrd::new(&path)
        .create(
            &CreateSpec::new()
                .step(1)
                .start(T0)
                .data_source(DataSource::gauge("a", 2))
                .archive(Rra::new(Cf::Average, 0.5, 1, 10)),
        )
        .unwrap();
    let file = RrdFile::open(&path).unwrap();
    // 1980 to now at one second: over a billion rows.
    let err = file.fetch(Cf::Average, 315_360_000, T0, 1).unwrap_err();
    assert!(
        matches!(
            err,
            RrdError::FetchTooLarge {
                columns: 1,
                max: rrdgraph::MAX_FETCH_VALUES,
                ..
            }
        ),
        "{err}"
    );
    // At the budget's edge the answer is whole.
    let rows = i64::try_from(rrdgraph::MAX_FETCH_VALUES).unwrap();
    assert_eq!(
        file.fetch(Cf::Average, T0 - rows, T0 - 1, 1).unwrap().len(),
        rrdgraph::MAX_FETCH_VALUES
    );
    assert!(matches!(
        file.fetch(Cf::Average, T0 - rows - 1, T0 - 1, 1),
        Err(RrdError::FetchTooLarge { .. })
    ));
}

#[test]
fn align_start_matches_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let (path, last) = busy_rrd(dir.path());
    let file = RrdFile::open(&path).unwrap();
    for (back, res) in [(3601, 300), (7777, 3600), (1234, 1), (100_001, 1800)] {
        let start = last - back;
        let theirs = Rrd::new(&path)
            .fetch(
                &FetchRequest::new(Cf::Average)
                    .start(start)
                    .end(last)
                    .resolution(res)
                    .align_start(),
            )
            .unwrap();
        let ours = file.fetch_aligned(Cf::Average, start, last, res).unwrap();
        same_series(&theirs, &ours).unwrap();
    }
}

#[test]
fn the_recipe_traffic_rrd_matches_librrd() {
    let rrd = TrafficRrd::create().unwrap();
    let end = i64::try_from(DEFAULT_END).unwrap();
    for cf in [Cf::Average, Cf::Max, Cf::Min, Cf::Last] {
        for (back, res) in [
            (86_400, 1),
            (86_400, 300),
            (7 * 86_400, 1800),
            (30 * 86_400, 7200),
            (400 * 86_400, 86_400),
            (3600, 86_400),
        ] {
            assert_same(rrd.path(), cf, end - back, end, res);
        }
    }
}

#[test]
fn the_speed_rrd_of_rrdtools_own_tests_matches_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = crate::ops::speed_rrd(dir.path());
    for start in (920_800_000..920_812_000).step_by(250) {
        for res in [1, 300, 1800] {
            assert_same(rrd.path(), Cf::Average, start, start + 3000, res);
        }
    }
}

#[test]
fn holt_winters_archives_and_format_versions_match_librrd() {
    let dir = tempfile::tempdir().unwrap();
    // MHWPREDICT makes librrd write version 0004, a DCOUNTER version 0005.
    for (name, ds, version) in [
        ("v3.rrd", DsType::Gauge, b"0003"),
        ("v4.rrd", DsType::Gauge, b"0004"),
        ("v5.rrd", DsType::DCounter, b"0005"),
    ] {
        let path = dir.path().join(name);
        let rrd = Rrd::new(&path);
        let noisy = f64::from(u8::from(matches!(ds, DsType::Gauge)));
        let predict = if version == b"0004" {
            "MHWPREDICT"
        } else {
            "HWPREDICT"
        };
        rrd.create(
            &CreateSpec::new()
                .step(300)
                .start(T0)
                .data_source(DataSource::new("x", ds, 600))
                .archive(Rra::new(Cf::Average, 0.5, 1, 50))
                .archive(Rra::parse(&format!("RRA:{predict}:100:0.1:0.0035:12")).unwrap()),
        )
        .unwrap();
        let updates: Vec<_> = (1..=150_i64)
            .map(|i| {
                Update::at(
                    T0 + 300 * i,
                    [((i * 37) % 100) as f64 * noisy + (i * 100) as f64],
                )
            })
            .collect();
        rrd.update(&updates).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[4..8], version, "{name}");
        let last = T0 + 300 * 150;
        for cf in Cf::ALL {
            for (back, res) in [(3000, 1), (30_000, 300), (100_000, 1), (20_000, 3600)] {
                assert_same(&path, cf, last - back, last, res);
            }
        }
    }
}

#[test]
fn one_open_file_follows_updates_and_serves_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (path, last) = busy_rrd(dir.path());
    let file = RrdFile::open(&path).unwrap();
    assert_eq!(file.last_update().unwrap(), last);
    assert_eq!(file.ds_names(), ["temp", "bytes", "delta"]);
    assert_eq!(file.step(), 60);
    Rrd::new(&path)
        .update(&[
            Update::at(last + 60, [1.0, 3e9, 5.0]),
            Update::at(last + 120, [2.0, 3e9, 6.0]),
        ])
        .unwrap();
    assert_eq!(file.last_update().unwrap(), last + 120);
    let theirs = Rrd::new(&path)
        .fetch(
            &FetchRequest::new(Cf::Average)
                .start(last - 3600)
                .end(last + 120),
        )
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..20 {
                    let ours = file.fetch(Cf::Average, last - 3600, last + 120, 1).unwrap();
                    same_series(&theirs, &ours).unwrap();
                }
            });
        }
    });
}

#[test]
fn corrupt_files_are_refused_with_the_field_and_never_read_past_their_end() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = busy_rrd(dir.path());
    let good = std::fs::read(&path).unwrap();
    let field = |bytes: Vec<u8>| match RrdFile::from_bytes("x.rrd", bytes) {
        Err(RrdError::BadHeader { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(good[..good.len() - 1].to_vec()), "length");
    assert_eq!(field(good[..1000].to_vec()), "length");
    let mut b = good.clone();
    b[4..9].copy_from_slice(b"0002\0");
    assert_eq!(field(b), "version");
    let mut b = good.clone();
    b[16] ^= 0x40;
    assert_eq!(field(b), "float_cookie");
    // The first archive's row count (rra_def 0 at 128 + 3 × 120, row_cnt at +24).
    let mut b = good.clone();
    b[128 + 360 + 24..128 + 360 + 32].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(field(b), "rra_def.row_cnt");
    let mut b = good.clone();
    b[128 + 360 + 32..128 + 360 + 40].copy_from_slice(&(1u64 << 62).to_le_bytes());
    assert_eq!(field(b), "rra_def.pdp_cnt");
    // The last archive's ring position, at the end of the header.
    let header_end = good.len() - 8 * 3 * (120 + 100 + 100 + 48 + 30 + 200);
    let mut b = good.clone();
    b[header_end - 8..header_end].copy_from_slice(&200u64.to_le_bytes());
    assert_eq!(field(b), "rra_ptr.cur_row");
    // The file on disk truncated after open: a typed I/O error, not a panic.
    let file = RrdFile::open(&path).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(u64::try_from(good.len() - 8).unwrap())
        .unwrap();
    let last = file.last_update().unwrap();
    let err = file
        .fetch(Cf::Average, last - 200 * 3600, last, 3600)
        .unwrap_err();
    assert!(
        matches!(
            err,
            RrdError::Io {
                what: "reading rows",
                ..
            }
        ),
        "{err}"
    );
}

/// A random RRD definition: step, data sources, archives.
#[derive(Debug, Clone)]
struct Layout {
    step: u64,
    ds: Vec<DsType>,
    archives: Vec<(Cf, u64, u64)>,
}

fn layout() -> impl Strategy<Value = Layout> {
    let kind = prop_oneof![
        Just(DsType::Gauge),
        Just(DsType::Counter),
        Just(DsType::Derive),
        Just(DsType::Absolute),
        Just(DsType::DCounter),
    ];
    let cf = proptest::sample::select(vec![Cf::Average, Cf::Min, Cf::Max, Cf::Last]);
    (
        proptest::sample::select(vec![1_u64, 5, 10, 60, 300]),
        proptest::collection::vec(kind, 1..=3),
        proptest::collection::vec((cf, 1_u64..=12, 1_u64..=40), 1..=5),
    )
        .prop_map(|(step, ds, archives)| Layout { step, ds, archives })
}

/// Updates as (gap in steps ×10, value or UNKN): gaps past the heartbeat make UNKN rows.
fn updates() -> impl Strategy<Value = Vec<(u64, Option<u32>)>> {
    proptest::collection::vec(
        (1_u64..=35, proptest::option::weighted(0.9, 0_u32..1000)),
        0..150,
    )
}

/// Fetch windows relative to the last update, in steps: (start back, length, resolution, CF);
/// a resolution of 0 stands for librrd's default (1), up to 15 for that many base steps, and
/// from 100 on for seconds.
fn windows() -> impl Strategy<Value = Vec<(i64, i64, u64, Cf)>> {
    proptest::collection::vec(
        (
            -20_i64..700,
            0_i64..600,
            prop_oneof![Just(0_u64), 1_u64..=15, 100_u64..=20_000],
            proptest::sample::select(Cf::ALL.to_vec()),
        ),
        1..=10,
    )
}

fn write_random_rrd(path: &Path, l: &Layout, ups: &[(u64, Option<u32>)], t0: i64) -> i64 {
    let step = i64::try_from(l.step).unwrap();
    let mut spec = CreateSpec::new().step(l.step).start(t0);
    for (i, kind) in l.ds.iter().enumerate() {
        spec = spec.data_source(DataSource::new(format!("ds{i}"), kind.clone(), 2 * l.step));
    }
    for &(cf, steps, rows) in &l.archives {
        spec = spec.archive(Rra::new(cf, 0.5, steps, rows));
    }
    let rrd = Rrd::new(path);
    rrd.create(&spec).unwrap();
    let mut t = t0;
    let mut total = vec![0.0_f64; l.ds.len()];
    let mut batch = Vec::new();
    for &(gap, v) in ups {
        // Tenths of a step: updates fall inside steps and on their boundaries.
        t += (step * i64::try_from(gap).unwrap() + 9) / 10;
        let values: Vec<Option<f64>> =
            l.ds.iter()
                .zip(total.iter_mut())
                .map(|(kind, sum)| {
                    let v = f64::from(v?);
                    Some(match kind {
                        // Counters only grow here; a counter that falls is a wrap, another test.
                        DsType::Counter | DsType::DCounter => {
                            *sum += v;
                            *sum
                        }
                        _ => v,
                    })
                })
                .collect();
        batch.push(Update::with_unknowns(t, values));
    }
    if !batch.is_empty() {
        rrd.update(&batch).unwrap();
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random definitions, update sequences and windows: the same answers as librrd.
    #[test]
    fn random_rrds_fetch_like_librrd(
        l in layout(),
        ups in updates(),
        ws in windows(),
        offset in 0_i64..600,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("random.rrd");
        let last = write_random_rrd(&path, &l, &ups, T0 + offset);
        let step = i64::try_from(l.step).unwrap();
        for (back, len, res, cf) in ws {
            let res = match res {
                0 => 1,
                1..=15 => res * l.step,
                _ => res,
            };
            let start = last - back * step + (back % 3);
            let r = compare(&path, cf, start, start + len * step, res);
            prop_assert!(r.is_ok(), "{l:?}: {}", r.unwrap_err());
        }
    }

    /// A real `stat_head`, then any bytes: a typed error or an answer, never a panic.
    #[test]
    fn arbitrary_bytes_after_a_real_stat_head_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
        start in 0_i64..2_000_000_000,
        len in 0_i64..100_000,
        res in 0_u64..100_000,
    ) {
        let mut bytes = speed_bytes()[..128].to_vec();
        bytes.extend(tail);
        if let Ok(f) = RrdFile::from_bytes("fuzz.rrd", bytes) {
            for cf in Cf::ALL {
                let _ = f.fetch(cf, start, start + len, res);
            }
        }
    }

    /// A real file with random bytes changed: a typed error or an answer, never a panic.
    #[test]
    fn damaged_real_files_never_panic(
        edits in proptest::collection::vec((0_usize..4096, any::<u8>()), 1..8),
        cut in proptest::option::of(0_usize..8192),
    ) {
        let mut bytes = speed_bytes().to_vec();
        for (at, b) in edits {
            if let Some(x) = bytes.get_mut(at) {
                *x = b;
            }
        }
        if let Some(cut) = cut {
            bytes.truncate(cut);
        }
        if let Ok(f) = RrdFile::from_bytes("damaged.rrd", bytes) {
            for cf in Cf::ALL {
                let _ = f.fetch(cf, 920_800_000, 920_812_000, 300);
            }
        }
    }
}

/// The bytes of rrdtool's test RRD, written once per run.
fn speed_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let rrd = crate::ops::speed_rrd(dir.path());
        std::fs::read(rrd.path()).unwrap()
    })
}
