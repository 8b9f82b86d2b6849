#![doc = include_str!("../README.md")]

mod config;
mod display;
#[cfg(target_os = "linux")]
mod driver;
mod engine;
mod error;
mod mda;
mod model;
mod rdns;
mod rewrite;
#[cfg(feature = "schema")]
mod schema;
mod transport;
mod wire;

pub use config::{TraceConfig, TraceConfigBuilder, parse_port_list};
#[cfg(target_os = "linux")]
pub use driver::{Observer, Progress, plan_flows, resolve, trace, trace_observed, trace_with};
pub use engine::{Disposition, Engine, Event, Flow, Stats, Transmit};
pub use error::{ConfigError, Error, Result};
pub use model::{
    Diamond, EngineStats, FailedTarget, Hop, HopStats, Link, MplsLabel, Protocol, Reply, ReplyKind,
    StopReason, Tally, TargetError, Trace, TraceParams, TraceReport, TraceSource, Unreachable,
};
pub use rdns::{RdnsOutcome, ReverseDns, parse_resolv_conf};
pub use rewrite::{FieldValue, Middlebox, Rewrite, RewriteField};
#[cfg(target_os = "linux")]
pub use transport::RawSockets;
pub use wire::{
    ExtensionObject, Extensions, IcmpPacket, IcmpVersion, Icmpv4, Icmpv4Packet, Icmpv4Repr, Icmpv6,
    Icmpv6Packet, Icmpv6Repr, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, ParsedReply, QuotedProbe,
    QuotedTcp, ReplyBody, TcpFlags, TcpOption, TcpPacket, TcpRepr, WireError, parse_reply,
    parse_reply_v6_payload,
};

// The AS model only; the resolvers are in the `asn-lookup` crate, which depends on this one.
mod asn;
pub use asn::{
    AddrBits, AsInfo, AsName, CountryCode, IpRange, Resolution, Source, SpecialRange,
    prefix_bounds, special_range,
};

// The geography model, filled by `asn-lookup`'s geolocation databases.
mod geo;
pub use geo::Geo;

/// The public structs of the engine and the model are built by their constructors, so that a
/// new field is no breaking change:
///
/// ```compile_fail,E0639
/// let _ = tcptrace::MplsLabel { label: 16, tc: 0, bottom: true, ttl: 1 };
/// ```
///
/// ```compile_fail,E0639
/// use std::net::{IpAddr, Ipv4Addr};
/// let a = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// let _ = tcptrace::Flow { target: "t".into(), src: a, dst: a, port: 80 };
/// ```
#[cfg(doctest)]
pub struct NonExhaustive;
