//! Graph options (`--start`, `--title`, `--color`, …), one variant per librrd 1.7 option.

use std::fmt;

use crate::value::{AtTime, Color, MAX_TEXT_LEN, XGrid, YGrid, check_text, fmt_f64, parse_f64};
use crate::value_error::ValueError;

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident, $allowed:literal, { $( $(#[$vdoc:meta])* $var:ident = $kw:literal ),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $var, )*
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$var),*];

            /// librrd's keyword.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$var => $kw,)* }
            }

            pub(crate) const fn rust_name(self) -> &'static str {
                match self { $($name::$var => stringify!($var),)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    ValueError::Keyword { found: s.chars().take(40).collect(), allowed: $allowed }
                })
            }
        }
    };
}

keyword_enum!(
    /// `--imgformat`: image formats and, for the data formats, rrdxport output.
    ImageFormat, "PNG|SVG|EPS|PDF|XML|XMLENUM|JSON|JSONTIME|CSV|TSV|SSV", {
    /// PNG image.
    Png = "PNG",
    /// SVG image.
    Svg = "SVG",
    /// Encapsulated PostScript.
    Eps = "EPS",
    /// PDF.
    Pdf = "PDF",
    /// rrdxport XML.
    Xml = "XML",
    /// rrdxport XML with enumerated value tags.
    XmlEnum = "XMLENUM",
    /// rrdxport JSON.
    Json = "JSON",
    /// rrdxport JSON with a timestamp per row.
    JsonTime = "JSONTIME",
    /// Comma-separated values.
    Csv = "CSV",
    /// Tab-separated values.
    Tsv = "TSV",
    /// Semicolon-separated values.
    Ssv = "SSV",
});

impl ImageFormat {
    /// Whether this is a data (xport) format rather than an image.
    pub const fn is_data(self) -> bool {
        !matches!(
            self,
            ImageFormat::Png | ImageFormat::Svg | ImageFormat::Eps | ImageFormat::Pdf
        )
    }
}

keyword_enum!(
    /// `--color` tags.
    ColorTag, "BACK|CANVAS|SHADEA|SHADEB|GRID|MGRID|FONT|AXIS|FRAME|ARROW", {
    /// Background.
    Back = "BACK",
    /// The graph area's background.
    Canvas = "CANVAS",
    /// Left and top border.
    ShadeA = "SHADEA",
    /// Right and bottom border.
    ShadeB = "SHADEB",
    /// Grid.
    Grid = "GRID",
    /// Major grid.
    MGrid = "MGRID",
    /// Text.
    Font = "FONT",
    /// Axes.
    Axis = "AXIS",
    /// The line around the color spots.
    Frame = "FRAME",
    /// The arrow heads.
    Arrow = "ARROW",
});

keyword_enum!(
    /// `--font` tags.
    FontTag, "DEFAULT|TITLE|AXIS|UNIT|LEGEND|WATERMARK", {
    /// Every text element.
    Default = "DEFAULT",
    /// The title.
    Title = "TITLE",
    /// Axis labels.
    Axis = "AXIS",
    /// The vertical unit label.
    Unit = "UNIT",
    /// The legend.
    Legend = "LEGEND",
    /// The watermark.
    Watermark = "WATERMARK",
});

keyword_enum!(
    /// `--legend-position`.
    LegendPosition, "north|south|west|east", {
    /// Above the graph.
    North = "north",
    /// Below the graph (default).
    South = "south",
    /// Left of the graph.
    West = "west",
    /// Right of the graph.
    East = "east",
});

keyword_enum!(
    /// `--legend-direction`.
    LegendDirection, "topdown|bottomup|bottomup2", {
    /// Top down (default).
    TopDown = "topdown",
    /// Bottom up, like a stack.
    BottomUp = "bottomup",
    /// Bottom up, keeping leading and trailing COMMENT lines in order.
    BottomUp2 = "bottomup2",
});

keyword_enum!(
    /// `--font-render-mode`.
    FontRenderMode, "normal|light|mono", {
    /// Full hinting and anti-aliasing.
    Normal = "normal",
    /// Slight hinting.
    Light = "light",
    /// No anti-aliasing.
    Mono = "mono",
});

keyword_enum!(
    /// `--graph-render-mode`.
    GraphRenderMode, "normal|mono", {
    /// Anti-aliased.
    Normal = "normal",
    /// No anti-aliasing.
    Mono = "mono",
});

keyword_enum!(
    /// `--left-axis-formatter` and `--right-axis-formatter`.
    AxisFormatter, "numeric|timestamp|duration", {
    /// Numbers (default).
    Numeric = "numeric",
    /// Unix timestamps, strftime formatted.
    Timestamp = "timestamp",
    /// Durations in milliseconds.
    Duration = "duration",
});

keyword_enum!(
    /// `--units`.
    Units, "si", {
    /// SI prefixes on logarithmic graphs.
    Si = "si",
});

keyword_enum!(
    /// `--graph-type`.
    GraphType, "TIME|XY", {
    /// A time series graph (default).
    Time = "TIME",
    /// An x/y graph.
    Xy = "XY",
});

/// A `--font` value: `TAG:size[:font]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Font {
    /// Which text element.
    pub tag: FontTag,
    /// Size in points; 0 keeps the size.
    pub size: f64,
    /// A Pango font name; `None` writes no third field, `Some("")` writes an empty one.
    pub name: Option<String>,
}

macro_rules! options {
    ($( $(#[$doc:meta])* $var:ident $(($($ty:ty),*))? = $long:literal, $short:expr, $example:expr; )*) => {
        /// A graph option. Options keep their order, so repeated `--color` and `--font` apply in
        /// the order given, exactly as librrd reads them.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum GraphOption {
            $( $(#[$doc])* $var $(($($ty),*))?, )*
        }

        /// Every option librrd 1.7 knows: long name, short letter, and an example value (`None`
        /// for flags).
        pub const OPTIONS: &[OptionInfo] = &[
            $( OptionInfo { long: $long, short: $short, example: $example }, )*
        ];
    };
}

/// One row of the option catalog ([`OPTIONS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInfo {
    /// The long name without dashes.
    pub long: &'static str,
    /// The short letter.
    pub short: Option<char>,
    /// An example value librrd accepts, `None` for flags.
    pub example: Option<&'static str>,
}

impl OptionInfo {
    /// Whether the option takes a value.
    pub const fn takes_value(&self) -> bool {
        self.example.is_some()
    }

    /// The first librrd version that has the option (all options here are in 1.7.2; the
    /// catalog is checked against the installed librrd by the table test).
    pub const fn since(&self) -> (u32, u32) {
        (1, 7)
    }
}

options! {
    /// `--start`
    Start(AtTime) = "start", Some('s'), Some("-1d");
    /// `--end`
    End(AtTime) = "end", Some('e'), Some("now");
    /// `--step` seconds
    Step(u64) = "step", Some('S'), Some("300");
    /// `--title`
    Title(String) = "title", Some('t'), Some("Traffic");
    /// `--vertical-label`
    VerticalLabel(String) = "vertical-label", Some('v'), Some("Bytes/s");
    /// `--width` of the canvas (at least 10)
    Width(u32) = "width", Some('w'), Some("650");
    /// `--height` of the canvas (at least 10)
    Height(u32) = "height", Some('h'), Some("230");
    /// `--only-graph`
    OnlyGraph = "only-graph", Some('j'), None;
    /// `--full-size-mode`
    FullSizeMode = "full-size-mode", Some('D'), None;
    /// `--upper-limit`
    UpperLimit(f64) = "upper-limit", Some('u'), Some("100");
    /// `--lower-limit`
    LowerLimit(f64) = "lower-limit", Some('l'), Some("0");
    /// `--rigid`
    Rigid = "rigid", Some('r'), None;
    /// `--allow-shrink`
    AllowShrink = "allow-shrink", None, None;
    /// `--alt-autoscale`
    AltAutoscale = "alt-autoscale", Some('A'), None;
    /// `--alt-autoscale-min` (a flag: it takes no value)
    AltAutoscaleMin = "alt-autoscale-min", Some('J'), None;
    /// `--alt-autoscale-max` (a flag: it takes no value)
    AltAutoscaleMax = "alt-autoscale-max", Some('M'), None;
    /// `--no-gridfit`
    NoGridfit = "no-gridfit", Some('N'), None;
    /// `--x-grid`
    XGrid(XGrid) = "x-grid", Some('x'), Some("MINUTE:12:HOUR:1:HOUR:1:0:%H");
    /// `--week-fmt` (librrd keeps it globally: set it explicitly when rendering in-process)
    WeekFmt(String) = "week-fmt", None, Some("Week %V");
    /// `--y-grid`
    YGrid(YGrid) = "y-grid", Some('y'), Some("10:2");
    /// `--left-axis-formatter`
    LeftAxisFormatter(AxisFormatter) = "left-axis-formatter", None, Some("numeric");
    /// `--left-axis-format`
    LeftAxisFormat(String) = "left-axis-format", None, Some("%5.1lf");
    /// `--alt-y-grid`
    AltYGrid = "alt-y-grid", Some('Y'), None;
    /// `--logarithmic`
    Logarithmic = "logarithmic", Some('o'), None;
    /// `--units-exponent` (a multiple of 3 in -18..=18)
    UnitsExponent(i32) = "units-exponent", Some('X'), Some("3");
    /// `--units-length`
    UnitsLength(u32) = "units-length", Some('L'), Some("5");
    /// `--units=si`
    Units(Units) = "units", None, Some("si");
    /// `--right-axis scale:shift`
    RightAxis(f64, f64) = "right-axis", None, Some("8:0");
    /// `--right-axis-label`
    RightAxisLabel(String) = "right-axis-label", None, Some("bits/s");
    /// `--right-axis-formatter`
    RightAxisFormatter(AxisFormatter) = "right-axis-formatter", None, Some("numeric");
    /// `--right-axis-format`
    RightAxisFormat(String) = "right-axis-format", None, Some("%5.1lf");
    /// `--no-legend`
    NoLegend = "no-legend", Some('g'), None;
    /// `--force-rules-legend`
    ForceRulesLegend = "force-rules-legend", Some('F'), None;
    /// `--legend-position`
    LegendPosition(LegendPosition) = "legend-position", None, Some("east");
    /// `--legend-direction`
    LegendDirection(LegendDirection) = "legend-direction", None, Some("bottomup");
    /// `--lazy`
    Lazy = "lazy", Some('z'), None;
    /// `--daemon` address of rrdcached
    Daemon(String) = "daemon", Some('d'), Some("unix:/run/rrdcached.sock");
    /// `--imginfo` (`%s`, `%lu`, `%lu`: filename, width, height)
    ImgInfo(String) = "imginfo", Some('f'), Some("<IMG SRC=\"%s\" WIDTH=\"%lu\" HEIGHT=\"%lu\">");
    /// `--color TAG#color` (repeatable, applied in order)
    Color(ColorTag, Color) = "color", Some('c'), Some("BACK#FFFFFF");
    /// `--grid-dash on:off`
    GridDash(f64, f64) = "grid-dash", None, Some("1:3");
    /// `--border` width in pixels
    Border(u32) = "border", None, Some("2");
    /// `--dynamic-labels`
    DynamicLabels = "dynamic-labels", None, None;
    /// `--zoom` factor (> 0)
    Zoom(f64) = "zoom", Some('m'), Some("1.5");
    /// `--font TAG:size[:font]` (repeatable, applied in order)
    Font(Font) = "font", Some('n'), Some("TITLE:13:DejaVu Sans");
    /// `--font-render-mode`
    FontRenderMode(FontRenderMode) = "font-render-mode", Some('R'), Some("light");
    /// `--font-smoothing-threshold` (ignored by librrd since 1.3)
    FontSmoothingThreshold(f64) = "font-smoothing-threshold", Some('B'), Some("8");
    /// `--pango-markup`
    PangoMarkup = "pango-markup", Some('P'), None;
    /// `--graph-render-mode`
    GraphRenderMode(GraphRenderMode) = "graph-render-mode", Some('G'), Some("mono");
    /// `--slope-mode`
    SlopeMode = "slope-mode", Some('E'), None;
    /// `--imgformat`
    ImgFormat(ImageFormat) = "imgformat", Some('a'), Some("SVG");
    /// `--interlaced` (ignored by librrd since 1.3)
    Interlaced = "interlaced", Some('i'), None;
    /// `--tabwidth` in pixels
    TabWidth(u32) = "tabwidth", Some('T'), Some("40");
    /// `--base` (1000 or 1024)
    Base(u32) = "base", Some('b'), Some("1024");
    /// `--watermark`
    Watermark(String) = "watermark", Some('W'), Some("opskit");
    /// `--use-nan-for-all-missing-data`
    UseNanForAllMissingData = "use-nan-for-all-missing-data", Some('Z'), None;
    /// `--disable-rrdtool-tag`
    DisableRrdtoolTag = "disable-rrdtool-tag", None, None;
    /// `--no-minor`
    NoMinor = "no-minor", Some('I'), None;
    /// `--alt-y-mrtg` (no effect; accepted for old scripts)
    AltYMrtg = "alt-y-mrtg", None, None;
    /// `--graph-type`
    GraphType(GraphType) = "graph-type", None, Some("TIME");
}

/// The largest `--step`, in seconds: librrd reads it with `atoi` into an `int`.
pub const MAX_STEP: u64 = i32::MAX as u64;

/// Options whose value librrd reads as a number (`atoi` or `strtod`).
fn is_numeric(long: &str) -> bool {
    matches!(
        long,
        "step"
            | "width"
            | "height"
            | "upper-limit"
            | "lower-limit"
            | "units-exponent"
            | "units-length"
            | "border"
            | "zoom"
            | "font-smoothing-threshold"
            | "tabwidth"
            | "base"
    )
}

/// Finds an option by long name.
pub fn option_info(long: &str) -> Option<&'static OptionInfo> {
    OPTIONS.iter().find(|o| o.long == long)
}

pub(crate) fn option_by_short(c: char) -> Option<&'static OptionInfo> {
    OPTIONS.iter().find(|o| o.short == Some(c))
}

fn shape(what: &'static str, text: &str, expected: &'static str) -> ValueError {
    ValueError::Shape {
        what,
        text: text.chars().take(80).collect(),
        expected,
    }
}

fn int<T: std::str::FromStr>(s: &str, expected: &'static str) -> Result<T, ValueError> {
    s.parse().map_err(|_| ValueError::Number {
        text: s.chars().take(40).collect(),
        expected,
    })
}

fn text(s: &str) -> Result<String, ValueError> {
    check_text(s, MAX_TEXT_LEN)?;
    Ok(s.to_owned())
}

fn pair(s: &str, what: &'static str, expected: &'static str) -> Result<(f64, f64), ValueError> {
    let (a, b) = s.split_once(':').ok_or_else(|| shape(what, s, expected))?;
    Ok((
        parse_f64(a).map_err(|_| shape(what, s, expected))?,
        parse_f64(b).map_err(|_| shape(what, s, expected))?,
    ))
}

/// Checks librrd's `--imginfo` rule: `%s`, then `%lu`, then `%lu`, with `%%` allowed.
fn check_imginfo(s: &str) -> Result<(), ValueError> {
    let mut want = ["s", "lu", "lu"].into_iter();
    let mut rest = s;
    let mut next = want.next();
    while let Some(i) = rest.find('%') {
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            rest = r;
            continue;
        }
        match next {
            Some(w) if after.starts_with(w) => {
                rest = &after[w.len()..];
                next = want.next();
            }
            _ => {
                return Err(ValueError::Format(
                    "--imginfo needs exactly %s, %lu, %lu in this order",
                ));
            }
        }
    }
    if next.is_some() {
        return Err(ValueError::Format(
            "--imginfo needs exactly %s, %lu, %lu in this order",
        ));
    }
    Ok(())
}

impl GraphOption {
    /// The option's long name, without dashes.
    pub fn long_name(&self) -> &'static str {
        self.info().long
    }

    /// The catalog row of this option.
    pub fn info(&self) -> &'static OptionInfo {
        let name = match self {
            GraphOption::Start(_) => "start",
            GraphOption::End(_) => "end",
            GraphOption::Step(_) => "step",
            GraphOption::Title(_) => "title",
            GraphOption::VerticalLabel(_) => "vertical-label",
            GraphOption::Width(_) => "width",
            GraphOption::Height(_) => "height",
            GraphOption::OnlyGraph => "only-graph",
            GraphOption::FullSizeMode => "full-size-mode",
            GraphOption::UpperLimit(_) => "upper-limit",
            GraphOption::LowerLimit(_) => "lower-limit",
            GraphOption::Rigid => "rigid",
            GraphOption::AllowShrink => "allow-shrink",
            GraphOption::AltAutoscale => "alt-autoscale",
            GraphOption::AltAutoscaleMin => "alt-autoscale-min",
            GraphOption::AltAutoscaleMax => "alt-autoscale-max",
            GraphOption::NoGridfit => "no-gridfit",
            GraphOption::XGrid(_) => "x-grid",
            GraphOption::WeekFmt(_) => "week-fmt",
            GraphOption::YGrid(_) => "y-grid",
            GraphOption::LeftAxisFormatter(_) => "left-axis-formatter",
            GraphOption::LeftAxisFormat(_) => "left-axis-format",
            GraphOption::AltYGrid => "alt-y-grid",
            GraphOption::Logarithmic => "logarithmic",
            GraphOption::UnitsExponent(_) => "units-exponent",
            GraphOption::UnitsLength(_) => "units-length",
            GraphOption::Units(_) => "units",
            GraphOption::RightAxis(..) => "right-axis",
            GraphOption::RightAxisLabel(_) => "right-axis-label",
            GraphOption::RightAxisFormatter(_) => "right-axis-formatter",
            GraphOption::RightAxisFormat(_) => "right-axis-format",
            GraphOption::NoLegend => "no-legend",
            GraphOption::ForceRulesLegend => "force-rules-legend",
            GraphOption::LegendPosition(_) => "legend-position",
            GraphOption::LegendDirection(_) => "legend-direction",
            GraphOption::Lazy => "lazy",
            GraphOption::Daemon(_) => "daemon",
            GraphOption::ImgInfo(_) => "imginfo",
            GraphOption::Color(..) => "color",
            GraphOption::GridDash(..) => "grid-dash",
            GraphOption::Border(_) => "border",
            GraphOption::DynamicLabels => "dynamic-labels",
            GraphOption::Zoom(_) => "zoom",
            GraphOption::Font(_) => "font",
            GraphOption::FontRenderMode(_) => "font-render-mode",
            GraphOption::FontSmoothingThreshold(_) => "font-smoothing-threshold",
            GraphOption::PangoMarkup => "pango-markup",
            GraphOption::GraphRenderMode(_) => "graph-render-mode",
            GraphOption::SlopeMode => "slope-mode",
            GraphOption::ImgFormat(_) => "imgformat",
            GraphOption::Interlaced => "interlaced",
            GraphOption::TabWidth(_) => "tabwidth",
            GraphOption::Base(_) => "base",
            GraphOption::Watermark(_) => "watermark",
            GraphOption::UseNanForAllMissingData => "use-nan-for-all-missing-data",
            GraphOption::DisableRrdtoolTag => "disable-rrdtool-tag",
            GraphOption::NoMinor => "no-minor",
            GraphOption::AltYMrtg => "alt-y-mrtg",
            GraphOption::GraphType(_) => "graph-type",
        };
        option_info(name).expect("every variant is in the catalog")
    }

    /// Builds an option from its long name and value (`None` for flags), validating the value.
    ///
    /// # Errors
    /// A [`ValueError`] describing the bad value; [`ValueError::Keyword`] for an unknown name.
    pub fn from_name_value(long: &str, value: Option<&str>) -> Result<Self, ValueError> {
        let info = option_info(long).ok_or_else(|| ValueError::Keyword {
            found: long.chars().take(40).collect(),
            allowed: "an rrdtool graph option",
        })?;
        let v = value.unwrap_or("");
        // librrd reads numbers with atoi/strtod and times with its at-style parser, which all
        // skip white space: `-w 300` as one argument (getopt's joined value " 300") is a width
        // of 300. Text values keep their spaces, and keywords compare exactly, as in librrd.
        let v = if info.long == "start" || info.long == "end" || is_numeric(info.long) {
            v.trim_matches([' ', '\t', '\n'])
        } else {
            v
        };
        let o = match info.long {
            "start" => GraphOption::Start(AtTime::new(v)?),
            "end" => GraphOption::End(AtTime::new(v)?),
            "step" => GraphOption::Step(int(v, "a step in whole seconds")?),
            "title" => GraphOption::Title(text(v)?),
            "vertical-label" => GraphOption::VerticalLabel(text(v)?),
            "width" => GraphOption::Width(int(v, "a width in pixels")?),
            "height" => GraphOption::Height(int(v, "a height in pixels")?),
            "only-graph" => GraphOption::OnlyGraph,
            "full-size-mode" => GraphOption::FullSizeMode,
            "upper-limit" => GraphOption::UpperLimit(parse_f64(v)?),
            "lower-limit" => GraphOption::LowerLimit(parse_f64(v)?),
            "rigid" => GraphOption::Rigid,
            "allow-shrink" => GraphOption::AllowShrink,
            "alt-autoscale" => GraphOption::AltAutoscale,
            "alt-autoscale-min" => GraphOption::AltAutoscaleMin,
            "alt-autoscale-max" => GraphOption::AltAutoscaleMax,
            "no-gridfit" => GraphOption::NoGridfit,
            "x-grid" => GraphOption::XGrid(v.parse()?),
            "week-fmt" => GraphOption::WeekFmt(text(v)?),
            "y-grid" => GraphOption::YGrid(v.parse()?),
            "left-axis-formatter" => GraphOption::LeftAxisFormatter(v.parse()?),
            "left-axis-format" => GraphOption::LeftAxisFormat(text(v)?),
            "alt-y-grid" => GraphOption::AltYGrid,
            "logarithmic" => GraphOption::Logarithmic,
            "units-exponent" => GraphOption::UnitsExponent(int(v, "an integer exponent")?),
            "units-length" => GraphOption::UnitsLength(int(v, "a number of digits")?),
            "units" => GraphOption::Units(v.parse()?),
            "right-axis" => {
                let (a, b) = pair(v, "right-axis", "scale:shift")?;
                GraphOption::RightAxis(a, b)
            }
            "right-axis-label" => GraphOption::RightAxisLabel(text(v)?),
            "right-axis-formatter" => GraphOption::RightAxisFormatter(v.parse()?),
            "right-axis-format" => GraphOption::RightAxisFormat(text(v)?),
            "no-legend" => GraphOption::NoLegend,
            "force-rules-legend" => GraphOption::ForceRulesLegend,
            "legend-position" => GraphOption::LegendPosition(v.parse()?),
            "legend-direction" => GraphOption::LegendDirection(v.parse()?),
            "lazy" => GraphOption::Lazy,
            "daemon" => GraphOption::Daemon(text(v)?),
            "imginfo" => GraphOption::ImgInfo(text(v)?),
            "color" => {
                let i = v
                    .find('#')
                    .ok_or_else(|| shape("color", v, "TAG#RRGGBB[AA]"))?;
                GraphOption::Color(v[..i].parse()?, Color::parse(&v[i..])?)
            }
            "grid-dash" => {
                let (a, b) = pair(v, "grid-dash", "on:off")?;
                GraphOption::GridDash(a, b)
            }
            "border" => GraphOption::Border(int(v, "a border width in pixels")?),
            "dynamic-labels" => GraphOption::DynamicLabels,
            "zoom" => GraphOption::Zoom(parse_f64(v)?),
            "font" => {
                let mut it = v.splitn(3, ':');
                let tag = it.next().unwrap_or_default().parse()?;
                let size = it
                    .next()
                    .ok_or_else(|| shape("font", v, "TAG:size[:font]"))?;
                let size = parse_f64(size).map_err(|_| shape("font", v, "TAG:size[:font]"))?;
                let name = it.next().map(text).transpose()?;
                GraphOption::Font(Font { tag, size, name })
            }
            "font-render-mode" => GraphOption::FontRenderMode(v.parse()?),
            "font-smoothing-threshold" => GraphOption::FontSmoothingThreshold(parse_f64(v)?),
            "pango-markup" => GraphOption::PangoMarkup,
            "graph-render-mode" => GraphOption::GraphRenderMode(v.parse()?),
            "slope-mode" => GraphOption::SlopeMode,
            "imgformat" => GraphOption::ImgFormat(v.parse()?),
            "interlaced" => GraphOption::Interlaced,
            "tabwidth" => GraphOption::TabWidth(int(v, "a tab width in pixels")?),
            "base" => GraphOption::Base(int(v, "1000 or 1024")?),
            "watermark" => GraphOption::Watermark(text(v)?),
            "use-nan-for-all-missing-data" => GraphOption::UseNanForAllMissingData,
            "disable-rrdtool-tag" => GraphOption::DisableRrdtoolTag,
            "no-minor" => GraphOption::NoMinor,
            "alt-y-mrtg" => GraphOption::AltYMrtg,
            "graph-type" => GraphOption::GraphType(v.parse()?),
            _ => unreachable!("catalog and parser list the same options"),
        };
        o.validate()?;
        Ok(o)
    }

    /// The option's value as librrd reads it (`None` for flags).
    pub fn value(&self) -> Option<String> {
        Some(match self {
            GraphOption::Start(t) | GraphOption::End(t) => t.to_string(),
            GraphOption::Step(v) => v.to_string(),
            GraphOption::Title(s)
            | GraphOption::VerticalLabel(s)
            | GraphOption::WeekFmt(s)
            | GraphOption::LeftAxisFormat(s)
            | GraphOption::RightAxisLabel(s)
            | GraphOption::RightAxisFormat(s)
            | GraphOption::Daemon(s)
            | GraphOption::ImgInfo(s)
            | GraphOption::Watermark(s) => s.clone(),
            GraphOption::Width(v)
            | GraphOption::Height(v)
            | GraphOption::UnitsLength(v)
            | GraphOption::Border(v)
            | GraphOption::TabWidth(v)
            | GraphOption::Base(v) => v.to_string(),
            GraphOption::UpperLimit(v)
            | GraphOption::LowerLimit(v)
            | GraphOption::Zoom(v)
            | GraphOption::FontSmoothingThreshold(v) => fmt_f64(*v),
            GraphOption::XGrid(g) => g.to_string(),
            GraphOption::YGrid(g) => match g {
                YGrid::None => "none".to_owned(),
                YGrid::Spec { step, factor } => format!("{}:{factor}", fmt_f64(*step)),
            },
            GraphOption::LeftAxisFormatter(f) | GraphOption::RightAxisFormatter(f) => {
                f.as_str().to_owned()
            }
            GraphOption::UnitsExponent(v) => v.to_string(),
            GraphOption::Units(u) => u.as_str().to_owned(),
            GraphOption::RightAxis(a, b) | GraphOption::GridDash(a, b) => {
                format!("{}:{}", fmt_f64(*a), fmt_f64(*b))
            }
            GraphOption::LegendPosition(p) => p.as_str().to_owned(),
            GraphOption::LegendDirection(d) => d.as_str().to_owned(),
            GraphOption::Color(tag, c) => format!("{tag}{c}"),
            GraphOption::Font(f) => match &f.name {
                Some(n) => format!("{}:{}:{n}", f.tag, fmt_f64(f.size)),
                None => format!("{}:{}", f.tag, fmt_f64(f.size)),
            },
            GraphOption::FontRenderMode(m) => m.as_str().to_owned(),
            GraphOption::GraphRenderMode(m) => m.as_str().to_owned(),
            GraphOption::ImgFormat(f) => f.as_str().to_owned(),
            GraphOption::GraphType(t) => t.as_str().to_owned(),
            _ => return None,
        })
    }

    /// Checks the value ranges librrd enforces (width ≥ 10, base 1000/1024, zoom > 0, …).
    ///
    /// # Errors
    /// A [`ValueError`] for the bad value.
    pub fn validate(&self) -> Result<(), ValueError> {
        let num = |v: String, expected| Err(ValueError::Number { text: v, expected });
        match self {
            GraphOption::Width(v) | GraphOption::Height(v) if *v < 10 => {
                num(v.to_string(), "at least 10 pixels")
            }
            GraphOption::Width(v) | GraphOption::Height(v) if *v > 100_000 => {
                num(v.to_string(), "at most 100000 pixels")
            }
            // librrd reads `--step` with `atoi`.
            GraphOption::Step(v) if *v > MAX_STEP => {
                num(v.to_string(), "a step of at most 2147483647 seconds")
            }
            GraphOption::Zoom(v) if *v <= 0.0 || *v > 100.0 => {
                num(fmt_f64(*v), "a zoom factor in (0, 100]")
            }
            GraphOption::Base(v) if *v != 1000 && *v != 1024 => num(v.to_string(), "1000 or 1024"),
            GraphOption::UnitsExponent(v) if *v % 3 != 0 || !(-18..=18).contains(v) => {
                num(v.to_string(), "a multiple of 3 in -18..=18")
            }
            GraphOption::RightAxis(scale, _) if *scale == 0.0 => {
                num("0".into(), "a right-axis scale other than 0")
            }
            GraphOption::GridDash(a, b) if *a < 0.0 || *b < 0.0 => num(
                format!("{}:{}", fmt_f64(*a), fmt_f64(*b)),
                "non-negative on:off lengths",
            ),
            GraphOption::Font(f) if f.size < 0.0 => num(fmt_f64(f.size), "a font size ≥ 0"),
            GraphOption::XGrid(g) => g.validate(),
            GraphOption::YGrid(g) => g.validate(),
            GraphOption::ImgInfo(s) => check_imginfo(s),
            GraphOption::Title(s)
            | GraphOption::VerticalLabel(s)
            | GraphOption::WeekFmt(s)
            | GraphOption::LeftAxisFormat(s)
            | GraphOption::RightAxisLabel(s)
            | GraphOption::RightAxisFormat(s)
            | GraphOption::Watermark(s)
            | GraphOption::Daemon(s)
            | GraphOption::Font(Font { name: Some(s), .. })
                if !s.is_empty() || !matches!(self, GraphOption::Daemon(_)) =>
            {
                check_text(s, MAX_TEXT_LEN)
            }
            GraphOption::Daemon(_) => Err(ValueError::Empty),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_example_parses_and_round_trips() {
        for info in OPTIONS {
            let o = GraphOption::from_name_value(info.long, info.example)
                .unwrap_or_else(|e| panic!("{}: {e}", info.long));
            assert_eq!(o.long_name(), info.long);
            assert_eq!(o.value().as_deref(), info.example, "{}", info.long);
        }
    }

    #[test]
    fn short_letters_are_unique() {
        let mut s: Vec<char> = OPTIONS.iter().filter_map(|o| o.short).collect();
        let n = s.len();
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), n);
    }

    #[test]
    fn bad_values() {
        let e = |n, v| GraphOption::from_name_value(n, Some(v)).unwrap_err();
        assert!(matches!(e("width", "9"), ValueError::Number { .. }));
        assert!(matches!(e("width", "100x"), ValueError::Number { .. }));
        assert!(matches!(e("base", "999"), ValueError::Number { .. }));
        assert!(matches!(e("zoom", "0"), ValueError::Number { .. }));
        assert!(matches!(
            e("units-exponent", "4"),
            ValueError::Number { .. }
        ));
        assert!(matches!(
            e("color", "FOO#FFFFFF"),
            ValueError::Keyword { .. }
        ));
        assert!(matches!(e("color", "BACK#FFFFF"), ValueError::Color(_)));
        assert!(matches!(e("font", "TITLE"), ValueError::Shape { .. }));
        assert!(matches!(e("right-axis", "0:1"), ValueError::Number { .. }));
        assert!(matches!(e("imginfo", "%s %lu"), ValueError::Format(_)));
        assert!(matches!(e("imgformat", "GIF"), ValueError::Keyword { .. }));
        assert!(matches!(e("upper-limit", "abc"), ValueError::Number { .. }));
        assert!(matches!(e("start", "-1dy"), ValueError::Time { .. }));
        // Keywords compare exactly, as in librrd (`-a PNG` as one argument fails there too).
        assert!(matches!(e("imgformat", " PNG"), ValueError::Keyword { .. }));
    }

    #[test]
    fn numbers_and_times_skip_white_space_like_atoi() {
        let o = |n, v| GraphOption::from_name_value(n, Some(v)).unwrap();
        assert_eq!(o("width", " 300 "), GraphOption::Width(300));
        assert_eq!(o("upper-limit", "  5"), GraphOption::UpperLimit(5.0));
        assert_eq!(o("start", " -1d").value().as_deref(), Some("-1d"));
        assert_eq!(o("title", " t"), GraphOption::Title(" t".into()));
    }
}
