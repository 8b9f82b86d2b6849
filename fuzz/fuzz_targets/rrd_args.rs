//! Fuzzes the rrdtool graph argument parser: arbitrary argument lists (NUL-separated) and shell
//! lines must give a spec or a typed error, never a panic; every accepted spec must emit
//! arguments that parse back to the same spec.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rrdgraph::GraphSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args: Vec<&str> = text.split('\0').collect();
    if let Ok(spec) = GraphSpec::parse_args(&args) {
        let emitted = spec.to_args();
        let back = GraphSpec::parse_args(&emitted).expect("emitted arguments parse");
        assert_eq!(back, spec, "parse(emit(spec)) != spec for {emitted:?}");
        assert_eq!(back.to_args(), emitted);
        let _ = spec.to_rust();
    }
    if let Ok(spec) = GraphSpec::parse_command_line(text) {
        let back =
            GraphSpec::parse_command_line(&spec.to_command_line()).expect("quoted line parses");
        assert_eq!(back, spec);
    }
    let problems = GraphSpec::diagnose(&args);
    assert_eq!(problems.is_empty(), GraphSpec::parse_args(&args).is_ok());
    for arg in &args {
        let _ = rrdgraph::Element::parse(arg);
    }
});
