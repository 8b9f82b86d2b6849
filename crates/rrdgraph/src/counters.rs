//! The kernel's interface counters, from `/proc/net/dev`.
//!
//! The file is read through `/proc/thread-self/net/dev`: it lists the interfaces of the
//! network namespace of the *calling thread*, so a collector thread that entered a namespace
//! reads that namespace's interfaces (plain `/proc/net/dev` follows the process's main thread).

use std::path::Path;

use crate::rrd_error::RrdError;

/// Where the counters of the calling thread's network namespace are.
pub const PROC_NET_DEV: &str = "/proc/thread-self/net/dev";

/// The byte counters of one interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct IfaceCounters {
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
}

impl IfaceCounters {
    /// Counters with these byte counts.
    pub fn new(rx_bytes: u64, tx_bytes: u64) -> Self {
        Self { rx_bytes, tx_bytes }
    }
}

/// Finds `iface` in the text of `/proc/net/dev`: `Ok(None)` when it is not listed.
///
/// # Errors
///
/// [`RrdError::Counters`] when the interface's line is not the kernel's format.
pub fn parse_proc_net_dev(text: &str, iface: &str) -> Result<Option<IfaceCounters>, RrdError> {
    // Interface names cannot hold ':' (the kernel refuses them), so the first ':' ends it.
    let Some(fields) = text.lines().skip(2).find_map(|line| {
        let (name, rest) = line.split_once(':')?;
        (name.trim() == iface).then_some(rest)
    }) else {
        return Ok(None);
    };
    let bad = |reason: String| RrdError::Counters {
        iface: iface.to_owned(),
        reason,
    };
    let numbers = fields
        .split_whitespace()
        .map(str::parse::<u64>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("a counter is not a number: {e}")))?;
    // 8 receive fields (bytes first), then 8 transmit fields (bytes first).
    match numbers[..] {
        [rx, _, _, _, _, _, _, _, tx, ..] if numbers.len() == 16 => {
            Ok(Some(IfaceCounters::new(rx, tx)))
        }
        _ => Err(bad(format!(
            "{} counters, /proc/net/dev has 16",
            numbers.len()
        ))),
    }
}

/// Reads the counters of `iface` from `file` (normally [`PROC_NET_DEV`]): `Ok(None)` when the
/// interface does not exist.
///
/// # Errors
///
/// [`RrdError::Counters`] when the file cannot be read or is not in the kernel's format.
pub fn read_counters(file: &Path, iface: &str) -> Result<Option<IfaceCounters>, RrdError> {
    let text = std::fs::read_to_string(file).map_err(|e| RrdError::Counters {
        iface: iface.to_owned(),
        reason: format!("reading {}: {e}", file.display()),
    })?;
    parse_proc_net_dev(&text, iface)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0
  eth0: 18446744073709551615 7 0 0 0 0 0 0 4294967296 9 0 0 0 0 0 0
veth-a.1:      42       1    0    0    0     0          0         0       84       2    0    0    0     0       0          0
";

    #[test]
    fn finds_the_interface_and_its_byte_counters() {
        assert_eq!(
            parse_proc_net_dev(SAMPLE, "eth0").unwrap(),
            Some(IfaceCounters::new(u64::MAX, 1 << 32))
        );
        assert_eq!(
            parse_proc_net_dev(SAMPLE, "veth-a.1").unwrap(),
            Some(IfaceCounters::new(42, 84))
        );
        assert_eq!(parse_proc_net_dev(SAMPLE, "eth1").unwrap(), None);
        // The header lines are never read as interfaces.
        assert_eq!(parse_proc_net_dev(SAMPLE, "face |bytes").unwrap(), None);
    }

    #[test]
    fn a_line_not_in_the_kernels_format_is_an_error() {
        let text = "h\nh\n  eth0: 1 2 3\n";
        assert!(matches!(
            parse_proc_net_dev(text, "eth0"),
            Err(RrdError::Counters { .. })
        ));
        let text = "h\nh\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n";
        assert!(parse_proc_net_dev(text, "eth0").is_err());
    }

    #[test]
    fn reads_this_threads_namespace() {
        let lo = read_counters(Path::new(PROC_NET_DEV), "lo").unwrap();
        assert!(lo.is_some());
        assert!(read_counters(Path::new("/nonexistent/dev"), "lo").is_err());
    }
}
