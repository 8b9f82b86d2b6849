//! The `--json` document of `opskit scan`, serialized from the types below (the format is in
//! the parent module's docs).

use std::io::{self, Write};

use clamd_proto::{
    FleetReport, HostReport, HostState, JobReport, JobStatus, ScanResult, Summary, Tally, Verdict,
};
use serde::Serialize;
use serde::ser::{Error as _, Serializer};
use serde_json::value::RawValue;

/// Writes the report as one JSON document and a newline. Results are serialized one at a time
/// as they are written: the document is never held in memory.
pub(super) fn write(out: &mut impl Write, report: &FleetReport) -> io::Result<()> {
    let doc = Document {
        hosts: report.hosts.iter().map(HostEntry::from).collect(),
        walk_errors: report
            .walk_errors
            .iter()
            .map(|e| WalkEntry::new(&e.path, e.reason.name(), e.reason.to_string()))
            .collect(),
        skipped: report
            .skipped
            .iter()
            .map(|k| WalkEntry::new(&k.path, k.reason.name(), k.reason.to_string()))
            .collect(),
        summary: report.summary(),
    };
    serde_json::to_writer(&mut *out, &doc)?;
    writeln!(out)
}

#[derive(Serialize)]
struct Document<'a> {
    hosts: Vec<HostEntry<'a>>,
    walk_errors: Vec<WalkEntry<'a>>,
    skipped: Vec<WalkEntry<'a>>,
    summary: Summary,
}

/// An entry of the local walk that was not scanned: an error or a skip, with its reason.
#[derive(Serialize)]
struct WalkEntry<'a> {
    path: PathBytes<'a>,
    reason: &'static str,
    message: String,
}

impl<'a> WalkEntry<'a> {
    fn new(path: &'a std::path::Path, reason: &'static str, message: String) -> Self {
        use std::os::unix::ffi::OsStrExt;
        Self {
            path: PathBytes(path.as_os_str().as_bytes()),
            reason,
            message,
        }
    }
}

#[derive(Serialize)]
struct HostEntry<'a> {
    host: String,
    ok: bool,
    state: HostState,
    reason: Option<String>,
    version: Option<String>,
    error: Option<String>,
    tally: Tally,
    #[serde(serialize_with = "results")]
    results: &'a [ScanResult],
    incomplete: Vec<Incomplete<'a>>,
}

impl<'a> From<&'a HostReport> for HostEntry<'a> {
    fn from(h: &'a HostReport) -> Self {
        Self {
            host: h.endpoint.to_string(),
            ok: h.ok(),
            state: h.state(),
            reason: h.not_scanned.map(|r| r.to_string()),
            version: h.version.as_ref().map(ToString::to_string),
            error: h.first_error().map(ToString::to_string),
            tally: h.tally(),
            results: &h.results,
            incomplete: h.jobs.iter().filter_map(Incomplete::new).collect(),
        }
    }
}

fn results<S: Serializer>(results: &&[ScanResult], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(results.iter().map(Line::from))
}

/// One scan line.
#[derive(Serialize)]
struct Line<'a> {
    path: PathBytes<'a>,
    status: &'static str,
    signature: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> From<&'a ScanResult> for Line<'a> {
    fn from(r: &'a ScanResult) -> Self {
        let (status, signature, message) = match r.verdict() {
            Verdict::Clean => ("clean", None, None),
            Verdict::Found(sig) => ("infected", Some(sig.as_str()), None),
            Verdict::Error(msg) => ("error", None, Some(msg.as_str())),
        };
        Self {
            path: PathBytes(r.path_bytes()),
            status,
            signature,
            message,
        }
    }
}

/// A job that did not complete: failed with its error, or not scanned for its reason.
#[derive(Serialize)]
struct Incomplete<'a> {
    path: PathBytes<'a>,
    state: &'static str,
    error: Option<String>,
    reason: Option<String>,
}

impl<'a> Incomplete<'a> {
    fn new(j: &'a JobReport) -> Option<Self> {
        use std::os::unix::ffi::OsStrExt;
        let (state, error, reason) = match &j.status {
            JobStatus::Failed(e) => ("failed", Some(e.to_string()), None),
            JobStatus::Skipped(r) => ("not_scanned", None, Some(r.to_string())),
            _ => return None,
        };
        Some(Self {
            path: PathBytes(j.path.as_os_str().as_bytes()),
            state,
            error,
            reason,
        })
    }
}

/// Path bytes as a JSON string: valid UTF-8 as is, every other byte as the lone surrogate
/// `\udcXX` (surrogateescape), which no `str` can hold, so it goes out as raw JSON.
struct PathBytes<'a>(&'a [u8]);

impl Serialize for PathBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(escaped(self.0))
            .map_err(S::Error::custom)?
            .serialize(s)
    }
}

/// The JSON string literal of `bytes`, with `\udcXX` for each byte that is not valid UTF-8.
fn escaped(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
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
        let line = ScanResult::new(std::ffi::OsStr::new("/x"), Verdict::Found("Sig".into()));
        assert_eq!(
            serde_json::to_string(&Line::from(&line)).unwrap(),
            r#"{"path":"/x","status":"infected","signature":"Sig","message":null}"#
        );
    }
}
