#![doc = include_str!("../README.md")]

mod config;
mod display;
#[cfg(target_os = "linux")]
mod driver;
mod engine;
mod error;
mod model;
mod transport;
mod wire;

pub use config::{TraceConfig, TraceConfigBuilder, parse_port_list};
#[cfg(target_os = "linux")]
pub use driver::{plan_flows, resolve, trace, trace_with};
pub use engine::{Disposition, Engine, Event, Flow, Stats, Transmit};
pub use error::{ConfigError, Error, Result};
pub use model::{
    FailedTarget, Hop, MplsLabel, Reply, ReplyKind, StopReason, Tally, TargetError, Trace,
    TraceParams, TraceReport,
};
#[cfg(target_os = "linux")]
pub use transport::RawSockets;
pub use wire::{
    ExtensionObject, Extensions, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, Ipv4Packet,
    Ipv4Repr, Ipv6Packet, Ipv6Repr, ParsedReply, QuotedProbe, ReplyBody, TcpFlags, TcpPacket,
    TcpRepr, WireError, emit_mpls_extension, parse_reply, parse_reply_v6_payload,
};

mod asn;
pub use asn::{
    AnnotateStats, AsInfo, AsName, AsnError, AsnResolver, Cache, Chain, ChainBatch, CountryCode,
    DatabaseFormat, IpRange, MmdbDatabase, RangeFormat, RangeTable, RangeTableBuilder, Resolution,
    Source, SpecialRange, TableEntry, WhoisBuilder, WhoisResolver, WhoisService, annotate,
    detect_format, online_resolver, open_database, special_range,
};
