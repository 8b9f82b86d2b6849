//! `opskit asn`: the autonomous system of addresses, from offline databases or whois.
//!
//! Prints one line per input: `address<TAB>asn<TAB>name`, with `-` in both columns for an
//! address that is not routed and `?` when the backends cannot tell. `AS<n>` inputs look up
//! the name of AS `n`. `--json` prints a JSON array of objects instead.

use std::io::{self, BufRead, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tcptrace::{
    AsName, AsnResolver, Chain, Resolution, WhoisResolver, WhoisService, open_database,
};

use crate::error::{Context as _, Error, Exit, warn};

/// Addresses resolved per batch (whois gets one bulk query per batch).
const BATCH: usize = 10_000;

/// Arguments of `opskit asn`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Offline AS database: ip-location-db CSV, iptoasn TSV, pyasn .dat or MMDB (format
    /// detected). Repeat to consult several in order, e.g. the IPv4 and IPv6 halves.
    #[arg(long = "db", value_name = "FILE")]
    db: Vec<PathBuf>,
    /// Online backend, asked after the databases for what they leave unresolved.
    #[arg(long, value_name = "SERVICE", value_parser = ["cymru", "ris", "radb"])]
    whois: Option<String>,
    /// Whois server to use instead of the service's public one.
    #[arg(long, value_name = "HOST:PORT", requires = "whois")]
    whois_server: Option<String>,
    /// Time allowed for each batch of up to 10,000 whois lookups, name lookup of the server
    /// included, in seconds. When it passes, or the server is unreachable, the databases'
    /// answers are still printed, every other address of the batch is printed as unresolved
    /// (`?`, with `error` in JSON), stderr says how many and why, and the exit status is 1.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    whois_timeout: f64,
    /// Print a JSON array instead of tab-separated lines.
    #[arg(long)]
    json: bool,
    /// Addresses (or `AS<n>` for a name lookup); read from standard input, one or more per
    /// line, when none are given.
    #[arg(value_name = "ADDRESS")]
    addresses: Vec<String>,
}

enum Input {
    Addr(IpAddr),
    Asn(u32),
}

fn parse_input(token: &str) -> Option<Input> {
    if let Some(n) = token
        .strip_prefix("AS")
        .or_else(|| token.strip_prefix("as"))
    {
        return n.parse().ok().map(Input::Asn);
    }
    token.parse().ok().map(Input::Addr)
}

#[derive(Serialize)]
struct JsonLine<'a> {
    address: String,
    #[serde(flatten)]
    resolution: &'a Resolution,
    /// Why the address is unresolved, when its batch failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Addresses left unresolved because their batch failed, and the first reason.
#[derive(Default)]
struct Shortfall {
    unresolved: usize,
    reason: Option<String>,
}

#[derive(Serialize)]
struct JsonName<'a> {
    asn: u32,
    name: Option<&'a AsName>,
}

fn build_resolver(args: &Args) -> crate::error::Result<Chain> {
    if args.db.is_empty() && args.whois.is_none() {
        return Err(Error::Usage(
            "give --db FILE and/or --whois cymru|ris|radb".into(),
        ));
    }
    if !(args.whois_timeout.is_finite() && args.whois_timeout > 0.0 && args.whois_timeout <= 3600.0)
    {
        return Err(Error::Usage(
            "--whois-timeout must be between 0 and 3600 seconds".into(),
        ));
    }
    let mut chain = Chain::new();
    for path in &args.db {
        chain =
            chain.then_boxed(open_database(path).context(format_args!("--db {}", path.display()))?);
    }
    if let Some(name) = &args.whois {
        let service: WhoisService = name.parse().context(format_args!("--whois {name}"))?;
        let deadline = Duration::from_secs_f64(args.whois_timeout);
        let mut b = WhoisResolver::builder(service)
            .deadline(deadline)
            .read_timeout(deadline.min(Duration::from_secs(10)))
            .connect_timeout(deadline.min(Duration::from_secs(5)));
        if let Some(server) = &args.whois_server {
            b = b.server(server);
        }
        chain = chain.then(b.build().context(format_args!("--whois {name}"))?);
    }
    Ok(chain)
}

struct Printer<W: Write> {
    out: W,
    json: bool,
    first: bool,
}

impl<W: Write> Printer<W> {
    fn start(&mut self) -> io::Result<()> {
        if self.json {
            self.out.write_all(b"[")?;
        }
        Ok(())
    }

    fn json_item(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n  " } else { b",\n  " })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, value).map_err(io::Error::other)
    }

    fn resolution(&mut self, token: &str, r: &Resolution, error: Option<&str>) -> io::Result<()> {
        if self.json {
            return self.json_item(&JsonLine {
                address: token.to_owned(),
                resolution: r,
                error,
            });
        }
        match r {
            Resolution::Found(info) => {
                writeln!(self.out, "{token}\t{}\t{}", info.asn, info.name_or_empty())
            }
            Resolution::NotRouted { .. } => writeln!(self.out, "{token}\t-\t-"),
            _ => writeln!(self.out, "{token}\t?\t?"),
        }
    }

    fn name(&mut self, asn: u32, name: Option<&AsName>) -> io::Result<()> {
        if self.json {
            return self.json_item(&JsonName { asn, name });
        }
        writeln!(
            self.out,
            "AS{asn}\t{asn}\t{}",
            name.map_or("?", AsName::as_str)
        )
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.json {
            self.out
                .write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()
    }
}

/// Why a run stopped early.
enum Failure {
    /// Writing standard output failed (a closed pipe ends the run quietly).
    Output(io::Error),
    /// Anything else.
    Other(Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Output(e)
    }
}

/// Resolves one batch of tokens and prints them in order. A failed backend (a dead or silent
/// whois server) does not lose what the databases before it answered: only the addresses it
/// left open are printed as unresolved (`?`) and counted in `short`.
fn flush_batch<W: Write>(
    resolver: &Chain,
    batch_tokens: &mut Vec<(String, Input)>,
    printer: &mut Printer<W>,
    short: &mut Shortfall,
) -> Result<(), Failure> {
    let ips: Vec<IpAddr> = batch_tokens
        .iter()
        .filter_map(|(_, i)| match i {
            Input::Addr(a) => Some(*a),
            Input::Asn(_) => None,
        })
        .collect();
    let batch = resolver.resolve_partial(&ips);
    let failure = batch.error.as_ref().map(ToString::to_string);
    let mut failed = vec![false; ips.len()];
    for &i in &batch.unresolved {
        failed[i] = true;
    }
    let mut answers = batch.answers.iter().zip(failed);
    for (token, input) in batch_tokens.drain(..) {
        match input {
            Input::Addr(_) => {
                let (r, failed) = answers
                    .next()
                    .map_or((Resolution::Unknown, true), |(r, f)| (r.clone(), f));
                let error = if failed { failure.as_deref() } else { None };
                // A database's "not routed" is not the last word when the whois backend after
                // it failed: the address is unresolved.
                let r = if error.is_some() {
                    short.unresolved += 1;
                    Resolution::Unknown
                } else {
                    r
                };
                printer.resolution(&token, &r, error)?;
            }
            Input::Asn(n) => {
                let name = resolver.as_name(n).map_err(|e| Failure::Other(e.into()))?;
                printer.name(n, name.as_ref())?;
            }
        }
    }
    if short.reason.is_none() && !batch.unresolved.is_empty() {
        short.reason = failure;
    }
    Ok(())
}

/// Queues a token, or reports it and remembers that the input had errors.
fn take(token: &str, origin: &str, batch: &mut Vec<(String, Input)>, bad_input: &mut bool) {
    if let Some(input) = parse_input(token) {
        batch.push((token.to_owned(), input));
    } else {
        let shown: String = token.chars().take(80).collect();
        warn(format_args!(
            "{origin}not an address or AS number: {shown:?}"
        ));
        *bad_input = true;
    }
}

/// Reads tokens from standard input, resolving and printing every [`BATCH`].
fn from_stdin<W: Write>(
    resolver: &Chain,
    printer: &mut Printer<W>,
    bad_input: &mut bool,
    short: &mut Shortfall,
) -> Result<(), Failure> {
    const MAX_LINE: u64 = 64 * 1024;
    let stdin = io::stdin();
    let mut lines = stdin.lock();
    let mut line = Vec::new();
    let mut batch = Vec::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        let n = io::Read::take(&mut lines, MAX_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::Other(Error::io("reading standard input", e)))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if line.last() != Some(&b'\n') && n as u64 == MAX_LINE {
            return Err(Failure::Other(Error::Usage(format!(
                "standard input line {line_no} is longer than 64 KiB"
            ))));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.split('#').next().unwrap_or_default();
        for token in text.split_whitespace() {
            take(token, &format!("line {line_no}: "), &mut batch, bad_input);
        }
        if batch.len() >= BATCH {
            flush_batch(resolver, &mut batch, printer, short)?;
        }
    }
    flush_batch(resolver, &mut batch, printer, short)
}

pub(crate) fn run(args: Args) -> crate::error::Result<Exit> {
    let resolver = build_resolver(&args)?;
    let Args {
        json, addresses, ..
    } = args;
    let stdout = io::stdout();
    let mut printer = Printer {
        out: BufWriter::new(stdout.lock()),
        json,
        first: true,
    };
    let mut bad_input = false;
    let mut short = Shortfall::default();
    let result = printer.start().map_err(Failure::from).and_then(|()| {
        if addresses.is_empty() {
            from_stdin(&resolver, &mut printer, &mut bad_input, &mut short)?;
        } else {
            let mut batch = Vec::new();
            for token in &addresses {
                take(token, "", &mut batch, &mut bad_input);
            }
            flush_batch(&resolver, &mut batch, &mut printer, &mut short)?;
        }
        printer.finish().map_err(Failure::from)
    });
    if let Some(reason) = &short.reason {
        warn(format_args!(
            "{} address(es) unresolved: {reason}",
            short.unresolved
        ));
    }
    match result {
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Exit::SUCCESS),
        Err(Failure::Output(e)) => Err(Error::io("writing output", e)),
        Err(Failure::Other(e)) => {
            let _ = printer.out.flush();
            Err(e)
        }
        Ok(()) if bad_input || short.reason.is_some() => Ok(Exit::PARTIAL),
        Ok(()) => Ok(Exit::SUCCESS),
    }
}
