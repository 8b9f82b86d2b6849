//! `--json` of every read command: the output validates against its schema in `schemas/`, and
//! says what rrdtool's text says.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};

use super::{opskit, recipe_rrd, stderr, stdout};
use crate::schema::{assert_refused, assert_valid};

/// `opskit rrd ARGS --json`, parsed; the command must succeed.
fn json_of(args: &[&str]) -> Value {
    let mut all = vec!["rrd"];
    all.extend_from_slice(args);
    all.push("--json");
    let o = opskit(&all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let text = stdout(&o);
    assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// `rrdtool info FILE` as `key -> value`, each value as JSON would write it: strings unquoted,
/// numbers parsed, NaN as null, the infinities as text (a MIN archive's fresh row is `inf`).
fn rrdtool_info(file: &str) -> BTreeMap<String, Value> {
    let o = Command::new("rrdtool")
        .args(["info", file])
        .output()
        .unwrap();
    assert!(o.status.success());
    stdout(&o)
        .lines()
        .map(|line| {
            let (k, v) = line.split_once(" = ").unwrap();
            let v = if let Some(s) = v.strip_prefix('"') {
                json!(s.strip_suffix('"').unwrap())
            } else if v == "NaN" {
                Value::Null
            } else if v == "inf" || v == "-inf" {
                json!(v)
            } else if let Ok(i) = v.parse::<i64>() {
                json!(i)
            } else {
                json!(v.parse::<f64>().unwrap())
            };
            (k.to_owned(), v)
        })
        .collect()
}

/// The info JSON back in librrd's flat keys.
fn flatten(doc: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (k, v) in doc.as_object().unwrap() {
        match k.as_str() {
            "ds" => {
                for ds in v.as_array().unwrap() {
                    let name = ds["name"].as_str().unwrap();
                    for (f, x) in ds.as_object().unwrap() {
                        if f != "name" {
                            out.insert(format!("ds[{name}].{f}"), x.clone());
                        }
                    }
                }
            }
            "rra" => {
                for (i, rra) in v.as_array().unwrap().iter().enumerate() {
                    for (f, x) in rra.as_object().unwrap() {
                        if f != "cdp_prep" {
                            out.insert(format!("rra[{i}].{f}"), x.clone());
                        }
                    }
                    for (j, cdp) in rra["cdp_prep"].as_array().unwrap().iter().enumerate() {
                        for (f, x) in cdp.as_object().unwrap() {
                            out.insert(format!("rra[{i}].cdp_prep[{j}].{f}"), x.clone());
                        }
                    }
                }
            }
            "other" => assert_eq!(v, &json!({}), "keys the structure does not hold"),
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// Numbers compare as numbers (JSON writes `300` where rrdtool's `%e` gave `3.0e+02`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-10 * y.abs(),
        _ => a == b,
    }
}

#[test]
fn info_json_holds_every_entry_of_rrdtool_info_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hw.rrd");
    let f = file.to_str().unwrap();
    // Every DS kind that info prints differently (COMPUTE has a cdef, no limits) and every
    // RRA kind, Holt-Winters included, so that every key librrd writes is met.
    let o = Command::new("rrdtool")
        .args([
            "create",
            f,
            "--step",
            "300",
            "--start",
            "1767225000",
            "DS:a:GAUGE:600:0:U",
            "DS:c:COMPUTE:a,2,*",
            "RRA:AVERAGE:0.5:1:10",
            "RRA:MIN:0.5:2:10",
            "RRA:HWPREDICT:100:0.1:0.0035:12",
            "RRA:MHWPREDICT:100:0.1:0.0035:12",
            "RRA:FAILURES:20:7:9:4",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = opskit(&["rrd", "update", f, "1767225300:5", "1767225600:U"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = json_of(&["info", f]);
    assert_valid("rrd-info", &doc);
    let ours = flatten(&doc);
    let real = rrdtool_info(f);
    let keys = |m: &BTreeMap<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(&real));
    for (k, v) in &real {
        assert!(same(&ours[k], v), "{k}: ours {} rrdtool {v}", ours[k]);
    }
    assert_eq!(doc["ds"][1]["cdef"], "a,2,*");
    assert_eq!(doc["rra"][2]["cf"], "HWPREDICT");
    assert_refused(
        "rrd-info",
        &doc,
        &[
            ("a step as text", |d| d["step"] = json!("300")),
            ("a data source without a type", |d| {
                d["ds"][0].as_object_mut().unwrap().remove("type");
            }),
            ("an unknown field", |d| d["rra"][0]["colour"] = json!(1)),
        ],
    );
}

#[test]
fn first_last_lastupdate_json_validate_and_match_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = recipe_rrd(dir.path());
    let f = file.as_str();
    let doc = json_of(&["last", f]);
    assert_valid("rrd-last", &doc);
    assert_eq!(doc, json!({"time": 1_767_225_900}));
    let doc = json_of(&["first", f, "--rraindex", "1"]);
    assert_valid("rrd-first", &doc);
    let text = stdout(&opskit(&["rrd", "first", f, "--rraindex", "1"]));
    assert_eq!(
        doc,
        json!({"rraindex": 1, "time": text.trim().parse::<i64>().unwrap()})
    );
    let o = opskit(&["rrd", "update", f, "1767226200:U:900500"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = json_of(&["lastupdate", f]);
    assert_valid("rrd-lastupdate", &doc);
    assert_eq!(
        doc,
        json!({"time": 1_767_226_200, "values": [
            {"name": "eth0_in", "value": null, "text": "U"},
            {"name": "eth0_out", "value": 900_500.0, "text": "900500"},
        ]})
    );
    assert_refused(
        "rrd-lastupdate",
        &doc,
        &[("a value as a number without its text", |d| {
            d["values"][0].as_object_mut().unwrap().remove("text");
        })],
    );
    assert_refused(
        "rrd-last",
        &json!({"time": 1}),
        &[("a fractional time", |d| d["time"] = json!(1.5))],
    );
}

#[test]
fn fetch_and_xport_json_validate_with_unknowns_and_infinities() {
    let dir = tempfile::tempdir().unwrap();
    let file = recipe_rrd(dir.path());
    let f = file.as_str();
    let range = ["--start", "1767225000", "--end", "1767225900"];
    let mut fetch = vec!["fetch", f, "AVERAGE"];
    fetch.extend(range);
    let doc = json_of(&fetch);
    assert_valid("rrd-fetch", &doc);
    assert_eq!(doc["columns"], json!(["eth0_in", "eth0_out"]));
    // The first row has no rate yet (a counter needs two updates): UNKN is null.
    assert_eq!(doc["rows"][0], json!([1_767_225_300, null, null]));
    assert_eq!(doc["rows"][2], json!([1_767_225_900, 1000.0, 500.0]));
    assert_eq!(doc["step"], 300);

    let def = format!("DEF:i={f}:eth0_in:AVERAGE");
    let mut xport = vec!["xport"];
    xport.extend(range);
    xport.extend([
        def.as_str(),
        "CDEF:up=i,0,/",
        "CDEF:down=i,-1,*,0,/",
        "XPORT:i:in",
        "XPORT:up:plus",
        "XPORT:down:minus",
    ]);
    let doc = json_of(&xport);
    assert_valid("rrd-xport", &doc);
    assert_eq!(doc["columns"], json!(["in", "plus", "minus"]));
    let rows = doc["rows"].as_array().unwrap();
    assert!(
        rows.contains(&json!([1_767_225_300, null, null, null])),
        "{doc}"
    );
    assert!(
        rows.contains(&json!([1_767_225_900, 1000.0, "inf", "-inf"])),
        "{doc}"
    );
    assert_refused(
        "rrd-xport",
        &doc,
        &[
            ("NaN written as text", |d| d["rows"][0][1] = json!("nan")),
            ("a row without its time", |d| d["rows"][0] = json!([])),
            ("a time as a float", |d| d["rows"][0][0] = json!(1.5)),
        ],
    );
}
