//! TCP SYN traceroute (under construction: the model is stable).
//!
//! Ownership while two people build this crate: the AS resolution work owns `asn.rs`, `asn/`
//! and the block between the `asn:` markers below; everything else belongs to the engine work.

mod error;
mod model;

pub use error::{ConfigError, Error, Result};
pub use model::{Hop, MplsLabel, Reply, ReplyKind, StopReason, Trace, TraceParams, TraceReport};

// --- asn: modules and exports ---
// --- asn: end ---
