//! The archives of a new RRD (`RRA:` of `rrdtool create`), Holt-Winters ones included.

use std::fmt::Write as _;

use crate::rrd_error::RrdError;
use crate::span::Span;
use crate::value::Cf;

/// The longest FAILURES window librrd keeps (`MAX_FAILURES_WINDOW_LEN`).
pub const MAX_FAILURES_WINDOW: u64 = 28;

/// The most rows an archive may have (at create, tune and resize). librrd writes every row
/// when it creates or grows a file, so a slip such as `RRA:AVERAGE:0.5:1s:10y` would fill the
/// disk: 10^8 rows is over three years of one-second rows.
pub const MAX_ROWS: u64 = 100_000_000;

/// The most bytes of values a layout may hold (rows × data sources × 8, over all archives):
/// 8 GiB.
pub const MAX_DATA_BYTES: u64 = 8 << 30;

/// Refuses `rows` above [`MAX_ROWS`].
pub(crate) fn check_rows(what: &'static str, rows: u64) -> Result<(), RrdError> {
    if rows > MAX_ROWS {
        return Err(bad(what, format!("{rows} rows (at most {MAX_ROWS})")));
    }
    Ok(())
}

/// Refuses a layout of `rows` (over all archives) × `ds` data sources above [`MAX_DATA_BYTES`].
pub(crate) fn check_data_size(rows: u64, ds: u64) -> Result<(), RrdError> {
    let bytes = rows.saturating_mul(ds).saturating_mul(8);
    if bytes > MAX_DATA_BYTES {
        return Err(bad(
            "RRD size",
            format!(
                "{rows} rows of {ds} data sources are {bytes} bytes (at most {MAX_DATA_BYTES})"
            ),
        ));
    }
    Ok(())
}

/// A round-robin archive of [`CreateSpec`](crate::CreateSpec), any of librrd's kinds:
///
/// - `RRA:AVERAGE|MIN|MAX|LAST:xff:steps:rows` ([`Rra::new`], [`Rra::spans`]);
/// - `RRA:HWPREDICT|MHWPREDICT:rows:alpha:beta:seasonal period[:rra-num]`
///   ([`Rra::hw_predict`], [`Rra::mhw_predict`]);
/// - `RRA:SEASONAL|DEVSEASONAL:seasonal period:gamma:rra-num[:smoothing-window=fraction]`
///   ([`Rra::seasonal`], [`Rra::dev_seasonal`]);
/// - `RRA:DEVPREDICT:rows:rra-num` ([`Rra::dev_predict`]);
/// - `RRA:FAILURES:rows:threshold:window length:rra-num` ([`Rra::failures`]).
///
/// An `rra-num` is the 1-based position of the archive this one works with, as rrdtool counts
/// it. Steps, rows and periods are [`Span`]s: counts or durations (`1h`, `1y`).
///
/// Where we are stricter than librrd 1.7.2, on purpose: an `rra-num` must name an archive of
/// the kind the chain needs (HWPREDICT → SEASONAL, SEASONAL and DEVSEASONAL → HWPREDICT,
/// DEVPREDICT and FAILURES → DEVSEASONAL); librrd accepts any number (even 0) and writes a file
/// whose updates then read the wrong archive. And a seasonal period with a unit is a duration
/// in every archive: librrd 1.7.2 reads HWPREDICT's as its leading number (`1d` as 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rra {
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Consolidate {
        cf: Cf,
        xff: f64,
        steps: Span,
        rows: Span,
    },
    Predict {
        multiplicative: bool,
        rows: Span,
        alpha: f64,
        beta: f64,
        period: Span,
        seasonal: Option<u64>,
    },
    Seasonal {
        deviation: bool,
        period: Span,
        gamma: f64,
        predict: u64,
        smoothing_window: Option<f64>,
    },
    DevPredict {
        rows: Span,
        dev_seasonal: u64,
    },
    Failures {
        rows: Span,
        threshold: u64,
        window: u64,
        dev_seasonal: u64,
    },
}

fn bad(what: &'static str, reason: impl Into<String>) -> RrdError {
    RrdError::Invalid {
        what,
        reason: reason.into(),
    }
}

impl Rra {
    /// An archive that consolidates `steps` primary points per row with `cf` (AVERAGE, MIN,
    /// MAX or LAST), keeping `rows` rows; `xff` is the fraction of unknown points allowed in a
    /// row (`0 <= xff < 1`).
    pub fn new(cf: Cf, xff: f64, steps: u64, rows: u64) -> Self {
        Self::spans(cf, xff, Span::Count(steps), Span::Count(rows))
    }

    /// As [`Rra::new`], with steps and rows as counts or durations (`1h` per row, `1y` kept).
    pub fn spans(cf: Cf, xff: f64, steps: Span, rows: Span) -> Self {
        Self {
            kind: Kind::Consolidate {
                cf,
                xff,
                steps,
                rows,
            },
        }
    }

    /// `HWPREDICT`: Holt-Winters prediction over `rows`, with intercept smoothing `alpha`
    /// (`0 < alpha < 1`), slope smoothing `beta` (`0 <= beta <= 1`) and a seasonal `period`.
    /// Without [`Rra::with_archive`], librrd adds the SEASONAL, DEVSEASONAL, DEVPREDICT and
    /// FAILURES archives it needs.
    pub fn hw_predict(rows: Span, alpha: f64, beta: f64, period: Span) -> Self {
        Self::predict(false, rows, alpha, beta, period)
    }

    /// `MHWPREDICT`: as [`Rra::hw_predict`], multiplicative.
    pub fn mhw_predict(rows: Span, alpha: f64, beta: f64, period: Span) -> Self {
        Self::predict(true, rows, alpha, beta, period)
    }

    fn predict(multiplicative: bool, rows: Span, alpha: f64, beta: f64, period: Span) -> Self {
        Self {
            kind: Kind::Predict {
                multiplicative,
                rows,
                alpha,
                beta,
                period,
                seasonal: None,
            },
        }
    }

    /// `SEASONAL`: seasonal coefficients over `period`, smoothing `gamma` (`0 < gamma < 1`),
    /// for the HWPREDICT archive at 1-based position `predict`.
    pub fn seasonal(period: Span, gamma: f64, predict: u64) -> Self {
        Self::seasonal_kind(false, period, gamma, predict)
    }

    /// `DEVSEASONAL`: seasonal deviations, as [`Rra::seasonal`].
    pub fn dev_seasonal(period: Span, gamma: f64, predict: u64) -> Self {
        Self::seasonal_kind(true, period, gamma, predict)
    }

    fn seasonal_kind(deviation: bool, period: Span, gamma: f64, predict: u64) -> Self {
        Self {
            kind: Kind::Seasonal {
                deviation,
                period,
                gamma,
                predict,
                smoothing_window: None,
            },
        }
    }

    /// `DEVPREDICT`: predicted deviations over `rows`, from the DEVSEASONAL archive at
    /// 1-based position `dev_seasonal`.
    pub fn dev_predict(rows: Span, dev_seasonal: u64) -> Self {
        Self {
            kind: Kind::DevPredict { rows, dev_seasonal },
        }
    }

    /// `FAILURES`: aberrations over `rows`; a failure is `threshold` violations within
    /// `window` points (`1 <= threshold <= window <= 28`), from the DEVSEASONAL archive at
    /// 1-based position `dev_seasonal`.
    pub fn failures(rows: Span, threshold: u64, window: u64, dev_seasonal: u64) -> Self {
        Self {
            kind: Kind::Failures {
                rows,
                threshold,
                window,
                dev_seasonal,
            },
        }
    }

    /// The archive this one works with, at 1-based position `rra` (HWPREDICT's SEASONAL);
    /// for the other Holt-Winters kinds this replaces the position given to the constructor.
    #[must_use]
    pub fn with_archive(mut self, rra: u64) -> Self {
        match &mut self.kind {
            Kind::Consolidate { .. } => {}
            Kind::Predict { seasonal, .. } => *seasonal = Some(rra),
            Kind::Seasonal { predict, .. } => *predict = rra,
            Kind::DevPredict { dev_seasonal, .. } | Kind::Failures { dev_seasonal, .. } => {
                *dev_seasonal = rra;
            }
        }
        self
    }

    /// The smoothing window of a SEASONAL or DEVSEASONAL archive, a fraction of the period
    /// (`0..=1`); ignored by the other kinds.
    #[must_use]
    pub fn smoothing_window(mut self, fraction: f64) -> Self {
        if let Kind::Seasonal {
            smoothing_window, ..
        } = &mut self.kind
        {
            *smoothing_window = Some(fraction);
        }
        self
    }

    /// The consolidation function.
    pub fn cf(&self) -> Cf {
        match self.kind {
            Kind::Consolidate { cf, .. } => cf,
            Kind::Predict {
                multiplicative: false,
                ..
            } => Cf::HwPredict,
            Kind::Predict { .. } => Cf::MhwPredict,
            Kind::Seasonal {
                deviation: false, ..
            } => Cf::Seasonal,
            Kind::Seasonal { .. } => Cf::DevSeasonal,
            Kind::DevPredict { .. } => Cf::DevPredict,
            Kind::Failures { .. } => Cf::Failures,
        }
    }

    /// The 1-based archive this one depends on, and the kinds it may be.
    fn dependency(&self) -> Option<(u64, &'static [Cf])> {
        match self.kind {
            Kind::Consolidate { .. } => None,
            Kind::Predict { seasonal, .. } => seasonal.map(|s| (s, &[Cf::Seasonal][..])),
            Kind::Seasonal { predict, .. } => Some((predict, &[Cf::HwPredict, Cf::MhwPredict][..])),
            Kind::DevPredict { dev_seasonal, .. } | Kind::Failures { dev_seasonal, .. } => {
                Some((dev_seasonal, &[Cf::DevSeasonal][..]))
            }
        }
    }

    /// The rows the archive keeps, with the step known; `None` when a duration does not fit.
    pub(crate) fn rows(&self, step: u64) -> Option<u64> {
        self.counts(step).ok().map(|(_, rows)| rows)
    }

    /// Checks the archive alone; with `step` (seconds) when known, its durations too.
    pub(crate) fn validate(&self, step: Option<u64>) -> Result<(), RrdError> {
        let fraction = |what: &'static str, v: f64, open: bool| {
            let ok = if open {
                v > 0.0 && v < 1.0
            } else {
                (0.0..=1.0).contains(&v)
            };
            if ok {
                Ok(())
            } else {
                Err(bad(what, format!("{v} must be between 0 and 1")))
            }
        };
        match self.kind {
            Kind::Consolidate { cf, xff, .. } => {
                if !matches!(cf, Cf::Average | Cf::Min | Cf::Max | Cf::Last) {
                    return Err(bad(
                        "RRA consolidation function",
                        format!("{cf} archives are made with their own constructor"),
                    ));
                }
                if !(0.0..1.0).contains(&xff) {
                    return Err(bad("RRA xff", format!("{xff} is not in [0, 1)")));
                }
            }
            Kind::Predict { alpha, beta, .. } => {
                fraction("RRA alpha", alpha, true)?;
                fraction("RRA beta", beta, false)?;
            }
            Kind::Seasonal {
                gamma,
                smoothing_window,
                ..
            } => {
                fraction("RRA gamma", gamma, true)?;
                if let Some(w) = smoothing_window {
                    fraction("RRA smoothing-window", w, false)?;
                }
            }
            Kind::DevPredict { .. } => {}
            Kind::Failures {
                threshold, window, ..
            } => {
                if !(1..=MAX_FAILURES_WINDOW).contains(&window) {
                    return Err(bad(
                        "RRA window length",
                        format!("{window} is out of range 1, {MAX_FAILURES_WINDOW}"),
                    ));
                }
                if !(1..=window).contains(&threshold) {
                    return Err(bad(
                        "RRA failure threshold",
                        format!("{threshold} must be from 1 to the window length {window}"),
                    ));
                }
            }
        }
        if let Some(step) = step {
            self.counts(step)?;
        }
        Ok(())
    }

    /// Checks the `rra-num` against the layout's archives.
    pub(crate) fn validate_dependency(&self, archives: &[Rra]) -> Result<(), RrdError> {
        let Some((num, kinds)) = self.dependency() else {
            return Ok(());
        };
        let target = usize::try_from(num)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| archives.get(i));
        match target {
            Some(t) if kinds.contains(&t.cf()) => Ok(()),
            Some(t) => Err(bad(
                "RRA rra-num",
                format!(
                    "{}'s archive {num} is {}, not {}",
                    self.cf(),
                    t.cf(),
                    kinds
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            )),
            None => Err(bad(
                "RRA rra-num",
                format!(
                    "{}'s archive {num} is not one of the {} archives (counted from 1)",
                    self.cf(),
                    archives.len()
                ),
            )),
        }
    }

    /// Steps per row and rows, resolved against `step`.
    fn counts(&self, step: u64) -> Result<(u64, u64), RrdError> {
        let resolve = |what: &'static str, span: Span, unit: u64| {
            span.resolve(unit)
                .map_err(|reason| bad(what, format!("{span}: {reason}")))
        };
        let (steps, rows) = match self.kind {
            Kind::Consolidate { steps, rows, .. } => {
                let steps = resolve("RRA steps", steps, step)?;
                let rows = resolve("RRA rows", rows, step.saturating_mul(steps))?;
                (steps, rows)
            }
            Kind::Predict { rows, period, .. } => {
                resolve("RRA seasonal period", period, step)?;
                (1, resolve("RRA rows", rows, step)?)
            }
            Kind::Seasonal { period, .. } => (1, resolve("RRA seasonal period", period, step)?),
            Kind::DevPredict { rows, .. } | Kind::Failures { rows, .. } => {
                (1, resolve("RRA rows", rows, step)?)
            }
        };
        if steps == 0 || rows == 0 {
            return Err(bad("RRA size", "steps and rows must be at least 1"));
        }
        check_rows("RRA rows", rows)?;
        Ok((steps, rows))
    }

    /// The `RRA:` argument, durations resolved against `step` when it is known (else left for
    /// librrd to scale by the template's step).
    pub fn to_arg(&self, step: Option<u64>) -> String {
        let n = |span: Span, unit: Option<u64>| match unit.map(|u| span.resolve(u)) {
            Some(Ok(n)) => n.to_string(),
            _ => span.to_string(),
        };
        let mut arg = format!("RRA:{}:", self.cf());
        let _ = match self.kind {
            Kind::Consolidate {
                xff, steps, rows, ..
            } => {
                let per_row = step.and_then(|s| steps.resolve(s).ok());
                let row_unit = step.zip(per_row).map(|(s, p)| s.saturating_mul(p));
                write!(arg, "{xff}:{}:{}", n(steps, step), n(rows, row_unit))
            }
            Kind::Predict {
                rows,
                alpha,
                beta,
                period,
                seasonal,
                ..
            } => {
                let _ = write!(arg, "{}:{alpha}:{beta}:{}", n(rows, step), n(period, step));
                match seasonal {
                    Some(s) => write!(arg, ":{s}"),
                    None => Ok(()),
                }
            }
            Kind::Seasonal {
                period,
                gamma,
                predict,
                smoothing_window,
                ..
            } => {
                let _ = write!(arg, "{}:{gamma}:{predict}", n(period, step));
                match smoothing_window {
                    Some(w) => write!(arg, ":smoothing-window={w}"),
                    None => Ok(()),
                }
            }
            Kind::DevPredict { rows, dev_seasonal } => {
                write!(arg, "{}:{dev_seasonal}", n(rows, step))
            }
            Kind::Failures {
                rows,
                threshold,
                window,
                dev_seasonal,
            } => write!(arg, "{}:{threshold}:{window}:{dev_seasonal}", n(rows, step)),
        };
        arg
    }

    /// Parses an `RRA:` argument of any kind, as `rrdtool create` takes it.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] naming the field that is wrong.
    pub fn parse(arg: &str) -> Result<Self, RrdError> {
        let rest = arg
            .strip_prefix("RRA:")
            .ok_or_else(|| bad("archive", format!("{arg:?} does not start with RRA:")))?;
        let fields: Vec<&str> = rest.split(':').collect();
        let cf: Cf = fields[0]
            .parse()
            .map_err(|e| bad("RRA consolidation function", format!("{e}")))?;
        let args = &fields[1..];
        let arity = |want: &str| {
            bad(
                "archive",
                format!("{arg:?}: expected RRA:{}:{want}", cf.as_str()),
            )
        };
        let rra = match cf {
            Cf::Average | Cf::Min | Cf::Max | Cf::Last => {
                let [xff, steps, rows] = args[..] else {
                    return Err(arity("xff:steps:rows"));
                };
                Self::spans(
                    cf,
                    number("RRA xff", xff)?,
                    span("RRA steps", steps)?,
                    span("RRA rows", rows)?,
                )
            }
            Cf::HwPredict | Cf::MhwPredict => {
                let (&[rows, alpha, beta, period], seasonal) = split_tail(args, 4)
                    .ok_or_else(|| arity("rows:alpha:beta:seasonal period[:rra-num]"))?
                else {
                    return Err(arity("rows:alpha:beta:seasonal period[:rra-num]"));
                };
                let rra = Self::predict(
                    cf == Cf::MhwPredict,
                    span("RRA rows", rows)?,
                    number("RRA alpha", alpha)?,
                    number("RRA beta", beta)?,
                    span("RRA seasonal period", period)?,
                );
                match seasonal {
                    Some(s) => rra.with_archive(count("RRA rra-num", s)?),
                    None => rra,
                }
            }
            Cf::Seasonal | Cf::DevSeasonal => {
                let want = "seasonal period:gamma:rra-num[:smoothing-window=fraction]";
                let (&[period, gamma, predict], option) =
                    split_tail(args, 3).ok_or_else(|| arity(want))?
                else {
                    return Err(arity(want));
                };
                let rra = Self::seasonal_kind(
                    cf == Cf::DevSeasonal,
                    span("RRA seasonal period", period)?,
                    number("RRA gamma", gamma)?,
                    count("RRA rra-num", predict)?,
                );
                match option {
                    None => rra,
                    Some(o) => rra.smoothing_window(smoothing_option(o)?),
                }
            }
            Cf::DevPredict => {
                let [rows, dev] = args[..] else {
                    return Err(arity("rows:rra-num"));
                };
                Self::dev_predict(span("RRA rows", rows)?, count("RRA rra-num", dev)?)
            }
            Cf::Failures => {
                let [rows, threshold, window, dev] = args[..] else {
                    return Err(arity("rows:threshold:window length:rra-num"));
                };
                Self::failures(
                    span("RRA rows", rows)?,
                    count("RRA failure threshold", threshold)?,
                    count("RRA window length", window)?,
                    count("RRA rra-num", dev)?,
                )
            }
        };
        rra.validate(None)?;
        Ok(rra)
    }
}

/// `n` fields and at most one optional last one.
fn split_tail<'a, 'b>(args: &'b [&'a str], n: usize) -> Option<(&'b [&'a str], Option<&'a str>)> {
    match args.len().checked_sub(n)? {
        0 => Some((args, None)),
        1 => Some((&args[..n], args.last().copied())),
        _ => None,
    }
}

fn span(what: &'static str, v: &str) -> Result<Span, RrdError> {
    Span::parse(v).map_err(|reason| bad(what, format!("{v:?}: {reason}")))
}

fn number(what: &'static str, v: &str) -> Result<f64, RrdError> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(what, format!("{v:?} is not a number")))
}

fn count(what: &'static str, v: &str) -> Result<u64, RrdError> {
    v.parse::<u64>()
        .map_err(|_| bad(what, format!("{v:?} is not a whole number")))
}

/// `smoothing-window=fraction`, the one option of SEASONAL and DEVSEASONAL.
fn smoothing_option(o: &str) -> Result<f64, RrdError> {
    let w = o.strip_prefix("smoothing-window=").ok_or_else(|| {
        bad(
            "RRA option",
            format!("{o:?} is not smoothing-window=fraction"),
        )
    })?;
    number("RRA smoothing-window", w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_and_emits_rrdtools_argument() {
        for arg in [
            "RRA:AVERAGE:0.5:1:600",
            "RRA:MAX:0:444:797",
            "RRA:HWPREDICT:1440:0.1:0.0035:288",
            "RRA:MHWPREDICT:1440:0.1:0.0035:288:3",
            "RRA:SEASONAL:288:0.1:2",
            "RRA:DEVSEASONAL:288:0.1:2:smoothing-window=0.25",
            "RRA:DEVPREDICT:1440:5",
            "RRA:FAILURES:288:7:9:5",
        ] {
            assert_eq!(Rra::parse(arg).unwrap().to_arg(Some(300)), arg);
        }
        let r = Rra::parse("RRA:AVERAGE:0.5:1h:1y").unwrap();
        assert_eq!(r.to_arg(Some(300)), "RRA:AVERAGE:0.5:12:8784");
        assert_eq!(r.to_arg(None), "RRA:AVERAGE:0.5:3600s:31622400s");
        let r = Rra::parse("RRA:HWPREDICT:1d:0.1:0.0035:1d").unwrap();
        assert_eq!(r.to_arg(Some(300)), "RRA:HWPREDICT:288:0.1:0.0035:288");
    }

    #[test]
    fn bad_archives_name_the_field() {
        let what = |arg: &str, step: u64| match Rra::parse(arg).and_then(|r| r.validate(Some(step)))
        {
            Err(RrdError::Invalid { what, .. }) => what,
            other => panic!("{arg}: {other:?}"),
        };
        assert_eq!(what("RRA:AVG:0.5:1:1", 300), "RRA consolidation function");
        assert_eq!(what("RRA:AVERAGE:1:1:1", 300), "RRA xff");
        assert_eq!(what("RRA:AVERAGE:0.5:1", 300), "archive");
        assert_eq!(what("RRA:AVERAGE:0.5:7m:10", 300), "RRA steps");
        assert_eq!(what("RRA:AVERAGE:0.5:1h:1000s", 300), "RRA rows");
        assert_eq!(what("RRA:AVERAGE:0.5:0:10", 300), "RRA steps");
        assert_eq!(what("RRA:HWPREDICT:100:1:0.1:12", 300), "RRA alpha");
        assert_eq!(what("RRA:HWPREDICT:100:0.5:1.5:12", 300), "RRA beta");
        assert_eq!(what("RRA:HWPREDICT:100:0.5:0.5:12:1:7", 300), "archive");
        assert_eq!(what("RRA:SEASONAL:12:1:1", 300), "RRA gamma");
        assert_eq!(
            what("RRA:SEASONAL:12:0.1:1:smoothing-window=1.5", 300),
            "RRA smoothing-window"
        );
        assert_eq!(what("RRA:SEASONAL:12:0.1:1:foo=1", 300), "RRA option");
        assert_eq!(what("RRA:FAILURES:10:10:9:5", 300), "RRA failure threshold");
        assert_eq!(what("RRA:FAILURES:10:3:29:5", 300), "RRA window length");
        assert_eq!(what("RRA:DEVPREDICT:10", 300), "archive");
        assert_eq!(what("RRA:AVERAGE:nan:1:1", 300), "RRA xff");
    }

    #[test]
    fn rra_num_must_name_the_archive_the_chain_needs() {
        let layout = [
            Rra::new(Cf::Average, 0.5, 1, 10),
            Rra::parse("RRA:HWPREDICT:100:0.1:0.0035:12:3").unwrap(),
            Rra::parse("RRA:SEASONAL:12:0.1:2").unwrap(),
            Rra::parse("RRA:DEVSEASONAL:12:0.1:2").unwrap(),
            Rra::parse("RRA:FAILURES:12:7:9:4").unwrap(),
        ];
        for r in &layout {
            r.validate_dependency(&layout).unwrap();
        }
        for bad in [
            "RRA:FAILURES:12:7:9:3",
            "RRA:FAILURES:12:7:9:0",
            "RRA:DEVPREDICT:12:9",
        ] {
            let r = Rra::parse(bad).unwrap();
            assert!(r.validate_dependency(&layout).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn no_text_panics_the_parser(arg in "\\PC{0,40}") {
            let _ = Rra::parse(&arg);
            if let Ok(r) = Rra::parse(&format!("RRA:{arg}")) {
                let _ = r.validate(Some(300));
                let _ = r.to_arg(Some(300));
            }
        }
    }
}
