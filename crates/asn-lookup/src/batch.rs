//! The accounted result of a batch resolve: one outcome per address given, with a typed reason
//! for each address that got no AS.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

use super::{AsInfo, AsnError, Resolution, SpecialRange};

/// Why an address of a batch has no AS.
///
/// The first three are answers (the backends were asked and said so); the others are failures
/// ([`UnresolvedReason::is_failure`]): the address may well be announced, but the batch could
/// not find out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnresolvedReason {
    /// A special-purpose address (private, loopback, documentation, …), answered locally and
    /// never sent anywhere: no AS announces it.
    Special,
    /// A backend answered that no AS announces the address (a gap in a table, RIS "no entries",
    /// Team Cymru `NA`), and no later backend found one.
    NotAnnounced,
    /// Every backend asked answered, and none could tell (no data for the address's family, no
    /// IRR route object).
    NoData,
    /// The server did not answer in time: the batch's deadline passed before the address's
    /// answer was complete, or the server was silent for longer than the read timeout.
    Deadline,
    /// The whois server could not be reached: the connection was refused or timed out, or its
    /// name did not resolve.
    Unreachable,
    /// The connection failed mid-exchange: reset by the server (a reply cut by a reset is never
    /// taken as complete), or another I/O error after connecting.
    Reset,
    /// The server's reply was unusable: not a whois reply, cut short by a clean close, or over
    /// the size bound.
    BadReply,
    /// A backend failed in another way (a corrupt database, a bad setting).
    BackendFailed,
    /// Never asked: an earlier exchange of the same batch failed (or its deadline passed), and
    /// the batch stops at its first failure rather than wait on a dead server for each address.
    NotAsked,
}

impl UnresolvedReason {
    /// Every reason, in order.
    pub const ALL: [Self; 9] = [
        Self::Special,
        Self::NotAnnounced,
        Self::NoData,
        Self::Deadline,
        Self::Unreachable,
        Self::Reset,
        Self::BadReply,
        Self::BackendFailed,
        Self::NotAsked,
    ];

    /// Whether the address is unresolved because something failed, rather than because the
    /// backends answered that it has no AS.
    pub fn is_failure(self) -> bool {
        !matches!(self, Self::Special | Self::NotAnnounced | Self::NoData)
    }

    /// The failure an error stands for.
    pub fn of_error(e: &AsnError) -> Self {
        match e {
            AsnError::Timeout { .. } => Self::Deadline,
            AsnError::Connect { .. } | AsnError::BadServer { .. } => Self::Unreachable,
            AsnError::WhoisIo { .. } => Self::Reset,
            AsnError::ReplyTooLarge { .. } | AsnError::Protocol { .. } => Self::BadReply,
            _ => Self::BackendFailed,
        }
    }

    /// The snake-case name used in JSON and in `opskit asn` output (`not_announced`,
    /// `deadline`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Special => "special",
            Self::NotAnnounced => "not_announced",
            Self::NoData => "no_data",
            Self::Deadline => "deadline",
            Self::Unreachable => "unreachable",
            Self::Reset => "reset",
            Self::BadReply => "bad_reply",
            Self::BackendFailed => "backend_failed",
            Self::NotAsked => "not_asked",
        }
    }
}

impl std::fmt::Display for UnresolvedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a batch found for one address.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// An AS announces the address.
    Resolved(AsInfo),
    /// No AS was found, for `reason`.
    Unresolved {
        /// Why.
        reason: UnresolvedReason,
        /// The special-purpose range, for [`UnresolvedReason::Special`].
        special: Option<SpecialRange>,
        /// The error behind a failure (shared by every address it cost); for
        /// [`UnresolvedReason::NotAsked`], the failure that stopped the batch.
        error: Option<Arc<AsnError>>,
    },
}

impl Outcome {
    /// An unresolved outcome for `reason` with no error.
    pub(crate) fn answered(reason: UnresolvedReason) -> Self {
        Self::Unresolved {
            reason,
            special: None,
            error: None,
        }
    }

    /// An unresolved outcome for a failure.
    pub(crate) fn failed(reason: UnresolvedReason, error: &Arc<AsnError>) -> Self {
        Self::Unresolved {
            reason,
            special: None,
            error: Some(Arc::clone(error)),
        }
    }

    /// The outcome of one backend's answer.
    pub(crate) fn of_resolution(r: Resolution) -> Self {
        match r {
            Resolution::Found(info) => Self::Resolved(info),
            Resolution::NotRouted {
                special: Some(special),
            } => Self::Unresolved {
                reason: UnresolvedReason::Special,
                special: Some(special),
                error: None,
            },
            Resolution::NotRouted { special: None } => {
                Self::answered(UnresolvedReason::NotAnnounced)
            }
            // `Unknown`, and any kind of answer a later model adds: the backend did not tell.
            _ => Self::answered(UnresolvedReason::NoData),
        }
    }

    /// The AS information, when resolved.
    pub fn found(&self) -> Option<&AsInfo> {
        match self {
            Self::Resolved(info) => Some(info),
            Self::Unresolved { .. } => None,
        }
    }

    /// Why the address is unresolved, or `None` when it is resolved.
    pub fn reason(&self) -> Option<UnresolvedReason> {
        match self {
            Self::Resolved(_) => None,
            Self::Unresolved { reason, .. } => Some(*reason),
        }
    }

    /// The error behind a failure.
    pub fn error(&self) -> Option<&AsnError> {
        match self {
            Self::Unresolved { error: Some(e), .. } => Some(e),
            _ => None,
        }
    }

    /// The outcome as a plain [`Resolution`]: found; not routed when the backends said so (or
    /// the address is special); `Unknown` for every failure.
    pub fn resolution(&self) -> Resolution {
        match self {
            Self::Resolved(info) => Resolution::Found(info.clone()),
            Self::Unresolved {
                reason: UnresolvedReason::Special | UnresolvedReason::NotAnnounced,
                special,
                ..
            } => Resolution::NotRouted { special: *special },
            Self::Unresolved { .. } => Resolution::Unknown,
        }
    }
}

/// One address of a batch and what was found for it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AddressOutcome {
    /// The address as given.
    pub ip: IpAddr,
    /// What was found.
    pub outcome: Outcome,
}

/// The result of [`AsnResolver::resolve_batch`](super::AsnResolver::resolve_batch): exactly
/// one [`AddressOutcome`] per address given, in the order given (duplicates included), so that
/// [`BatchReport::tally`] always has `given == resolved + unresolved`.
#[derive(Clone, Debug, Default)]
pub struct BatchReport {
    entries: Vec<AddressOutcome>,
}

impl BatchReport {
    /// A report of `outcomes` for `ips`, which must have the same length (a missing outcome
    /// is `NotAsked` with no error, so that no address is ever dropped).
    pub(crate) fn new(ips: &[IpAddr], outcomes: Vec<Outcome>) -> Self {
        let mut outcomes = outcomes.into_iter();
        let entries = ips
            .iter()
            .map(|&ip| AddressOutcome {
                ip,
                outcome: outcomes
                    .next()
                    .unwrap_or_else(|| Outcome::answered(UnresolvedReason::NotAsked)),
            })
            .collect();
        Self { entries }
    }

    /// A report of one slot per address; an empty slot (never left by the callers) is
    /// `NotAsked`, so that no address is ever dropped.
    pub(crate) fn from_slots(ips: &[IpAddr], slots: Vec<Option<Outcome>>) -> Self {
        let outcomes = slots
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::answered(UnresolvedReason::NotAsked)))
            .collect();
        Self::new(ips, outcomes)
    }

    /// The report of a backend that answered every address (`answers` in the order of `ips`)
    /// or failed as a whole with `error`; special-purpose addresses are answered locally even
    /// then.
    pub(crate) fn from_result(ips: &[IpAddr], result: Result<Vec<Resolution>, AsnError>) -> Self {
        match result {
            Ok(answers) => Self::new(
                ips,
                answers.into_iter().map(Outcome::of_resolution).collect(),
            ),
            Err(e) => {
                let reason = UnresolvedReason::of_error(&e);
                let e = Arc::new(e);
                let outcomes = ips
                    .iter()
                    .map(|&ip| match super::local_answer(ip) {
                        Some(r) => Outcome::of_resolution(r),
                        None => Outcome::failed(reason, &e),
                    })
                    .collect();
                Self::new(ips, outcomes)
            }
        }
    }

    /// One entry per address given, in order.
    pub fn entries(&self) -> &[AddressOutcome] {
        &self.entries
    }

    /// The entries, owned.
    pub fn into_entries(self) -> Vec<AddressOutcome> {
        self.entries
    }

    /// How many addresses were given.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch was empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The outcomes as plain [`Resolution`]s, in order (see [`Outcome::resolution`]).
    pub fn resolutions(&self) -> Vec<Resolution> {
        self.entries
            .iter()
            .map(|e| e.outcome.resolution())
            .collect()
    }

    /// The index of the entry whose error is the batch's first cause: the first failure that
    /// is not merely "not asked", else the first error at all.
    fn cause(&self) -> Option<usize> {
        let has_error = |e: &AddressOutcome| e.outcome.error().is_some();
        self.entries
            .iter()
            .position(|e| has_error(e) && e.outcome.reason() != Some(UnresolvedReason::NotAsked))
            .or_else(|| self.entries.iter().position(has_error))
    }

    /// The first error of the batch that is not merely "not asked" (the cause), else the first
    /// error at all.
    pub fn first_error(&self) -> Option<&AsnError> {
        self.cause().and_then(|i| self.entries[i].outcome.error())
    }

    /// The plain answers when no address failed, else the first cause (see
    /// [`BatchReport::first_error`]): what [`AsnResolver::resolve_many`] returns.
    ///
    /// # Errors
    ///
    /// The error behind the first failed address.
    ///
    /// [`AsnResolver::resolve_many`]: super::AsnResolver::resolve_many
    pub fn into_result(self) -> Result<Vec<Resolution>, AsnError> {
        let Some(i) = self.cause() else {
            return Ok(self.resolutions());
        };
        let mut entries = self.entries;
        let taken = entries.swap_remove(i).outcome;
        // The other entries hold the other references to the error.
        drop(entries);
        match taken {
            Outcome::Unresolved { error: Some(e), .. } => {
                Err(Arc::try_unwrap(e)
                    .unwrap_or_else(|shared| AsnError::Config(shared.to_string())))
            }
            // Not reached: the cause is chosen for having an error.
            Outcome::Resolved(_) | Outcome::Unresolved { .. } => {
                Err(AsnError::Config("the batch failed".into()))
            }
        }
    }

    /// Counts of the outcomes: given, resolved and unresolved by reason.
    pub fn tally(&self) -> BatchTally {
        let mut t = BatchTally {
            given: self.entries.len(),
            ..BatchTally::default()
        };
        for e in &self.entries {
            match e.outcome.reason() {
                None => t.resolved += 1,
                Some(r) => *t.unresolved.entry(r).or_insert(0) += 1,
            }
        }
        t
    }
}

/// The counts of a [`BatchReport`]. `given == resolved + unresolved()` always holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BatchTally {
    /// Addresses given.
    pub given: usize,
    /// Addresses an AS was found for.
    pub resolved: usize,
    /// Addresses without an AS, by reason (reasons with no address are absent).
    pub unresolved: BTreeMap<UnresolvedReason, usize>,
}

impl BatchTally {
    /// Addresses without an AS, for any reason.
    pub fn unresolved(&self) -> usize {
        self.unresolved.values().sum()
    }

    /// Addresses without an AS because something failed (see
    /// [`UnresolvedReason::is_failure`]).
    pub fn failed(&self) -> usize {
        self.unresolved
            .iter()
            .filter(|(r, _)| r.is_failure())
            .map(|(_, n)| n)
            .sum()
    }

    /// The addresses unresolved for `reason`.
    pub fn count(&self, reason: UnresolvedReason) -> usize {
        self.unresolved.get(&reason).copied().unwrap_or(0)
    }

    /// Adds another tally to this one.
    pub fn add(&mut self, other: &Self) {
        self.given += other.given;
        self.resolved += other.resolved;
        for (r, n) in &other.unresolved {
            *self.unresolved.entry(*r).or_insert(0) += n;
        }
    }
}

impl std::fmt::Display for BatchTally {
    /// `40 given, 0 resolved, 40 unresolved (4 deadline, 36 not_asked)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} given, {} resolved, {} unresolved",
            self.given,
            self.resolved,
            self.unresolved()
        )?;
        if !self.unresolved.is_empty() {
            let parts: Vec<String> = self
                .unresolved
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}
