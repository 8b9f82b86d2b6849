//! scamper's `tracelb` (the MDA over TCP, varying the source port) run as an oracle in a
//! namespace test network: the interfaces it finds and the probes it sends.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::netns::Topology;

/// What `tracelb` found towards one target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tracelb {
    /// Every interface it found: its nodes, and the hops of its links (scamper keeps the
    /// TTLs between two nodes it did not resolve as one link of several hops).
    pub interfaces: BTreeSet<IpAddr>,
    /// The probes it sent (`probec`).
    pub probes: u64,
}

/// The result of one `scamper` run over several targets.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TracelbRun {
    /// Per target, what it found (a target without a record is absent).
    pub targets: BTreeMap<IpAddr, Tracelb>,
    /// The wall time of the whole process.
    pub wall: Duration,
}

/// Runs one `scamper` process in the source namespace of `net` with one
/// `tracelb -P tcp-sport -d PORT -w WAIT` per target (scamper's defaults otherwise: 95%
/// confidence, a probe every 250 ms per trace, 2 attempts), at up to `pps` probes a second.
///
/// # Errors
///
/// A message when scamper cannot be run or fails.
pub fn tracelb(
    net: &Topology,
    targets: &[IpAddr],
    port: u16,
    wait_s: u32,
    pps: u32,
) -> Result<TracelbRun, String> {
    let mut cmd = net
        .command(net.source(), "scamper")
        .map_err(|e| e.to_string())?;
    cmd.args(["-O", "json", "-p", &pps.to_string()]);
    for t in targets {
        cmd.arg("-I")
            .arg(format!("tracelb -P tcp-sport -d {port} -w {wait_s} {t}"));
    }
    let start = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running scamper: {e}"))?;
    let wall = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "scamper: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(TracelbRun {
        targets: parse(&String::from_utf8_lossy(&out.stdout)),
        wall,
    })
}

/// The `tracelb` records of scamper's JSON output, by destination.
pub fn parse(text: &str) -> BTreeMap<IpAddr, Tracelb> {
    let addr = |v: &serde_json::Value| v["addr"].as_str().and_then(|a| a.parse::<IpAddr>().ok());
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(dst) = v["dst"].as_str().and_then(|a| a.parse::<IpAddr>().ok()) else {
            continue;
        };
        if v["type"] != "tracelb" {
            continue;
        }
        let mut t = Tracelb {
            probes: v["probec"].as_u64().unwrap_or(0),
            ..Tracelb::default()
        };
        for node in v["nodes"].as_array().into_iter().flatten() {
            t.interfaces.extend(addr(node));
            for link in node["links"].as_array().into_iter().flatten() {
                for hop in link.as_array().into_iter().flatten() {
                    t.interfaces.extend(addr(hop));
                }
            }
        }
        out.insert(dst, t);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_nodes_and_link_hops() {
        let text = concat!(
            r#"{"type":"cycle-start"}"#,
            "\n",
            r#"{"type":"tracelb","dst":"198.19.0.1","probec":24,"nodes":[{"addr":"198.18.0.2","#,
            r#""links":[[{"addr":"198.18.2.2"},{"addr":"198.18.4.2"}],[{"addr":"198.19.0.1"}]]}]}"#,
            "\n"
        );
        let got = super::parse(text);
        let t = &got[&"198.19.0.1".parse().unwrap()];
        assert_eq!(t.probes, 24);
        assert_eq!(t.interfaces.len(), 4);
    }
}
