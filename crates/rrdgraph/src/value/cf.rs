//! Consolidation functions.

use std::fmt;
use std::str::FromStr;

use crate::value_error::ValueError;

/// A consolidation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cf {
    /// `AVERAGE`
    Average,
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `LAST`
    Last,
    /// `HWPREDICT`
    HwPredict,
    /// `MHWPREDICT`
    MhwPredict,
    /// `SEASONAL`
    Seasonal,
    /// `DEVSEASONAL`
    DevSeasonal,
    /// `DEVPREDICT`
    DevPredict,
    /// `FAILURES`
    Failures,
}

impl Cf {
    /// Every consolidation function.
    pub const ALL: [Cf; 10] = [
        Cf::Average,
        Cf::Min,
        Cf::Max,
        Cf::Last,
        Cf::HwPredict,
        Cf::MhwPredict,
        Cf::Seasonal,
        Cf::DevSeasonal,
        Cf::DevPredict,
        Cf::Failures,
    ];

    /// librrd's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cf::Average => "AVERAGE",
            Cf::Min => "MIN",
            Cf::Max => "MAX",
            Cf::Last => "LAST",
            Cf::HwPredict => "HWPREDICT",
            Cf::MhwPredict => "MHWPREDICT",
            Cf::Seasonal => "SEASONAL",
            Cf::DevSeasonal => "DEVSEASONAL",
            Cf::DevPredict => "DEVPREDICT",
            Cf::Failures => "FAILURES",
        }
    }

    pub(crate) const fn rust_name(self) -> &'static str {
        match self {
            Cf::Average => "Average",
            Cf::Min => "Min",
            Cf::Max => "Max",
            Cf::Last => "Last",
            Cf::HwPredict => "HwPredict",
            Cf::MhwPredict => "MhwPredict",
            Cf::Seasonal => "Seasonal",
            Cf::DevSeasonal => "DevSeasonal",
            Cf::DevPredict => "DevPredict",
            Cf::Failures => "Failures",
        }
    }
}

impl fmt::Display for Cf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cf {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cf::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| ValueError::Keyword {
            found: s.to_owned(),
            allowed: "AVERAGE|MIN|MAX|LAST|HWPREDICT|MHWPREDICT|SEASONAL|DEVSEASONAL|DEVPREDICT|FAILURES",
        })
    }
}
