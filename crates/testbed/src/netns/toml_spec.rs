//! The TOML form of a test network description.

use serde::Deserialize;

use super::destination::Destination;
use super::error::{Error, Result};
use super::spec::TopologyBuilder;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    source: String,
    #[serde(default)]
    routers: Vec<String>,
    #[serde(default)]
    silent_routers: Vec<String>,
    #[serde(default)]
    destinations: Vec<DestinationFile>,
    #[serde(default)]
    chains: Vec<Vec<String>>,
    #[serde(default)]
    links: Vec<LinkFile>,
    #[serde(default)]
    linux_icmp_rate_limits: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationFile {
    name: String,
    #[serde(default)]
    listen: Vec<u16>,
    #[serde(default)]
    drop_ports: Vec<u16>,
    #[serde(default)]
    blackhole: bool,
    #[serde(default = "one")]
    addresses: u16,
}

fn one() -> u16 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkFile {
    a: String,
    b: String,
    #[serde(default)]
    loss: u8,
}

impl TopologyBuilder {
    /// Reads a description written in TOML.
    ///
    /// ```
    /// let builder = testbed::netns::TopologyBuilder::from_toml(r#"
    ///     source = "src"
    ///     routers = ["r1", "r2"]
    ///     silent_routers = ["r3"]
    ///     chains = [["src", "r1", "r2", "r3", "web"]]
    ///     linux_icmp_rate_limits = false  # true: routers keep Linux's default ICMP limits
    ///
    ///     [[destinations]]
    ///     name = "web"
    ///     listen = [80]        # SYN-ACK
    ///     drop_ports = [8080]  # no answer; every other port answers RST
    ///     blackhole = false    # true drops all TCP and UDP
    ///     addresses = 4        # service addresses per family
    ///
    ///     [[links]]            # links beyond the chains, e.g. ECMP branches
    ///     a = "r1"
    ///     b = "r3"
    ///     loss = 10            # percent dropped in each direction
    /// "#)?;
    /// # Ok::<(), testbed::netns::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Toml`] when the text is not a valid description, or the first error of the
    /// description itself ([`Error::InvalidSpec`], [`Error::UnknownNode`]).
    pub fn from_toml(text: &str) -> Result<Self> {
        Self::parse_toml(text)
    }

    /// Reads a description from a TOML file; see [`from_toml`](Self::from_toml).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, otherwise as
    /// [`from_toml`](Self::from_toml).
    pub fn from_toml_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("read {}", path.display()), &e))?;
        Self::parse_toml(&text)
    }

    fn parse_toml(text: &str) -> Result<Self> {
        let file: File = toml::from_str(text).map_err(|e| Error::Toml(e.to_string()))?;
        let mut b = Self::new().source(&file.source).routers(&file.routers);
        for r in &file.silent_routers {
            b = b.silent_router(r);
        }
        for d in file.destinations {
            let mut dest = Destination::new().addresses(d.addresses);
            if d.blackhole {
                dest = dest.blackhole();
            }
            for p in d.listen {
                dest = dest.listen(p);
            }
            for p in d.drop_ports {
                dest = dest.drop_port(p);
            }
            b = b.destination(&d.name, dest);
        }
        for c in &file.chains {
            b = b.chain(c);
        }
        for l in &file.links {
            b = b.lossy_link(&l.a, &l.b, l.loss);
        }
        if file.linux_icmp_rate_limits {
            b = b.linux_icmp_rate_limits();
        }
        b.plan()?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netns::Reply;

    #[test]
    fn toml_matches_builder() {
        let b = TopologyBuilder::from_toml(
            r#"
            source = "s"
            routers = ["a", "b"]
            chains = [["s", "a", "b", "d"]]
            linux_icmp_rate_limits = true
            [[destinations]]
            name = "d"
            listen = [443]
            addresses = 2
            "#,
        )
        .unwrap();
        let plan = b.plan().unwrap();
        assert!(plan.linux_icmp_rate_limits);
        let gt = plan.ground_truth("198.19.0.2".parse().unwrap()).unwrap();
        assert_eq!(gt.destination_ttl, 3);
        assert_eq!(gt.reply(443), Reply::SynAck);
        assert_eq!(gt.reply(80), Reply::Rst);
    }

    #[test]
    fn toml_errors() {
        assert!(matches!(
            TopologyBuilder::from_toml("source = 3"),
            Err(Error::Toml(_))
        ));
        assert!(matches!(
            TopologyBuilder::from_toml("source = \"s\"\nrouterz = []"),
            Err(Error::Toml(_))
        ));
        assert!(matches!(
            TopologyBuilder::from_toml("source = \"s\"\nchains = [[\"s\", \"x\"]]"),
            Err(Error::UnknownNode(_))
        ));
    }
}
