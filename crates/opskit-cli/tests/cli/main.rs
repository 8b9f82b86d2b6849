//! Tests of the `opskit` binary, run as a user would run it.

mod version;
