//! The TOML policy file as written: every key, its span for error messages, and the checks
//! that turn it into [`Environment`]s.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::env::{DEFAULT_POLICY_CONCURRENCY, Environment, Exclude, PolicyMode};
use super::schedule::{Cron, Schedule};
use super::span;
use crate::endpoint::Endpoint;
use crate::error::PolicyError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    env: BTreeMap<String, Spanned<RawEnv>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnv {
    hosts: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    mode: Option<Spanned<String>>,
    paths: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    reload: bool,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    concurrency: Option<Spanned<i64>>,
    #[serde(default)]
    every: Option<Spanned<String>>,
    #[serde(default)]
    cron: Option<Spanned<String>>,
    #[serde(default)]
    max_db_age: Option<Spanned<String>>,
    #[serde(default)]
    tls_ca: Option<Spanned<String>>,
    #[serde(default)]
    tls_cert: Option<Spanned<String>>,
    #[serde(default)]
    tls_key: Option<Spanned<String>>,
}

/// Line and column (from 1) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

struct Source<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> PolicyError {
        let (line, column) = position(self.text, span.map_or(0, |s| s.start));
        PolicyError {
            origin: self.origin.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// The most environments, hosts per environment, paths and patterns a policy may have: a
/// bound on what a policy file can make the scanner hold.
pub(crate) const MAX_ITEMS: usize = 10_000;

/// Parses the policy text; `origin` names it in errors.
pub(crate) fn parse(origin: &str, text: &str) -> Result<Vec<Environment>, PolicyError> {
    let src = Source { origin, text };
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        // toml's message repeats the position and the line; keep its first line only.
        let message = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_owned();
        src.error(e.span(), message)
    })?;
    if raw.env.is_empty() {
        return Err(src.error(
            None,
            "the policy has no environment: add an [env.NAME] table",
        ));
    }
    if raw.env.len() > MAX_ITEMS {
        return Err(src.error(None, format!("more than {MAX_ITEMS} environments")));
    }
    raw.env
        .into_iter()
        .map(|(name, env)| environment(&src, name, env))
        .collect()
}

fn environment(
    src: &Source<'_>,
    name: String,
    env: Spanned<RawEnv>,
) -> Result<Environment, PolicyError> {
    let at = env.span();
    let env = env.into_inner();
    let ctx = |m: String| format!("env.{name}: {m}");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(src.error(
            Some(at),
            format!("environment name {name:?}: use letters, digits, - and _"),
        ));
    }
    let list = |what: &str, v: &Spanned<Vec<Spanned<String>>>| {
        if v.get_ref().is_empty() {
            return Err(src.error(Some(v.span()), ctx(format!("`{what}` is empty"))));
        }
        if v.get_ref().len() > MAX_ITEMS {
            return Err(src.error(
                Some(v.span()),
                ctx(format!("`{what}` has more than {MAX_ITEMS} entries")),
            ));
        }
        Ok(())
    };
    list("hosts", &env.hosts)?;
    list("paths", &env.paths)?;
    let hosts = hosts(src, &env.hosts, &ctx)?;
    let mode = match &env.mode {
        None => PolicyMode::ContScan,
        Some(m) => m
            .get_ref()
            .parse()
            .map_err(|e: String| src.error(Some(m.span()), ctx(e)))?,
    };
    let paths = paths(src, &env.paths, &ctx)?;
    if env.exclude.len() > MAX_ITEMS {
        return Err(src.error(
            Some(at),
            ctx(format!("more than {MAX_ITEMS} exclude patterns")),
        ));
    }
    let mut exclude = Exclude::builder();
    for x in &env.exclude {
        exclude = exclude
            .add(x.get_ref())
            .map_err(|e| src.error(Some(x.span()), ctx(e)))?;
    }
    let exclude = exclude
        .build()
        .map_err(|e| src.error(Some(at.clone()), ctx(e)))?;
    let spanned = |key: &str, v: &Option<Spanned<String>>| {
        v.as_ref()
            .map(|s| {
                span::parse(s.get_ref())
                    .map_err(|e| src.error(Some(s.span()), ctx(format!("`{key}`: {e}"))))
            })
            .transpose()
    };
    let timeout = spanned("timeout", &env.timeout)?.unwrap_or(crate::DEFAULT_HOST_TIMEOUT);
    let max_db_age = spanned("max_db_age", &env.max_db_age)?;
    let concurrency = match &env.concurrency {
        None => DEFAULT_POLICY_CONCURRENCY,
        Some(c) => match usize::try_from(*c.get_ref()) {
            Ok(n) if (1..=1024).contains(&n) => n,
            _ => {
                return Err(src.error(
                    Some(c.span()),
                    ctx(format!("`concurrency` {} is not in 1..=1024", c.get_ref())),
                ));
            }
        },
    };
    let schedule = schedule(src, &env, &ctx)?;
    let [tls_ca, tls_cert, tls_key] = tls(src, &env, &ctx)?;
    Ok(Environment {
        name,
        hosts,
        mode,
        paths,
        exclude,
        reload: env.reload,
        timeout,
        concurrency,
        schedule,
        max_db_age,
        tls_ca,
        tls_cert,
        tls_key,
    })
}

/// The TLS files `[tls_ca, tls_cert, tls_key]`: absolute paths, the certificate and key
/// together and only with a CA. They are read when the environment's fleet is built.
fn tls(
    src: &Source<'_>,
    env: &RawEnv,
    ctx: &dyn Fn(String) -> String,
) -> Result<[Option<PathBuf>; 3], PolicyError> {
    let keys = [
        ("tls_ca", &env.tls_ca),
        ("tls_cert", &env.tls_cert),
        ("tls_key", &env.tls_key),
    ];
    let mut paths = [None, None, None];
    for ((key, value), slot) in keys.into_iter().zip(&mut paths) {
        let Some(v) = value else { continue };
        if !cfg!(feature = "tls") {
            return Err(src.error(
                Some(v.span()),
                ctx(format!(
                    "`{key}`: this build has no TLS support (clamd-proto feature `tls`)"
                )),
            ));
        }
        let path = PathBuf::from(v.get_ref());
        if v.get_ref().contains('\0') || !path.is_absolute() {
            return Err(src.error(
                Some(v.span()),
                ctx(format!(
                    "`{key}` {:?} is not an absolute path; a policy names absolute paths",
                    v.get_ref()
                )),
            ));
        }
        *slot = Some(path);
    }
    let [ca, cert, key] = paths;
    let at = |v: &Option<Spanned<String>>| v.as_ref().map(Spanned::span);
    match (&cert, &key) {
        (Some(_), None) => {
            return Err(src.error(
                at(&env.tls_cert),
                ctx("`tls_cert` needs its `tls_key`".into()),
            ));
        }
        (None, Some(_)) => {
            return Err(src.error(
                at(&env.tls_key),
                ctx("`tls_key` needs its `tls_cert`".into()),
            ));
        }
        _ => {}
    }
    if cert.is_some() && ca.is_none() {
        return Err(src.error(
            at(&env.tls_cert),
            ctx("`tls_cert` needs a `tls_ca` to verify the servers with".into()),
        ));
    }
    Ok([ca, cert, key])
}

fn paths(
    src: &Source<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    ctx: &dyn Fn(String) -> String,
) -> Result<Vec<PathBuf>, PolicyError> {
    let mut paths = Vec::new();
    for p in list.get_ref() {
        let path = PathBuf::from(p.get_ref());
        if p.get_ref().contains('\0') {
            return Err(src.error(Some(p.span()), ctx("a path contains a NUL byte".into())));
        }
        if !path.is_absolute() {
            return Err(src.error(
                Some(p.span()),
                ctx(format!(
                    "path {:?} is relative; a policy names absolute paths",
                    p.get_ref()
                )),
            ));
        }
        paths.push(path);
    }
    Ok(paths)
}

fn hosts(
    src: &Source<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    ctx: &dyn Fn(String) -> String,
) -> Result<Vec<Endpoint>, PolicyError> {
    let mut hosts = Vec::new();
    for h in list.get_ref() {
        let ep: Endpoint = h
            .get_ref()
            .parse()
            .map_err(|e: crate::Error| src.error(Some(h.span()), ctx(e.to_string())))?;
        if hosts.contains(&ep) {
            return Err(src.error(Some(h.span()), ctx(format!("host {ep} is listed twice"))));
        }
        hosts.push(ep);
    }
    Ok(hosts)
}

fn schedule(
    src: &Source<'_>,
    env: &RawEnv,
    ctx: &dyn Fn(String) -> String,
) -> Result<Option<Schedule>, PolicyError> {
    match (&env.every, &env.cron) {
        (Some(_), Some(c)) => Err(src.error(
            Some(c.span()),
            ctx("give `every` or `cron`, not both".into()),
        )),
        (Some(e), None) => span::parse(e.get_ref())
            .map(|d| Some(Schedule::Every(d)))
            .map_err(|m| src.error(Some(e.span()), ctx(format!("`every`: {m}")))),
        (None, Some(c)) => Cron::parse(c.get_ref())
            .map(|c| Some(Schedule::Cron(c)))
            .map_err(|e| src.error(Some(c.span()), ctx(e))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let t = "ab\ncdé\nf";
        assert_eq!(position(t, 0), (1, 1));
        assert_eq!(position(t, 3), (2, 1));
        assert_eq!(position(t, "ab\ncdé".len()), (2, 4));
        assert_eq!(position(t, t.len()), (3, 2));
    }
}
