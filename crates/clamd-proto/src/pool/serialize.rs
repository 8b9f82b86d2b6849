//! The `Serialize` form of a [`PoolReport`]: the JSON document of `opskit scan --pool
//! --json`. Hosts are named by their endpoints, paths keep their bytes as the fleet's report
//! writes them (`crate::serialize`).

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use super::report::{Failover, FileOutcome, Outage, PoolFile, PoolHost, PoolReport};
use crate::serialize::PathBytes;

/// `{"hosts":[…],"files":[…],"failovers":[…],"walk_errors":[…],"skipped":[…],"summary":{…}}`.
/// Files are serialized one at a time: the document is never built in memory.
impl Serialize for PoolReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Files<'a>(&'a PoolReport);
        impl Serialize for Files<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.files.iter().map(|f| FileJson(self.0, f)))
            }
        }
        struct Moves<'a>(&'a PoolReport);
        impl Serialize for Moves<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.failovers.iter().map(|f| FailoverJson(self.0, f)))
            }
        }
        let mut st = s.serialize_struct("PoolReport", 6)?;
        st.serialize_field("hosts", &self.hosts)?;
        st.serialize_field("files", &Files(self))?;
        st.serialize_field("failovers", &Moves(self))?;
        st.serialize_field("walk_errors", &self.walk_errors)?;
        st.serialize_field("skipped", &self.skipped)?;
        st.serialize_field("summary", &self.summary())?;
        st.end()
    }
}

/// The name of host `i` of the report.
fn host_name(report: &PoolReport, i: Option<usize>) -> Option<String> {
    i.and_then(|i| report.hosts.get(i))
        .map(|h| h.endpoint.to_string())
}

/// `{"host","down","outages","given_up","scanned","infected","file_errors","failed","bytes",
/// "failovers"}`.
impl Serialize for PoolHost {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PoolHost", 10)?;
        st.serialize_field("host", &self.endpoint.to_string())?;
        st.serialize_field("down", &self.down)?;
        st.serialize_field("outages", &self.outages)?;
        st.serialize_field("given_up", &self.given_up)?;
        st.serialize_field("scanned", &self.scanned)?;
        st.serialize_field("infected", &self.infected)?;
        st.serialize_field("file_errors", &self.file_errors)?;
        st.serialize_field("failed", &self.failed)?;
        st.serialize_field("bytes", &self.bytes)?;
        st.serialize_field("failovers", &self.failovers)?;
        st.end()
    }
}

/// `{"down_at","error","up_at","failed_probes","scanned_after"}`: times in seconds from the
/// run's start, `up_at` null if the host never came back.
impl Serialize for Outage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Outage", 5)?;
        st.serialize_field("down_at", &self.down_at.as_secs_f64())?;
        st.serialize_field("error", &self.error)?;
        st.serialize_field("up_at", &self.up_at.map(|d| d.as_secs_f64()))?;
        st.serialize_field("failed_probes", &self.failed_probes)?;
        st.serialize_field("scanned_after", &self.scanned_after)?;
        st.end()
    }
}

/// `{"path","host","state","result","error","reason","failovers"}`: `state` is `scanned`
/// (with its `result`), `failed` (with its `error`) or `not_scanned` (with its `reason`).
struct FileJson<'a>(&'a PoolReport, &'a PoolFile);

impl Serialize for FileJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.1;
        let (state, result, error, reason) = match &f.outcome {
            FileOutcome::Scanned(r) => ("scanned", Some(r), None, None),
            FileOutcome::Failed(e) => ("failed", None, Some(e.to_string()), None),
            FileOutcome::NotScanned(r) => ("not_scanned", None, None, Some(r.name())),
        };
        let mut st = s.serialize_struct("PoolFile", 7)?;
        st.serialize_field("path", &PathBytes::of(&f.path))?;
        st.serialize_field("host", &host_name(self.0, f.host))?;
        st.serialize_field("state", state)?;
        st.serialize_field("result", &result)?;
        st.serialize_field("error", &error)?;
        st.serialize_field("reason", &reason)?;
        st.serialize_field("failovers", &f.failovers)?;
        st.end()
    }
}

/// `{"path","from","to","error"}`: `to` is the host that answered the file in the end, or
/// null.
struct FailoverJson<'a>(&'a PoolReport, &'a Failover);

impl Serialize for FailoverJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.1;
        let to = self.0.files.get(m.file).and_then(|f| f.host);
        let mut st = s.serialize_struct("Failover", 4)?;
        st.serialize_field("path", &PathBytes::of(&m.path))?;
        st.serialize_field("from", &host_name(self.0, Some(m.from)))?;
        st.serialize_field("to", &host_name(self.0, to))?;
        st.serialize_field("error", &m.error)?;
        st.end()
    }
}
