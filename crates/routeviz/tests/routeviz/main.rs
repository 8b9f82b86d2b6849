//! Integration tests of `routeviz` against real components.
