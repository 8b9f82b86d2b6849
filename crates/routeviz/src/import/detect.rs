//! Which tool wrote an input, from its first record.

use serde::Deserialize;

/// The formats the importers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportFormat {
    /// RIPE Atlas traceroute results (a JSON array or one result per line).
    Atlas,
    /// scamper JSON (`sc_warts2json`): `trace` and `tracelb` lines.
    Scamper,
    /// `mtr --json` reports.
    Mtr,
    /// opskit's own `opskit trace --json`.
    Opskit,
}

impl ImportFormat {
    /// The name `--from` takes: `atlas`, `scamper`, `mtr` or `opskit`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Atlas => "atlas",
            Self::Scamper => "scamper",
            Self::Mtr => "mtr",
            Self::Opskit => "opskit",
        }
    }
}

impl std::fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ImportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "atlas" | "ripe-atlas" => Ok(Self::Atlas),
            "scamper" | "warts-json" => Ok(Self::Scamper),
            "mtr" => Ok(Self::Mtr),
            "opskit" | "tcptrace" => Ok(Self::Opskit),
            _ => Err(format!(
                "unknown format {s:?}: the formats are atlas, scamper, mtr and opskit"
            )),
        }
    }
}

/// The keys of a first record that tell the formats apart; the rest is skipped unread.
#[derive(Deserialize)]
struct Keys<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    prb_id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    msm_id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    report: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    traces: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    params: Option<serde::de::IgnoredAny>,
}

/// The format of `text`, from its first record (the first element of an array, or the first
/// value), or `None` when it is none of them.
pub fn detect(text: &str) -> Option<ImportFormat> {
    let trimmed = text.trim_start();
    let (array, first) = match trimmed.strip_prefix('[') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, trimmed),
    };
    let keys = serde_json::Deserializer::from_str(first)
        .into_iter::<Keys<'_>>()
        .next()?
        .ok()?;
    let kind = keys.kind.as_deref();
    if keys.prb_id.is_some() || keys.msm_id.is_some() || kind == Some("traceroute") {
        Some(ImportFormat::Atlas)
    } else if array {
        None
    } else if keys.report.is_some() {
        Some(ImportFormat::Mtr)
    } else if matches!(
        kind,
        Some("cycle-start" | "cycle-stop" | "cycle-def" | "list" | "trace" | "tracelb")
    ) {
        Some(ImportFormat::Scamper)
    } else if keys.traces.is_some() || keys.params.is_some() {
        Some(ImportFormat::Opskit)
    } else {
        None
    }
}

/// A short description of an input no format was detected in, for the error.
pub(super) fn describe(text: &str) -> String {
    let t = text.trim_start();
    match t.chars().next() {
        None => "it is empty".to_owned(),
        Some('[' | '{') => "JSON, but not a traceroute result any importer knows".to_owned(),
        Some(_) => "it is not JSON".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        let atlas = r#"{"fw":4790,"prb_id":1,"type":"traceroute"}"#;
        assert_eq!(detect(atlas), Some(ImportFormat::Atlas));
        assert_eq!(detect(&format!("[\n{atlas}]")), Some(ImportFormat::Atlas));
        let scamper = r#"{"type":"cycle-start", "list_name":"default"}"#;
        assert_eq!(detect(scamper), Some(ImportFormat::Scamper));
        assert_eq!(detect(r#"{"report":{"mtr":{}}}"#), Some(ImportFormat::Mtr));
        let ours = r#"{"params":{},"started_at":"x","traces":[]}"#;
        assert_eq!(detect(ours), Some(ImportFormat::Opskit));
        // A broken report is still ours, for its parser to say what is wrong.
        assert_eq!(detect(r#"{"traces": 5}"#), Some(ImportFormat::Opskit));
        assert_eq!(detect("[1]"), None);
        assert_eq!(detect("not json"), None);
        assert_eq!(detect(""), None);
        assert_eq!("Atlas".parse::<ImportFormat>(), Ok(ImportFormat::Atlas));
        assert!("x".parse::<ImportFormat>().is_err());
    }
}
