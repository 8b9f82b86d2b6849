//! The layout of a new RRD (`rrdtool create`): step, start, template, sources, data sources
//! and archives.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::data_source::DataSource;
use crate::rra::{Rra, check_data_size};
use crate::rrd_error::RrdError;

/// rrdtool's step when neither `--step` nor a template gives one.
pub const DEFAULT_STEP: u64 = 300;

/// The layout of a new RRD, everything `rrdtool create` 1.7 takes: step, start,
/// `--no-overwrite`, `--template`, `--source`, data sources and archives of every kind.
///
/// ```no_run
/// # fn main() -> Result<(), rrdgraph::RrdError> {
/// use rrdgraph::{CreateSpec, DataSource, Rra, Rrd};
///
/// // rrdtool create Flow.rrd --step 5m DS:eth0_in:COUNTER:10m:0:U RRA:AVERAGE:0.5:1h:1y
/// //   RRA:HWPREDICT:1d:0.1:0.0035:1d
/// let spec = CreateSpec::new()
///     .step(300)
///     .no_overwrite()
///     .data_source(DataSource::parse("DS:eth0_in:COUNTER:10m:0:U")?)
///     .archive(Rra::parse("RRA:AVERAGE:0.5:1h:1y")?)
///     .archive(Rra::parse("RRA:HWPREDICT:1d:0.1:0.0035:1d")?);
/// Rrd::new("Flow.rrd").create(&spec)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct CreateSpec {
    step: Option<u64>,
    start: Option<String>,
    no_overwrite: bool,
    template: Option<PathBuf>,
    sources: Vec<PathBuf>,
    data_sources: Vec<DataSource>,
    archives: Vec<Rra>,
}

impl Default for CreateSpec {
    fn default() -> Self {
        Self::new()
    }
}

impl CreateSpec {
    /// An empty layout: rrdtool's step of 300 s unless [`CreateSpec::step`] or a template
    /// gives one.
    pub fn new() -> Self {
        Self {
            step: None,
            start: None,
            no_overwrite: false,
            template: None,
            sources: Vec::new(),
            data_sources: Vec::new(),
            archives: Vec::new(),
        }
    }

    /// The base interval in seconds (`--step`).
    pub fn step(mut self, seconds: u64) -> Self {
        self.step = Some(seconds);
        self
    }

    /// The RRD's start (`--start`), seconds since the epoch: librrd accepts no update at or
    /// before this time. Default: ten seconds ago.
    pub fn start(mut self, time: i64) -> Self {
        self.start = Some(time.to_string());
        self
    }

    /// The start as an at-style time, such as `now-1d` (`--start`).
    pub fn start_at(mut self, at: impl Into<String>) -> Self {
        self.start = Some(at.into());
        self
    }

    /// Refuse to overwrite an existing file (`--no-overwrite`).
    pub fn no_overwrite(mut self) -> Self {
        self.no_overwrite = true;
        self
    }

    /// Take the step, data sources and archives of the RRD at `path` (`--template`); the
    /// layout's own data sources and archives are added to them.
    pub fn template(mut self, path: impl Into<PathBuf>) -> Self {
        self.template = Some(path.into());
        self
    }

    /// Fill the new file with the data of the RRD at `path` (`--source`, any number of times):
    /// data sources of the same name, or as [`DataSource::from_source`] maps them.
    pub fn source(mut self, path: impl Into<PathBuf>) -> Self {
        self.sources.push(path.into());
        self
    }

    /// Adds a data source.
    pub fn data_source(mut self, ds: DataSource) -> Self {
        self.data_sources.push(ds);
        self
    }

    /// Adds an archive.
    pub fn archive(mut self, rra: Rra) -> Self {
        self.archives.push(rra);
        self
    }

    /// The template, if any.
    pub fn template_path(&self) -> Option<&Path> {
        self.template.as_deref()
    }

    /// The source files.
    pub fn sources(&self) -> &[PathBuf] {
        &self.sources
    }

    /// The step that the durations scale by: the one given, else rrdtool's default unless a
    /// template gives it (then `None` until it is read, see [`Rrd::create`](crate::Rrd::create)).
    pub fn effective_step(&self) -> Option<u64> {
        self.step.or(if self.template.is_none() {
            Some(DEFAULT_STEP)
        } else {
            None
        })
    }

    /// True when the step was given ([`CreateSpec::step`]).
    pub fn has_step(&self) -> bool {
        self.step.is_some()
    }

    /// Checks the layout.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming the field: no data source or no archive (without a
    /// template), a bad or duplicate name, a zero step, an archive parameter out of range, a
    /// duration that the step does not divide, an `rra-num` that names no archive of the
    /// right kind.
    pub fn validate(&self) -> Result<(), RrdError> {
        let bad = |what: &'static str, reason: &str| {
            Err(RrdError::Invalid {
                what,
                reason: reason.into(),
            })
        };
        if self.step == Some(0) {
            return bad("step", "must be at least 1 s");
        }
        if self.template.is_none() {
            if self.data_sources.is_empty() {
                return bad("data sources", "an RRD needs at least one data source");
            }
            if self.archives.is_empty() {
                return bad("archives", "an RRD needs at least one RRA");
            }
        }
        for (i, ds) in self.data_sources.iter().enumerate() {
            ds.validate()?;
            if self.data_sources[..i].iter().any(|d| d.name() == ds.name()) {
                return Err(RrdError::Invalid {
                    what: "data source name",
                    reason: format!("{:?} is defined twice", ds.name()),
                });
            }
        }
        let step = self.effective_step();
        for rra in &self.archives {
            rra.validate(step)?;
            // A template's archives come first: positions are then librrd's to check.
            if self.template.is_none() {
                rra.validate_dependency(&self.archives)?;
            }
        }
        if let Some(step) = step {
            // Holt-Winters archives librrd adds on its own are as long as the HWPREDICT's
            // seasonal period at most: counting the HWPREDICT's rows five times bounds them.
            let rows = self.archives.iter().fold(0u64, |sum, r| {
                let n = r.rows(step).unwrap_or(0);
                let n = if matches!(r.cf(), crate::Cf::HwPredict | crate::Cf::MhwPredict) {
                    n.saturating_mul(5)
                } else {
                    n
                };
                sum.saturating_add(n)
            });
            let ds = u64::try_from(self.data_sources.len()).unwrap_or(u64::MAX);
            check_data_size(rows, ds)?;
        }
        Ok(())
    }

    /// The arguments after the file name, as `rrdtool create` takes them: durations resolved
    /// to counts where the step is known. Paths go as their bytes.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        let step = self.effective_step();
        if let Some(step) = step {
            args.push("--step".into());
            args.push(step.to_string().into());
        }
        if let Some(start) = &self.start {
            args.push("--start".into());
            args.push(start.into());
        }
        if self.no_overwrite {
            args.push("--no-overwrite".into());
        }
        if let Some(t) = &self.template {
            args.push("--template".into());
            args.push(t.into());
        }
        for s in &self.sources {
            args.push("--source".into());
            args.push(s.into());
        }
        args.extend(self.data_sources.iter().map(|d| d.to_arg().into()));
        args.extend(self.archives.iter().map(|r| r.to_arg(step).into()));
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_source::DsType;
    use crate::value::Cf;

    #[test]
    fn create_args_are_rrdtools() {
        let spec = CreateSpec::new()
            .step(300)
            .start(920_804_400)
            .data_source(DataSource::counter("speed", 600))
            .data_source(DataSource::gauge("temp", 600).min(-40.0).max(85.5))
            .data_source(DataSource::new(
                "sum",
                DsType::Compute("speed,temp,+".into()),
                0,
            ))
            .archive(Rra::new(Cf::Average, 0.5, 1, 24));
        assert_eq!(
            spec.to_args(),
            [
                "--step",
                "300",
                "--start",
                "920804400",
                "DS:speed:COUNTER:600:U:U",
                "DS:temp:GAUGE:600:-40:85.5",
                "DS:sum:COMPUTE:speed,temp,+",
                "RRA:AVERAGE:0.5:1:24"
            ]
        );
        spec.validate().unwrap();
    }

    #[test]
    fn create_validation_names_the_field() {
        let bad = |spec: CreateSpec, what: &str| match spec.validate() {
            Err(RrdError::Invalid { what: w, .. }) => assert_eq!(w, what),
            other => panic!("{other:?}"),
        };
        let rra = Rra::new(Cf::Average, 0.5, 1, 10);
        bad(CreateSpec::new().archive(rra), "data sources");
        bad(
            CreateSpec::new().data_source(DataSource::gauge("a", 60)),
            "archives",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a:b", 60))
                .archive(rra),
            "data source name",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a", 60))
                .data_source(DataSource::gauge("a", 60))
                .archive(rra),
            "data source name",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a", 60))
                .archive(Rra::new(Cf::Max, 1.0, 1, 1)),
            "RRA xff",
        );
        bad(
            CreateSpec::new()
                .data_source(DataSource::gauge("a", 60).min(2.0).max(1.0))
                .archive(rra),
            "data source limits",
        );
    }

    #[test]
    fn durations_template_and_sources_become_rrdtools_arguments() {
        let spec = CreateSpec::new()
            .template("old.rrd")
            .source("a.rrd")
            .source("b.rrd")
            .no_overwrite()
            .data_source(DataSource::parse("DS:x=y[2]:GAUGE:10m:U:U").unwrap())
            .archive(Rra::parse("RRA:AVERAGE:0.5:1h:1d").unwrap());
        // No step yet (the template has it): librrd scales the durations.
        assert_eq!(spec.effective_step(), None);
        spec.validate().unwrap();
        assert_eq!(
            spec.to_args(),
            [
                "--no-overwrite",
                "--template",
                "old.rrd",
                "--source",
                "a.rrd",
                "--source",
                "b.rrd",
                "DS:x=y[2]:GAUGE:600:U:U",
                "RRA:AVERAGE:0.5:3600s:86400s"
            ]
        );
        let spec = spec.step(300);
        assert!(spec.to_args().contains(&"RRA:AVERAGE:0.5:12:24".into()));
        let bad = CreateSpec::new()
            .step(420)
            .data_source(DataSource::gauge("a", 600))
            .archive(Rra::parse("RRA:AVERAGE:0.5:1h:1d").unwrap());
        assert!(matches!(
            bad.validate(),
            Err(RrdError::Invalid {
                what: "RRA steps",
                ..
            })
        ));
    }
}
