//! What to fetch (`rrdtool fetch`).

use crate::value::Cf;

/// What to fetch: consolidation, time range, resolution.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct FetchRequest {
    cf: Cf,
    start: Option<String>,
    end: Option<String>,
    resolution: Option<u64>,
    align_start: bool,
}

impl FetchRequest {
    /// Fetches `cf` over rrdtool's default range (the last day).
    pub fn new(cf: Cf) -> Self {
        Self {
            cf,
            start: None,
            end: None,
            resolution: None,
            align_start: false,
        }
    }

    /// Start, seconds since the epoch.
    pub fn start(mut self, time: i64) -> Self {
        self.start = Some(time.to_string());
        self
    }

    /// End, seconds since the epoch.
    pub fn end(mut self, time: i64) -> Self {
        self.end = Some(time.to_string());
        self
    }

    /// Start as an at-style time (`-1d`, `end-2h`, ...).
    pub fn start_at(mut self, at: impl Into<String>) -> Self {
        self.start = Some(at.into());
        self
    }

    /// End as an at-style time.
    pub fn end_at(mut self, at: impl Into<String>) -> Self {
        self.end = Some(at.into());
        self
    }

    /// Preferred resolution in seconds (`--resolution`).
    pub fn resolution(mut self, seconds: u64) -> Self {
        self.resolution = Some(seconds);
        self
    }

    /// Align the start to the resolution (`--align-start`).
    pub fn align_start(mut self) -> Self {
        self.align_start = true;
        self
    }

    /// The arguments after the file name, as `rrdtool fetch` takes them.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![self.cf.as_str().to_owned()];
        if let Some(s) = &self.start {
            args.push(format!("--start={s}"));
        }
        if let Some(e) = &self.end {
            args.push(format!("--end={e}"));
        }
        if let Some(r) = self.resolution {
            args.push(format!("--resolution={r}"));
        }
        if self.align_start {
            args.push("--align-start".into());
        }
        args
    }
}
