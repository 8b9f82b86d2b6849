#![doc = include_str!("../README.md")]
//!
//! ## Modules at a glance
//!
//! Everything is exported at the crate root:
//!
//! - the spec: [`GraphSpec`], [`GraphSpecBuilder`], [`GraphOption`] (every librrd 1.7 option,
//!   catalogued in [`OPTIONS`]) and [`Element`] with one struct per element kind;
//! - validated values: [`VName`], [`Color`], [`Legend`] with [`ControlCode`], [`PrintFormat`],
//!   [`AtTime`], [`XGrid`], [`YGrid`], [`DsName`], [`Cf`];
//! - the typed RPN: [`Rpn`], [`Op`], [`Token`], [`VDefExpr`], [`VDefFunc`];
//! - parsing and emitting: [`GraphSpec::parse_args`], [`GraphSpec::parse_command_line`],
//!   [`GraphSpec::diagnose`], [`GraphSpec::to_args`], [`GraphSpec::to_rust`],
//!   [`split_command_line`];
//! - the recipe preset: [`traffic`], [`Traffic`], [`TRAFFIC_RECIPE_ARGS`];
//! - the recipe's collector: [`CollectCore`] (its decisions, without I/O), [`read_counters`]
//!   (`/proc/net/dev`) and [`Collector`] (creates the recipe's RRD, one update per step);
//! - rendering through librrd, one way: [`GraphSpec::render`] (the spec's output `-` gives the
//!   image in memory, a path makes librrd write the file), in parallel
//!   [`BatchRenderer::render`]; both give a [`Rendered`]. [`render_raw_args`] is the
//!   unvalidated lower level, for argument lists that must reach librrd unchanged. A program
//!   that uses [`BatchRenderer`] must call [`serve_worker_if_requested`] first thing in
//!   `main`: the workers are that program re-executed, and that call is where they serve
//!   render requests;
//! - RRD operations through librrd: [`Rrd`], [`FetchRequest`], [`xport`]; creating
//!   ([`CreateSpec`], [`Rra`], [`Span`]), reading ([`RrdInfo`], [`Series`], [`LastUpdate`]) and
//!   maintaining files ([`Rrd::dump`], [`Rrd::restore`], [`Rrd::tune`], [`Rrd::resize`],
//!   [`list`]);
//! - RRD files in pure Rust, without librrd: [`RrdFile`] (the header checked at open,
//!   [`RrdFile::fetch`] with librrd's rules, the same [`Series`]), bounded by [`MAX_DS`],
//!   [`MAX_RRA`] and [`MAX_FETCH_VALUES`].

mod at_resolve;
mod attime;
mod check;
mod civil;
mod codegen;
mod collect;
mod counters;
mod element;
mod element_kind;
mod emit;
mod error;
mod eval;
mod eval_error;
mod graph_data;
mod image_size;
mod op;
mod options;
mod parse;
mod preset;
mod printf;
mod rpn;
mod spec;
mod strfduration;
mod strftime;
mod value;
mod value_error;
mod zone;
mod zone_error;

pub use collect::{
    CLOCK_STEP_TOLERANCE, CollectCore, CollectEvent, CounterSample, Decision, PlannedUpdate,
};
pub use counters::{IfaceCounters, PROC_NET_DEV, parse_proc_net_dev, read_counters};
pub use element::{
    Area, CDef, Dashes, Def, Element, ElementKind, Format, HRule, Line, Position, Print, Shift,
    ShiftOffset, Stack, TextAlign, Tick, VDef, VRule,
};
pub use emit::element_arg;
pub use error::{Error, ParseReason, Result};
pub use eval::{Clock, Column, Operand, VDefValue, eval_cdef, reduce, vdef};
pub use eval_error::EvalError;
pub use graph_data::{DataWindow, GraphData};
pub use image_size::{MAX_IMAGE_PIXELS, MAX_LINE_WIDTH};
pub use op::{Effect, Op};
pub use options::{
    AxisFormatter, ColorTag, Font, FontRenderMode, FontTag, GraphOption, GraphRenderMode,
    GraphType, ImageFormat, LegendDirection, LegendPosition, MAX_STEP, OPTIONS, OptionInfo, Units,
    option_info,
};
pub use parse::{MAX_ARGS, split_command_line};
pub use preset::{TRAFFIC_RECIPE_ARGS, Traffic, traffic};
pub use rpn::{
    MAX_PREDICT_SHIFT, MAX_PREDICT_SHIFTS, MAX_RPN_TOKENS, MAX_RPN_WINDOW, Rpn, Token, VDefExpr,
    VDefFunc,
};
pub use spec::{GraphSpec, GraphSpecBuilder};
pub use value::{
    AtTime, Color, ColorForm, ControlCode, DsName, Legend, MAX_DS_NAME_LEN, MAX_FORMAT_WIDTH,
    MAX_GRID_INTERVAL, MAX_GRID_LINES, MAX_LEGEND_LEN, MAX_TEXT_LEN, MAX_VNAME_LEN,
    MAX_Y_GRID_LINES, PrintFormat, TimeUnit, VName, XGrid, YGrid,
};
pub use value_error::{RpnError, ValueError};
pub use zone::{LocalTime, Zone};
pub use zone_error::ZoneError;
// One consolidation-function type for the whole crate: the spec half defines it (with the
// Holt-Winters CFs a DEF may read) in value.rs; RRAs and fetches use the same type.
pub use value::Cf;
// The librrd error is part of the spec's error type, so it builds without librrd too.
mod rrd_error;
pub use rrd_error::RrdError;
// How every `--json` output writes a value (UNKN as null, the infinities as text).
mod sample;
pub use sample::Sample;
// The table of fetch and xport, and the pure-Rust RRD reader that needs no librrd.
mod exp_format;
mod fetch_plan;
mod rrd_file;
mod rrd_layout;
mod series;
pub use rrd_file::{MAX_FETCH_VALUES, RrdFile};
pub use rrd_layout::{MAX_DS, MAX_RRA};
pub use series::Series;

// --- librrd: modules and exports (the `librrd` feature) ---
#[cfg(feature = "librrd")]
#[expect(
    unsafe_code,
    reason = "librrd is a C library; ffi.rs is the one module that calls it, under one lock"
)]
mod ffi;

#[cfg(feature = "librrd")]
mod batch;
#[cfg(feature = "librrd")]
mod collector;
#[cfg(feature = "librrd")]
mod create;
#[cfg(feature = "librrd")]
mod data_source;
#[cfg(feature = "librrd")]
mod fetch;
#[cfg(feature = "librrd")]
mod handle;
#[cfg(feature = "librrd")]
mod header;
#[cfg(feature = "librrd")]
mod info;
#[cfg(feature = "librrd")]
mod maintain;
#[cfg(feature = "librrd")]
mod render;
#[cfg(feature = "librrd")]
mod rra;
#[cfg(feature = "librrd")]
mod rrd_info;
#[cfg(feature = "librrd")]
mod span;
#[cfg(feature = "librrd")]
mod times;
#[cfg(feature = "librrd")]
mod tune;
#[cfg(feature = "librrd")]
mod update;
#[cfg(feature = "librrd")]
mod xport;

#[cfg(feature = "librrd")]
pub use batch::{BatchBuilder, BatchRenderer, serve_worker_if_requested};
#[cfg(feature = "librrd")]
pub use collector::{
    Collector, CollectorBuilder, MAX_IFACE_LEN, RECIPE_ARCHIVES, RECIPE_STEP, Report,
    data_source_names, recipe_layout,
};
#[cfg(feature = "librrd")]
pub use create::{CreateSpec, DEFAULT_STEP};
#[cfg(feature = "librrd")]
pub use data_source::{DataSource, DsType};
#[cfg(feature = "librrd")]
pub use fetch::FetchRequest;
#[cfg(feature = "librrd")]
pub use handle::{Rrd, librrd_version};
#[cfg(feature = "librrd")]
pub use header::check as check_header;
#[cfg(feature = "librrd")]
pub use info::{Info, InfoValue};
#[cfg(feature = "librrd")]
pub use maintain::{DumpHeader, ListRequest, RESIZE_OUTPUT, Resize, RestoreOptions, list};
#[cfg(feature = "librrd")]
pub use render::{GraphMeta, PINNED_OPTIONS, Rendered, render_raw_args};
#[cfg(feature = "librrd")]
pub use rra::{MAX_DATA_BYTES, MAX_FAILURES_WINDOW, MAX_ROWS, Rra};
#[cfg(feature = "librrd")]
pub use rrd_info::{CdpPrep, DsInfo, RraInfo, RrdInfo};
#[cfg(feature = "librrd")]
pub use span::Span;
#[cfg(feature = "librrd")]
pub use times::{FirstTime, LastTime};
#[cfg(feature = "librrd")]
pub use tune::{MAX_TUNE_STEP, TuneSpec};
#[cfg(feature = "librrd")]
pub use update::{LastUpdate, Update};
#[cfg(feature = "librrd")]
pub use xport::{XportRequest, xport};
// --- librrd: end ---
