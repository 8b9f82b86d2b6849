//! What `rrdtool tune` may change, read from its arguments and checked against the file
//! before librrd sees it: librrd 1.7.2's tune crashes (SIGFPE) on some archives and writes
//! files it cannot open again on others (no data source left, a row count below one).

use std::ffi::OsString;

use crate::data_source::{DataSource, check_name};
use crate::info::Info;
use crate::rra::{MAX_FAILURES_WINDOW, Rra, check_data_size, check_rows};
use crate::rrd_error::RrdError;
use crate::value::Cf;

/// The longest step tune accepts: librrd keeps it in a signed 32-bit count in places.
pub const MAX_TUNE_STEP: u64 = i32::MAX as u64;

/// One change of [`TuneSpec`].
#[derive(Debug, Clone, PartialEq)]
enum Change {
    /// `--heartbeat ds:seconds`
    Heartbeat(String, u64),
    /// `--minimum ds:value|U`
    Minimum(String, Option<f64>),
    /// `--maximum ds:value|U`
    Maximum(String, Option<f64>),
    /// `--data-source-type ds:TYPE`
    Kind(String, &'static str),
    /// `--data-source-rename old:new`
    Rename(String, String),
    /// `--step seconds`
    Step(u64),
    /// A Holt-Winters fraction: `--alpha`, `--beta`, `--gamma`, `--gamma-deviation`,
    /// `--smoothing-window`, `--smoothing-window-deviation`, `--deltapos`, `--deltaneg`.
    Parameter(&'static str, f64),
    /// `--window-length n`, `--failure-threshold n`
    Count(&'static str, u64),
    /// `--aberrant-reset ds`
    AberrantReset(String),
    /// `DEL:ds`
    Delete(String),
    /// `DS:...`
    Add(DataSource),
    /// `RRA:...` (AVERAGE, MIN, MAX, LAST)
    AddArchive(Rra),
    /// `DELRRA:index`
    DeleteArchive(usize),
    /// `RRA#index:+rows`, `-rows` or `=rows`
    ResizeArchive(usize, char, u64),
}

/// The changes of one `rrdtool tune`, typed and checked ([`Rrd::tune`](crate::Rrd::tune)).
///
/// [`TuneSpec::parse_args`] reads rrdtool's arguments: `--heartbeat|-h ds:seconds`,
/// `--minimum|-i ds:min`, `--maximum|-a ds:max`, `--data-source-type|-d ds:TYPE`,
/// `--data-source-rename|-r old:new`, `--step seconds`, `--alpha`, `--beta`, `--gamma`,
/// `--gamma-deviation`, `--smoothing-window`, `--smoothing-window-deviation`, `--deltapos`,
/// `--deltaneg`, `--window-length`, `--failure-threshold`, `--aberrant-reset ds`, `DEL:ds`,
/// `DS:...`, `RRA:...`, `DELRRA:index` and `RRA#index:[+-=]rows`, each option as
/// `--name value` or `--name=value`.
///
/// Where we are stricter than librrd 1.7.2, on purpose: the other short option letters are
/// refused (write the long name); a Holt-Winters archive cannot be added (librrd's tune
/// crashes on some, e.g. `RRA:HWPREDICT:1:0.5:0.5:0`; create the file with it, or go through
/// dump and restore); a type cannot become COMPUTE (it needs an expression); and every change
/// is checked against the file: data sources and archives it names must exist, at least one
/// data source, one archive and one row per archive must remain.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct TuneSpec {
    changes: Vec<Change>,
}

fn bad(what: &'static str, reason: impl Into<String>) -> RrdError {
    RrdError::Invalid {
        what,
        reason: reason.into(),
    }
}

/// `ds:value`.
fn pair<'a>(what: &'static str, v: &'a str) -> Result<(&'a str, &'a str), RrdError> {
    v.split_once(':')
        .ok_or_else(|| bad(what, format!("{v:?} is not data-source:value")))
}

fn number(what: &'static str, v: &str) -> Result<f64, RrdError> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(what, format!("{v:?} is not a number")))
}

fn limit(what: &'static str, v: &str) -> Result<Option<f64>, RrdError> {
    if v == "U" {
        Ok(None)
    } else {
        number(what, v).map(Some)
    }
}

fn whole(what: &'static str, v: &str) -> Result<u64, RrdError> {
    v.parse::<u64>()
        .map_err(|_| bad(what, format!("{v:?} is not a whole number")))
}

/// The options that take a value, by long name, and what the value is.
const FRACTIONS: [&str; 8] = [
    "alpha",
    "beta",
    "gamma",
    "gamma-deviation",
    "smoothing-window",
    "smoothing-window-deviation",
    "deltapos",
    "deltaneg",
];

impl TuneSpec {
    /// No change.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads rrdtool's tune arguments (after the file name).
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming the option or definition that is wrong or unknown.
    pub fn parse_args<S: AsRef<str>>(args: &[S]) -> Result<Self, RrdError> {
        let mut spec = Self::new();
        let mut it = args.iter().map(AsRef::as_ref);
        while let Some(arg) = it.next() {
            let (name, inline) = if let Some(long) = arg.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                    None => (long.to_owned(), None),
                }
            } else if let Some(short) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
                let (letter, rest) = short.split_at(short.chars().next().map_or(0, char::len_utf8));
                let long = match letter {
                    "h" => "heartbeat",
                    "i" => "minimum",
                    "a" => "maximum",
                    "d" => "data-source-type",
                    "r" => "data-source-rename",
                    _ => {
                        return Err(bad(
                            "tune option",
                            format!(
                                "{arg:?}: use the long name (only -h, -i, -a, -d and -r are read)"
                            ),
                        ));
                    }
                };
                (long.to_owned(), (!rest.is_empty()).then(|| rest.to_owned()))
            } else {
                spec.changes.push(Self::definition(arg)?);
                continue;
            };
            let value = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .ok_or_else(|| bad("tune option", format!("--{name} needs a value")))?
                    .to_owned(),
            };
            spec.changes.push(Self::option(&name, &value)?);
        }
        Ok(spec)
    }

    fn option(name: &str, v: &str) -> Result<Change, RrdError> {
        Ok(match name {
            "heartbeat" => {
                let (ds, hb) = pair("tune heartbeat", v)?;
                Change::Heartbeat(ds.to_owned(), whole("tune heartbeat", hb)?)
            }
            "minimum" => {
                let (ds, m) = pair("tune minimum", v)?;
                Change::Minimum(ds.to_owned(), limit("tune minimum", m)?)
            }
            "maximum" => {
                let (ds, m) = pair("tune maximum", v)?;
                Change::Maximum(ds.to_owned(), limit("tune maximum", m)?)
            }
            "data-source-type" => {
                let (ds, t) = pair("tune data source type", v)?;
                let kind = [
                    "GAUGE", "COUNTER", "DCOUNTER", "DERIVE", "DDERIVE", "ABSOLUTE",
                ]
                .into_iter()
                .find(|k| *k == t)
                .ok_or_else(|| {
                    bad(
                        "tune data source type",
                        format!(
                            "{t:?} is not GAUGE, COUNTER, DCOUNTER, DERIVE, DDERIVE or ABSOLUTE"
                        ),
                    )
                })?;
                Change::Kind(ds.to_owned(), kind)
            }
            "data-source-rename" => {
                let (old, new) = pair("tune rename", v)?;
                Change::Rename(old.to_owned(), new.to_owned())
            }
            "step" => Change::Step(whole("tune step", v)?),
            "window-length" => Change::Count("window-length", whole("tune window length", v)?),
            "failure-threshold" => {
                Change::Count("failure-threshold", whole("tune failure threshold", v)?)
            }
            "aberrant-reset" => Change::AberrantReset(v.to_owned()),
            other => match FRACTIONS.into_iter().find(|f| *f == other) {
                Some(f) => Change::Parameter(f, number("tune parameter", v)?),
                None => {
                    return Err(bad(
                        "tune option",
                        format!("--{other} is not a tune option"),
                    ));
                }
            },
        })
    }

    fn definition(arg: &str) -> Result<Change, RrdError> {
        if let Some(ds) = arg.strip_prefix("DEL:") {
            return Ok(Change::Delete(ds.to_owned()));
        }
        if arg.starts_with("DS:") {
            return Ok(Change::Add(DataSource::parse(arg)?));
        }
        if let Some(i) = arg.strip_prefix("DELRRA:") {
            let i = usize::try_from(whole("tune DELRRA", i)?).unwrap_or(usize::MAX);
            return Ok(Change::DeleteArchive(i));
        }
        if let Some(rest) = arg.strip_prefix("RRA#") {
            let (i, change) = rest
                .split_once(':')
                .ok_or_else(|| bad("tune RRA#", format!("{arg:?} is not RRA#index:[+-=]rows")))?;
            let i = usize::try_from(whole("tune RRA#", i)?).unwrap_or(usize::MAX);
            let mut c = change.chars();
            let op = c.next().filter(|o| matches!(o, '+' | '-' | '='));
            let op =
                op.ok_or_else(|| bad("tune RRA#", format!("{arg:?} is not RRA#index:[+-=]rows")))?;
            return Ok(Change::ResizeArchive(
                i,
                op,
                whole("tune RRA#", c.as_str())?,
            ));
        }
        if arg.starts_with("RRA:") {
            let rra = Rra::parse(arg)?;
            if !matches!(rra.cf(), Cf::Average | Cf::Min | Cf::Max | Cf::Last) {
                return Err(bad(
                    "tune archive",
                    format!(
                        "{arg:?}: a {} archive is not added by tune (create the file with it)",
                        rra.cf()
                    ),
                ));
            }
            return Ok(Change::AddArchive(rra));
        }
        Err(bad(
            "tune option",
            format!("{arg:?} is not a tune option or definition"),
        ))
    }

    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Checks the changes against the file as `info` (librrd's `rrdtool info`) describes it.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming what is wrong.
    pub(crate) fn validate(&self, info: &Info) -> Result<(), RrdError> {
        if self.changes.is_empty() {
            return Err(bad("tune", "no change given"));
        }
        let file = crate::RrdInfo::from_info(info)?;
        let mut layout = Layout {
            names: file.ds.iter().map(|d| d.name.clone()).collect(),
            rows: file.rra.iter().map(|r| r.rows).collect(),
            step: file.step,
        };
        self.changes.iter().try_for_each(|c| {
            check_value(c)?;
            layout.apply(c)
        })
    }

    /// The arguments after the file name, as librrd's tune takes them.
    pub fn to_args(&self, step: Option<u64>) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        let limit = |v: &Option<f64>| v.map_or_else(|| "U".to_owned(), |v| v.to_string());
        for change in &self.changes {
            let (flag, value) = match change {
                Change::Heartbeat(ds, hb) => ("--heartbeat", format!("{ds}:{hb}")),
                Change::Minimum(ds, m) => ("--minimum", format!("{ds}:{}", limit(m))),
                Change::Maximum(ds, m) => ("--maximum", format!("{ds}:{}", limit(m))),
                Change::Kind(ds, k) => ("--data-source-type", format!("{ds}:{k}")),
                Change::Rename(old, new) => ("--data-source-rename", format!("{old}:{new}")),
                Change::Step(s) => ("--step", s.to_string()),
                Change::Parameter(name, v) => {
                    args.push(format!("--{name}").into());
                    args.push(v.to_string().into());
                    continue;
                }
                Change::Count(name, n) => {
                    args.push(format!("--{name}").into());
                    args.push(n.to_string().into());
                    continue;
                }
                Change::AberrantReset(ds) => ("--aberrant-reset", ds.clone()),
                Change::Delete(ds) => {
                    args.push(format!("DEL:{ds}").into());
                    continue;
                }
                Change::Add(ds) => {
                    args.push(ds.to_arg().into());
                    continue;
                }
                Change::AddArchive(rra) => {
                    args.push(rra.to_arg(step).into());
                    continue;
                }
                Change::DeleteArchive(i) => {
                    args.push(format!("DELRRA:{i}").into());
                    continue;
                }
                Change::ResizeArchive(i, op, n) => {
                    args.push(format!("RRA#{i}:{op}{n}").into());
                    continue;
                }
            };
            args.push(flag.into());
            args.push(value.into());
        }
        args
    }
}

/// A value that is out of range whatever the file.
fn check_value(change: &Change) -> Result<(), RrdError> {
    match change {
        Change::Heartbeat(_, 0) => Err(bad("tune heartbeat", "must be at least 1 s")),
        Change::Step(s) if !(1..=MAX_TUNE_STEP).contains(s) => Err(bad(
            "tune step",
            format!("{s} is not from 1 to {MAX_TUNE_STEP}"),
        )),
        Change::Parameter(name, v) => {
            let ok = if name.starts_with("delta") {
                *v > 0.0
            } else if name.starts_with("smoothing") {
                (0.0..=1.0).contains(v)
            } else {
                *v > 0.0 && *v < 1.0
            };
            if ok {
                Ok(())
            } else {
                Err(bad(
                    "tune parameter",
                    format!("--{name} {v} is out of range"),
                ))
            }
        }
        Change::Count(name, n) if !(1..=MAX_FAILURES_WINDOW).contains(n) => Err(bad(
            "tune parameter",
            format!("--{name} {n} is not from 1 to {MAX_FAILURES_WINDOW}"),
        )),
        _ => Ok(()),
    }
}

/// The file's data sources, archive sizes and step as the changes so far leave them.
struct Layout {
    names: Vec<String>,
    rows: Vec<u64>,
    step: u64,
}

impl Layout {
    fn known(&self, ds: &str) -> Result<(), RrdError> {
        if self.names.iter().any(|n| n == ds) {
            Ok(())
        } else {
            Err(bad(
                "tune data source",
                format!("{ds:?} is not a data source of the file"),
            ))
        }
    }

    fn check_size(&self) -> Result<(), RrdError> {
        let ds = u64::try_from(self.names.len()).unwrap_or(u64::MAX);
        check_data_size(self.rows.iter().fold(0u64, |a, r| a.saturating_add(*r)), ds)
    }

    fn apply(&mut self, change: &Change) -> Result<(), RrdError> {
        match change {
            Change::Heartbeat(ds, _)
            | Change::Minimum(ds, _)
            | Change::Maximum(ds, _)
            | Change::Kind(ds, _)
            | Change::AberrantReset(ds) => self.known(ds),
            Change::Rename(old, new) => {
                self.known(old)?;
                check_name(new)?;
                if self.names.iter().any(|n| n == new) {
                    return Err(bad("tune rename", format!("{new:?} already exists")));
                }
                for n in &mut self.names {
                    if n == old {
                        n.clone_from(new);
                    }
                }
                Ok(())
            }
            Change::Step(s) => {
                self.step = *s;
                Ok(())
            }
            Change::Parameter(..) | Change::Count(..) => Ok(()),
            Change::Delete(ds) => {
                self.known(ds)?;
                self.names.retain(|n| n != ds);
                if self.names.is_empty() {
                    return Err(bad(
                        "tune DEL",
                        "the file must keep at least one data source",
                    ));
                }
                Ok(())
            }
            Change::Add(ds) => {
                ds.validate()?;
                if self.names.iter().any(|n| n == ds.name()) {
                    return Err(bad(
                        "tune data source",
                        format!("{:?} already exists", ds.name()),
                    ));
                }
                self.names.push(ds.name().to_owned());
                self.check_size()
            }
            Change::AddArchive(rra) => {
                rra.validate(Some(self.step))?;
                self.rows.push(rra.rows(self.step).unwrap_or(1));
                self.check_size()
            }
            Change::DeleteArchive(i) => {
                if *i >= self.rows.len() {
                    return Err(bad("tune DELRRA", format!("the file has no archive {i}")));
                }
                self.rows.remove(*i);
                if self.rows.is_empty() {
                    return Err(bad(
                        "tune DELRRA",
                        "the file must keep at least one archive",
                    ));
                }
                Ok(())
            }
            Change::ResizeArchive(i, op, n) => {
                let r = self
                    .rows
                    .get_mut(*i)
                    .ok_or_else(|| bad("tune RRA#", format!("the file has no archive {i}")))?;
                let new = match op {
                    '+' => r.checked_add(*n),
                    '-' => r.checked_sub(*n),
                    _ => Some(*n),
                };
                match new {
                    Some(new) if new >= 1 => {
                        check_rows("tune RRA#", new)?;
                        *r = new;
                        self.check_size()
                    }
                    _ => Err(bad(
                        "tune RRA#",
                        format!("archive {i} must keep at least one row"),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::InfoValue;

    fn info() -> Info {
        Info::new(vec![
            ("filename".into(), InfoValue::Text("a.rrd".into())),
            ("rrd_version".into(), InfoValue::Text("0003".into())),
            ("step".into(), InfoValue::Count(300)),
            ("last_update".into(), InfoValue::Count(1000)),
            ("ds[a].index".into(), InfoValue::Count(0)),
            ("ds[b].index".into(), InfoValue::Count(1)),
            ("rra[0].rows".into(), InfoValue::Count(10)),
        ])
    }

    #[test]
    fn rrdtools_arguments_round_trip() {
        let args = [
            "-h",
            "a:600",
            "--minimum=a:U",
            "-ib:5",
            "--maximum",
            "a:1e9",
            "--data-source-rename",
            "a:x",
            "--step",
            "60",
            "--alpha",
            "0.5",
            "--window-length",
            "9",
            "DEL:b",
            "DS:c:GAUGE:10m:U:U",
            "RRA:MAX:0.5:1:5",
            "RRA#0:+5",
            "DELRRA:1",
        ];
        let spec = TuneSpec::parse_args(&args).unwrap();
        assert_eq!(
            spec.to_args(Some(60)),
            [
                "--heartbeat",
                "a:600",
                "--minimum",
                "a:U",
                "--minimum",
                "b:5",
                "--maximum",
                "a:1000000000",
                "--data-source-rename",
                "a:x",
                "--step",
                "60",
                "--alpha",
                "0.5",
                "--window-length",
                "9",
                "DEL:b",
                "DS:c:GAUGE:600:U:U",
                "RRA:MAX:0.5:1:5",
                "RRA#0:+5",
                "DELRRA:1",
            ]
        );
        spec.validate(&info()).unwrap();
    }

    #[test]
    fn what_would_break_the_file_is_refused() {
        let what =
            |args: &[&str]| match TuneSpec::parse_args(args).and_then(|s| s.validate(&info())) {
                Err(RrdError::Invalid { what, .. }) => what,
                other => panic!("{args:?}: {other:?}"),
            };
        assert_eq!(what(&[]), "tune");
        assert_eq!(what(&["RRA:HWPREDICT:1:0.5:0.5:2"]), "tune archive");
        assert_eq!(what(&["RRA:HWPREDICT:1:0.5:0.5:0"]), "RRA seasonal period");
        assert_eq!(what(&["--heartbeat", "a:0"]), "tune heartbeat");
        assert_eq!(what(&["--heartbeat", "z:10"]), "tune data source");
        assert_eq!(what(&["--step", "0"]), "tune step");
        assert_eq!(what(&["--step", "-5"]), "tune step");
        assert_eq!(what(&["DEL:a", "DEL:b"]), "tune DEL");
        assert_eq!(what(&["RRA#0:-10"]), "tune RRA#");
        assert_eq!(what(&["RRA#9:+1"]), "tune RRA#");
        assert_eq!(what(&["DELRRA:0"]), "tune DELRRA");
        assert_eq!(
            what(&["--data-source-type", "a:COMPUTE"]),
            "tune data source type"
        );
        assert_eq!(what(&["--data-source-rename", "a:b"]), "tune rename");
        assert_eq!(what(&["--alpha", "5"]), "tune parameter");
        assert_eq!(what(&["--window-length", "29"]), "tune parameter");
        assert_eq!(what(&["-x", "0.5"]), "tune option");
        assert_eq!(what(&["--colour", "1"]), "tune option");
        assert_eq!(what(&["--heartbeat"]), "tune option");
        assert_eq!(what(&["whatever"]), "tune option");
        assert_eq!(what(&["RRA#0:+100000000"]), "tune RRA#");
        assert_eq!(what(&["RRA:AVERAGE:0.5:1:100000001"]), "RRA rows");
    }

    proptest::proptest! {
        #[test]
        fn no_arguments_panic_the_parser(args in proptest::collection::vec("\\PC{0,16}", 0..6)) {
            if let Ok(spec) = TuneSpec::parse_args(&args) {
                let _ = spec.validate(&info());
                let _ = spec.to_args(Some(300));
            }
        }
    }
}
