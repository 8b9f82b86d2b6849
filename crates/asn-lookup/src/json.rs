//! The items of the JSON array `opskit asn --json` prints, one per input: their schema (the
//! `schema` feature) is `schemas/asn.json`.

use serde::Serialize;

use crate::{AsName, Geo, Outcome, Resolution, UnresolvedReason};

/// One item of `opskit asn --json`: an address with its resolution, or an AS with its name.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
#[non_exhaustive]
pub enum LookupLine {
    /// An address input.
    Address(AddressLine),
    /// An `AS<n>` input.
    Name(NameLine),
}

/// An address and its resolution: `status` (`found`, `not_routed`, `unknown`) and the
/// resolution's fields, with `reason` when it has no AS and `error` when something failed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct AddressLine {
    /// The address as given.
    pub address: String,
    /// What is known of its AS.
    #[serde(flatten)]
    pub resolution: Resolution,
    /// Why the address has no AS, when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "UnresolvedReason", default))]
    pub reason: Option<UnresolvedReason>,
    /// The failure behind that reason, when something failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "String", default))]
    pub error: Option<String>,
    /// Where a geography database (`--geo-db`) places the address, when one was given and
    /// knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Geo", default))]
    pub geo: Option<Box<Geo>>,
}

impl AddressLine {
    /// The line of `address`, from its outcome; `None` (never asked) is unknown with reason
    /// [`UnresolvedReason::NotAsked`].
    pub fn new(address: impl Into<String>, outcome: Option<&Outcome>) -> Self {
        Self {
            address: address.into(),
            resolution: outcome.map_or(Resolution::Unknown, Outcome::resolution),
            reason: outcome.map_or(Some(UnresolvedReason::NotAsked), Outcome::reason),
            error: outcome.and_then(Outcome::error).map(ToString::to_string),
            geo: None,
        }
    }

    /// Sets where the address is.
    #[must_use]
    pub fn with_geo(mut self, geo: Option<Geo>) -> Self {
        self.geo = geo.map(Box::new);
        self
    }
}

/// An AS number and its name, `null` when unknown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
// Closed, so that an address line never passes for a name line.
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct NameLine {
    /// The AS number.
    pub asn: u32,
    /// Its name, when a backend knows it.
    pub name: Option<AsName>,
}

impl NameLine {
    /// The line of AS `asn`.
    pub fn new(asn: u32, name: Option<AsName>) -> Self {
        Self { asn, name }
    }
}
