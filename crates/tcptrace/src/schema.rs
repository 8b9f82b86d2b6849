//! JSON Schemas of the fields whose JSON is not what their Rust type says (the `schema`
//! feature), so that the schema of a [`TraceReport`](crate::TraceReport) describes the JSON
//! serde really writes.

use schemars::{Schema, SchemaGenerator, json_schema};

/// An address, written by serde as its text: `"192.0.2.1"` or `"2001:db8::1"`. schemars' own
/// `"format": "ip"` is no format JSON Schema defines, so validators would not check it.
pub(crate) fn ip_addr(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "oneOf": [{ "format": "ipv4" }, { "format": "ipv6" }]
    })
}

/// A round-trip time in milliseconds, written rounded to the microsecond (3 decimals):
/// never negative.
pub(crate) fn rtt_ms(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "number",
        "minimum": 0
    })
}
