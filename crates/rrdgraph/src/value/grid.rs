//! The `--x-grid` and `--y-grid` specs.

use std::fmt;
use std::str::FromStr;

use super::number::parse_f64;
use super::text::{MAX_LEGEND_LEN, check_text};
use crate::value_error::ValueError;

/// A time unit of the `--x-grid` spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `SECOND`
    Second,
    /// `MINUTE`
    Minute,
    /// `HOUR`
    Hour,
    /// `DAY`
    Day,
    /// `WEEK`
    Week,
    /// `MONTH`
    Month,
    /// `YEAR`
    Year,
}

impl TimeUnit {
    /// Every unit.
    pub const ALL: [TimeUnit; 7] = [
        TimeUnit::Second,
        TimeUnit::Minute,
        TimeUnit::Hour,
        TimeUnit::Day,
        TimeUnit::Week,
        TimeUnit::Month,
        TimeUnit::Year,
    ];

    /// The unit's shortest and longest length in seconds (months and years vary).
    pub(crate) const fn seconds(self) -> (u64, u64) {
        match self {
            TimeUnit::Second => (1, 1),
            TimeUnit::Minute => (60, 60),
            TimeUnit::Hour => (3600, 3600),
            TimeUnit::Day => (86_400, 86_400),
            TimeUnit::Week => (604_800, 604_800),
            TimeUnit::Month => (28 * 86_400, 31 * 86_400),
            TimeUnit::Year => (365 * 86_400, 366 * 86_400),
        }
    }

    /// librrd's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "SECOND",
            TimeUnit::Minute => "MINUTE",
            TimeUnit::Hour => "HOUR",
            TimeUnit::Day => "DAY",
            TimeUnit::Week => "WEEK",
            TimeUnit::Month => "MONTH",
            TimeUnit::Year => "YEAR",
        }
    }
}

impl FromStr for TimeUnit {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeUnit::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| ValueError::Keyword {
                found: s.to_owned(),
                allowed: "SECOND|MINUTE|HOUR|DAY|WEEK|MONTH|YEAR",
            })
    }
}

/// The `--x-grid` spec: `GTM:GST:MTM:MST:LTM:LST:LPR:LFM`, or `none`.
///
/// ```
/// use rrdgraph::XGrid;
/// let g: XGrid = "MINUTE:12:HOUR:1:HOUR:1:0:%H".parse()?;
/// assert_eq!(g.to_string(), "MINUTE:12:HOUR:1:HOUR:1:0:%H");
/// # Ok::<(), rrdgraph::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum XGrid {
    /// `none`: no grid and no labels.
    None,
    /// A full grid spec.
    Spec {
        /// Base grid unit and count (GTM:GST).
        base: (TimeUnit, u32),
        /// Major grid unit and count (MTM:MST).
        major: (TimeUnit, u32),
        /// Label unit and count (LTM:LST).
        label: (TimeUnit, u32),
        /// Label placement in seconds (LPR): 0 puts the label under its line.
        precision: u32,
        /// The strftime label format (LFM).
        format: String,
    },
}

impl fmt::Display for XGrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XGrid::None => f.write_str("none"),
            XGrid::Spec {
                base,
                major,
                label,
                precision,
                format,
            } => write!(
                f,
                "{}:{}:{}:{}:{}:{}:{}:{}",
                base.0.as_str(),
                base.1,
                major.0.as_str(),
                major.1,
                label.0.as_str(),
                label.1,
                precision,
                format
            ),
        }
    }
}

impl FromStr for XGrid {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(XGrid::None);
        }
        let bad = || ValueError::Shape {
            what: "x-grid",
            text: s.chars().take(80).collect(),
            expected: "GTM:GST:MTM:MST:LTM:LST:LPR:LFM (e.g. MINUTE:10:HOUR:1:HOUR:4:0:%X) or none",
        };
        let parts: Vec<&str> = s.splitn(8, ':').collect();
        if parts.len() != 8 {
            return Err(bad());
        }
        let unit = |i: usize| parts[i].parse::<TimeUnit>().map_err(|_| bad());
        let num = |i: usize| parts[i].parse::<u32>().map_err(|_| bad());
        // An empty label format is allowed: librrd then draws no labels.
        let format = parts[7].to_owned();
        check_text(&format, MAX_LEGEND_LEN)?;
        let g = XGrid::Spec {
            base: (unit(0)?, num(1)?),
            major: (unit(2)?, num(3)?),
            label: (unit(4)?, num(5)?),
            precision: num(6)?,
            format,
        };
        g.validate()?;
        Ok(g)
    }
}

impl XGrid {
    pub(crate) fn validate(&self) -> Result<(), ValueError> {
        if let XGrid::Spec {
            base,
            major,
            label,
            precision,
            format,
        } = self
        {
            for (what, n) in [("base", base.1), ("major", major.1), ("label", label.1)] {
                if n == 0 {
                    return Err(ValueError::Shape {
                        what: "x-grid",
                        text: self.to_string(),
                        expected: match what {
                            "base" => "a base grid count above 0",
                            "major" => "a major grid count above 0",
                            _ => "a label count above 0",
                        },
                    });
                }
            }
            check_text(format, MAX_LEGEND_LEN)?;
            // librrd steps through the grid with `struct tm` and `int` arithmetic.
            let too_long = [base, major, label]
                .iter()
                .any(|(unit, n)| u64::from(*n) * unit.seconds().1 > MAX_GRID_INTERVAL)
                || u64::from(*precision) > MAX_GRID_INTERVAL;
            if too_long {
                return Err(ValueError::Shape {
                    what: "x-grid",
                    text: self.to_string(),
                    expected: "intervals and a label placement of at most 2147483647 seconds \
                               (librrd steps through them in an int)",
                });
            }
        }
        Ok(())
    }

    /// The shortest interval (seconds) between two lines or labels of the grid.
    pub(crate) fn shortest_interval(&self) -> Option<u64> {
        match self {
            XGrid::None => None,
            XGrid::Spec {
                base, major, label, ..
            } => [base, major, label]
                .iter()
                .map(|(unit, n)| u64::from(*n) * unit.seconds().0)
                .min(),
        }
    }
}

/// The longest `--x-grid` interval and label placement, in seconds: librrd adds them to a
/// `struct tm` and a `time_t` through `int`s.
pub const MAX_GRID_INTERVAL: u64 = i32::MAX as u64;

/// The most lines or labels an `--x-grid` may draw over the graph's time range: librrd draws
/// every one of them (100,000 labelled lines take librrd about 3 s of CPU), and a second grid
/// over decades (`SECOND:1` over 60 years) never ends.
pub const MAX_GRID_LINES: u64 = 100_000;

/// The `--y-grid` spec: `grid step:label factor`, or `none`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YGrid {
    /// `none`: no grid, no labels, no space for them.
    None,
    /// Grid lines every `step`, a label every `factor` lines.
    Spec {
        /// The grid step (> 0).
        step: f64,
        /// Label every this many lines (> 0).
        factor: u32,
    },
}

impl fmt::Display for YGrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            YGrid::None => f.write_str("none"),
            YGrid::Spec { step, factor } => write!(f, "{step}:{factor}"),
        }
    }
}

impl FromStr for YGrid {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(YGrid::None);
        }
        let bad = || ValueError::Shape {
            what: "y-grid",
            text: s.chars().take(80).collect(),
            expected: "step:factor with step > 0 and an integer factor > 0, or none",
        };
        let (a, b) = s.split_once(':').ok_or_else(bad)?;
        let step = parse_f64(a).map_err(|_| bad())?;
        let factor = b.parse::<u32>().map_err(|_| bad())?;
        if step <= 0.0 || factor == 0 {
            return Err(bad());
        }
        let g = YGrid::Spec { step, factor };
        g.validate()?;
        Ok(g)
    }
}

/// The most horizontal grid lines a `--y-grid` may make librrd draw where the spec decides it:
/// librrd widens the value range to a multiple of `factor × step`, so a label factor draws at
/// least that many lines, and the range reaches `--lower-limit` and `--upper-limit`. librrd draws every line (10,000 take it about 0.6 s of CPU; 100,000 six seconds,
/// and a step of 10^-6 over a range of 1 never ends).
///
/// The rest of the range is the data's, which no spec can know: a step far below the data's
/// range still makes librrd draw for a long time.
pub const MAX_Y_GRID_LINES: u32 = 10_000;

impl YGrid {
    pub(crate) fn validate(&self) -> Result<(), ValueError> {
        match self {
            YGrid::Spec { step, factor }
                if step.is_nan() || *step <= 0.0 || *factor == 0 || *factor > MAX_Y_GRID_LINES =>
            {
                Err(ValueError::Shape {
                    what: "y-grid",
                    text: self.to_string(),
                    expected: "a step > 0 and a label factor of 1 to 10000 (MAX_Y_GRID_LINES)",
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids() {
        let g: XGrid = "HOUR:8:DAY:1:DAY:1:86400:%A %H:%M".parse().unwrap();
        assert_eq!(g.to_string(), "HOUR:8:DAY:1:DAY:1:86400:%A %H:%M");
        // librrd 1.7.2 segfaults on a spec without the format field; an empty one is fine.
        assert!("HOUR:8:DAY:1:DAY:1:86400".parse::<XGrid>().is_err());
        assert_eq!(
            "HOUR:8:DAY:1:DAY:1:0:"
                .parse::<XGrid>()
                .unwrap()
                .to_string(),
            "HOUR:8:DAY:1:DAY:1:0:"
        );
        assert!("HOURS:8:DAY:1:DAY:1:0:%H".parse::<XGrid>().is_err());
        assert!("HOUR:0:DAY:1:DAY:1:0:%H".parse::<XGrid>().is_err());
        assert_eq!(
            "10:2".parse::<YGrid>().unwrap(),
            YGrid::Spec {
                step: 10.0,
                factor: 2
            }
        );
        assert!("0:2".parse::<YGrid>().is_err());
        assert!("x:2".parse::<YGrid>().is_err());
    }
}
