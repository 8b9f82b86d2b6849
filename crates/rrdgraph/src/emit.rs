//! Emitting a spec as librrd's argument list.
//!
//! librrd 1.7 splits element arguments at `:` unless it is written `\:`; every other backslash
//! is kept as is. A field whose text starts with a known `key=` is read as that key, so legends
//! and formats containing `=` (or equal to a flag word such as `STACK`) are written in the keyed
//! form `legend=…` / `format=…`, which librrd reads up to the end of the field. Legends whose
//! text would end in a backslash sequence carry the no-op code `\.` (see [`Legend`]).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};

use crate::element::{Dashes, Element, Print, RuleParts, ShiftOffset};
use crate::spec::{ArgForm, GraphSpec};
use crate::value::{Legend, fmt_f64};

/// Words librrd reads as flags in element fields.
pub(crate) const FLAG_WORDS: &[&str] = &[
    "STACK",
    "skipscale",
    "dashes",
    "strftime",
    "valstrftime",
    "valstrfduration",
];

/// Escapes `:` so that text stays one field.
pub(crate) fn esc(s: &str, out: &mut String) {
    for c in s.chars() {
        if c == ':' {
            out.push('\\');
        }
        out.push(c);
    }
}

fn needs_key(raw: &str) -> bool {
    raw.contains('=') || FLAG_WORDS.contains(&raw)
}

/// Appends `:legend` (positional or keyed).
fn legend_field(out: &mut String, key: &str, l: &Legend) {
    let raw = l.to_raw();
    out.push(':');
    if needs_key(&raw) {
        out.push_str(key);
        out.push('=');
    }
    esc(&raw, out);
}

fn dashes_fields(out: &mut String, d: Option<&Dashes>, offset: Option<f64>) {
    if let Some(d) = d {
        out.push_str(":dashes");
        for (i, v) in d.0.iter().enumerate() {
            out.push(if i == 0 { '=' } else { ',' });
            out.push_str(&fmt_f64(*v));
        }
    }
    if let Some(o) = offset {
        let _ = write!(out, ":dash-offset={}", fmt_f64(o));
    }
}

/// `KEYWORD:pos[#color][:legend][:dashes[=…]][:dash-offset=n]`
fn rule(out: &mut String, keyword: &str, r: &RuleParts<'_>) {
    let _ = write!(out, "{keyword}:{}", r.pos);
    if let Some(c) = r.color {
        let _ = write!(out, "{c}");
    }
    let tail = r.dashes.is_some() || r.offset.is_some();
    match r.legend.filter(|g| !g.is_empty()) {
        Some(l) => legend_field(out, "legend", l),
        None if tail => out.push(':'),
        None => {}
    }
    dashes_fields(out, r.dashes, r.offset);
}

fn print_fields(out: &mut String, p: &Print) {
    out.push_str(p.vname.as_str());
    if let Some(cf) = p.cf {
        out.push(':');
        out.push_str(cf.as_str());
    }
    legend_field(out, "format", p.format.legend());
    if let Some(style) = p.format.style() {
        out.push(':');
        out.push_str(style);
    }
}

/// A DEF's argument with its RRD path as bytes.
fn def_os_arg(d: &crate::element::Def) -> OsString {
    let head = format!("DEF:{}=", d.vname);
    let mut blank = d.clone();
    blank.rrd = std::path::PathBuf::new();
    let tail = element_arg(&Element::Def(blank));
    let mut out = head.clone().into_bytes();
    for &b in d.rrd.as_os_str().as_bytes() {
        if b == b':' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.extend_from_slice(&tail.as_bytes()[head.len()..]);
    OsString::from_vec(out)
}

/// One element as librrd's argument.
#[expect(clippy::too_many_lines, reason = "one arm per element kind")]
pub fn element_arg(e: &Element) -> String {
    let mut out = String::with_capacity(64);
    match e {
        Element::Def(d) => {
            let _ = write!(out, "DEF:{}=", d.vname);
            esc(&d.rrd.to_string_lossy(), &mut out);
            let _ = write!(out, ":{}:{}", d.ds, d.cf);
            if let Some(s) = d.step {
                let _ = write!(out, ":step={s}");
            }
            if let Some(t) = &d.start {
                out.push_str(":start=");
                esc(t.as_str(), &mut out);
            }
            if let Some(t) = &d.end {
                out.push_str(":end=");
                esc(t.as_str(), &mut out);
            }
            if let Some(cf) = d.reduce {
                let _ = write!(out, ":reduce={cf}");
            }
            if let Some(a) = &d.daemon {
                out.push_str(":daemon=");
                esc(a, &mut out);
            }
        }
        Element::CDef(c) => {
            let _ = write!(out, "CDEF:{}={}", c.vname, c.rpn);
        }
        Element::VDef(v) => {
            let _ = write!(out, "VDEF:{}={}", v.vname, v.expr);
        }
        Element::Line(l) => {
            out.push_str("LINE");
            if let Some(w) = l.width {
                out.push_str(&fmt_f64(w));
            }
            let _ = write!(out, ":{}", l.value);
            if let Some(c) = l.color {
                let _ = write!(out, "{c}");
            }
            let tail = l.stack || l.skipscale || l.dashes.is_some() || l.dash_offset.is_some();
            match l.legend.as_ref().filter(|g| !g.is_empty()) {
                Some(leg) => legend_field(&mut out, "legend", leg),
                None if tail => out.push(':'),
                None => {}
            }
            if l.stack {
                out.push_str(":STACK");
            }
            if l.skipscale {
                out.push_str(":skipscale");
            }
            dashes_fields(&mut out, l.dashes.as_ref(), l.dash_offset);
        }
        Element::Area(a) => {
            let _ = write!(out, "AREA:{}", a.value);
            if let Some(c) = a.color {
                let _ = write!(out, "{c}");
            }
            if let Some(c) = a.gradient {
                let _ = write!(out, "{c}");
            }
            let tail = a.stack || a.skipscale || a.gradheight.is_some();
            match a.legend.as_ref().filter(|g| !g.is_empty()) {
                Some(leg) => legend_field(&mut out, "legend", leg),
                None if tail => out.push(':'),
                None => {}
            }
            if a.stack {
                out.push_str(":STACK");
            }
            if a.skipscale {
                out.push_str(":skipscale");
            }
            if let Some(h) = a.gradheight {
                let _ = write!(out, ":gradheight={}", fmt_f64(h));
            }
        }
        Element::Stack(s) => {
            let _ = write!(out, "STACK:{}", s.value);
            if let Some(c) = s.color {
                let _ = write!(out, "{c}");
            }
            if let Some(l) = s.legend.as_ref().filter(|g| !g.is_empty()) {
                legend_field(&mut out, "legend", l);
            }
        }
        Element::Tick(t) => {
            let _ = write!(out, "TICK:{}", t.value);
            if let Some(c) = t.color {
                let _ = write!(out, "{c}");
            }
            let _ = write!(out, ":{}", fmt_f64(t.fraction));
            if let Some(l) = t.legend.as_ref().filter(|g| !g.is_empty()) {
                legend_field(&mut out, "legend", l);
            }
        }
        Element::Shift(s) => {
            let off = match &s.offset {
                ShiftOffset::Seconds(n) => n.to_string(),
                ShiftOffset::VName(v) => v.to_string(),
            };
            let _ = write!(out, "SHIFT:{}:{off}", s.value);
        }
        Element::HRule(h) => rule(&mut out, "HRULE", &h.parts()),
        Element::VRule(v) => rule(&mut out, "VRULE", &v.parts()),
        Element::TextAlign(a) => {
            let _ = write!(out, "TEXTALIGN:{}", a.as_str());
        }
        Element::Comment(l) => {
            out.push_str("COMMENT");
            legend_field(&mut out, "legend", l);
        }
        Element::Print(p) => {
            out.push_str("PRINT:");
            print_fields(&mut out, p);
        }
        Element::GPrint(p) => {
            out.push_str("GPRINT:");
            print_fields(&mut out, p);
        }
    }
    out
}

impl GraphSpec {
    /// The argument list librrd expects, starting with the output filename (the arguments of
    /// `rrdtool graph`). Options come first, in order and spelled as they were parsed
    /// (`--long value` for built specs), then the elements in order. Deterministic.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::with_capacity(1 + 2 * self.options.len() + self.elements.len());
        args.push(self.output.clone());
        for (o, form) in self
            .options
            .iter()
            .zip(self.forms.iter().chain(std::iter::repeat(&ArgForm::Long)))
        {
            let info = o.info();
            let value = o.value();
            let form = match (form, info.short) {
                (ArgForm::Short | ArgForm::ShortJoined, None) => ArgForm::Long,
                (f, _) => *f,
            };
            match (form, value) {
                (ArgForm::Short | ArgForm::ShortJoined, None) => {
                    args.push(format!("-{}", info.short.unwrap_or_default()));
                }
                (_, None) => args.push(format!("--{}", info.long)),
                (ArgForm::Long, Some(v)) => {
                    args.push(format!("--{}", info.long));
                    args.push(v);
                }
                (ArgForm::LongEq, Some(v)) => args.push(format!("--{}={v}", info.long)),
                (ArgForm::Short, Some(v)) => {
                    args.push(format!("-{}", info.short.unwrap_or_default()));
                    args.push(v);
                }
                (ArgForm::ShortJoined, Some(v)) => {
                    args.push(format!("-{}{v}", info.short.unwrap_or_default()));
                }
            }
        }
        args.extend(self.elements.iter().map(element_arg));
        args
    }

    /// The argument list as librrd takes it, with each DEF's RRD path as its bytes (a path
    /// need not be UTF-8; [`GraphSpec::to_args`] shows such a path lossily). The renders pass
    /// this list.
    pub fn to_os_args(&self) -> Vec<OsString> {
        let args = self.to_args();
        let first_element = args.len() - self.elements.len();
        args.into_iter()
            .enumerate()
            .map(
                |(i, a)| match i.checked_sub(first_element).map(|k| &self.elements[k]) {
                    Some(Element::Def(d)) if d.rrd.to_str().is_none() => def_os_arg(d),
                    _ => a.into(),
                },
            )
            .collect()
    }

    /// The argument list as one shell command line (`rrdtool graph …`), quoted for POSIX sh.
    pub fn to_command_line(&self) -> String {
        let mut s = String::from("rrdtool graph");
        for a in self.to_args() {
            s.push(' ');
            s.push_str(&shell_quote(&a));
        }
        s
    }
}

impl std::fmt::Display for Element {
    /// The element as librrd's argument (see [`element_arg`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&element_arg(self))
    }
}

impl std::fmt::Display for GraphSpec {
    /// The spec as one shell command line (see [`GraphSpec::to_command_line`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_command_line())
    }
}

/// Quotes one word for POSIX sh.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && !s.starts_with('#')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=:,.+/#%@".contains(&b))
    {
        return s.to_owned();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('\'');
    for c in s.chars() {
        if c == '\'' {
            q.push_str("'\\''");
        } else {
            q.push(c);
        }
    }
    q.push('\'');
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::{Line, Tick};
    use crate::value::{Color, ControlCode, VName};

    #[test]
    fn legends_are_escaped() {
        let v = VName::new("x").unwrap();
        let l = Line::new(&v)
            .color(Color::rgb(255, 0, 0))
            .legend(Legend::new("a:b").unwrap());
        assert_eq!(element_arg(&l.into()), "LINE1:x#FF0000:a\\:b");
        let l = Line::new(&v)
            .color(Color::rgb(255, 0, 0))
            .legend(Legend::new("dashes=3").unwrap())
            .stack();
        assert_eq!(
            element_arg(&l.into()),
            "LINE1:x#FF0000:legend=dashes=3:STACK"
        );
        let l = Line::new(&v)
            .color(Color::rgb(255, 0, 0))
            .legend(Legend::new("STACK").unwrap());
        assert_eq!(element_arg(&l.into()), "LINE1:x#FF0000:legend=STACK");
        let l = Line::new(&v).width(None).stack();
        assert_eq!(element_arg(&l.into()), "LINE:x::STACK");
        let c = Element::Comment(Legend::new("a\\").unwrap().with_code(ControlCode::Left));
        assert_eq!(element_arg(&c), "COMMENT:a\\\\l");
    }

    #[test]
    fn tick_always_has_fraction() {
        let v = VName::new("x").unwrap();
        assert_eq!(
            element_arg(&Tick::new(&v).color(Color::rgb(0, 0, 0)).into()),
            "TICK:x#000000:0.1"
        );
        assert_eq!(element_arg(&Tick::new(5).into()), "TICK:5:0.1");
        assert_eq!(
            element_arg(&Line::new(-1.5e3).color(Color::rgb(255, 0, 0)).into()),
            "LINE1:-1500#FF0000"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(
            shell_quote("DEF:a=b.rrd:x:AVERAGE"),
            "DEF:a=b.rrd:x:AVERAGE"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
