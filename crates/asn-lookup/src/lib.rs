#![doc = include_str!("../README.md")]

mod annotate;
mod batch;
mod combinator;
mod detect;
mod error;
mod geo;
mod json;
mod local;
mod mmdb;
mod parse;
mod ranges;
mod resolver;
mod table;
mod whois;

pub use annotate::{AnnotateStats, annotate};
pub use batch::{AddressOutcome, BatchReport, BatchTally, Outcome, UnresolvedReason};
pub use combinator::{Cache, Chain};
pub use detect::{DatabaseFormat, detect_format, open_database};
pub use error::AsnError;
pub use geo::{
    GeoDatabase, GeoFormat, GeoMmdb, GeoStats, GeoTable, GeoTableBuilder, annotate_geo,
    detect_geo_format,
};
pub use json::{AddressLine, LookupLine, NameLine};
pub use mmdb::MmdbDatabase;
pub use parse::RangeFormat;
pub use resolver::AsnResolver;
pub use table::{RangeTable, RangeTableBuilder, TableEntry};
pub use whois::{
    WhoisBuilder, WhoisEvent, WhoisExchange, WhoisLimits, WhoisQuery, WhoisResolver, WhoisService,
    online_resolver,
};

/// The AS model and the geography model, defined once in `tcptrace` and re-exported here.
pub use tcptrace::{
    AsInfo, AsName, CountryCode, Geo, IpRange, Resolution, Source, SpecialRange, special_range,
};

use local::local_answer;
use tcptrace::prefix_bounds;
