//! Parsing rrdtool graph argument lists and shell command lines.

use crate::element::{
    Area, CDef, Dashes, Def, Element, Format, HRule, Line, Position, Print, Shift, ShiftOffset,
    Stack, TextAlign, Tick, VDef, VRule,
};
use crate::error::{Error, ParseReason, Result};
use crate::options::{GraphOption, OptionInfo, option_by_short, option_info};
use crate::rpn::{Rpn, VDefExpr};
use crate::spec::{ArgForm, GraphSpec, GraphSpecBuilder};
use crate::value::{
    AtTime, Cf, Color, DsName, Legend, MAX_TEXT_LEN, PrintFormat, VName, check_text, parse_f64,
};
use crate::value_error::ValueError;

/// The most arguments one graph may have (bounds memory on untrusted input).
pub const MAX_ARGS: usize = 100_000;

type FieldError = (&'static str, ParseReason);

fn invalid(field: &'static str) -> impl Fn(ValueError) -> FieldError {
    move |e| (field, ParseReason::Invalid(e))
}

/// Splits an element argument at unescaped `:` the way librrd 1.7 does: `\:` is a literal colon
/// and every other backslash is kept.
pub(crate) fn split_fields(arg: &str) -> Vec<String> {
    let bytes = arg.as_bytes();
    let mut fields = Vec::with_capacity(8);
    let mut cur = String::new();
    // Every cut is at an ASCII byte, so each slice is UTF-8.
    let (mut from, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b':') => {
                cur.push_str(&arg[from..i]);
                cur.push(':');
                i += 2;
                from = i;
            }
            b':' => {
                cur.push_str(&arg[from..i]);
                fields.push(std::mem::take(&mut cur));
                i += 1;
                from = i;
            }
            _ => i += 1,
        }
    }
    cur.push_str(&arg[from..]);
    fields.push(cur);
    fields
}

/// A DEF argument whose RRD path is not UTF-8, as the text before and after the path and the
/// path (unescaped); `None` if it is not a DEF or anything but the path is not UTF-8.
fn split_def_path(arg: &[u8]) -> Option<(String, &str, std::path::PathBuf)> {
    use std::os::unix::ffi::OsStringExt as _;
    let rest = arg.strip_prefix(b"DEF:")?;
    let eq = rest.iter().position(|&b| b == b'=')?;
    let after = &rest[eq + 1..];
    // The path runs to the first `:` that is not written `\:`.
    let mut end = 0;
    let mut path = Vec::new();
    while end < after.len() && after[end] != b':' {
        if after[end] == b'\\' && after.get(end + 1) == Some(&b':') {
            end += 1;
        }
        path.push(after[end]);
        end += 1;
    }
    let head = std::str::from_utf8(&rest[..eq]).ok()?;
    let tail = std::str::from_utf8(&after[end..]).ok()?;
    let path = std::path::PathBuf::from(std::ffi::OsString::from_vec(path));
    Some((format!("DEF:{head}="), tail, path))
}

/// [`split_fields`] over bytes: an RRD path need not be UTF-8.
pub(crate) fn split_field_bytes(arg: &[u8]) -> Vec<Vec<u8>> {
    let mut fields = Vec::new();
    let mut cur = Vec::new();
    let mut bytes = arg.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' if bytes.peek() == Some(&b':') => {
                cur.push(b':');
                bytes.next();
            }
            b':' => fields.push(std::mem::take(&mut cur)),
            b => cur.push(b),
        }
    }
    fields.push(cur);
    fields
}

/// Keys librrd 1.7.2 reads as `key=value` that this parser does not model, per element
/// (probed against librrd): such fields are errors rather than read differently from librrd.
const DRAW_KEYS: &[&str] = &[
    "vname",
    "color",
    "color2",
    "stack",
    "skipscale",
    "xaxis",
    "yaxis",
];
const RULE_KEYS: &[&str] = &["vname", "color", "color2", "xaxis", "yaxis"];
const TICK_KEYS: &[&str] = &["vname", "color", "color2"];
const PRINT_KEYS: &[&str] = &["vname", "strftime", "cf"];

/// Positional fields, keyed fields (`key=value` with a key the element knows) and flag words.
struct Fields {
    positional: Vec<String>,
    keyed: Vec<(&'static str, String)>,
    flags: Vec<&'static str>,
}

impl Fields {
    /// Sorts `fields`. A `key=value` field whose key librrd 1.7 reads as a keyed argument of
    /// some element but this parser does not model (`vname=`, `color=`, `xaxis=`, …) is an
    /// error rather than silently read differently from librrd.
    fn new(
        fields: &[String],
        keys: &[&'static str],
        flags: &[&'static str],
        unsupported: &[&str],
    ) -> Result<Self, FieldError> {
        let mut f = Fields {
            positional: Vec::new(),
            keyed: Vec::new(),
            flags: Vec::new(),
        };
        for s in fields {
            if let Some(flag) = flags.iter().find(|w| **w == s.as_str()) {
                f.flags.push(flag);
                continue;
            }
            if let Some((k, v)) = s.split_once('=')
                && let Some(key) = keys.iter().find(|w| **w == k)
            {
                f.keyed.push((key, v.to_owned()));
                continue;
            }
            if let Some((k, _)) = s.split_once('=')
                && unsupported.contains(&k)
            {
                return Err(("fields", ParseReason::UnsupportedKey(k.to_owned())));
            }
            f.positional.push(s.clone());
        }
        Ok(f)
    }

    fn key(&mut self, key: &str) -> Option<String> {
        let i = self.keyed.iter().position(|(k, _)| *k == key)?;
        Some(self.keyed.remove(i).1)
    }

    fn flag(&mut self, flag: &str) -> bool {
        match self.flags.iter().position(|f| *f == flag) {
            Some(i) => {
                self.flags.remove(i);
                true
            }
            None => false,
        }
    }

    fn next_pos(&mut self) -> Option<String> {
        if self.positional.is_empty() {
            None
        } else {
            Some(self.positional.remove(0))
        }
    }

    /// Errors if anything is left over.
    fn finish(self) -> Result<(), FieldError> {
        let mut left: Vec<String> = self.positional;
        left.extend(self.keyed.into_iter().map(|(k, v)| format!("{k}={v}")));
        left.extend(self.flags.into_iter().map(str::to_owned));
        if left.is_empty() {
            Ok(())
        } else {
            Err(("fields", ParseReason::UnusedFields(left.join(":"))))
        }
    }
}

fn vname(s: &str, field: &'static str) -> Result<VName, FieldError> {
    VName::new(s).map_err(invalid(field))
}

fn legend(s: &str) -> Result<Legend, FieldError> {
    Legend::parse_raw(s).map_err(invalid("legend"))
}

/// `value#color[#color2]`.
fn value_colors(s: &str) -> Result<(&str, Vec<Color>), FieldError> {
    let (value, rest) = match s.find('#') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    if value.is_empty() {
        return Err(("value", ParseReason::MissingField));
    }
    let mut colors = Vec::new();
    for part in rest.split('#').skip(1) {
        let c = Color::parse(&format!("#{part}")).map_err(invalid("color"))?;
        colors.push(c);
    }
    Ok((value, colors))
}

/// What a drawing element draws: a number, as librrd reads one when the text is not a vname
/// (`LINE1:100`, `HRULE:6144`), or a vname. Text that starts like a number but is neither is
/// a number error.
fn position(value: &str, expected: &'static str) -> Result<Position, FieldError> {
    match parse_f64(value) {
        Ok(n) => Ok(Position::Num(n)),
        // A vname may start with a digit or `-` (`1st`, `-x`): like librrd, the parser takes a
        // valid vname for one before calling it "not a number".
        Err(_) if VName::new(value).is_ok() => Ok(Position::VName(vname(value, "value")?)),
        Err(_)
            if value.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) =>
        {
            Err((
                "value",
                ParseReason::Invalid(ValueError::Number {
                    text: value.chars().take(40).collect(),
                    expected,
                }),
            ))
        }
        Err(_) => Ok(Position::VName(vname(value, "value")?)),
    }
}

fn number(s: &str, field: &'static str) -> Result<f64, FieldError> {
    parse_f64(s).map_err(invalid(field))
}

fn dashes(f: &mut Fields) -> Result<(Option<Dashes>, Option<f64>), FieldError> {
    let d = if let Some(v) = f.key("dashes") {
        let mut p = Vec::new();
        for part in v.split(',') {
            p.push(number(part, "dashes")?);
        }
        Some(Dashes(p))
    } else if f.flag("dashes") {
        Some(Dashes(Vec::new()))
    } else {
        None
    };
    let off = f
        .key("dash-offset")
        .map(|v| number(&v, "dash-offset"))
        .transpose()?;
    Ok((d, off))
}

/// The legend of a drawing element: a `legend=` key or the one positional field left.
fn take_legend(f: &mut Fields) -> Result<Option<Legend>, FieldError> {
    if let Some(v) = f.key("legend") {
        return legend(&v).map(Some);
    }
    match f.next_pos() {
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => legend(&s).map(Some),
        None => Ok(None),
    }
}

fn one_color(colors: &[Color], required: bool) -> Result<Option<Color>, FieldError> {
    match colors {
        [] if required => Err(("color", ParseReason::MissingField)),
        [] => Ok(None),
        [c] => Ok(Some(*c)),
        _ => Err((
            "color",
            ParseReason::Invalid(ValueError::Invalid("only AREA takes a second color")),
        )),
    }
}

fn def_like(fields: &[String], field: &'static str) -> Result<(VName, String), FieldError> {
    let first = fields.get(1).ok_or((field, ParseReason::MissingField))?;
    let (name, rest) = first
        .split_once('=')
        .ok_or(("vname", ParseReason::MissingField))?;
    Ok((vname(name, "vname")?, rest.to_owned()))
}

/// A PRINT or GPRINT; `literal` for PRINT, which writes its format text as it is (no tabs, no
/// control codes, a final backslash kept).
fn print_element(fields: &[String], literal: bool) -> Result<Print, FieldError> {
    let name = fields.get(1).ok_or(("vname", ParseReason::MissingField))?;
    let v = vname(name, "vname")?;
    let mut f = Fields::new(
        &fields[2..],
        &["format"],
        &["strftime", "valstrftime", "valstrfduration"],
        PRINT_KEYS,
    )?;
    let keyed = f.key("format");
    let cf = match (&keyed, f.positional.as_slice()) {
        (Some(_), [cf]) | (None, [cf, _]) => Some(cf.parse::<Cf>().map_err(invalid("cf"))?),
        _ => None,
    };
    if cf.is_some() {
        f.next_pos();
    }
    let text = match keyed {
        Some(t) => t,
        None => f.next_pos().ok_or(("format", ParseReason::MissingField))?,
    };
    let text_legend = |t: &str| {
        if literal {
            Legend::literal(t).map_err(invalid("format"))
        } else {
            legend(t)
        }
    };
    let format = if f.flag("strftime") {
        Format::Strftime(text_legend(&text)?)
    } else if f.flag("valstrftime") {
        Format::ValStrftime(text_legend(&text)?)
    } else if f.flag("valstrfduration") {
        Format::ValStrfduration(text_legend(&text)?)
    } else if literal {
        Format::Value(PrintFormat::literal(&*text).map_err(invalid("format"))?)
    } else {
        Format::Value(PrintFormat::parse_raw(&text).map_err(invalid("format"))?)
    };
    f.finish()?;
    Ok(Print {
        vname: v,
        cf,
        format,
    })
}

/// Parses one element argument (`DEF:…`, `LINE2:…`, …).
#[expect(clippy::too_many_lines, reason = "one arm per element kind")]
fn parse_element_fields(arg: &str) -> Result<Element, FieldError> {
    let fields = split_fields(arg);
    let head = fields[0].strip_prefix("DEBUG").unwrap_or(&fields[0]);
    let name_len = head.bytes().take_while(u8::is_ascii_uppercase).count();
    let (name, width) = head.split_at(name_len);
    if !width.is_empty() && name != "LINE" {
        return Err((
            "element",
            ParseReason::UnknownElement(head.chars().take(40).collect()),
        ));
    }
    if fields.len() < 2 && name != "COMMENT" {
        if matches!(
            name,
            "DEF"
                | "CDEF"
                | "VDEF"
                | "LINE"
                | "AREA"
                | "STACK"
                | "TICK"
                | "SHIFT"
                | "HRULE"
                | "VRULE"
                | "TEXTALIGN"
                | "PRINT"
                | "GPRINT"
        ) {
            return Err(("fields", ParseReason::MissingField));
        }
        return Err((
            "element",
            ParseReason::UnknownElement(head.chars().take(40).collect()),
        ));
    }
    let e = match name {
        "DEF" => {
            let (v, rrd) = def_like(&fields, "vname")?;
            if rrd.is_empty() {
                return Err(("rrd", ParseReason::MissingField));
            }
            let mut f = Fields::new(
                &fields[2..],
                &["step", "start", "end", "reduce", "daemon"],
                &[],
                &[],
            )?;
            let ds = f.next_pos().ok_or(("ds", ParseReason::MissingField))?;
            let ds = DsName::new(ds).map_err(invalid("ds"))?;
            let cf = f.next_pos().ok_or(("cf", ParseReason::MissingField))?;
            let cf = cf.parse::<Cf>().map_err(invalid("cf"))?;
            let mut d = Def::new(&v, rrd, ds, cf);
            if let Some(s) = f.key("step") {
                d.step = Some(s.parse().map_err(|_| {
                    (
                        "step",
                        ParseReason::Invalid(ValueError::Number {
                            text: s.chars().take(40).collect(),
                            expected: "whole seconds",
                        }),
                    )
                })?);
            }
            d.start = f
                .key("start")
                .map(|t| AtTime::new(t).map_err(invalid("start")))
                .transpose()?;
            d.end = f
                .key("end")
                .map(|t| AtTime::new(t).map_err(invalid("end")))
                .transpose()?;
            d.reduce = f
                .key("reduce")
                .map(|c| c.parse::<Cf>().map_err(invalid("reduce")))
                .transpose()?;
            d.daemon = f.key("daemon");
            f.finish()?;
            Element::Def(d)
        }
        "CDEF" => {
            let (v, text) = def_like(&fields, "vname")?;
            if fields.len() > 2 {
                return Err(("fields", ParseReason::UnusedFields(fields[2..].join(":"))));
            }
            let rpn = Rpn::parse(&text).map_err(|e| ("rpn", ParseReason::Invalid(e.into())))?;
            Element::CDef(CDef { vname: v, rpn })
        }
        "VDEF" => {
            let (v, text) = def_like(&fields, "vname")?;
            if fields.len() > 2 {
                return Err(("fields", ParseReason::UnusedFields(fields[2..].join(":"))));
            }
            let expr = text
                .parse::<VDefExpr>()
                .map_err(|e| ("rpn", ParseReason::Invalid(e.into())))?;
            Element::VDef(VDef { vname: v, expr })
        }
        "LINE" => {
            let width = if width.is_empty() {
                None
            } else {
                Some(number(width, "width")?)
            };
            let (value, colors) = value_colors(&fields[1])?;
            let mut f = Fields::new(
                &fields[2..],
                &["legend", "dashes", "dash-offset"],
                &["STACK", "skipscale", "dashes"],
                DRAW_KEYS,
            )?;
            let stack = f.flag("STACK");
            let skipscale = f.flag("skipscale");
            let (dashes, dash_offset) = dashes(&mut f)?;
            let l = Line {
                width,
                value: position(value, "a number or a vname")?,
                color: one_color(&colors, false)?,
                legend: take_legend(&mut f)?,
                stack,
                skipscale,
                dashes,
                dash_offset,
            };
            f.finish()?;
            Element::Line(l)
        }
        "AREA" => {
            let (value, colors) = value_colors(&fields[1])?;
            let mut f = Fields::new(
                &fields[2..],
                &["legend", "gradheight"],
                &["STACK", "skipscale"],
                DRAW_KEYS,
            )?;
            let (color, gradient) = match colors.as_slice() {
                [] => (None, None),
                [a] => (Some(*a), None),
                [a, b] => (Some(*a), Some(*b)),
                _ => return Err(("color", ParseReason::UnusedFields("a third color".into()))),
            };
            let a = Area {
                value: position(value, "a number or a vname")?,
                color,
                gradient,
                stack: f.flag("STACK"),
                skipscale: f.flag("skipscale"),
                gradheight: f
                    .key("gradheight")
                    .map(|h| number(&h, "gradheight"))
                    .transpose()?,
                legend: take_legend(&mut f)?,
            };
            f.finish()?;
            Element::Area(a)
        }
        "STACK" => {
            let (value, colors) = value_colors(&fields[1])?;
            let mut f = Fields::new(&fields[2..], &["legend"], &[], DRAW_KEYS)?;
            let s = Stack {
                value: position(value, "a number or a vname")?,
                color: one_color(&colors, false)?,
                legend: take_legend(&mut f)?,
            };
            f.finish()?;
            Element::Stack(s)
        }
        "TICK" => {
            let (value, colors) = value_colors(&fields[1])?;
            let mut f = Fields::new(&fields[2..], &["legend", "fraction"], &[], TICK_KEYS)?;
            let fraction = match f.key("fraction") {
                Some(v) => number(&v, "fraction")?,
                None => match f.next_pos() {
                    Some(v) => number(&v, "fraction")?,
                    None => 0.1,
                },
            };
            let t = Tick {
                value: position(value, "a number or a vname")?,
                color: one_color(&colors, false)?,
                fraction,
                legend: take_legend(&mut f)?,
            };
            f.finish()?;
            Element::Tick(t)
        }
        "SHIFT" => {
            let v = vname(&fields[1], "vname")?;
            let off = fields.get(2).ok_or(("offset", ParseReason::MissingField))?;
            if fields.len() > 3 {
                return Err(("fields", ParseReason::UnusedFields(fields[3..].join(":"))));
            }
            let offset = if off.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
                ShiftOffset::Seconds(off.parse().map_err(|_| {
                    (
                        "offset",
                        ParseReason::Invalid(ValueError::Number {
                            text: off.chars().take(40).collect(),
                            expected: "whole seconds (librrd only accepts integers)",
                        }),
                    )
                })?)
            } else {
                ShiftOffset::VName(vname(off, "offset")?)
            };
            Element::Shift(Shift { value: v, offset })
        }
        "HRULE" | "VRULE" => {
            let (value, colors) = value_colors(&fields[1])?;
            let pos = position(value, "a number or a VDEF")?;
            let color = one_color(&colors, false)?;
            let mut f = Fields::new(
                &fields[2..],
                &["legend", "dashes", "dash-offset"],
                &["dashes"],
                RULE_KEYS,
            )?;
            let (dashes, dash_offset) = dashes(&mut f)?;
            let legend = take_legend(&mut f)?;
            f.finish()?;
            if name == "HRULE" {
                Element::HRule(HRule {
                    value: pos,
                    color,
                    legend,
                    dashes,
                    dash_offset,
                })
            } else {
                Element::VRule(VRule {
                    time: pos,
                    color,
                    legend,
                    dashes,
                    dash_offset,
                })
            }
        }
        "TEXTALIGN" => {
            if fields.len() > 2 {
                return Err(("fields", ParseReason::UnusedFields(fields[2..].join(":"))));
            }
            Element::TextAlign(match fields[1].as_str() {
                "left" => TextAlign::Left,
                "right" => TextAlign::Right,
                "justified" => TextAlign::Justified,
                "center" => TextAlign::Center,
                other => {
                    return Err((
                        "align",
                        ParseReason::Invalid(ValueError::Keyword {
                            found: other.chars().take(40).collect(),
                            allowed: "left|right|justified|center",
                        }),
                    ));
                }
            })
        }
        "COMMENT" => {
            let mut f = Fields::new(fields.get(1..).unwrap_or_default(), &["legend"], &[], &[])?;
            let l = take_legend(&mut f)?.unwrap_or(Legend::new("").map_err(invalid("legend"))?);
            f.finish()?;
            Element::Comment(l)
        }
        "PRINT" => Element::Print(print_element(&fields, true)?),
        "GPRINT" => Element::GPrint(print_element(&fields, false)?),
        _ => {
            return Err((
                "element",
                ParseReason::UnknownElement(head.chars().take(40).collect()),
            ));
        }
    };
    Ok(e)
}

impl Element {
    /// Parses one rrdtool graph element argument, e.g. `"LINE1:total#FF8833:Total traffic"`.
    ///
    /// Only the element's own fields are checked; references between elements are checked when
    /// a [`GraphSpec`] is built.
    ///
    /// # Errors
    /// [`Error::Parse`] with index 0, the field and the reason.
    pub fn parse(arg: &str) -> Result<Element> {
        if arg.contains('\0') {
            return Err(Error::parse(0, arg, "element", ParseReason::Nul));
        }
        parse_element_fields(arg).map_err(|(field, reason)| Error::parse(0, arg, field, reason))
    }
}

/// Parses options and elements into `b`. With `expect_output`, the first positional argument is
/// the output filename. Indexes in errors are `base + position`.
#[expect(
    clippy::many_single_char_names,
    clippy::too_many_lines,
    reason = "a getopt loop: long options, short clusters and positional arguments"
)]
pub(crate) fn parse_into<S: AsRef<str>>(
    b: &mut GraphSpecBuilder,
    args: &[S],
    base: usize,
    expect_output: bool,
) -> Result<()> {
    if args.len() > MAX_ARGS {
        let e = Error::parse(
            base + MAX_ARGS,
            "",
            "arguments",
            ParseReason::Invalid(ValueError::TooLong {
                len: args.len(),
                max: MAX_ARGS,
            }),
        );
        return Err(e);
    }
    let mut i = 0;
    let mut only_positional = false;
    while i < args.len() {
        let a = args[i].as_ref();
        let index = base + i;
        if a.contains('\0') {
            return Err(Error::parse(index, a, "argument", ParseReason::Nul));
        }
        if only_positional || a == "-" || !a.starts_with('-') {
            if expect_output && !b.has_output() {
                if let Err(e) = check_text(a, MAX_TEXT_LEN) {
                    return Err(Error::parse(index, a, "output", e));
                }
                b.set_output_if_missing(a.to_owned());
            } else {
                match parse_element_fields(a) {
                    Ok(e) => b.push_parsed_element(e, index),
                    Err((field, reason)) => return Err(Error::parse(index, a, field, reason)),
                }
            }
            i += 1;
            continue;
        }
        if a == "--" {
            only_positional = true;
            i += 1;
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let Some(info) = option_info(name) else {
                if let Some((head, _)) = name.split_once([' ', '\t'])
                    && option_info(head).is_some_and(OptionInfo::takes_value)
                {
                    return Err(Error::parse(
                        index,
                        a,
                        "option",
                        ParseReason::JoinedLongValue(head.to_owned()),
                    ));
                }
                return Err(Error::parse(
                    index,
                    a,
                    "option",
                    ParseReason::UnknownOption(format!(
                        "--{}",
                        name.chars().take(40).collect::<String>()
                    )),
                ));
            };
            let field = info.long;
            let (value, form) = if info.takes_value() {
                match inline {
                    Some(v) => (Some(v), ArgForm::LongEq),
                    None => match args.get(i + 1) {
                        Some(v) => {
                            i += 1;
                            (Some(v.as_ref()), ArgForm::Long)
                        }
                        None => {
                            return Err(Error::parse(index, a, field, ParseReason::MissingValue));
                        }
                    },
                }
            } else {
                if inline.is_some() {
                    return Err(Error::parse(index, a, field, ParseReason::UnexpectedValue));
                }
                (None, ArgForm::Long)
            };
            match GraphOption::from_name_value(info.long, value) {
                Ok(o) => b.push_parsed_option(o, form, index),
                Err(e) => return Err(Error::parse(index, a, field, e)),
            }
            i += 1;
            continue;
        }
        // Short options, possibly clustered: -jg, -w650, -w 650.
        let cluster = &a[1..];
        for (pos, c) in cluster.char_indices() {
            let Some(info) = option_by_short(c) else {
                return Err(Error::parse(
                    index,
                    a,
                    "option",
                    ParseReason::UnknownOption(format!("-{c}")),
                ));
            };
            if info.takes_value() {
                let rest = &cluster[pos + c.len_utf8()..];
                let (value, form) = if rest.is_empty() {
                    match args.get(i + 1) {
                        Some(v) => {
                            i += 1;
                            (v.as_ref(), ArgForm::Short)
                        }
                        None => {
                            return Err(Error::parse(
                                index,
                                a,
                                info.long,
                                ParseReason::MissingValue,
                            ));
                        }
                    }
                } else {
                    (rest, ArgForm::ShortJoined)
                };
                match GraphOption::from_name_value(info.long, Some(value)) {
                    Ok(o) => b.push_parsed_option(o, form, index),
                    Err(e) => return Err(Error::parse(index, a, info.long, e)),
                }
                break;
            }
            match GraphOption::from_name_value(info.long, None) {
                Ok(o) => b.push_parsed_option(o, ArgForm::Short, index),
                Err(e) => return Err(Error::parse(index, a, info.long, e)),
            }
        }
        i += 1;
    }
    Ok(())
}

/// Splits a POSIX-shell-style command line into words: whitespace separates, `'…'` is literal,
/// `"…"` allows `\"`, `\\`, `\$` and `` \` `` escapes, a backslash outside quotes escapes the
/// next character, a backslash-newline is a line continuation, and `#` at the start of a word
/// starts a comment that runs to the end of the line.
///
/// # Errors
/// [`Error::Parse`] with [`ParseReason::Shell`] for an unterminated quote or escape.
pub fn split_command_line(line: &str) -> Result<Vec<String>> {
    let shell = |what| Error::parse(0, line, "command line", ParseReason::Shell(what));
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err(shell("single quote")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err(shell("double quote")),
                        },
                        Some(c) => cur.push(c),
                        None => return Err(shell("double quote")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => {
                    in_word = true;
                    cur.push(c);
                }
                None => return Err(shell("backslash escape")),
            },
            c => {
                in_word = true;
                cur.push(c);
            }
        }
        if words.len() > MAX_ARGS {
            return Err(Error::parse(
                0,
                line,
                "command line",
                ParseReason::Invalid(ValueError::TooLong {
                    len: words.len(),
                    max: MAX_ARGS,
                }),
            ));
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

// Here rather than in spec.rs, so that the spec does not import its parser.
impl GraphSpecBuilder {
    /// Parses rrdtool graph arguments (options and elements, no output filename) and appends
    /// them. The first error is kept and returned by [`build`](Self::build).
    pub fn args<S: AsRef<str>>(mut self, args: &[S]) -> Self {
        if !self.has_error()
            && let Err(e) = parse_into(&mut self, args, 0, false)
        {
            self.remember_error(e);
        }
        self
    }
}

impl GraphSpec {
    /// Parses the arguments of `rrdtool graph` — the list after `graph`, starting with the output
    /// filename — into a validated spec.
    ///
    /// ```
    /// use rrdgraph::GraphSpec;
    /// let args = ["Flow.png", "--start", "-1d", "DEF:in=Flow.rrd:eth0_in:AVERAGE",
    ///             "LINE1:in#00FF00:In traffic"];
    /// let spec = GraphSpec::parse_args(&args)?;
    /// assert_eq!(spec.to_args(), args);
    /// # Ok::<(), rrdgraph::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Parse`] with the argument index (0 is the output filename), the field and the
    /// reason; [`Error::ParsedSpec`] with the argument index when the arguments parse but the
    /// graph is invalid (undefined vname, VDEF of a VDEF, …).
    pub fn parse_args<S: AsRef<str>>(args: &[S]) -> Result<GraphSpec> {
        let mut b = GraphSpec::builder();
        parse_into(&mut b, args, 0, true)?;
        if !b.has_output() {
            return Err(Error::parse(
                args.len(),
                "",
                "output",
                ParseReason::MissingOutput,
            ));
        }
        b.build()
    }

    /// Parses like [`GraphSpec::parse_args`] from arguments that need not be UTF-8, as a
    /// program's command line has them: a DEF's RRD path is taken as its bytes (librrd opens
    /// any path). Every other argument must be UTF-8.
    ///
    /// ```
    /// use std::ffi::OsStr;
    /// use std::os::unix::ffi::OsStrExt as _;
    /// use rrdgraph::{Element, GraphSpec};
    /// let def = OsStr::from_bytes(b"DEF:in=caf\xe9.rrd:eth0_in:AVERAGE");
    /// let spec = GraphSpec::parse_os_args(&[OsStr::new("x.png"), def, OsStr::new("LINE1:in#F00")])?;
    /// let Element::Def(d) = &spec.elements()[0] else { unreachable!() };
    /// assert_eq!(d.rrd.as_os_str().as_bytes(), b"caf\xe9.rrd");
    /// assert_eq!(spec.to_os_args()[1], def);
    /// # Ok::<(), rrdgraph::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`GraphSpec::parse_args`], and [`Error::Parse`] with [`ParseReason::NotUtf8`] for
    /// another argument that is not UTF-8.
    pub fn parse_os_args<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Result<GraphSpec> {
        use std::os::unix::ffi::OsStrExt as _;
        let mut texts = Vec::with_capacity(args.len());
        let mut paths = Vec::new();
        for (index, a) in args.iter().enumerate() {
            let a = a.as_ref();
            if let Some(s) = a.to_str() {
                texts.push(s.to_owned());
                continue;
            }
            let lossy = a.to_string_lossy();
            let not_utf8 = || Error::parse(index, &lossy, "argument", ParseReason::NotUtf8);
            let (head, tail, path) = split_def_path(a.as_bytes()).ok_or_else(not_utf8)?;
            // A stand-in path that no argument can contain, swapped back after parsing.
            let stand_in = format!("\u{fffd}rrdgraph-path-{}\u{fffd}", paths.len());
            texts.push(format!("{head}{stand_in}{tail}"));
            paths.push((stand_in, path));
        }
        let mut spec = GraphSpec::parse_args(&texts)?;
        if paths.is_empty() {
            return Ok(spec);
        }
        for e in &mut spec.elements {
            if let Element::Def(d) = e
                && let Some((_, p)) = paths.iter().find(|(s, _)| d.rrd.as_os_str() == s.as_str())
            {
                d.rrd.clone_from(p);
            }
        }
        spec.validate()?;
        Ok(spec)
    }

    /// Every problem in an argument list, not just the first (for `opskit graph --check`): bad
    /// arguments are reported and skipped, then the spec checks run over what parsed, reporting
    /// and dropping one offending element at a time. Empty if the arguments are valid.
    ///
    /// ```
    /// use rrdgraph::GraphSpec;
    /// let args = ["x.png", "--width", "5", "LINE1:a#FF0000", "COMMENT:x:y", "COMMENT:ok"];
    /// let problems = GraphSpec::diagnose(&args);
    /// assert_eq!(problems.len(), 3);
    /// assert_eq!(problems.iter().map(|e| e.arg_index()).collect::<Vec<_>>(), [Some(1), Some(4), Some(3)]);
    /// ```
    pub fn diagnose<S: AsRef<str>>(args: &[S]) -> Vec<Error> {
        let mut errors = Vec::new();
        let mut b = GraphSpec::builder();
        let mut start = 0;
        while start < args.len() && errors.len() < 100 {
            match parse_into(&mut b, &args[start..], start, true) {
                Ok(()) => break,
                Err(e) => {
                    let at = e.arg_index().unwrap_or(start).max(start);
                    // Skip the bad argument, and the value of an option that takes one.
                    let Some(arg) = args.get(at).map(AsRef::as_ref) else {
                        errors.push(e);
                        break;
                    };
                    let takes_value = if let Some(long) = arg.strip_prefix("--") {
                        !long.contains('=')
                            && option_info(long).is_some_and(OptionInfo::takes_value)
                    } else {
                        let mut c = arg.chars();
                        c.next() == Some('-')
                            && c.next()
                                .and_then(option_by_short)
                                .is_some_and(OptionInfo::takes_value)
                            && c.next().is_none()
                    };
                    errors.push(e);
                    start = at + if takes_value { 2 } else { 1 };
                }
            }
        }
        if !b.has_output() {
            errors.push(Error::parse(
                args.len(),
                "",
                "output",
                ParseReason::MissingOutput,
            ));
            return errors;
        }
        errors.extend(b.into_diagnostics());
        errors
    }

    /// [`GraphSpec::diagnose`] over arguments that need not be UTF-8, as a program's command
    /// line has them (see [`GraphSpec::parse_os_args`]): a DEF's RRD path may be any bytes,
    /// every other argument that is not UTF-8 is one more problem ([`ParseReason::NotUtf8`]).
    pub fn diagnose_os<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Vec<Error> {
        use std::os::unix::ffi::OsStrExt as _;
        let mut not_utf8 = Vec::new();
        let texts: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(index, a)| {
                let a = a.as_ref();
                let lossy = a.to_string_lossy();
                if a.to_str().is_none() && split_def_path(a.as_bytes()).is_none() {
                    not_utf8.push(Error::parse(
                        index,
                        &lossy,
                        "argument",
                        ParseReason::NotUtf8,
                    ));
                }
                lossy.into_owned()
            })
            .collect();
        let mut problems = not_utf8;
        problems.extend(GraphSpec::diagnose(&texts));
        problems.sort_by_key(|e| e.arg_index().unwrap_or(usize::MAX));
        problems
    }

    /// Parses a shell-style command line such as a line from an old script. It may start with
    /// `rrdtool graph` or `rrdtool graphv` (any path to `rrdtool`); argument indexes in errors
    /// count from the output filename, as in [`GraphSpec::parse_args`].
    ///
    /// # Errors
    /// As [`GraphSpec::parse_args`], and [`ParseReason::Shell`] for bad quoting.
    pub fn parse_command_line(line: &str) -> Result<GraphSpec> {
        let words = split_command_line(line)?;
        let mut rest: &[String] = &words;
        if rest
            .first()
            .is_some_and(|w| w == "rrdtool" || w.ends_with("/rrdtool"))
        {
            rest = &rest[1..];
        }
        if rest.first().is_some_and(|w| w == "graph" || w == "graphv") {
            rest = &rest[1..];
        }
        GraphSpec::parse_args(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_may_go_without_color_as_in_librrd() {
        let args = ["-", "VRULE:920806500:foo", "HRULE:5"];
        let spec = GraphSpec::parse_args(&args).unwrap();
        let Element::VRule(v) = &spec.elements()[0] else {
            panic!("{spec:?}")
        };
        assert_eq!(v.color, None);
        assert_eq!(spec.to_args(), args);
        assert!(
            spec.to_rust()
                .contains(".vrule(VRule::new(920806500.0).legend(")
        );
    }

    #[test]
    fn drawing_elements_take_numbers_and_vnames_that_look_like_numbers() {
        let value = |arg| match parse_element_fields(arg) {
            Ok(Element::Line(l)) => Ok(l.value),
            Ok(Element::Tick(t)) => Ok(t.value),
            Ok(e) => panic!("{e:?}"),
            Err((field, _)) => Err(field),
        };
        assert_eq!(value("LINE1:100#FF0000"), Ok(Position::Num(100.0)));
        assert_eq!(value("LINE1:-1.5e3"), Ok(Position::Num(-1500.0)));
        assert_eq!(value("TICK:+2:0.5"), Ok(Position::Num(2.0)));
        let v = |s| Ok(Position::VName(VName::new(s).unwrap()));
        assert_eq!(value("LINE1:1st#FF0000"), v("1st"));
        assert_eq!(value("LINE1:-x"), v("-x"));
        assert_eq!(value("LINE1:1.2.3"), Err("value"));
    }

    #[test]
    fn fields_split_like_librrd() {
        assert_eq!(split_fields("a\\:b:c"), ["a:b", "c"]);
        assert_eq!(split_fields("a\\\\:b"), ["a\\:b"]);
        assert_eq!(split_fields("a\\l:b"), ["a\\l", "b"]);
        assert_eq!(split_fields("x"), ["x"]);
        assert_eq!(split_fields(""), [""]);
    }

    #[test]
    fn shell_words() {
        let w = split_command_line(r#"rrdtool graph 'a b.png' "--title=x \"y\"" COMMENT:a\ b"#)
            .unwrap();
        assert_eq!(
            w,
            [
                "rrdtool",
                "graph",
                "a b.png",
                "--title=x \"y\"",
                "COMMENT:a b"
            ]
        );
        assert!(split_command_line("'open").is_err());
        assert!(split_command_line("\"open").is_err());
        assert!(split_command_line("trailing\\").is_err());
        assert_eq!(split_command_line("a \\\n b").unwrap(), ["a", "b"]);
        assert_eq!(
            split_command_line("# comment\na b#c # d\ne").unwrap(),
            ["a", "b#c", "e"]
        );
    }

    #[test]
    fn element_errors_name_the_field() {
        let e = |s| parse_element_fields(s).unwrap_err();
        assert!(matches!(
            e("FOO:x"),
            ("element", ParseReason::UnknownElement(_))
        ));
        assert!(matches!(
            e("LINE1:x#FF00F:a"),
            ("color", ParseReason::Invalid(ValueError::Color(_)))
        ));
        assert!(matches!(
            e("DEF:x=a.rrd:ds"),
            ("cf", ParseReason::MissingField)
        ));
        assert!(matches!(e("DEF:x=a.rrd:d-s:AVERAGE"), ("ds", _)));
        assert!(matches!(e("CDEF:x=a,+"), ("rpn", _)));
        assert!(matches!(e("SHIFT:x:1.5"), ("offset", _)));
        assert!(matches!(
            e("COMMENT:a:b"),
            ("fields", ParseReason::UnusedFields(_))
        ));
        assert!(matches!(e("GPRINT:x:AVERAGE:%lf %lf"), ("format", _)));
        assert!(matches!(
            e("LINE1:x#FF0000:a\\q"),
            ("legend", ParseReason::Invalid(ValueError::ControlCode('q')))
        ));
        assert!(matches!(e("TEXTALIGN:middle"), ("align", _)));
        assert!(matches!(e("VDEF:v=x,8,*"), ("rpn", _)));
        assert!(matches!(e("LINEx:x"), ("width", _)));
    }

    #[test]
    fn flags_anywhere_and_keyed_fields() {
        let Element::Area(a) = parse_element_fields("AREA:x#FF0000:STACK:foo").unwrap() else {
            panic!()
        };
        assert!(a.stack);
        assert_eq!(a.legend.unwrap().text(), "foo");
        let Element::Line(l) =
            parse_element_fields("LINE2:x#FF0000:legend=a=b:dashes=3,4:dash-offset=2").unwrap()
        else {
            panic!()
        };
        assert_eq!(l.legend.unwrap().text(), "a=b");
        assert_eq!(l.dashes.unwrap().0, [3.0, 4.0]);
        let Element::Line(l) = parse_element_fields("LINE1:x#FF0000:width=1").unwrap() else {
            panic!()
        };
        assert_eq!(l.legend.unwrap().text(), "width=1");
        assert!(matches!(
            parse_element_fields("LINE1:x#FF0000:vname=y"),
            Err(("fields", ParseReason::UnsupportedKey(_)))
        ));
        let Element::Comment(c) = parse_element_fields("COMMENT:color=red").unwrap() else {
            panic!()
        };
        assert_eq!(c.text(), "color=red");
    }
}
