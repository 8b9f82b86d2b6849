//! The `Serialize` form of reports: the JSON document of `opskit scan --json` is exactly
//! [`FleetReport`] serialized. Paths are strings, and a path that is not UTF-8 keeps its bytes
//! as surrogate escapes (see [`PathBytes`]); this is the one place that encodes them.

use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::Serialize;
use serde::ser::{Error as _, SerializeStruct, Serializer};
use serde_json::value::RawValue;

use crate::fleet::{FleetReport, HostReport, JobReport, JobStatus};
use crate::proto::reply::{ScanResult, Verdict};
use crate::walk::{Skipped, WalkError};

/// Path bytes as a JSON string: valid UTF-8 as is, every other byte as the lone surrogate
/// `\udcXX` (PEP 383 surrogateescape). No `str` can hold a lone surrogate, so the string goes
/// out as a raw JSON literal; a serializer other than `serde_json`'s sees that literal.
pub(crate) struct PathBytes<'a>(pub(crate) &'a [u8]);

impl<'a> PathBytes<'a> {
    pub(crate) fn of(path: &'a Path) -> Self {
        Self(path.as_os_str().as_bytes())
    }
}

impl Serialize for PathBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(escaped(self.0))
            .map_err(S::Error::custom)?
            .serialize(s)
    }
}

/// Serializes path bytes as [`PathBytes`] does (`#[serde(serialize_with)]` of the history's
/// findings, which keep a path's bytes).
#[cfg(feature = "history")]
pub(crate) fn path_bytes<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    PathBytes(bytes).serialize(s)
}

/// The JSON string literal of `bytes`, with `\udcXX` for each byte that is not valid UTF-8.
fn escaped(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        let valid = serde_json::to_string(chunk.valid()).unwrap_or_default();
        s.push_str(
            valid
                .get(1..valid.len().saturating_sub(1))
                .unwrap_or_default(),
        );
        for b in chunk.invalid() {
            let _ = write!(s, "\\udc{b:02x}");
        }
    }
    s.push('"');
    s
}

/// `{"hosts":[…],"walk_errors":[…],"skipped":[…],"summary":{…}}`. Results are serialized one
/// at a time: the document is never built in memory.
impl Serialize for FleetReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("FleetReport", 4)?;
        report_fields::<S>(&mut st, self)?;
        st.end()
    }
}

fn report_fields<S: Serializer>(
    st: &mut S::SerializeStruct,
    report: &FleetReport,
) -> Result<(), S::Error> {
    st.serialize_field("hosts", &report.hosts)?;
    st.serialize_field("walk_errors", &report.walk_errors)?;
    st.serialize_field("skipped", &report.skipped)?;
    st.serialize_field("summary", &report.summary())
}

/// The run of one policy environment: its [`FleetReport`]'s fields, and
/// `"environment":{"name","db_warnings":[…]}`.
#[cfg(feature = "policy")]
impl Serialize for crate::policy::EnvReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Env<'a>(&'a crate::policy::EnvReport);
        impl Serialize for Env<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct("Environment", 2)?;
                st.serialize_field("name", &self.0.name)?;
                st.serialize_field("db_warnings", &self.0.db_warnings)?;
                st.end()
            }
        }
        let mut st = s.serialize_struct("EnvReport", 5)?;
        report_fields::<S>(&mut st, &self.report)?;
        st.serialize_field("environment", &Env(self))?;
        st.end()
    }
}

/// `{"host","kind","date","age_seconds","max_seconds","message"}`: `kind` is `stale` (with
/// the date and ages) or `undated` (the others null).
#[cfg(feature = "policy")]
impl Serialize for crate::policy::DbWarning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use crate::policy::DbWarning;
        let mut st = s.serialize_struct("DbWarning", 6)?;
        let (endpoint, kind, date, age, max) = match self {
            DbWarning::Stale {
                endpoint,
                date,
                age,
                max,
            } => (
                endpoint,
                "stale",
                Some(date.as_str()),
                Some(age.as_secs()),
                Some(max.as_secs()),
            ),
            DbWarning::NoDate { endpoint, .. } => (endpoint, "undated", None, None, None),
        };
        st.serialize_field("host", &endpoint.to_string())?;
        st.serialize_field("kind", kind)?;
        st.serialize_field("date", &date)?;
        st.serialize_field("age_seconds", &age)?;
        st.serialize_field("max_seconds", &max)?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// `{"host","ok","state","reason","version","error","tally","results","incomplete"}`:
/// `reason` why it was not scanned, `error` its first error, `incomplete` the jobs that did
/// not complete.
impl Serialize for HostReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Incomplete<'a>(&'a [JobReport]);
        impl Serialize for Incomplete<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(
                    self.0
                        .iter()
                        .filter(|j| !matches!(j.status, JobStatus::Done)),
                )
            }
        }
        let mut st = s.serialize_struct("HostReport", 9)?;
        st.serialize_field("host", &self.endpoint.to_string())?;
        st.serialize_field("ok", &self.ok())?;
        st.serialize_field("state", &self.state())?;
        st.serialize_field("reason", &self.not_scanned.map(|r| r.to_string()))?;
        st.serialize_field("version", &self.version.as_ref().map(ToString::to_string))?;
        st.serialize_field("error", &self.first_error().map(ToString::to_string))?;
        st.serialize_field("tally", &self.tally())?;
        st.serialize_field("results", &self.results)?;
        st.serialize_field("incomplete", &Incomplete(&self.jobs))?;
        st.end()
    }
}

/// `{"path","state","error","reason"}`: `state` is `done`, `failed` (with its `error`) or
/// `not_scanned` (with its `reason`).
impl Serialize for JobReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (state, error, reason) = match &self.status {
            JobStatus::Done => ("done", None, None),
            JobStatus::Failed(e) => ("failed", Some(e.to_string()), None),
            JobStatus::Skipped(r) => ("not_scanned", None, Some(r.to_string())),
        };
        let mut st = s.serialize_struct("JobReport", 4)?;
        st.serialize_field("path", &PathBytes::of(&self.path))?;
        st.serialize_field("state", state)?;
        st.serialize_field("error", &error)?;
        st.serialize_field("reason", &reason)?;
        st.end()
    }
}

/// `{"path","status","signature","message"}`: `status` is `clean`, `infected` (with its
/// `signature`) or `error` (with clamd's `message`).
impl Serialize for ScanResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (status, signature, message) = match self.verdict() {
            Verdict::Clean => ("clean", None, None),
            Verdict::Found(sig) => ("infected", Some(sig.as_str()), None),
            Verdict::Error(msg) => ("error", None, Some(msg.as_str())),
        };
        let mut st = s.serialize_struct("ScanResult", 4)?;
        st.serialize_field("path", &PathBytes(self.path_bytes()))?;
        st.serialize_field("status", status)?;
        st.serialize_field("signature", &signature)?;
        st.serialize_field("message", &message)?;
        st.end()
    }
}

/// `{"path","reason","message"}` for the local walk's entries that were not scanned: `reason`
/// is the reason's stable `name()` ([`WalkReason::name`](crate::WalkReason::name),
/// [`WalkSkip::name`](crate::WalkSkip::name)), `message` says it in words.
macro_rules! walk_entry {
    ($($t:ident),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct(stringify!($t), 3)?;
                st.serialize_field("path", &PathBytes::of(&self.path))?;
                st.serialize_field("reason", self.reason.name())?;
                st.serialize_field("message", &self.reason.to_string())?;
                st.end()
            }
        }
    )*};
}

walk_entry!(WalkError, Skipped);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_lossless() {
        assert_eq!(escaped(b"/a \"b\"\n"), r#""/a \"b\"\n""#);
        assert_eq!(escaped(b"/t/caf\xe9"), r#""/t/caf\udce9""#);
        assert_eq!(escaped("/t/café".as_bytes()), "\"/t/café\"");
        // Decoding the escapes back gives the original bytes.
        let text = escaped(b"/x\xff\xfe");
        let back: Vec<u8> = text
            .trim_matches('"')
            .split("\\udc")
            .enumerate()
            .flat_map(|(i, part)| {
                if i == 0 {
                    part.as_bytes().to_vec()
                } else {
                    let mut v = vec![u8::from_str_radix(&part[..2], 16).unwrap()];
                    v.extend_from_slice(&part.as_bytes()[2..]);
                    v
                }
            })
            .collect();
        assert_eq!(back, b"/x\xff\xfe");
    }

    #[test]
    fn results_jobs_and_walk_entries() {
        let line = ScanResult::new(std::ffi::OsStr::new("/x"), Verdict::Found("Sig".into()));
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"path":"/x","status":"infected","signature":"Sig","message":null}"#
        );
        let job = JobReport {
            path: std::ffi::OsStr::from_bytes(b"/t/caf\xe9").into(),
            status: JobStatus::Skipped(crate::SkipReason::RunDeadline),
        };
        let text = serde_json::to_string(&job).unwrap();
        assert!(
            text.starts_with(
                r#"{"path":"/t/caf\udce9","state":"not_scanned","error":null,"reason":"#
            ),
            "{text}"
        );
        let skip = Skipped {
            path: "/l".into(),
            reason: crate::WalkSkip::DirectorySymlink,
        };
        assert_eq!(
            serde_json::to_string(&skip).unwrap(),
            r#"{"path":"/l","reason":"directory_symlink","message":"symbolic link to a directory, not followed"}"#
        );
    }
}
