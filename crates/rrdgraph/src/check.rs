//! The build-time checks of the elements: each element kind checks its own fields, and
//! [`check_elements`] walks the list keeping what the checks share (the vnames defined so far,
//! and whether something was drawn to stack on).

use std::collections::HashMap;

use crate::element::{
    Area, CDef, Dashes, Def, Element, ElementKind, Format, Line, Position, Print, Shift,
    ShiftOffset, Stack, Tick, VDef,
};
use crate::error::{Error, Result};
use crate::image_size::MAX_LINE_WIDTH;
use crate::value::{
    Legend, MAX_LEGEND_LEN, MAX_TEXT_LEN, VName, check_duration_format, check_text,
};
use crate::value_error::ValueError;

use ElementKind as K;

/// A vname of any kind.
const ANY: &[ElementKind] = &[K::Def, K::CDef, K::VDef];
/// A vname of a series.
const SERIES: &[ElementKind] = &[K::Def, K::CDef];
/// A vname of a VDEF.
const VDEF: &[ElementKind] = &[K::VDef];

const NOTHING_TO_STACK_ON: &str = "nothing to stack on: STACK needs an earlier LINE, AREA or STACK";

/// What one element's check sees: its place, and what the elements before it defined and drew.
pub(crate) struct Cx<'a> {
    index: usize,
    element: &'a Element,
    defined: &'a HashMap<&'a str, (usize, ElementKind)>,
    drawn_before: bool,
}

impl Cx<'_> {
    fn kind(&self) -> ElementKind {
        self.element.kind()
    }

    fn err(&self, field: &'static str, reason: impl Into<ValueError>) -> Error {
        Error::Element {
            index: self.index,
            kind: self.kind(),
            field,
            reason: reason.into(),
        }
    }

    fn invalid(&self, field: &'static str, reason: &'static str) -> Result<()> {
        Err(self.err(field, ValueError::Invalid(reason)))
    }

    /// `name` is defined before this element, by an element of one of the `ok` kinds.
    fn lookup(
        &self,
        field: &'static str,
        name: &VName,
        expected: &'static str,
        ok: &[ElementKind],
    ) -> Result<()> {
        match self.defined.get(name.as_str()) {
            None => Err(Error::Undefined {
                index: self.index,
                kind: self.kind(),
                field,
                name: name.clone(),
            }),
            Some((_, found)) if !ok.contains(found) => Err(Error::WrongKind {
                index: self.index,
                kind: self.kind(),
                field,
                name: name.clone(),
                found: *found,
                expected,
            }),
            Some(_) => Ok(()),
        }
    }

    fn legend(&self, legend: Option<&Legend>) -> Result<()> {
        if let Some(l) = legend {
            // Legends are validated on construction; re-check what public fields and
            // `with_code` may have changed.
            check_text(l.text(), MAX_LEGEND_LEN).map_err(|r| self.err("legend", r))?;
            let len = l.to_raw().len();
            if len > MAX_LEGEND_LEN {
                return Err(self.err(
                    "legend",
                    ValueError::TooLong {
                        len,
                        max: MAX_LEGEND_LEN,
                    },
                ));
            }
        }
        Ok(())
    }

    fn dashes(&self, d: Option<&Dashes>, off: Option<f64>) -> Result<()> {
        if let Some(d) = d {
            if d.0.len() > 1 && d.0.len() % 2 == 1 {
                return self.invalid(
                    "dashes",
                    "give one length or an even number of on,off lengths",
                );
            }
            if d.0.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                return self.invalid("dashes", "dash lengths must be positive");
            }
        }
        if let Some(o) = off
            && (!o.is_finite() || o < 0.0)
        {
            return self.invalid("dash-offset", "must be a non-negative number");
        }
        Ok(())
    }

    fn no_trailing_backslash(&self, field: &'static str, s: &str) -> Result<()> {
        check_text(s, MAX_TEXT_LEN).map_err(|r| self.err(field, r))?;
        if s.ends_with('\\') {
            return Err(self.err(field, ValueError::TrailingBackslash));
        }
        Ok(())
    }

    /// What a LINE, AREA, STACK or TICK draws: a vname defined before it, or a finite number.
    fn drawn_value(&self, value: &Position) -> Result<()> {
        match value {
            Position::VName(v) => self.lookup("value", v, "DEF, CDEF or VDEF", ANY),
            // librrd takes inf and nan too, and draws nothing useful with them.
            Position::Num(n) if !n.is_finite() => self.invalid("value", "must be finite"),
            Position::Num(_) => Ok(()),
        }
    }

    /// A STACK element needs something drawn before it. A LINE or AREA with the STACK flag
    /// does not: librrd 1.7.2 stacks the first one on zero (Observium's `cras_sessions` graph
    /// starts with `AREA:svc#aa0000:SSLVPN Tunnels:STACK`).
    fn stack_on_something(&self) -> Result<()> {
        if !self.drawn_before {
            return self.invalid("value", NOTHING_TO_STACK_ON);
        }
        Ok(())
    }

    /// HRULE and VRULE: a position, a legend and dashes.
    fn rule(
        &self,
        pos: &Position,
        legend: Option<&Legend>,
        dashes: Option<&Dashes>,
        offset: Option<f64>,
    ) -> Result<()> {
        match pos {
            Position::VName(v) => self.lookup("value", v, "VDEF", VDEF)?,
            Position::Num(n) if !n.is_finite() => return self.invalid("value", "must be finite"),
            Position::Num(n) if self.kind() == K::VRule && n.fract() != 0.0 => {
                return self.invalid("value", "a VRULE time is whole epoch seconds");
            }
            // librrd 1.7.2 takes a VRULE time of 0 for "the time of my VDEF" and reads the VDEF
            // of index -1 (SIGSEGV; found by the differential fuzzer).
            Position::Num(n) if self.kind() == K::VRule && *n == 0.0 => {
                return self.invalid("value", "librrd 1.7.2 crashes on a VRULE at time 0");
            }
            Position::Num(_) => {}
        }
        self.legend(legend)?;
        self.dashes(dashes, offset)
    }
}

impl Def {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        cx.no_trailing_backslash("rrd", &self.rrd.to_string_lossy())?;
        if self.rrd.as_os_str().is_empty() {
            return Err(cx.err("rrd", ValueError::Empty));
        }
        if let Some(a) = &self.daemon {
            if a.is_empty() {
                return Err(cx.err("daemon", ValueError::Empty));
            }
            cx.no_trailing_backslash("daemon", a)?;
        }
        for (field, t) in [("start", &self.start), ("end", &self.end)] {
            if let Some(t) = t {
                cx.no_trailing_backslash(field, t.as_str())?;
            }
        }
        if self.step == Some(0) {
            return cx.invalid("step", "step must be at least 1 second");
        }
        Ok(())
    }
}

impl CDef {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        self.rpn.check().map_err(|r| cx.err("rpn", r))?;
        for v in self.rpn.vnames() {
            cx.lookup("rpn", v, "DEF, CDEF or VDEF", ANY)?;
        }
        let series = self.rpn.vnames().any(|v| {
            v == &self.vname
                || cx
                    .defined
                    .get(v.as_str())
                    .is_some_and(|(_, k)| SERIES.contains(k))
        });
        if !series {
            return cx.invalid(
                "rpn",
                "librrd needs at least one DEF or CDEF vname in a CDEF expression",
            );
        }
        Ok(())
    }
}

impl VDef {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        self.expr.check().map_err(|r| cx.err("rpn", r))?;
        cx.lookup("rpn", &self.expr.src, "DEF or CDEF", SERIES)
    }
}

impl Line {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        if let Some(w) = self.width
            && (!w.is_finite() || !(0.0..=MAX_LINE_WIDTH).contains(&w))
        {
            return cx.invalid("width", "must be a number of pixels from 0 to 100000");
        }
        cx.drawn_value(&self.value)?;
        cx.legend(self.legend.as_ref())?;
        cx.dashes(self.dashes.as_ref(), self.dash_offset)
    }
}

impl Area {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        cx.drawn_value(&self.value)?;
        cx.legend(self.legend.as_ref())?;
        if self.gradient.is_some() && self.color.is_none() {
            return cx.invalid("gradient", "a gradient needs the first color");
        }
        if let Some(h) = self.gradheight
            && !h.is_finite()
        {
            return cx.invalid("gradheight", "must be finite");
        }
        Ok(())
    }
}

impl Stack {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        cx.drawn_value(&self.value)?;
        cx.legend(self.legend.as_ref())?;
        cx.stack_on_something()
    }
}

impl Tick {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        // librrd 1.7.2 turns the number into a hidden CDEF, which reallocates its element
        // array, and then parses the fraction through a pointer into the array it freed: the
        // graph draws or crashes by chance (valgrind shows the reads; see the agreement test).
        if let Position::Num(_) = self.value {
            return cx.invalid(
                "value",
                "librrd 1.7.2 reads freed memory on a TICK of a number; TICK a CDEF of it",
            );
        }
        cx.drawn_value(&self.value)?;
        if !self.fraction.is_finite() || !(-1.0..=1.0).contains(&self.fraction) {
            return cx.invalid("fraction", "must be within -1..=1");
        }
        cx.legend(self.legend.as_ref())
    }
}

impl Shift {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        cx.lookup("value", &self.value, "DEF or CDEF", SERIES)?;
        if let ShiftOffset::VName(v) = &self.offset {
            cx.lookup("offset", v, "VDEF", VDEF)?;
        }
        Ok(())
    }
}

impl Print {
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        let format = &self.format;
        match (self.cf, format) {
            (Some(_), Format::Value(_)) => {
                cx.lookup("vname", &self.vname, "DEF or CDEF (with a CF)", SERIES)?;
            }
            (Some(_), _) => {
                return cx.invalid("format", "strftime styles need a VDEF, not the CF form");
            }
            (None, _) => cx.lookup("vname", &self.vname, "VDEF (or give a CF)", VDEF)?,
        }
        // A format that ends in a backslash escapes the `:` of a style field after it.
        if format.style().is_some() && format.legend().to_raw().ends_with('\\') {
            return Err(cx.err("format", ValueError::TrailingBackslash));
        }
        if let Format::ValStrfduration(l) = format {
            check_duration_format(l.text()).map_err(|r| cx.err("format", r))?;
        }
        if !matches!(format, Format::Value(_)) && format.legend().text().is_empty() {
            return Err(cx.err("format", ValueError::Empty));
        }
        Ok(())
    }
}

impl Element {
    /// This element's own checks, given what the elements before it defined and drew.
    fn check(&self, cx: &Cx<'_>) -> Result<()> {
        match self {
            Element::Def(d) => d.check(cx),
            Element::CDef(c) => c.check(cx),
            Element::VDef(v) => v.check(cx),
            Element::Line(l) => l.check(cx),
            Element::Area(a) => a.check(cx),
            Element::Stack(s) => s.check(cx),
            Element::Tick(t) => t.check(cx),
            Element::Shift(s) => s.check(cx),
            Element::HRule(h) => cx.rule(
                &h.value,
                h.legend.as_ref(),
                h.dashes.as_ref(),
                h.dash_offset,
            ),
            Element::VRule(v) => {
                cx.rule(&v.time, v.legend.as_ref(), v.dashes.as_ref(), v.dash_offset)
            }
            Element::TextAlign(_) => Ok(()),
            Element::Comment(l) => cx.legend(Some(l)),
            Element::Print(p) | Element::GPrint(p) => p.check(cx),
        }
    }

    /// Whether this element draws something that a later STACK stacks on.
    fn is_drawn(&self) -> bool {
        matches!(self, Element::Line(_) | Element::Area(_))
    }
}

/// Checks the elements in order: fields, vnames defined before use, reference kinds.
pub(crate) fn check_elements(elements: &[Element]) -> Result<()> {
    let mut defined: HashMap<&str, (usize, ElementKind)> = HashMap::new();
    let mut drawn_before = false;
    for (index, e) in elements.iter().enumerate() {
        e.check(&Cx {
            index,
            element: e,
            defined: &defined,
            drawn_before,
        })?;
        drawn_before |= e.is_drawn();
        if let Some(name) = e.defines() {
            if let Some((first, _)) = defined.get(name.as_str()) {
                return Err(Error::Duplicate {
                    index,
                    kind: e.kind(),
                    name: name.clone(),
                    first: *first,
                });
            }
            defined.insert(name.as_str(), (index, e.kind()));
        }
    }
    Ok(())
}
