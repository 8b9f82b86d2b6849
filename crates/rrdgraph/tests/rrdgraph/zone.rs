//! Local time against librrd run as `rrdtool` with `TZ` set (issue 14): `--start`/`--end`
//! resolution across DST changes (the times `graphv` reports), `LTIME` and the `NEW…`
//! operators (`xport`), `:strftime` with `%Z` (`graphv`'s PRINT), and [`Zone`] itself against
//! the zone files glibc reads.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use rrdgraph::{
    Cf, Clock, CreateSpec, DataSource, DataWindow, GraphData, GraphSpec, Rra, Rrd, Zone,
};

/// The zones of the issue: two DST rules of an hour each way, a half-hour DST, none at all.
const ZONES: [&str; 5] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
];

/// DST changes of 2026 (UTC): Berlin's spring and autumn, New York's, Lord Howe's.
const CHANGES: [i64; 6] = [
    1_774_746_000,
    1_792_890_000,
    1_772_953_200,
    1_793_512_800,
    1_775_313_000,
    1_791_043_200,
];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap())
        .unwrap()
}

/// An RRD of one-second steps (no data needed: the times are what is compared), so that
/// `graphv` reports the resolved window unrounded.
fn seconds_rrd(dir: &Path) -> String {
    let path = dir.join("seconds.rrd");
    Rrd::new(&path)
        .create(
            &CreateSpec::new()
                .step(1)
                .start(1_000_000_000)
                .data_source(DataSource::gauge("v", 2))
                .archive(Rra::new(Cf::Average, 0.5, 1, 10)),
        )
        .unwrap();
    path.to_str().unwrap().to_owned()
}

/// `rrdtool graphv`'s `graph_start` and `graph_end`, or its error; with the seconds around
/// the run, since librrd reads the clock itself.
fn theirs(tz: &str, rrd: &str, start: &str, end: &str) -> (Result<(i64, i64), String>, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let before = now();
    let out = Command::new("rrdtool")
        .arg("graphv")
        .arg(dir.path().join("g.png"))
        .args(["--start", start, "--end", end])
        .arg(format!("DEF:v={rrd}:v:AVERAGE"))
        .arg("LINE1:v")
        .env("TZ", tz)
        .env("LC_ALL", "C")
        .output()
        .expect("rrdtool is installed (cargo xtask setup)");
    let after = now();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(" = ")?.parse().ok())
    };
    let result = match (
        out.status.success(),
        field("graph_start"),
        field("graph_end"),
    ) {
        (true, Some(s), Some(e)) => Ok((s, e)),
        _ => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    };
    (result, before, after)
}

/// Our window for the same specs at each second librrd may have read.
fn agree(tz: &str, rrd: &str, start: &str, end: &str) -> Result<(), String> {
    let (theirs, before, after) = theirs(tz, rrd, start, end);
    let zone = Zone::named(tz);
    let mut ours = Vec::new();
    for now in before..=after {
        let spec = GraphSpec::parse_args(&[
            "-".to_owned(),
            "--start".to_owned(),
            start.to_owned(),
            "--end".to_owned(),
            end.to_owned(),
            format!("DEF:v={rrd}:v:AVERAGE"),
            "LINE1:v".to_owned(),
        ]);
        let Ok(spec) = spec else {
            // Our checker refuses it: librrd must have too.
            return match &theirs {
                Err(_) => Ok(()),
                Ok(w) => Err(format!(
                    "TZ={tz} {start:?} {end:?}: librrd {w:?}, we refuse to parse"
                )),
            };
        };
        let window = spec.time_window(&Clock::at(now).in_zone(zone.clone()));
        match (&theirs, &window) {
            (Ok(w), Ok(o)) if w == o => return Ok(()),
            (Err(_), Err(_)) => return Ok(()),
            _ => ours.push(window.map_err(|e| e.to_string())),
        }
    }
    Err(format!(
        "TZ={tz} --start {start:?} --end {end:?}: librrd {theirs:?}, ours {ours:?}"
    ))
}

#[test]
fn windows_across_dst_changes_agree_with_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = seconds_rrd(dir.path());
    let windows: &[(&str, &str)] = &[
        ("end-1d", "20260330"),
        ("end-1d", "00:00 20260329"),
        ("end-1d", "20261026"),
        ("end-25h", "20261026"),
        ("20260328", "start+2d"),
        ("20261024", "start+2d"),
        ("midnight Mar 29 2026", "noon Mar 30 2026"),
        ("2:30 20260329", "4:00 20260329"),
        ("2:30 20261025", "3:30 20261025"),
        ("Oct 25 2026", "end+1d"),
        ("03/08/2026", "start+1w"),
        ("11/01/2026 1:30", "11/01/2026 1:30+2h"),
        ("04/05/2026 1:45", "start+1d"),
        ("10/04/2026 2:15", "end+1m"),
        ("1774746000", "1774746000+1mon"),
        ("1774746000-1d", "1774746000"),
        ("1792890000-1w", "1792890000+1d"),
        ("12am 28.03.2026", "start+1 month"),
        ("teatime yesterday", "now"),
        ("noon today", "tomorrow"),
        ("-1d", "now"),
        ("-1y", "now-1m"),
        ("end-3months", "now"),
        ("sunday", "now"),
        ("epoch+1774746000", "now"),
        ("12/25", "now"),
        ("20260329-1d", "now"),
        ("20260329 00:00-1d", "20260330 1:30+2m"),
        ("-3d2m", "now-2m3d"),
        ("-5m", "-6m"),
        ("monday-1w", "9pm yesterday"),
        ("noon 12/25/2026", "start+1w2d3h"),
        ("Mar 29 2026 2:30", "start+1h"),
        ("end-1mon", "10/25/2026 2:30am"),
    ];
    let mut failures = Vec::new();
    for tz in ZONES {
        for (start, end) in windows {
            if let Err(e) = agree(tz, &rrd, start, end) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `xport` of `LTIME-TIME`, `NEWDAY`, `NEWWEEK` and `NEWMONTH` on a half-hour grid for two
/// days either side of each change.
#[test]
fn ltime_and_new_periods_agree_with_librrd_across_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.rrd");
    Rrd::new(&path)
        .create(
            &CreateSpec::new()
                .step(1800)
                .start(1_772_000_000)
                .data_source(DataSource::gauge("v", 3600))
                .archive(Rra::new(Cf::Average, 0.5, 1, 20_000)),
        )
        .unwrap();
    let p = path.to_str().unwrap();
    let exprs = [
        "v,POP,LTIME,TIME,-",
        "v,POP,NEWDAY",
        "v,POP,NEWWEEK",
        "v,POP,NEWMONTH",
    ];
    let mut args = vec![format!("DEF:v={p}:v:AVERAGE")];
    for (i, e) in exprs.iter().enumerate() {
        args.push(format!("CDEF:c{i}={e}"));
    }
    let spec = GraphSpec::parse_args(
        &std::iter::once("-".to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    for tz in ZONES {
        for change in CHANGES {
            let (start, end) = (change - 2 * 86_400, change + 2 * 86_400);
            let mut cmd = Command::new("rrdtool");
            cmd.args(["xport", "--json", "--maxrows", "400"])
                .args(["--start", &start.to_string(), "--end", &end.to_string()])
                .args(&args);
            for i in 0..exprs.len() {
                cmd.arg(format!("XPORT:c{i}"));
            }
            let out = cmd.env("TZ", tz).env("LC_ALL", "C").output().unwrap();
            assert!(out.status.success(), "{out:?}");
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let rows = json["data"].as_array().unwrap();
            let window = DataWindow::new(start, end, 400, 0);
            let clock = Clock::at(change).in_zone(Zone::named(tz));
            let ours = GraphData::from_files(spec.elements(), window, clock).unwrap();
            assert!(rows.len() > 100);
            for (i, _) in exprs.iter().enumerate() {
                let name = format!("c{i}");
                let (_, column) = ours
                    .series
                    .iter()
                    .find(|(n, _)| n.as_str() == name)
                    .unwrap();
                let theirs: Vec<f64> = rows.iter().map(|r| r[i].as_f64().unwrap()).collect();
                assert_eq!(&theirs, column, "TZ={tz} {} around {change}", exprs[i]);
            }
        }
    }
}

/// `:strftime` of VDEF times before and after each change, `%Z` and `%z` included.
#[test]
fn strftime_with_zone_names_agrees_with_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.rrd");
    Rrd::new(&path)
        .create(
            &CreateSpec::new()
                .step(1800)
                .start(1_772_000_000)
                .data_source(DataSource::gauge("v", 3600))
                .archive(Rra::new(Cf::Average, 0.5, 1, 20_000)),
        )
        .unwrap();
    let p = path.to_str().unwrap();
    for tz in ZONES {
        for change in CHANGES {
            let args: Vec<String> = [
                "-".to_owned(),
                "--start".to_owned(),
                (change - 86_400).to_string(),
                "--end".to_owned(),
                (change + 86_400).to_string(),
                format!("DEF:v={p}:v:AVERAGE"),
                "CDEF:t=v,POP,TIME".to_owned(),
                "CDEF:c=t,1000,%".to_owned(),
                "VDEF:first=c,FIRST".to_owned(),
                "VDEF:last=c,LAST".to_owned(),
                "PRINT:first:%Y-%m-%d %H\\:%M\\:%S %Z %z:strftime".to_owned(),
                "PRINT:last:%c %Z:strftime".to_owned(),
            ]
            .into();
            let out = Command::new("rrdtool")
                .arg("graphv")
                .args(&args)
                .env("TZ", tz)
                .env("LC_ALL", "C")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let theirs: Vec<String> = text
                .lines()
                .filter_map(|l| {
                    let (_, v) = l.strip_prefix("print[")?.split_once("] = ")?;
                    Some(v.trim_matches('"').to_owned())
                })
                .collect();
            let spec = GraphSpec::parse_args(&args).unwrap();
            let ours = spec
                .data(Clock::at(change).in_zone(Zone::named(tz)))
                .unwrap()
                .prints;
            assert_eq!(theirs.len(), 2, "{text}");
            assert_eq!(theirs, ours, "TZ={tz} around {change}");
        }
    }
}

/// Each zone file's offsets, DST flags and names hourly through 2026 and at sample times
/// from 1900 to 2100 (past the table, from the footer rule), against glibc's `date`.
#[test]
fn zone_files_read_as_glibc_reads_them() {
    for tz in ZONES {
        let zone = Zone::named(tz);
        let times: Vec<i64> = (-2_208_988_800..4_102_444_800)
            .step_by(86_400 * 97 + 3600 * 5 + 1800)
            .chain(CHANGES.iter().flat_map(|c| [c - 1, *c, c + 1, c + 1800]))
            .collect();
        let input = times
            .iter()
            .map(|t| format!("@{t}"))
            .collect::<Vec<_>>()
            .join("\n");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), input).unwrap();
        let out = Command::new("date")
            .arg("-f")
            .arg(file.path())
            .arg("+%z %Z")
            .env("TZ", tz)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        for (t, line) in times.iter().zip(text.lines()) {
            let at = zone.at(*t);
            let off = at.offset();
            let sign = if off < 0 { '-' } else { '+' };
            let ours = format!(
                "{sign}{:02}{:02} {}",
                off.abs() / 3600,
                off.abs() / 60 % 60,
                at.abbreviation().unwrap()
            );
            assert_eq!(line, ours, "TZ={tz} at {t}");
        }
    }
}

fn reference() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("now".to_owned()),
        Just("midnight".to_owned()),
        Just("noon yesterday".to_owned()),
        Just("teatime tomorrow".to_owned()),
        Just("monday".to_owned()),
        (1..=12u32, 1..=31u32, 2025..=2027u32).prop_map(|(m, d, y)| format!("{m}/{d}/{y}")),
        (1..=12u32, 1..=31u32).prop_map(|(m, d)| format!("{d}.{m}.2026")),
        (1..=12u32, 1..=28u32).prop_map(|(m, d)| format!("2026{m:02}{d:02}")),
        (0..=23u32, 0..=59u32, 1..=12u32, 1..=28u32)
            .prop_map(|(h, mi, m, d)| format!("{h}:{mi:02} 2026{m:02}{d:02}")),
        (1..=12u32, prop::bool::ANY, 0..12usize, 1..=28u32).prop_map(|(h, pm, m, d)| {
            let months = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ];
            format!("{h}{} {} {d} 2026", if pm { "pm" } else { "am" }, months[m])
        }),
        (1_772_000_000..1_795_000_000i64).prop_map(|t| t.to_string()),
    ]
}

fn offsets() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(vec![
        "", "s", "min", "m", "h", "hours", "d", "days", "w", "mon", "months", "y",
    ]);
    prop::collection::vec((prop::bool::ANY, 1..40u32, unit), 0..3).prop_map(|terms| {
        let mut out = String::new();
        for (plus, n, u) in terms {
            out.push(if plus { '+' } else { '-' });
            out.push_str(&n.to_string());
            out.push_str(u);
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random at-specs resolve to the times librrd resolves them to, or both refuse them.
    #[test]
    fn random_specs_resolve_as_librrd_resolves_them(
        tz in prop::sample::select(ZONES.to_vec()),
        start in (reference(), offsets()).prop_map(|(r, o)| format!("{r}{o}")),
        end in prop_oneof![
            (reference(), offsets()).prop_map(|(r, o)| format!("{r}{o}")),
            offsets().prop_map(|o| if o.is_empty() { "start+1d".to_owned() } else { format!("start{o}") }),
        ],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let rrd = seconds_rrd(dir.path());
        let start = if start.is_empty() { "end-1d".to_owned() } else { start };
        let end = if end.is_empty() { "now".to_owned() } else { end };
        agree(tz, &rrd, &start, &end).map_err(TestCaseError::fail)?;
    }
}
