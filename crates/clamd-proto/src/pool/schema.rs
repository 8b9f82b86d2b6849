//! The `JsonSchema` of [`PoolReport`] (the `schema` feature): what `serialize` writes, by
//! hand, with the fleet's building blocks (`crate::schema`). `schemas/scan-pool.json` of the
//! workspace is generated from it.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::report::{PoolReport, PoolSummary};
use crate::proto::reply::ScanResult;
use crate::schema::{closed, form, path, text_or_null, with_text};
use crate::walk::{Skipped, WalkError};

/// A count.
fn count(description: &str) -> serde_json::Value {
    serde_json::json!({ "type": "integer", "minimum": 0, "description": description })
}

/// A time from the run's start.
fn seconds(description: &str) -> serde_json::Value {
    serde_json::json!({ "type": "number", "minimum": 0, "description": description })
}

fn outage() -> serde_json::Value {
    let mut s = closed(serde_json::json!({
        "down_at": seconds("When the host went down, in seconds from the run's start."),
        "error": { "type": "string", "description": "The failure that took it down." },
        "up_at": {
            "anyOf": [seconds("When a probe found it back, in seconds from the run's start."), { "type": "null" }],
            "description": "When a probe (PING) found it back, in seconds from the run's start; null if none did."
        },
        "failed_probes": count("Probes that failed during this outage."),
        "scanned_after": count("Files it answered with a verdict after it came back, until its next outage or the end."),
    }));
    s.insert(
        "description".into(),
        "One time the host was out of the pool.".into(),
    );
    s.to_value()
}

fn host() -> Schema {
    let mut s = closed(serde_json::json!({
        "host": { "type": "string", "description": "The host: `addr:port`, `[v6]:port` or a Unix socket's path." },
        "down": text_or_null("Why the host was first taken out of the pool (its first failure), or null if it stayed up."),
        "outages": { "type": "array", "items": outage(), "description": "Each time it was out of the pool, in order." },
        "given_up": { "type": "boolean", "description": "Whether its probes ran out: it was out for the rest of the run." },
        "scanned": count("Files it answered with a verdict."),
        "infected": count("Of those, infected."),
        "file_errors": count("Of those, clamd's ERROR lines."),
        "failed": count("Files it answered with a failure of the file."),
        "bytes": count("Bytes of the files it answered."),
        "failovers": count("Files in flight on it when it died, moved to other hosts or given up."),
    }));
    s.insert("description".into(), "One host's share of the run.".into());
    s
}

fn file(g: &mut SchemaGenerator) -> Schema {
    let mut s = closed(serde_json::json!({
        "path": path(),
        "host": text_or_null("The host that answered it, or failed with it last; null if it was never sent."),
        "state": { "enum": ["scanned", "failed", "not_scanned"] },
        "result": {
            "anyOf": [g.subschema_for::<ScanResult>(), { "type": "null" }],
            "description": "The verdict (`state` is `scanned`), else null."
        },
        "error": text_or_null("Why it failed (`state` is `failed`), else null."),
        "reason": {
            "enum": ["hosts_down", "run_deadline", null],
            "description": "Why it was never sent (`state` is `not_scanned`): every host was down, or the run's deadline passed; else null."
        },
        "failovers": count("Hosts that died with this file in flight before the last one."),
    }));
    s.insert(
        "description".into(),
        "One file of the walk, reported exactly once.".into(),
    );
    let mut scanned = form("state", "scanned", &["error", "reason"]);
    scanned["properties"]["result"] = serde_json::json!({ "type": "object" });
    scanned["properties"]["host"] = serde_json::json!({ "type": "string" });
    let mut failed = with_text(form("state", "failed", &["result", "reason"]), "error");
    failed["properties"]["host"] = serde_json::json!({ "type": "string" });
    let mut unsent = form("state", "not_scanned", &["result", "error", "host"]);
    unsent["properties"]["reason"] = serde_json::json!({ "enum": ["hosts_down", "run_deadline"] });
    s.insert("oneOf".into(), serde_json::json!([scanned, failed, unsent]));
    s
}

fn failover() -> Schema {
    let mut s = closed(serde_json::json!({
        "path": path(),
        "from": { "type": "string", "description": "The host that died with the file in flight." },
        "to": text_or_null("The host that answered the file in the end, or null if none did."),
        "error": { "type": "string", "description": "How the host failed (this file's connection)." },
    }));
    s.insert(
        "description".into(),
        "A file moved off a host that died with it in flight.".into(),
    );
    s
}

impl JsonSchema for PoolReport {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("PoolReport")
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let mut s = closed(serde_json::json!({
            "hosts": { "type": "array", "items": host() },
            "files": {
                "type": "array",
                "items": file(g),
                "description": "Every file of the walk, once, in the walk's order."
            },
            "failovers": { "type": "array", "items": failover() },
            "walk_errors": {
                "type": "array",
                "items": g.subschema_for::<WalkError>(),
                "description": "Entries of the local walk that could not be scanned."
            },
            "skipped": {
                "type": "array",
                "items": g.subschema_for::<Skipped>(),
                "description": "Entries of the local walk deliberately not scanned."
            },
            "summary": g.subschema_for::<PoolSummary>(),
        }));
        s.insert(
            "description".into(),
            "The document of `opskit scan --pool --json`: each host's share, every file once \
             with the host that scanned it, every failover, the local walk's entries that \
             were not scanned, and the counts over the run."
                .into(),
        );
        s
    }
}
