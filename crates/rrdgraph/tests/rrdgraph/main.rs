//! Integration tests of `rrdgraph` against real components.
