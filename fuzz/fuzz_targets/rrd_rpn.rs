//! Fuzzes the RPN and VDEF expression parsers: no panic, and accepted expressions print back to
//! text that parses to the same expression.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rrdgraph::{Rpn, VDefExpr};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rpn) = text.parse::<Rpn>() {
        assert!(rpn.check().is_ok());
        let back: Rpn = rpn.to_string().parse().expect("printed RPN parses");
        assert_eq!(back, rpn);
    }
    if let Ok(v) = text.parse::<VDefExpr>() {
        let back: VDefExpr = v.to_string().parse().expect("printed VDEF parses");
        assert_eq!(back, v);
    }
});
