//! The "central virus scan" recipe: a management host asks every server's clamd to scan its
//! web root, in parallel, and reports per host.
//!
//! With no arguments it runs on private defaults: two private clamd instances stand in for two
//! servers, each with its own `www` directory; an EICAR test file is planted on the first one
//! only. Both are scanned at once with MULTISCAN, and the report is printed as
//! `<host> connection [OK]` followed by the scan lines, then written to
//! `target/demo/cluster_scan.txt` (or `$OPSKIT_DEMO_DIR/cluster_scan.txt`).
//!
//! Run: `cargo run --example cluster_scan`

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use opskit::clamd::{Client, EICAR, Endpoint, Error, ScanResult, Version};
use testbed::clamd::Clamd;

/// A host's version and scan lines, or why it failed.
type Outcome = Result<(Version, Vec<ScanResult>), Error>;

struct Host {
    name: String,
    client: Client,
    www: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let servers = [Clamd::start()?, Clamd::start()?];
    let mut hosts = Vec::new();
    for (i, clamd) in servers.iter().enumerate() {
        let www = clamd.dir().join("www");
        std::fs::create_dir_all(www.join("static"))?;
        std::fs::write(www.join("index.html"), b"<html>welcome</html>\n")?;
        std::fs::write(www.join("static/app.js"), b"console.log('hello');\n")?;
        if i == 0 {
            std::fs::write(www.join("static/upload.bin"), EICAR)?;
        }
        hosts.push(Host {
            name: clamd.tcp_addr().to_string(),
            client: Client::builder(Endpoint::from(clamd.tcp_addr()))
                .timeout(Duration::from_secs(60))
                .build()?,
            www,
        });
    }

    // Both hosts at once, each scanning its own web root with MULTISCAN.
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let jobs: Vec<_> = hosts
            .iter()
            .map(|h| {
                scope.spawn(|| {
                    h.client.ping()?;
                    let version = h.client.version()?;
                    Ok((version, h.client.multiscan(&h.www)?))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("scan thread panicked"))
            .collect()
    });

    let mut report = String::new();
    let mut infected = 0;
    for (host, outcome) in hosts.iter().zip(&outcomes) {
        match outcome {
            Ok((version, results)) => {
                writeln!(report, "{} connection [OK]", host.name)?;
                writeln!(report, "{} {version}", host.name)?;
                for r in results {
                    writeln!(report, "{r}")?;
                    infected += usize::from(r.is_infected());
                }
            }
            Err(e) => writeln!(report, "{} connection [FAILED] {e}", host.name)?,
        }
    }
    writeln!(report, "infected files: {infected}")?;
    print!("{report}");
    assert_eq!(
        infected, 1,
        "the planted EICAR file must be found, and only it"
    );

    let dir = std::env::var_os("OPSKIT_DEMO_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/demo"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("cluster_scan.txt");
    std::fs::write(&out, &report)?;
    println!("wrote {}", out.display());
    Ok(())
}
