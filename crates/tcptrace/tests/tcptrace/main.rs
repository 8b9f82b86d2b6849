//! Integration tests of `tcptrace` against real components.
