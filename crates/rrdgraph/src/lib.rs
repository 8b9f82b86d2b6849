//! Under construction.
//!
//! Ownership while two people build this crate: the librrd work owns `render.rs`, `ops.rs`,
//! `batch.rs`, `ffi.rs` (and folders of those names) and the block between the `librrd:`
//! markers below; everything else belongs to the spec work.

// --- librrd: modules and exports ---
// --- librrd: end ---
