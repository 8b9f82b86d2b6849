//! Integration tests of `rrdgraph` against real components.
mod agreement;
mod batch;
mod codegen;
mod conformance;
mod defects;
mod difffuzz;
mod errors;
mod fidelity;
mod header;
mod maintain;
mod ops;
mod props;
mod recipe;
mod render;
mod rpn;
mod snapshots;
mod table;
