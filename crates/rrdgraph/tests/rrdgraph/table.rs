//! librrd accepts every option and every element that the spec model can emit.
//!
//! The samples' catalog ([`testbed::rrdgraph::catalog`]) holds one graph per option, with the
//! option's example value, and one graph with every element kind and feature. Each one is
//! emitted and rendered by the installed librrd; every failure is collected and reported at
//! once, with librrd's own message.

use rrdgraph::{OPTIONS, render_raw_args};
use testbed::rrd::{Rrdcached, TrafficRrd};

#[test]
fn librrd_accepts_every_option_and_element_we_emit() {
    // `--daemon` needs a live rrdcached: the RRD lives in its base directory.
    let cached = Rrdcached::start().unwrap();
    // Traffic up to now: the catalog's DEFs also read `end-1d` to `now`.
    let rrd = TrafficRrd::builder()
        .hours(26)
        .end_now()
        .create_in(cached.base_dir())
        .unwrap();
    let end = rrd.last_update();
    let path = rrd.path().to_str().unwrap().to_owned();
    let specs = testbed::rrdgraph::catalog("-", &path, "eth0_in");
    // One per option, plus the all-elements graph.
    assert_eq!(specs.len(), OPTIONS.len() + 1);

    let mut failures = Vec::new();
    let mut options_seen = 0;
    for spec in &specs {
        let mut args = spec.to_args();
        // The example daemon address is a system path: point it at ours.
        if let Some(i) = args.iter().position(|a| a == "--daemon" || a == "-d") {
            args[i + 1] = cached.address();
        }
        // Relative start times would read outside the fixture's data: pin the range.
        if !args.iter().any(|a| a.starts_with("--start") || a == "-s") {
            args.splice(
                1..1,
                [
                    "--start".to_owned(),
                    (end - 86_400).to_string(),
                    "--end".into(),
                    end.to_string(),
                ],
            );
        }
        options_seen += usize::from(spec.options().len() == 1);
        match render_raw_args(&args) {
            Ok(r) => {
                if spec.draws() && r.image().is_none() {
                    failures.push(format!("{args:?}: no image"));
                }
            }
            Err(e) => failures.push(format!("{args:?}\n    -> {e}")),
        }
    }
    assert_eq!(options_seen, OPTIONS.len());
    assert!(
        failures.is_empty(),
        "librrd {} refused {} of {} graphs:\n{}",
        rrdgraph::librrd_version(),
        failures.len(),
        specs.len(),
        failures.join("\n")
    );
}

#[test]
fn every_element_kind_is_in_the_catalog_graph() {
    let specs = testbed::rrdgraph::catalog("-", "/tmp/x.rrd", "eth0_in");
    let all = specs.last().unwrap();
    let args = all.to_args();
    for prefix in [
        "DEF:",
        "CDEF:",
        "VDEF:",
        "LINE",
        "AREA:",
        "STACK:",
        "TICK:",
        "SHIFT:",
        "HRULE:",
        "VRULE:",
        "TEXTALIGN:",
        "COMMENT:",
        "PRINT:",
        "GPRINT:",
    ] {
        assert!(
            args.iter().any(|a| a.starts_with(prefix)),
            "no {prefix} element in {args:?}"
        );
    }
}
