//! Integration tests of `rrdgraph` against real components.
mod render;
mod ops;
mod batch;
mod conformance;
mod table;
mod fidelity;
mod codegen;
mod errors;
mod props;
mod recipe;
mod snapshots;
mod defects;
mod rpn;
mod agreement;
