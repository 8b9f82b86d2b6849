//! Graph elements: data definitions, graph elements and print elements.
//!
//! Every drawing element (LINE, AREA, STACK, TICK, HRULE, VRULE) has one shape: `Kind::new(what)`
//! where `what` is a vname or a number ([`Position`]), then `.color(c)` and `.legend(l)`, and
//! the kind's own options. A control code always travels inside the [`Legend`] (or the
//! [`PrintFormat`](crate::PrintFormat)), attached with `with_code`.

use std::path::PathBuf;

pub use crate::element_kind::ElementKind;
use crate::rpn::{Rpn, VDefExpr};
use crate::value::{AtTime, Cf, Color, DsName, Legend, PrintFormat, VName};

/// `DEF:vname=rrd:ds-name:CF[:step=step][:start=time][:end=time][:reduce=CF][:daemon=address]`
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    /// The vname defined.
    pub vname: VName,
    /// The RRD file (any path, UTF-8 or not; `:` is escaped on emit).
    pub rrd: PathBuf,
    /// The data source in the RRD.
    pub ds: DsName,
    /// The consolidation function of the RRA to read.
    pub cf: Cf,
    /// `step=`: the wanted resolution in seconds.
    pub step: Option<u64>,
    /// `start=`: fetch from this time instead of the graph start.
    pub start: Option<AtTime>,
    /// `end=`: fetch up to this time instead of the graph end.
    pub end: Option<AtTime>,
    /// `reduce=`: the consolidation used to fit the data to the pixels.
    pub reduce: Option<Cf>,
    /// `daemon=`: the rrdcached address for this DEF.
    pub daemon: Option<String>,
}

impl Def {
    /// `DEF:vname=rrd:ds:cf`.
    pub fn new(vname: &VName, rrd: impl Into<PathBuf>, ds: DsName, cf: Cf) -> Self {
        Def {
            vname: vname.clone(),
            rrd: rrd.into(),
            ds,
            cf,
            step: None,
            start: None,
            end: None,
            reduce: None,
            daemon: None,
        }
    }

    /// Sets `step=`.
    #[must_use]
    pub fn step(mut self, secs: u64) -> Self {
        self.step = Some(secs);
        self
    }

    /// Sets `start=`.
    #[must_use]
    pub fn start(mut self, t: AtTime) -> Self {
        self.start = Some(t);
        self
    }

    /// Sets `end=`.
    #[must_use]
    pub fn end(mut self, t: AtTime) -> Self {
        self.end = Some(t);
        self
    }

    /// Sets `reduce=`.
    #[must_use]
    pub fn reduce(mut self, cf: Cf) -> Self {
        self.reduce = Some(cf);
        self
    }

    /// Sets `daemon=`.
    #[must_use]
    pub fn daemon(mut self, address: impl Into<String>) -> Self {
        self.daemon = Some(address.into());
        self
    }
}

/// The one way every drawing element takes its color and legend (the legend carries the
/// control code: `Legend::new(..)?.with_code(..)`).
macro_rules! color_and_legend {
    ($($ty:ident),*) => {$(
        impl $ty {
            /// Sets the color.
            #[must_use]
            pub fn color(mut self, color: Color) -> Self {
                self.color = Some(color);
                self
            }

            /// Sets the legend, with its control code if any.
            #[must_use]
            pub fn legend(mut self, legend: Legend) -> Self {
                self.legend = Some(legend);
                self
            }
        }
    )*};
}

color_and_legend!(Line, Area, Stack, Tick, HRule, VRule);

/// `CDEF:vname=RPN`
#[derive(Debug, Clone, PartialEq)]
pub struct CDef {
    /// The vname defined.
    pub vname: VName,
    /// The expression.
    pub rpn: Rpn,
}

impl CDef {
    /// `CDEF:vname=rpn`.
    pub fn new(vname: &VName, rpn: Rpn) -> Self {
        CDef {
            vname: vname.clone(),
            rpn,
        }
    }
}

/// `VDEF:vname=src,FUNC`
#[derive(Debug, Clone, PartialEq)]
pub struct VDef {
    /// The vname defined.
    pub vname: VName,
    /// The expression.
    pub expr: VDefExpr,
}

impl VDef {
    /// `VDEF:vname=expr`.
    pub fn new(vname: &VName, expr: VDefExpr) -> Self {
        VDef {
            vname: vname.clone(),
            expr,
        }
    }
}

/// A dash pattern: `dashes` (empty: librrd's default 5,5) or `dashes=on,off,…`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dashes(pub Vec<f64>);

/// `LINE[width]:value[#color][:legend][:STACK][:skipscale][:dashes[=…]][:dash-offset=n]`
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The width in pixels; `None` writes plain `LINE` (width 1).
    pub width: Option<f64>,
    /// The vname drawn, or a constant (`LINE1:100`).
    pub value: Position,
    /// The color; without one the line is invisible.
    pub color: Option<Color>,
    /// The legend.
    pub legend: Option<Legend>,
    /// Stack on the previous LINE/AREA/STACK (on zero when there is none, as librrd 1.7.2 does).
    pub stack: bool,
    /// Leave out of the autoscaling.
    pub skipscale: bool,
    /// Dash pattern.
    pub dashes: Option<Dashes>,
    /// Offset into the dash pattern.
    pub dash_offset: Option<f64>,
}

impl Line {
    /// `LINE1:value` (width 1, invisible until a color is set); `value` is a vname or a
    /// number.
    pub fn new(value: impl Into<Position>) -> Self {
        Line {
            width: Some(1.0),
            value: value.into(),
            color: None,
            legend: None,
            stack: false,
            skipscale: false,
            dashes: None,
            dash_offset: None,
        }
    }

    /// Sets the width (`None` for plain `LINE`).
    #[must_use]
    pub fn width(mut self, width: impl Into<Option<f64>>) -> Self {
        self.width = width.into();
        self
    }

    /// Stacks on the previous element.
    #[must_use]
    pub fn stack(mut self) -> Self {
        self.stack = true;
        self
    }

    /// Leaves the line out of autoscaling.
    #[must_use]
    pub fn skipscale(mut self) -> Self {
        self.skipscale = true;
        self
    }

    /// Sets a dash pattern (empty for librrd's default).
    #[must_use]
    pub fn dashes(mut self, pattern: Vec<f64>) -> Self {
        self.dashes = Some(Dashes(pattern));
        self
    }

    /// Sets the dash offset.
    #[must_use]
    pub fn dash_offset(mut self, offset: f64) -> Self {
        self.dash_offset = Some(offset);
        self
    }
}

/// `AREA:value[#color[#color2]][:legend][:STACK][:skipscale][:gradheight=y]`
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The vname drawn, or a constant (`AREA:100`).
    pub value: Position,
    /// The fill color; without one the area is invisible.
    pub color: Option<Color>,
    /// The second color of a gradient fill.
    pub gradient: Option<Color>,
    /// The legend.
    pub legend: Option<Legend>,
    /// Stack on the previous LINE/AREA/STACK (on zero when there is none, as librrd 1.7.2 does).
    pub stack: bool,
    /// Leave out of the autoscaling.
    pub skipscale: bool,
    /// `gradheight=`: gradient height in pixels (librrd's default is 50).
    pub gradheight: Option<f64>,
}

impl Area {
    /// `AREA:value` (invisible until a color is set); `value` is a vname or a number.
    pub fn new(value: impl Into<Position>) -> Self {
        Area {
            value: value.into(),
            color: None,
            gradient: None,
            legend: None,
            stack: false,
            skipscale: false,
            gradheight: None,
        }
    }

    /// Fills with a gradient from the color to `color2` (see [`Area::gradheight`]).
    #[must_use]
    pub fn gradient(mut self, color2: Color) -> Self {
        self.gradient = Some(color2);
        self
    }

    /// Stacks on the previous element.
    #[must_use]
    pub fn stack(mut self) -> Self {
        self.stack = true;
        self
    }

    /// Leaves the area out of autoscaling.
    #[must_use]
    pub fn skipscale(mut self) -> Self {
        self.skipscale = true;
        self
    }

    /// Sets `gradheight=`.
    #[must_use]
    pub fn gradheight(mut self, height: f64) -> Self {
        self.gradheight = Some(height);
        self
    }
}

/// `STACK:vname#color[:legend]` (deprecated form of `:STACK`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    /// The vname drawn, or a constant.
    pub value: Position,
    /// The color; without one the element is invisible.
    pub color: Option<Color>,
    /// The legend.
    pub legend: Option<Legend>,
}

impl Stack {
    /// `STACK:value` (invisible until a color is set); `value` is a vname or a number.
    pub fn new(value: impl Into<Position>) -> Self {
        Stack {
            value: value.into(),
            color: None,
            legend: None,
        }
    }
}

/// `TICK:value[#color]:fraction[:legend]` — the fraction is always written (librrd 1.7.2 fails
/// without it). The value must be a vname: librrd 1.7.2 reads freed memory on a TICK of a
/// number, so validation refuses one.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// The vname, or a constant.
    pub value: Position,
    /// The color; without one the ticks are invisible.
    pub color: Option<Color>,
    /// The tick length as a fraction of the y-axis (negative: from the top). Default 0.1.
    pub fraction: f64,
    /// The legend.
    pub legend: Option<Legend>,
}

impl Tick {
    /// `TICK:value:0.1` (invisible until a color is set); `value` is a vname or a number.
    pub fn new(value: impl Into<Position>) -> Self {
        Tick {
            value: value.into(),
            color: None,
            fraction: 0.1,
            legend: None,
        }
    }

    /// Sets the fraction.
    #[must_use]
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.fraction = fraction;
        self
    }
}

/// The offset of a SHIFT: whole seconds or a VDEF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftOffset {
    /// Seconds (librrd only accepts integers).
    Seconds(i64),
    /// A VDEF whose value is the offset.
    VName(VName),
}

/// `SHIFT:vname:offset`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// The DEF or CDEF shifted.
    pub value: VName,
    /// The offset.
    pub offset: ShiftOffset,
}

impl Shift {
    /// `SHIFT:vname:seconds`.
    pub fn new_seconds(value: &VName, secs: i64) -> Self {
        Shift {
            value: value.clone(),
            offset: ShiftOffset::Seconds(secs),
        }
    }
}

/// What a drawing element draws: a vname, or a number (a constant value, or for a VRULE epoch
/// seconds). `From` makes one of either: `Line::new(&bits)`, `HRule::new(6144.0)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    /// A number.
    Num(f64),
    /// A vname (for the rules, a VDEF).
    VName(VName),
}

impl Position {
    /// The vname, if this is one.
    pub fn vname(&self) -> Option<&VName> {
        match self {
            Position::VName(v) => Some(v),
            Position::Num(_) => None,
        }
    }
}

impl From<&VName> for Position {
    fn from(v: &VName) -> Self {
        Position::VName(v.clone())
    }
}

impl From<VName> for Position {
    fn from(v: VName) -> Self {
        Position::VName(v)
    }
}

impl From<f64> for Position {
    fn from(n: f64) -> Self {
        Position::Num(n)
    }
}

impl From<i32> for Position {
    fn from(n: i32) -> Self {
        Position::Num(f64::from(n))
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Num(n) => f.write_str(&crate::value::fmt_f64(*n)),
            Position::VName(v) => f.write_str(v.as_str()),
        }
    }
}

/// `HRULE:value[#color][:legend][:dashes[=…]][:dash-offset=n]`
#[derive(Debug, Clone, PartialEq)]
pub struct HRule {
    /// The value.
    pub value: Position,
    /// The color; `None` draws no rule, only its legend (librrd accepts a rule without color).
    pub color: Option<Color>,
    /// The legend.
    pub legend: Option<Legend>,
    /// Dash pattern.
    pub dashes: Option<Dashes>,
    /// Offset into the dash pattern.
    pub dash_offset: Option<f64>,
}

impl HRule {
    /// `HRULE:value` at a number or a VDEF; without a color librrd draws no line, but the
    /// legend entry stays.
    pub fn new(value: impl Into<Position>) -> Self {
        HRule {
            value: value.into(),
            color: None,
            legend: None,
            dashes: None,
            dash_offset: None,
        }
    }

    /// Sets a dash pattern (empty for librrd's default).
    #[must_use]
    pub fn dashes(mut self, pattern: Vec<f64>) -> Self {
        self.dashes = Some(Dashes(pattern));
        self
    }

    /// Sets the dash offset.
    #[must_use]
    pub fn dash_offset(mut self, offset: f64) -> Self {
        self.dash_offset = Some(offset);
        self
    }
}

/// What HRULE and VRULE share, so that emit and code generation treat them alike.
pub(crate) struct RuleParts<'a> {
    pub(crate) pos: &'a Position,
    pub(crate) color: Option<Color>,
    pub(crate) legend: Option<&'a Legend>,
    pub(crate) dashes: Option<&'a Dashes>,
    pub(crate) offset: Option<f64>,
}

impl HRule {
    pub(crate) fn parts(&self) -> RuleParts<'_> {
        RuleParts {
            pos: &self.value,
            color: self.color,
            legend: self.legend.as_ref(),
            dashes: self.dashes.as_ref(),
            offset: self.dash_offset,
        }
    }
}

impl VRule {
    pub(crate) fn parts(&self) -> RuleParts<'_> {
        RuleParts {
            pos: &self.time,
            color: self.color,
            legend: self.legend.as_ref(),
            dashes: self.dashes.as_ref(),
            offset: self.dash_offset,
        }
    }
}

/// `VRULE:time[#color][:legend][:dashes[=…]][:dash-offset=n]`
#[derive(Debug, Clone, PartialEq)]
pub struct VRule {
    /// The time (epoch seconds) or a VDEF.
    pub time: Position,
    /// The color; `None` draws no rule, only its legend (librrd accepts a rule without color).
    pub color: Option<Color>,
    /// The legend.
    pub legend: Option<Legend>,
    /// Dash pattern.
    pub dashes: Option<Dashes>,
    /// Offset into the dash pattern.
    pub dash_offset: Option<f64>,
}

impl VRule {
    /// `VRULE:time` at epoch seconds or a VDEF; without a color librrd draws no line, but the
    /// legend entry stays.
    pub fn new(time: impl Into<Position>) -> Self {
        VRule {
            time: time.into(),
            color: None,
            legend: None,
            dashes: None,
            dash_offset: None,
        }
    }

    /// Sets a dash pattern (empty for librrd's default).
    #[must_use]
    pub fn dashes(mut self, pattern: Vec<f64>) -> Self {
        self.dashes = Some(Dashes(pattern));
        self
    }

    /// Sets the dash offset.
    #[must_use]
    pub fn dash_offset(mut self, offset: f64) -> Self {
        self.dash_offset = Some(offset);
        self
    }
}

/// `TEXTALIGN:{left|right|justified|center}`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAlign {
    /// `left`
    Left,
    /// `right`
    Right,
    /// `justified`
    Justified,
    /// `center`
    Center,
}

impl TextAlign {
    /// librrd's keyword.
    pub const fn as_str(self) -> &'static str {
        match self {
            TextAlign::Left => "left",
            TextAlign::Right => "right",
            TextAlign::Justified => "justified",
            TextAlign::Center => "center",
        }
    }
}

/// The format of a PRINT or GPRINT, with the style suffix.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// A value format (`%6.2lf %S`).
    Value(PrintFormat),
    /// `:strftime`: the VDEF's time, as a strftime format.
    Strftime(Legend),
    /// `:valstrftime`: the VDEF's value as a time, as a strftime format.
    ValStrftime(Legend),
    /// `:valstrfduration`: the VDEF's value as a duration in milliseconds (`%H:%02M`).
    ValStrfduration(Legend),
}

impl Format {
    /// The format text and code.
    pub fn legend(&self) -> &Legend {
        match self {
            Format::Value(f) => f.as_legend(),
            Format::Strftime(l) | Format::ValStrftime(l) | Format::ValStrfduration(l) => l,
        }
    }

    /// The style suffix keyword, if any.
    pub const fn style(&self) -> Option<&'static str> {
        match self {
            Format::Value(_) => None,
            Format::Strftime(_) => Some("strftime"),
            Format::ValStrftime(_) => Some("valstrftime"),
            Format::ValStrfduration(_) => Some("valstrfduration"),
        }
    }
}

/// `PRINT:vname:format[:style]` or the deprecated `PRINT:vname:CF:format` (GPRINT likewise).
#[derive(Debug, Clone, PartialEq)]
pub struct Print {
    /// The vname printed: a VDEF, or a DEF/CDEF with `cf`.
    pub vname: VName,
    /// The consolidation for the deprecated DEF/CDEF form.
    pub cf: Option<Cf>,
    /// The format.
    pub format: Format,
}

impl Print {
    /// `PRINT:vdef:format`.
    pub fn new(vname: &VName, format: PrintFormat) -> Self {
        Print {
            vname: vname.clone(),
            cf: None,
            format: Format::Value(format),
        }
    }

    /// The deprecated `PRINT:vname:CF:format` over a DEF or CDEF.
    pub fn with_cf(vname: &VName, cf: Cf, format: PrintFormat) -> Self {
        Print {
            vname: vname.clone(),
            cf: Some(cf),
            format: Format::Value(format),
        }
    }

    /// A print with any format style.
    pub fn with_format(vname: &VName, format: Format) -> Self {
        Print {
            vname: vname.clone(),
            cf: None,
            format,
        }
    }
}

/// One element of a graph definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// `DEF`
    Def(Def),
    /// `CDEF`
    CDef(CDef),
    /// `VDEF`
    VDef(VDef),
    /// `LINE`
    Line(Line),
    /// `AREA`
    Area(Area),
    /// `STACK`
    Stack(Stack),
    /// `TICK`
    Tick(Tick),
    /// `SHIFT`
    Shift(Shift),
    /// `HRULE`
    HRule(HRule),
    /// `VRULE`
    VRule(VRule),
    /// `TEXTALIGN`
    TextAlign(TextAlign),
    /// `COMMENT`
    Comment(Legend),
    /// `PRINT`
    Print(Print),
    /// `GPRINT`
    GPrint(Print),
}

impl Element {
    /// The element's kind.
    pub const fn kind(&self) -> ElementKind {
        match self {
            Element::Def(_) => ElementKind::Def,
            Element::CDef(_) => ElementKind::CDef,
            Element::VDef(_) => ElementKind::VDef,
            Element::Line(_) => ElementKind::Line,
            Element::Area(_) => ElementKind::Area,
            Element::Stack(_) => ElementKind::Stack,
            Element::Tick(_) => ElementKind::Tick,
            Element::Shift(_) => ElementKind::Shift,
            Element::HRule(_) => ElementKind::HRule,
            Element::VRule(_) => ElementKind::VRule,
            Element::TextAlign(_) => ElementKind::TextAlign,
            Element::Comment(_) => ElementKind::Comment,
            Element::Print(_) => ElementKind::Print,
            Element::GPrint(_) => ElementKind::GPrint,
        }
    }

    /// The vname this element defines, if it is a DEF, CDEF or VDEF.
    pub fn defines(&self) -> Option<&VName> {
        match self {
            Element::Def(d) => Some(&d.vname),
            Element::CDef(c) => Some(&c.vname),
            Element::VDef(v) => Some(&v.vname),
            _ => None,
        }
    }

    /// The legend, for elements that have one (COMMENT text, GPRINT format included).
    pub fn legend(&self) -> Option<&Legend> {
        match self {
            Element::Line(l) => l.legend.as_ref(),
            Element::Area(a) => a.legend.as_ref(),
            Element::Stack(s) => s.legend.as_ref(),
            Element::Tick(t) => t.legend.as_ref(),
            Element::HRule(h) => h.legend.as_ref(),
            Element::VRule(v) => v.legend.as_ref(),
            Element::Comment(c) => Some(c),
            Element::GPrint(p) | Element::Print(p) => Some(p.format.legend()),
            _ => None,
        }
    }
}

macro_rules! into_element {
    ($($t:ident => $v:ident),*) => {$(
        impl From<$t> for Element {
            fn from(x: $t) -> Self {
                Element::$v(x)
            }
        }
    )*};
}

into_element!(Def => Def, CDef => CDef, VDef => VDef, Line => Line, Area => Area, Stack => Stack,
    Tick => Tick, Shift => Shift, HRule => HRule, VRule => VRule, TextAlign => TextAlign);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ControlCode;

    #[test]
    fn kinds_and_definitions() {
        let x = VName::new("x").unwrap();
        let def: Element = Def::new(&x, "a.rrd", DsName::new("v").unwrap(), Cf::Average).into();
        assert_eq!(def.kind(), ElementKind::Def);
        assert_eq!(def.defines(), Some(&x));
        let line: Element = Line::new(&x).legend(Legend::new("l").unwrap()).into();
        assert_eq!(line.defines(), None);
        assert_eq!(line.legend().map(Legend::text), Some("l"));
        let c = Element::Comment(Legend::code_only(ControlCode::Space));
        assert_eq!(c.legend().and_then(Legend::code), Some(ControlCode::Space));
        for k in ElementKind::ALL {
            assert_eq!(
                k.defines_vname(),
                matches!(k.as_str(), "DEF" | "CDEF" | "VDEF")
            );
        }
        assert!(!ElementKind::Shift.is_output() && ElementKind::Print.is_output());
    }

    #[test]
    fn formats_know_their_style() {
        let l = Legend::new("%H").unwrap();
        assert_eq!(Format::Strftime(l.clone()).style(), Some("strftime"));
        assert_eq!(Format::ValStrfduration(l.clone()).legend(), &l);
        assert_eq!(
            Format::Value(PrintFormat::new("%lf").unwrap()).style(),
            None
        );
    }
}
