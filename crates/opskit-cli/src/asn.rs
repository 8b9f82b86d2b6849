//! `opskit asn`: the autonomous system of addresses, from offline databases or whois.
//!
//! Prints one line per input: `address<TAB>asn<TAB>name` for an address whose AS was found;
//! `address<TAB>-<TAB>-<TAB>reason` for one that is not routed and
//! `address<TAB>?<TAB>?<TAB>reason` for one the backends could not tell about, with the
//! library's [`UnresolvedReason`] as the reason. With `--geo-db`, the country and city come
//! after the name (`-` when unknown). `AS<n>` inputs look up the name of AS `n`.
//! `--json` prints a JSON array of objects instead, the library's
//! [`LookupLine`]s, which the JSON Schema `schemas/asn.json` of the opskit sources describes.

use std::io::{self, BufRead, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use asn_lookup::{
    AddressLine, AsName, AsnResolver, BatchTally, Chain, Geo, GeoDatabase, LookupLine, NameLine,
    Outcome, UnresolvedReason, WhoisResolver, WhoisService, open_database,
};
use serde::Serialize;

use crate::error::{Context as _, Error, Exit, warn};

/// Addresses resolved per batch (whois gets one bulk query per batch).
const BATCH: usize = 10_000;

/// The output and its reasons, for `--help`.
const OUTPUT_HELP: &str = "\
Output: one line per input, tab-separated. An address whose AS was found prints
`address  asn  name`. Any other address prints a fourth column with the reason:
`address  -  -  reason` when no AS announces it, `address  ?  ?  reason` when it could not
be told. Reasons: special (a private or other special-purpose address, never sent anywhere),
not_announced (a database or whois service says no AS announces it), no_data (no backend
has data for it), and the failures: deadline (the whois batch's --whois-timeout passed, or
the server was silent for 10 s), unreachable (connection refused or timed out, or the
server's name did not resolve), reset (the connection was reset mid-reply), bad_reply (not
a whois reply, cut short, or over 4 MiB), backend_failed (anything else), not_asked (never
sent: an earlier exchange of the batch failed). With --json each object has `status`
(found, not_routed, unknown), `reason` and, for failures, `error`. A failure anywhere makes
the exit status 1, and stderr counts the failed addresses by reason.

With --geo-db, two columns follow the name: the country (ISO 3166-1 alpha-2) and the city,
`-` when the database does not know them (`address  asn  name  country  city [reason]`);
--json objects get `geo` (country, region, city, lat, lon, as the database has them).
--geo-db alone (no --db or --whois) prints `?` for the AS with reason no_data.";

/// Arguments of `opskit asn`.
#[derive(clap::Args)]
#[command(after_long_help = OUTPUT_HELP)]
pub(crate) struct Args {
    /// Offline AS database: ip-location-db CSV, iptoasn TSV, pyasn .dat or MMDB (format
    /// detected). Repeat to consult several in order, e.g. the IPv4 and IPv6 halves.
    #[arg(long = "db", value_name = "FILE")]
    db: Vec<PathBuf>,
    /// Geography database: an ip-location-db country or city CSV table (addresses or -num
    /// integers) or an MMDB (GeoLite2-City/Country, ip-location-db's geolite2-city), format
    /// detected. Adds the country and city of each address. Repeat for the IPv4 and IPv6
    /// halves; the first that knows an address answers.
    #[arg(long = "geo-db", value_name = "FILE")]
    geo_db: Vec<PathBuf>,
    /// Online backend, asked after the databases for what they leave unresolved: Team Cymru
    /// gets one bulk query per 1,000 addresses, RIS and RADB one query per address over 4
    /// connections at once; replies over 4 MiB are refused.
    #[arg(long, value_name = "SERVICE", value_parser = ["cymru", "ris", "radb"])]
    whois: Option<String>,
    /// Whois server to use instead of the service's public one.
    #[arg(long, value_name = "HOST:PORT", requires = "whois")]
    whois_server: Option<String>,
    /// Time allowed for each batch of up to 10,000 whois lookups, name lookup of the server
    /// included, in seconds (default 30; at most 3600). Connects wait at most 5 s and reads
    /// at most 10 s of silence within it. The first failed exchange ends the batch. The
    /// answers that came before are printed; every other address of the batch is printed as
    /// unresolved (`?`) with its reason (listed below), the addresses never sent included
    /// (`reason` and `error` in JSON). Stderr counts them by reason with the first error, and
    /// the exit status is 1.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    whois_timeout: f64,
    /// Print a JSON array instead of tab-separated lines, described by the JSON Schema
    /// `schemas/asn.json` of the opskit sources.
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

/// Every address of the run by outcome, and the first failure.
#[derive(Default)]
struct Shortfall {
    tally: BatchTally,
    first_error: Option<String>,
    /// Addresses whose geography lookup failed, and the first such error.
    geo_failed: usize,
    first_geo_error: Option<String>,
}

fn build_resolver(args: &Args) -> crate::error::Result<Chain> {
    if args.db.is_empty() && args.whois.is_none() && args.geo_db.is_empty() {
        return Err(Error::Usage(
            "give --db FILE and/or --whois cymru|ris|radb (and/or --geo-db FILE)".into(),
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

/// Opens every `--geo-db`, in order; `None` without any.
fn open_geo(paths: &[PathBuf]) -> crate::error::Result<Option<GeoDatabase>> {
    let db = GeoDatabase::open_all(paths).context("--geo-db")?;
    Ok((!db.is_empty()).then_some(db))
}

struct Printer<W: Write> {
    out: W,
    json: bool,
    first: bool,
    /// Whether the lines carry the geography columns.
    geo: bool,
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

    fn outcome(
        &mut self,
        token: &str,
        outcome: Option<&Outcome>,
        geo: Option<Geo>,
    ) -> io::Result<()> {
        if self.json {
            return self.json_item(&LookupLine::Address(
                AddressLine::new(token, outcome).with_geo(geo),
            ));
        }
        let place = if self.geo {
            let (cc, city) = geo.as_ref().map_or(("-", "-"), |g| {
                (g.country.as_str(), g.city.as_deref().unwrap_or("-"))
            });
            format!("\t{cc}\t{city}")
        } else {
            String::new()
        };
        let found = outcome.and_then(Outcome::found);
        let reason = outcome.map_or(Some(UnresolvedReason::NotAsked), Outcome::reason);
        match (found, reason) {
            (Some(info), _) => {
                writeln!(
                    self.out,
                    "{token}\t{}\t{}{place}",
                    info.asn,
                    info.name_or_empty()
                )
            }
            (None, Some(r @ (UnresolvedReason::Special | UnresolvedReason::NotAnnounced))) => {
                writeln!(self.out, "{token}\t-\t-{place}\t{r}")
            }
            (None, r) => writeln!(
                self.out,
                "{token}\t?\t?{place}\t{}",
                r.unwrap_or(UnresolvedReason::NoData)
            ),
        }
    }

    fn name(&mut self, asn: u32, name: Option<&AsName>) -> io::Result<()> {
        if self.json {
            return self.json_item(&LookupLine::Name(NameLine::new(asn, name.cloned())));
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

/// Resolves one batch of tokens and prints them in order, each address with its outcome. A
/// failed backend (a dead or silent whois server) does not lose what the databases before it
/// answered: only the addresses it left open are printed as unresolved, with their reason,
/// and counted in `short`.
fn flush_batch<W: Write>(
    resolver: &Chain,
    geo: Option<&GeoDatabase>,
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
    let batch = resolver.resolve_batch(&ips);
    short.tally.add(&batch.tally());
    if short.first_error.is_none() {
        short.first_error = batch.first_error().map(ToString::to_string);
    }
    let mut outcomes = batch.into_entries().into_iter().map(|e| e.outcome);
    for (token, input) in batch_tokens.drain(..) {
        match input {
            Input::Addr(ip) => {
                let place = match geo.map(|db| db.lookup(ip)) {
                    Some(Ok(place)) => place,
                    Some(Err(e)) => {
                        short.geo_failed += 1;
                        short.first_geo_error.get_or_insert_with(|| e.to_string());
                        None
                    }
                    None => None,
                };
                // The report has one entry per address asked, in order; were one missing, the
                // address would still be printed, as never asked.
                printer.outcome(&token, outcomes.next().as_ref(), place)?;
            }
            Input::Asn(n) => {
                let name = resolver.as_name(n).map_err(|e| Failure::Other(e.into()))?;
                printer.name(n, name.as_ref())?;
            }
        }
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
    geo: Option<&GeoDatabase>,
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
            flush_batch(resolver, geo, &mut batch, printer, short)?;
        }
    }
    flush_batch(resolver, geo, &mut batch, printer, short)
}

pub(crate) fn run(args: Args) -> crate::error::Result<Exit> {
    let resolver = build_resolver(&args)?;
    let geo = open_geo(&args.geo_db)?;
    let Args {
        json, addresses, ..
    } = args;
    let stdout = io::stdout();
    let mut printer = Printer {
        out: BufWriter::new(stdout.lock()),
        json,
        first: true,
        geo: geo.is_some(),
    };
    let mut bad_input = false;
    let mut short = Shortfall::default();
    let result = printer.start().map_err(Failure::from).and_then(|()| {
        if addresses.is_empty() {
            from_stdin(
                &resolver,
                geo.as_ref(),
                &mut printer,
                &mut bad_input,
                &mut short,
            )?;
        } else {
            let mut batch = Vec::new();
            for token in &addresses {
                take(token, "", &mut batch, &mut bad_input);
            }
            flush_batch(
                &resolver,
                geo.as_ref(),
                &mut batch,
                &mut printer,
                &mut short,
            )?;
        }
        printer.finish().map_err(Failure::from)
    });
    let failed = short.tally.failed();
    if failed > 0 {
        let reasons: Vec<String> = short
            .tally
            .unresolved
            .iter()
            .filter(|(r, _)| r.is_failure())
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        warn(format_args!(
            "{failed} address(es) unresolved ({}) of {} given: {}",
            reasons.join(", "),
            short.tally.given,
            short.first_error.as_deref().unwrap_or("a backend failed")
        ));
    }
    if short.geo_failed > 0 {
        warn(format_args!(
            "{} address(es) without geography, their lookup failed: {}",
            short.geo_failed,
            short
                .first_geo_error
                .as_deref()
                .unwrap_or("a geography lookup failed")
        ));
    }
    let failed = failed + short.geo_failed;
    match result {
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Exit::SUCCESS),
        Err(Failure::Output(e)) => Err(Error::io("writing output", e)),
        Err(Failure::Other(e)) => {
            let _ = printer.out.flush();
            Err(e)
        }
        Ok(()) if bad_input || failed > 0 => Ok(Exit::PARTIAL),
        Ok(()) => Ok(Exit::SUCCESS),
    }
}
