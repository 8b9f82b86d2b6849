//! Integration tests of `routeviz`: structure of the SVG, the PNG through resvg, DOT through the
//! real graphviz, snapshots, properties of random inputs, hostile labels and trace reports read from
//! `tests/resources/`.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::many_single_char_names,
    clippy::type_complexity,
    clippy::assigning_clones,
    clippy::too_many_lines,
    reason = "test code: pixel arithmetic and small fixtures"
)]

mod browser;
mod common;
mod dot;
mod fit;
mod geometry;
mod hostile;
mod html;
mod import;
mod marks;
mod png;
mod props;
mod reports;
mod scale;
mod snapshots;
mod structure;
