//! The JSON Schemas of the `--json` outputs, in `schemas/` at the workspace root: each is
//! generated from the Rust type the command serializes (schemars), checked in, and the
//! commands' tests validate their real output against it.
//!
//! A command's schema is one line of [`SCHEMAS`]. `cargo xtask schemas` rewrites the files
//! (it runs [`checked_in_schemas_are_up_to_date`] with `OPSKIT_WRITE_SCHEMAS=1`); without it
//! that test fails when a file differs from what the types generate.

use std::path::PathBuf;

use schemars::{Schema, schema_for};

/// Generates one schema.
type Generate = fn() -> Schema;

/// Each `--json` output: its file in `schemas/` (without `.json`) and the type it serializes.
const SCHEMAS: &[(&str, Generate)] = &[
    ("trace", || schema_for!(tcptrace::TraceReport)),
    ("scan", || schema_for!(clamd_proto::FleetReport)),
    ("scan-history", || {
        schema_for!(Vec<clamd_proto::history::RunSummary>)
    }),
    ("scan-report", || {
        schema_for!(clamd_proto::history::RunRecord)
    }),
    ("scan-report-new", || {
        schema_for!(Vec<clamd_proto::history::RunChanges>)
    }),
    ("scan-pool", || schema_for!(clamd_proto::PoolReport)),
    ("asn", || schema_for!(Vec<asn_lookup::LookupLine>)),
    ("rrd-info", || schema_for!(rrdgraph::RrdInfo)),
    ("rrd-first", || schema_for!(rrdgraph::FirstTime)),
    ("rrd-last", || schema_for!(rrdgraph::LastTime)),
    ("rrd-lastupdate", || schema_for!(rrdgraph::LastUpdate)),
    ("rrd-fetch", || schema_for!(rrdgraph::Series)),
    ("rrd-xport", || schema_for!(rrdgraph::Series)),
];

/// When set (to anything), [`checked_in_schemas_are_up_to_date`] writes the files.
const WRITE_ENV: &str = "OPSKIT_WRITE_SCHEMAS";

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(format!("{name}.json"))
}

/// The schema as the file holds it: pretty JSON with a final newline.
fn generated(schema: Generate) -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap();
    text.push('\n');
    text
}

#[test]
fn checked_in_schemas_are_up_to_date() {
    let write = std::env::var_os(WRITE_ENV).is_some();
    let mut stale = Vec::new();
    for &(name, schema) in SCHEMAS {
        let want = generated(schema);
        let p = path(name);
        if write {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &want).unwrap();
        } else if std::fs::read_to_string(&p).ok().as_deref() != Some(want.as_str()) {
            stale.push(p.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (the types changed): {stale:?}; run `cargo xtask schemas` and commit them"
    );
}

/// Validates `doc` against the checked-in `schemas/<name>.json`, formats included (an
/// address must be one); the error lists each violation with where it is.
pub(crate) fn validate(name: &str, doc: &serde_json::Value) -> Result<(), String> {
    let p = path(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{} is no JSON Schema: {e}", p.display()));
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// Panics with the violations unless `doc` validates against `schemas/<name>.json`.
pub(crate) fn assert_valid(name: &str, doc: &serde_json::Value) {
    if let Err(e) = validate(name, doc) {
        panic!("the {name} JSON does not match schemas/{name}.json:\n{e}\n{doc:#}");
    }
}

/// Makes a valid document invalid in one way: what it makes of it, and the change.
pub(crate) type Spoil = (&'static str, fn(&mut serde_json::Value));

/// Panics unless `schemas/<name>.json` refuses `doc` spoiled by each of `broken`.
pub(crate) fn assert_refused(name: &str, doc: &serde_json::Value, broken: &[Spoil]) {
    for (what, spoil) in broken {
        let mut bad = doc.clone();
        spoil(&mut bad);
        assert!(
            validate(name, &bad).is_err(),
            "the {name} schema accepts {what}"
        );
    }
}
