//! Each fixture's own tests: the fixtures must be right before anything is measured with them.

mod clamd;
mod netns;
mod postgres;
mod rrd;
#[cfg(feature = "stunnel")]
mod stunnel;
