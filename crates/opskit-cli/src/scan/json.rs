//! The `--json` document of `opskit scan`: the library's `FleetReport` (or, for a policy
//! environment, its `EnvReport`) serialized (the format is in the parent module's docs).

use std::io::{self, Write};

/// Writes the report as one JSON document and a newline. Results are serialized one at a time
/// as they are written: the document is never held in memory.
pub(super) fn write(out: &mut impl Write, report: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, report)?;
    writeln!(out)
}
