//! A report accounts for every (target, port) given, with targets that cannot be traced:
//! their failures are found before any socket opens, so these need no root.

use proptest::prelude::*;
use tcptrace::{TargetError, TraceConfig};

/// Targets that fail without leaving the process: addresses no trace can reach, and names
/// with a NUL byte, which Rust refuses before the resolver sees them.
fn failing_target() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0.0.0.0",
            "::",
            "[::]",
            "224.0.0.1",
            "ff02::1",
            "::ffff:224.0.0.5",
            "255.255.255.255",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,8}".prop_map(|s| format!("{s}\0.test")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_failed_target_is_listed_and_counted(
        targets in prop::collection::vec(failing_target(), 1..12),
        ports in prop::collection::btree_set(1u16.., 1..4),
    ) {
        let ports: Vec<u16> = ports.into_iter().collect();
        let config = TraceConfig::builder()
            .targets(targets.clone())
            .ports(ports.clone())
            .build()
            .unwrap();
        let report = tcptrace::trace(&config).unwrap();
        prop_assert!(report.traces.is_empty());
        let listed: Vec<&str> = report.failed_targets.iter().map(|f| f.target.as_str()).collect();
        let given: Vec<&str> = config.targets().iter().map(String::as_str).collect();
        prop_assert_eq!(listed, given, "every target once, in the order given");
        for f in &report.failed_targets {
            prop_assert_eq!(&f.ports, &ports);
            let typed = if f.target.contains('\0') {
                matches!(f.reason, TargetError::Resolve { .. })
            } else {
                matches!(f.reason, TargetError::Unusable { .. })
            };
            prop_assert!(typed, "{f}");
        }
        let tally = report.tally();
        prop_assert_eq!(tally.planned, targets.len() * ports.len());
        prop_assert_eq!(tally.failed, tally.planned);
        prop_assert_eq!(tally.planned, tally.complete + tally.cut + tally.failed);
        // JSON keeps them.
        let back = tcptrace::TraceReport::from_json(&report.to_json_pretty().unwrap()).unwrap();
        prop_assert_eq!(back, report);
    }
}

#[test]
fn failed_targets_in_json_table_and_summary() {
    let config = TraceConfig::builder()
        .targets(["224.0.0.1", "bad\0name"])
        .ports([80, 443])
        .build()
        .unwrap();
    let report = tcptrace::trace(&config).unwrap();
    let v: serde_json::Value = serde_json::from_str(&report.to_json_pretty().unwrap()).unwrap();
    assert_eq!(
        v["failed_targets"][0],
        serde_json::json!({"target": "224.0.0.1", "ports": [80, 443],
            "reason": {"unusable": {"addr": "224.0.0.1", "kind": "multicast"}}})
    );
    assert_eq!(v["failed_targets"][1]["target"], "bad\0name");
    assert!(
        v["failed_targets"][1]["reason"]["resolve"]["error"]
            .as_str()
            .unwrap()
            .contains("NUL"),
        "{v}"
    );
    assert_eq!(v["params"]["deadline_s"], 63.0, "{v}");
    let summary = report.summary();
    assert!(
        summary.starts_with(
            "224.0.0.1 port 80: not traced, 224.0.0.1 is a multicast address, which no trace \
             can reach\n224.0.0.1 port 443: not traced"
        ),
        "{summary}"
    );
    assert_eq!(summary.lines().count(), 4, "{summary}");
    assert_eq!(
        report.failed_targets[0].to_string(),
        "\"224.0.0.1\": 224.0.0.1 is a multicast address, which no trace can reach"
    );
}
