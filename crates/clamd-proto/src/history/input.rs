//! What the caller hands the history: a run to start, and which runs to list.

use std::time::SystemTime;

/// A run about to start: what [`History::start_run`](super::History::start_run) records.
#[derive(Debug, Clone)]
#[must_use]
pub struct NewRun {
    pub(super) environment: String,
    pub(super) policy: String,
    pub(super) mode: String,
    pub(super) paths: Vec<String>,
    pub(super) started: SystemTime,
}

impl NewRun {
    /// A run of `environment` from the policy `policy`, starting now.
    pub fn new(environment: &str, policy: &str) -> Self {
        Self {
            environment: environment.to_owned(),
            policy: policy.to_owned(),
            mode: String::new(),
            paths: Vec::new(),
            started: SystemTime::now(),
        }
    }

    /// The scan mode's name.
    pub fn mode(mut self, mode: &str) -> Self {
        mode.clone_into(&mut self.mode);
        self
    }

    /// The environment's paths.
    pub fn paths(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// When it started (default: when [`new`](Self::new) was called).
    pub fn started(mut self, at: SystemTime) -> Self {
        self.started = at;
        self
    }
}

/// Which runs [`History::runs`](super::History::runs) lists: all by default.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct RunFilter {
    pub(super) environment: Option<String>,
    pub(super) since: Option<SystemTime>,
}

impl RunFilter {
    /// Only runs of this environment.
    pub fn environment(mut self, name: &str) -> Self {
        self.environment = Some(name.to_owned());
        self
    }

    /// Only runs started at or after `t`.
    pub fn since(mut self, t: SystemTime) -> Self {
        self.since = Some(t);
        self
    }
}
