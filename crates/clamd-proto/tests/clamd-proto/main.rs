//! Integration tests of `clamd-proto` against real components.
