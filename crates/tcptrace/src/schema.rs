//! JSON Schemas of the fields and types whose JSON is not what their Rust type says (the
//! `schema` feature), so that the schemas of a [`TraceReport`](crate::TraceReport) and of the
//! AS model ([`Resolution`](crate::Resolution)) describe the JSON serde really writes.

use schemars::{Schema, SchemaGenerator, json_schema};

/// An address, written by serde as its text: `"192.0.2.1"` or `"2001:db8::1"`. schemars' own
/// `"format": "ip"` is no format JSON Schema defines, so validators would not check it.
pub(crate) fn ip_addr(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "oneOf": [{ "format": "ipv4" }, { "format": "ipv6" }]
    })
}

/// An optional address: absent, or written as [`ip_addr`] writes it.
pub(crate) fn ip_addr_opt(g: &mut SchemaGenerator) -> Schema {
    ip_addr(g)
}

/// A list of addresses, each written as [`ip_addr`] writes it.
pub(crate) fn ip_addrs(g: &mut SchemaGenerator) -> Schema {
    let item = ip_addr(g);
    json_schema!({
        "type": "array",
        "items": item
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

/// The AS model's types whose `Serialize` is written by hand: each is written as text, or
/// (a special range) as an object of texts.
mod asn {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use crate::{AsName, CountryCode, IpRange, SpecialRange};

    /// Implements `JsonSchema` with the type's name and the schema `$schema`.
    macro_rules! text {
        ($t:ident, $schema:tt) => {
            impl JsonSchema for $t {
                fn schema_name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($t))
                }

                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    json_schema!($schema)
                }
            }
        };
    }

    text!(AsName, {
        "type": "string",
        "description": "The AS (or organisation) name, as the source gives it."
    });

    text!(CountryCode, {
        "type": "string",
        "description": "A two-letter country code (ISO 3166-1 alpha-2, upper case; also registry codes such as EU and AP).",
        "pattern": "^[A-Z]{2}$"
    });

    text!(IpRange, {
        "type": "string",
        "description": "A range of addresses: `first/len` when it is one prefix, else `first-last`.",
        "pattern": "^[0-9A-Fa-f.:]+(/[0-9]{1,3}|-[0-9A-Fa-f.:]+)$"
    });

    text!(SpecialRange, {
        "type": "object",
        "description": "The special-purpose range (IANA registries) an address is in.",
        "properties": {
            "range": { "type": "string", "description": "The range as `prefix/len`.", "pattern": "^[0-9A-Fa-f.:]+/[0-9]{1,3}$" },
            "name": { "type": "string", "description": "The registry's name for it." },
            "rfc": { "type": "string", "description": "The RFC that reserves it." }
        },
        "required": ["range", "name", "rfc"],
        "additionalProperties": false
    });
}
