//! The real-world corpus: `rrdtool graph` definitions of public monitoring projects, in
//! `tests/resources/corpus/*.args`, each citing its source (repository, path, commit).
//!
//! For each definition the real `rrdtool graphv` (its own process) renders it, and
//! `emit(parse(args))` rendered through this crate answers the same `graphv` lines: every
//! `print[]`, `legend[]`, the geometry, `image_width`/`image_height` and the value range. A
//! definition the parser refuses today is marked `# refused: REASON`; the test asserts it is
//! still refused (and that rrdtool renders it), so the mark must go when the parser learns it.
//!
//! A file's header lines:
//! - `# project:`, `# source: OWNER/REPO PATH @ COMMIT` (required), `# note:` (free text: what
//!   was substituted, such as the project's colour variables);
//! - `# rrd: NAME = DS DS ...`: an RRD the test creates (GAUGE data sources, step 300 s, a day
//!   and a half of values, AVERAGE, MIN, MAX and LAST archives); `{NAME}` in the arguments is
//!   its path;
//! - `# refused: REASON` and `# needs: rrdtool 1.8` where they apply.
//!
//! None of the definitions gathered so far needs rrdtool 1.8: rrdtool 1.7.2 renders them all.
//!
//! The arguments follow, one per line, without the output file and the time range: every
//! definition is drawn over the same fixed day ([`START`], [`END`]), so the two renders agree
//! whatever the clock says.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rrdgraph::{Cf, CreateSpec, DataSource, GraphSpec, Rra, Update, render_raw_args};

/// The drawn day: 2026-01-01 00:00 UTC to 2026-01-02 00:00 UTC.
const START: i64 = 1_767_225_600;
const END: i64 = START + 86_400;
const STEP: i64 = 300;

/// At least this many definitions, from at least this many projects (issue 14).
const MIN_DEFINITIONS: usize = 60;
const MIN_PROJECTS: usize = 12;

#[derive(Debug)]
struct Definition {
    name: String,
    project: String,
    source: String,
    rrds: Vec<(String, Vec<String>)>,
    refused: Option<String>,
    /// `# needs: rrdtool 1.8`: the rrdtool version the definition needs.
    needs: Option<(u32, u32)>,
    args: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resources/corpus")
}

fn load() -> Vec<Definition> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "args"))
        .collect();
    files.sort();
    files.iter().map(|f| parse_file(f)).collect()
}

fn parse_file(file: &Path) -> Definition {
    let name = file.file_stem().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(file).unwrap();
    let mut d = Definition {
        name: name.clone(),
        project: String::new(),
        source: String::new(),
        rrds: Vec::new(),
        refused: None,
        needs: None,
        args: Vec::new(),
    };
    for line in text.lines() {
        // The header ends at the first argument: a later `# ...` line is an argument (Xymon's
        // vertical labels such as `# Requests`).
        if let Some(header) = line.strip_prefix("# ").filter(|_| d.args.is_empty()) {
            let (key, value) = header.split_once(':').unwrap_or((header, ""));
            let value = value.trim().to_owned();
            match key {
                "project" => d.project = value,
                "source" => d.source = value,
                "refused" => d.refused = Some(value),
                "rrd" => {
                    let (rrd, ds) = value.split_once('=').expect(&name);
                    d.rrds.push((
                        rrd.trim().to_owned(),
                        ds.split_whitespace().map(str::to_owned).collect(),
                    ));
                }
                "needs" => {
                    let version = value.strip_prefix("rrdtool ").expect(&name);
                    let (major, minor) = version.split_once('.').expect(&name);
                    d.needs = Some((major.parse().unwrap(), minor.parse().unwrap()));
                }
                "note" => {}
                other => panic!("{name}: unknown header {other:?}"),
            }
        } else if !line.is_empty() {
            d.args.push(line.to_owned());
        }
    }
    // A citation is a repository, a path and a 40-digit commit.
    let cited = d.source.split_once(" @ ").is_some_and(|(at, commit)| {
        at.split_whitespace().count() == 2
            && commit.len() == 40
            && commit.bytes().all(|b| b.is_ascii_hexdigit())
    });
    assert!(
        cited,
        "{name}: `# source: OWNER/REPO PATH @ COMMIT` missing or malformed"
    );
    assert!(!d.project.is_empty(), "{name}: `# project:` missing");
    assert!(!d.args.is_empty(), "{name}: no arguments");
    d
}

/// A GAUGE RRD with data sources `ds`, values over [`START`] - 12 h to [`END`], different for
/// each data source and RRD (`seed`). Written by `rrdtool` processes: other tests of this binary
/// call librrd in-process (some through the `rrd` crate, outside this crate's lock), and
/// librrd is not thread-safe.
fn create_rrd(path: &Path, ds: &[String], seed: usize) {
    let mut spec = CreateSpec::new().step(300).start(START - 43_200 - STEP);
    for name in ds {
        spec = spec.data_source(DataSource::gauge(name.clone(), 600));
    }
    for cf in [Cf::Average, Cf::Min, Cf::Max, Cf::Last] {
        spec = spec.archive(Rra::new(cf, 0.5, 1, 500));
        spec = spec.archive(Rra::new(cf, 0.5, 12, 100));
    }
    let updates: Vec<std::ffi::OsString> = (START - 43_200..=END)
        .step_by(300)
        .map(|t| {
            let values = (0..ds.len()).map(|i| {
                #[expect(clippy::cast_precision_loss, reason = "small numbers")]
                let (k, x) = ((seed * 7 + i * 3 + 1) as f64, (t - START) as f64 / 3600.0);
                k * 10.0 * (1.5 + (x / (2.0 + k * 0.1)).sin()) + (x * 7.0 + k).cos() * k
            });
            Update::at(t, values).to_arg().into()
        })
        .collect();
    for (op, args) in [("create", spec.to_args()), ("update", updates)] {
        let out = Command::new("rrdtool")
            .arg(op)
            .arg(path)
            .args(&args)
            .output()
            .expect("rrdtool is installed (cargo xtask setup)");
        assert!(
            out.status.success(),
            "rrdtool {op} {}: {out:?}",
            path.display()
        );
    }
}

/// Each definition's RRDs are its own: names repeat across definitions with other layouts.
fn rrd_path(dir: &Path, d: &Definition, rrd: &str) -> PathBuf {
    dir.join(format!("{}-{rrd}.rrd", d.name))
}

/// The full argument list: output, the fixed day, the definition with its RRD paths.
fn full_args(d: &Definition, dir: &Path) -> Vec<String> {
    let mut args = vec![
        "/dev/null".to_owned(),
        "--start".into(),
        START.to_string(),
        "--end".into(),
        END.to_string(),
    ];
    args.extend(d.args.iter().map(|a| {
        let mut a = a.clone();
        for (rrd, _) in &d.rrds {
            let path = rrd_path(dir, d, rrd);
            a = a.replace(&format!("{{{rrd}}}"), path.to_str().unwrap());
        }
        a
    }));
    args
}

/// The installed librrd's `(major, minor)`.
fn rrdtool_version() -> (u32, u32) {
    let v = rrdgraph::librrd_version();
    let mut parts = v.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// `rrdtool graphv` in its own process; the same pinned week format this crate's renders pass.
fn rrdtool_graphv(args: &[String]) -> Result<String, String> {
    let out = Command::new("rrdtool")
        .arg("graphv")
        .arg(&args[0])
        .args(rrdgraph::PINNED_OPTIONS)
        .args(&args[1..])
        .output()
        .expect("rrdtool is installed (cargo xtask setup)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() && !text.starts_with("ERROR") {
        Ok(text)
    } else {
        Err(format!(
            "{text}{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        ))
    }
}

#[test]
fn the_corpus_renders_like_rrdtool() {
    let corpus = load();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (seed, d) in corpus.iter().enumerate() {
        for (i, (rrd, ds)) in d.rrds.iter().enumerate() {
            create_rrd(&rrd_path(dir.path(), d, rrd), ds, seed * 5 + i);
        }
        let args = full_args(d, dir.path());
        // A definition for a newer rrdtool than the one here must be refused by it: it is
        // checked, never skipped.
        if d.needs.is_some_and(|needed| needed > rrdtool_version()) {
            if rrdtool_graphv(&args).is_ok() {
                failures.push(format!(
                    "{}: marked as needing rrdtool {:?}, but this rrdtool renders it",
                    d.name, d.needs
                ));
            }
            continue;
        }
        let real = match rrdtool_graphv(&args) {
            Ok(text) => text,
            Err(e) => {
                failures.push(format!("{}: rrdtool refuses it: {e}", d.name));
                continue;
            }
        };
        let parsed = GraphSpec::parse_args(&args);
        match (&d.refused, parsed) {
            (Some(_), Err(_)) => {}
            (Some(reason), Ok(_)) => failures.push(format!(
                "{}: marked refused ({reason}) but parses now: remove the mark",
                d.name
            )),
            (None, Err(e)) => failures.push(format!("{}: our parser refuses it: {e}", d.name)),
            (None, Ok(spec)) => match render_raw_args(&spec.to_args()) {
                Err(e) => failures.push(format!("{}: emit(parse) does not render: {e}", d.name)),
                Ok(ours) => {
                    let ours = ours.to_graphv_text();
                    if ours == real {
                        assert!(real.contains("image_width = "), "{}: {real}", d.name);
                    } else {
                        failures.push(format!(
                            "{}: graphv differs\n--- rrdtool\n{real}--- emit(parse)\n{ours}",
                            d.name
                        ));
                    }
                }
            },
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_corpus_is_large_and_varied_enough() {
    let corpus = load();
    let projects: BTreeSet<&str> = corpus.iter().map(|d| d.project.as_str()).collect();
    assert!(
        corpus.len() >= MIN_DEFINITIONS && projects.len() >= MIN_PROJECTS,
        "the corpus has {} definitions from {} projects ({projects:?}); issue 14 asks for \
         {MIN_DEFINITIONS} from {MIN_PROJECTS}",
        corpus.len(),
        projects.len()
    );
}
