//! The `JsonSchema` of each report type (the `schema` feature): what
//! [`serialize`](crate::serialize)'s hand-written `Serialize` impls write, not what the Rust
//! fields are, so each is written by hand next to nothing else. `schemas/scan.json` of the
//! workspace is generated from [`FleetReport`]'s.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::fleet::{FleetReport, HostReport, JobReport};
use crate::proto::reply::ScanResult;
use crate::walk::{Skipped, WalkError};

/// The stable names of [`WalkReason::name`](crate::WalkReason::name), in declaration order.
const WALK_REASONS: &[&str] = &[
    "permission_denied",
    "name_too_long",
    "symlink_loop",
    "dangling_symlink",
    "special_file",
    "vanished",
    "not_found",
    "contains_nul",
    "os_error",
];

/// The stable names of [`WalkSkip::name`](crate::WalkSkip::name).
const WALK_SKIPS: &[&str] = &["directory_symlink", "excluded"];

/// A path, as `serialize::PathBytes` writes it.
pub(crate) fn path() -> Schema {
    json_schema!({
        "type": "string",
        "description": "The path's bytes: valid UTF-8 as is, every byte that is not valid UTF-8 \
            as the lone surrogate escape \\udcXX (XX its value in hex, PEP 383 \
            surrogateescape), so that no path is lost. Such a string is valid JSON text but \
            holds no Unicode scalar value there: strict parsers may refuse it, Python's \
            os.fsencode(json.loads(text)[...]) gives back the bytes."
    })
}

/// [`path`] for `#[schemars(schema_with)]` (the history's findings).
#[cfg(feature = "history")]
pub(crate) fn path_with(_: &mut SchemaGenerator) -> Schema {
    path()
}

/// A string, or `null` when it does not apply.
pub(crate) fn text_or_null(description: &str) -> Schema {
    json_schema!({ "type": ["string", "null"], "description": description })
}

/// An object with exactly `properties` (a JSON object of schemas), all of them required.
pub(crate) fn closed(properties: serde_json::Value) -> Schema {
    let required: Vec<String> = properties
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut s = json_schema!({
        "type": "object",
        "required": required,
        "additionalProperties": false
    });
    s.insert("properties".into(), properties);
    s
}

/// One form of a tagged object: `tag` is `value`, and `nulls` are `null` in it.
pub(crate) fn form(tag: &str, value: &str, nulls: &[&str]) -> serde_json::Value {
    let mut properties = serde_json::Map::new();
    properties.insert(tag.into(), serde_json::json!({ "const": value }));
    for n in nulls {
        properties.insert((*n).into(), serde_json::json!({ "type": "null" }));
    }
    serde_json::json!({ "properties": properties })
}

/// [`form`] with `field` a string.
pub(crate) fn with_text(mut form: serde_json::Value, field: &str) -> serde_json::Value {
    form["properties"][field] = serde_json::json!({ "type": "string" });
    form
}

/// Implements `JsonSchema` with `schema_name` the type's name, the schema from `$body`.
macro_rules! schema {
    ($t:ident, |$g:ident| $body:expr) => {
        impl JsonSchema for $t {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($t))
            }

            fn json_schema($g: &mut SchemaGenerator) -> Schema {
                $body
            }
        }
    };
}

schema!(FleetReport, |g| {
    let mut s = closed(serde_json::json!({
        "hosts": { "type": "array", "items": g.subschema_for::<HostReport>() },
        "walk_errors": {
            "type": "array",
            "items": g.subschema_for::<WalkError>(),
            "description": "Entries of the local walk that could not be scanned (modes stream and fdpass)."
        },
        "skipped": {
            "type": "array",
            "items": g.subschema_for::<Skipped>(),
            "description": "Entries of the local walk deliberately not scanned."
        },
        "summary": g.subschema_for::<crate::Summary>(),
    }));
    // Only the runs of a policy (`opskit scan --policy`) have `environment`.
    if let Some(p) = s.get_mut("properties").and_then(|p| p.as_object_mut()) {
        p.insert("environment".into(), environment());
    }
    s.insert(
        "description".into(),
        "The document of `opskit scan --json`: each host's outcome, the local walk's \
         entries that were not scanned, and the counts over the run; for a run of a \
         policy's environment, also the environment and its signature warnings."
            .into(),
    );
    s
});

/// The `environment` of a policy run: its name and each host's signature warning.
fn environment() -> serde_json::Value {
    let count = serde_json::json!({ "type": ["integer", "null"], "minimum": 0 });
    let warning = closed(serde_json::json!({
        "host": { "type": "string" },
        "kind": { "enum": ["stale", "undated"], "description": "`stale`: older than `max_db_age`; `undated`: VERSION gave no date." },
        "date": text_or_null("The database date as clamd wrote it (`stale`), else null."),
        "age_seconds": count,
        "max_seconds": count,
        "message": { "type": "string" },
    }));
    let mut warning = warning.to_value();
    warning["oneOf"] = serde_json::json!([
        { "properties": { "kind": { "const": "stale" }, "date": { "type": "string" },
            "age_seconds": { "type": "integer" }, "max_seconds": { "type": "integer" } } },
        { "properties": { "kind": { "const": "undated" }, "date": { "type": "null" },
            "age_seconds": { "type": "null" }, "max_seconds": { "type": "null" } } }
    ]);
    let mut env = closed(serde_json::json!({
        "name": { "type": "string", "description": "The environment's name (`[env.NAME]`)." },
        "db_warnings": { "type": "array", "items": warning },
    }))
    .to_value();
    env["description"] =
        "The policy environment this run is of (runs of `opskit scan --policy` only).".into();
    env
}

schema!(HostReport, |g| {
    let mut s = closed(serde_json::json!({
        "host": { "type": "string", "description": "The host: `addr:port`, `[v6]:port` or a Unix socket's path." },
        "ok": { "type": "boolean", "description": "Whether the host answered everything asked (`state` is `done`)." },
        "state": g.subschema_for::<crate::HostState>(),
        "reason": text_or_null("Why the host was not scanned (`state` is `not_scanned`), else null."),
        "version": text_or_null("Its VERSION, when asked and answered."),
        "error": text_or_null("The host's own error, or else its first failed job's."),
        "tally": g.subschema_for::<crate::Tally>(),
        "results": { "type": "array", "items": g.subschema_for::<ScanResult>() },
        "incomplete": {
            "type": "array",
            "description": "The jobs that did not complete (never `done`).",
            "items": {
                "allOf": [
                    g.subschema_for::<JobReport>(),
                    { "not": { "properties": { "state": { "const": "done" } } } }
                ]
            }
        },
    }));
    s.insert("description".into(), "The outcome on one host.".into());
    s.insert(
        "oneOf".into(),
        serde_json::json!([
            {
                "properties": {
                    "state": { "const": "done" },
                    "ok": { "const": true },
                    "reason": { "type": "null" },
                    "error": { "type": "null" }
                }
            },
            {
                "properties": {
                    "state": { "const": "failed" },
                    "ok": { "const": false },
                    "reason": { "type": "null" }
                }
            },
            {
                "properties": {
                    "state": { "const": "not_scanned" },
                    "ok": { "const": false },
                    "reason": { "type": "string" }
                }
            }
        ]),
    );
    s
});

schema!(JobReport, |_g| {
    let mut s = closed(serde_json::json!({
        "path": path(),
        "state": { "enum": ["done", "failed", "not_scanned"] },
        "error": text_or_null("Why it failed (`state` is `failed`), else null."),
        "reason": text_or_null("Why it was not scanned (`state` is `not_scanned`), else null."),
    }));
    s.insert(
        "description".into(),
        "One job of one host: a path scanned on the host, or a local file sent to it.".into(),
    );
    s.insert(
        "oneOf".into(),
        serde_json::json!([
            form("state", "done", &["error", "reason"]),
            with_text(form("state", "failed", &["reason"]), "error"),
            with_text(form("state", "not_scanned", &["error"]), "reason"),
        ]),
    );
    s
});

schema!(ScanResult, |_g| {
    let mut s = closed(serde_json::json!({
        "path": path(),
        "status": { "enum": ["clean", "infected", "error"] },
        "signature": text_or_null("The signature found (`status` is `infected`), else null."),
        "message": text_or_null("clamd's error message (`status` is `error`), else null."),
    }));
    s.insert("description".into(), "One scan line of clamd.".into());
    s.insert(
        "oneOf".into(),
        serde_json::json!([
            form("status", "clean", &["signature", "message"]),
            with_text(form("status", "infected", &["message"]), "signature"),
            with_text(form("status", "error", &["signature"]), "message"),
        ]),
    );
    s
});

/// A local walk's entry: `path`, `reason` one of `reasons`, `message` in words.
fn walk_entry(reasons: &[&str], description: &str) -> Schema {
    let mut s = closed(serde_json::json!({
        "path": path(),
        "reason": { "enum": reasons, "description": "The reason's stable name." },
        "message": { "type": "string", "description": "The reason in words." },
    }));
    s.insert("description".into(), description.into());
    s
}

schema!(WalkError, |_g| walk_entry(
    WALK_REASONS,
    "An entry of the local walk that could not be scanned."
));

schema!(Skipped, |_g| walk_entry(
    WALK_SKIPS,
    "An entry of the local walk deliberately not scanned."
));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::{SpecialKind, WalkReason, WalkSkip};

    /// The lists hold every name; the matches stop compiling when a variant is added.
    #[test]
    fn reason_lists_hold_every_name() {
        let reasons = [
            WalkReason::PermissionDenied,
            WalkReason::NameTooLong,
            WalkReason::SymlinkLoop,
            WalkReason::DanglingSymlink,
            WalkReason::Special(SpecialKind::Fifo),
            WalkReason::Vanished,
            WalkReason::NotFound,
            WalkReason::ContainsNul,
            WalkReason::Os { errno: 5 },
        ];
        for r in reasons {
            match r {
                WalkReason::PermissionDenied
                | WalkReason::NameTooLong
                | WalkReason::SymlinkLoop
                | WalkReason::DanglingSymlink
                | WalkReason::Special(_)
                | WalkReason::Vanished
                | WalkReason::NotFound
                | WalkReason::ContainsNul
                | WalkReason::Os { .. } => {}
            }
        }
        let names: Vec<&str> = reasons.iter().map(WalkReason::name).collect();
        assert_eq!(names, WALK_REASONS);
        let skips = [WalkSkip::DirectorySymlink, WalkSkip::Excluded];
        for k in skips {
            // A new skip reason must be added here and to WALK_SKIPS.
            match k {
                WalkSkip::DirectorySymlink | WalkSkip::Excluded => {}
            }
        }
        let names: Vec<&str> = skips.iter().map(WalkSkip::name).collect();
        assert_eq!(names, WALK_SKIPS);
    }
}
