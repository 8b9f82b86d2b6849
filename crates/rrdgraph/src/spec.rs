//! The graph spec, its builder and its build-time checks of the options (the elements check
//! themselves, in check.rs).

use crate::element::{
    Area, CDef, Def, Element, ElementKind, HRule, Line, Print, Shift, Stack, TextAlign, Tick, VDef,
    VRule,
};
use crate::error::{Error, Result};
use crate::image_size::MAX_IMAGE_PIXELS;
use crate::options::{AxisFormatter, ColorTag, GraphOption, ImageFormat, LegendPosition};
use crate::value::{
    AtTime, Color, Legend, MAX_GRID_LINES, MAX_TEXT_LEN, MAX_Y_GRID_LINES, YGrid,
    check_axis_format, check_duration_format, check_text,
};
use crate::value_error::ValueError;

/// How an option was spelled in an argument list, so that a parsed script is emitted the way it
/// was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ArgForm {
    /// `--name value`
    #[default]
    Long,
    /// `--name=value`
    LongEq,
    /// `-x value`
    Short,
    /// `-xvalue`
    ShortJoined,
}

/// A validated rrdtool graph definition: the output file, the options in order, and the
/// elements in order.
///
/// Build one with [`GraphSpec::builder`], parse one with [`GraphSpec::parse_args`] or
/// [`GraphSpec::parse_command_line`], and turn it back into librrd's argument list with
/// [`GraphSpec::to_args`]. Equality ignores how options were spelled (`--width 10` vs `-w10`).
#[derive(Debug, Clone)]
pub struct GraphSpec {
    pub(crate) output: String,
    pub(crate) options: Vec<GraphOption>,
    pub(crate) forms: Vec<ArgForm>,
    pub(crate) elements: Vec<Element>,
}

impl PartialEq for GraphSpec {
    fn eq(&self, other: &Self) -> bool {
        self.output == other.output
            && self.options == other.options
            && self.elements == other.elements
    }
}

impl GraphSpec {
    /// A builder for a spec.
    pub fn builder() -> GraphSpecBuilder {
        GraphSpecBuilder::default()
    }

    /// The output filename (`-` for stdout; librrd also accepts an empty image for PRINT-only
    /// graphs written to `/dev/null`).
    pub fn output(&self) -> &str {
        &self.output
    }

    /// The options, in order.
    pub fn options(&self) -> &[GraphOption] {
        &self.options
    }

    /// The elements, in order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The image format (`--imgformat`, the last one wins; PNG by default).
    pub fn image_format(&self) -> ImageFormat {
        self.options
            .iter()
            .rev()
            .find_map(|o| match o {
                GraphOption::ImgFormat(f) => Some(*f),
                _ => None,
            })
            .unwrap_or(ImageFormat::Png)
    }

    /// Whether the graph draws anything (it may only PRINT).
    pub fn draws(&self) -> bool {
        self.elements
            .iter()
            .any(|e| e.kind().is_output() && e.kind() != ElementKind::Print)
    }

    /// The same spec writing to another file.
    #[must_use]
    pub fn with_output(mut self, output: impl Into<String>) -> Self {
        self.output = output.into();
        self
    }

    /// Runs every build-time check again (useful after editing a spec's parts).
    ///
    /// # Errors
    /// As [`GraphSpecBuilder::build`].
    pub fn validate(&self) -> Result<()> {
        self.validate_options()?;
        self.validate_elements()
    }

    /// The option half of [`GraphSpec::validate`]: the output, each option, the checks across
    /// options, and the image size (which the elements' legends count in).
    fn validate_options(&self) -> Result<()> {
        if self.output.is_empty() {
            return Err(Error::NoOutput);
        }
        check_text(&self.output, MAX_TEXT_LEN).map_err(|e| Error::value("output", e))?;
        if self.output.starts_with('-') && self.output != "-" {
            return Err(Error::value(
                "output",
                ValueError::Invalid(
                    "an output filename starting with `-` would be read as an option (use ./-name)",
                ),
            ));
        }
        for o in &self.options {
            o.validate().map_err(|reason| Error::Option {
                option: o.long_name(),
                reason,
            })?;
        }
        self.check_axis_formats()?;
        self.check_time_range()?;
        self.check_grid_density()?;
        self.check_y_grid_density()?;
        let pixels = crate::image_size::estimate(&self.options, &self.elements);
        #[expect(clippy::cast_precision_loss, reason = "a power of two")]
        if pixels.is_nan() || pixels > MAX_IMAGE_PIXELS as f64 {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a positive estimate, saturated"
            )]
            return Err(Error::ImageTooLarge {
                pixels: pixels as u64,
                max: MAX_IMAGE_PIXELS,
            });
        }
        Ok(())
    }

    /// The element half of [`GraphSpec::validate`]: each element's own checks, in order, and
    /// what the data formats refuse.
    fn validate_elements(&self) -> Result<()> {
        // A graph that draws and prints nothing is valid, as in rrdtool: librrd reads its DEFs
        // and writes no image.
        crate::check::check_elements(&self.elements)?;
        // librrd 1.7.2's export path reads outside the data of a SHIFTed series once the shift
        // leaves the RRD's archive (SIGSEGV at 10^7 s over a 300 s RRD; found by the fuzzer),
        // and the bound depends on the RRD, which the spec cannot know.
        if self.image_format().is_data()
            && let Some(index) = self
                .elements
                .iter()
                .position(|e| e.kind() == ElementKind::Shift)
        {
            return Err(Error::Element {
                index,
                kind: ElementKind::Shift,
                field: "offset",
                reason: ValueError::Invalid(
                    "librrd 1.7.2 crashes exporting a SHIFTed series (--imgformat CSV, JSON, XML, \
                     ...): draw it as an image instead",
                ),
            });
        }
        if self.image_format().is_data()
            && !self.elements.iter().any(|e| {
                matches!(
                    e.kind(),
                    ElementKind::Line | ElementKind::Area | ElementKind::Stack
                )
            })
        {
            return Err(Error::Option {
                option: "imgformat",
                reason: ValueError::Invalid(
                    "data formats export LINE, AREA or STACK elements; there is none",
                ),
            });
        }
        Ok(())
    }
}

impl GraphSpec {
    /// `--start` may not be relative to itself, `--end` neither, and not both to each other
    /// (librrd refuses these at render time).
    fn check_time_range(&self) -> Result<()> {
        use crate::attime::{Anchor, anchor};
        let last = |start: bool| {
            self.options.iter().rev().find_map(|o| match o {
                GraphOption::Start(t) if start => Some(anchor(t.as_str())),
                GraphOption::End(t) if !start => Some(anchor(t.as_str())),
                _ => None,
            })
        };
        let (start, end) = (last(true), last(false));
        let invalid = |option, reason| {
            Err(Error::Option {
                option,
                reason: ValueError::Invalid(reason),
            })
        };
        match (start, end) {
            (Some(Anchor::Start), _) => invalid("start", "the start cannot be relative to itself"),
            (_, Some(Anchor::End)) => invalid("end", "the end cannot be relative to itself"),
            (Some(Anchor::End), Some(Anchor::Start)) => {
                invalid("end", "start and end cannot be relative to each other")
            }
            _ => Ok(()),
        }
    }

    /// An `--x-grid` draws at most [`MAX_GRID_LINES`] lines or labels over the time range that
    /// librrd makes of `--start` and `--end` (now, for relative times).
    fn check_grid_density(&self) -> Result<()> {
        let Some(shortest) = self.options.iter().rev().find_map(|o| match o {
            GraphOption::XGrid(g) => Some(g.shortest_interval()),
            _ => None,
        }) else {
            return Ok(());
        };
        let Some(shortest) = shortest else {
            return Ok(());
        };
        let last = |start: bool| {
            self.options.iter().rev().find_map(|o| match o {
                GraphOption::Start(t) if start => Some(t.as_str()),
                GraphOption::End(t) if !start => Some(t.as_str()),
                _ => None,
            })
        };
        // librrd's own defaults; times it refuses are left for it to report.
        let (start, end) = (
            last(true).unwrap_or("end-24h"),
            last(false).unwrap_or("now"),
        );
        let Some((start, end)) = time_range(start, end) else {
            return Ok(());
        };
        let span = u64::try_from(end.saturating_sub(start)).unwrap_or(0);
        if span / shortest.max(1) > MAX_GRID_LINES {
            return Err(Error::Option {
                option: "x-grid",
                reason: ValueError::Invalid(
                    "the grid would draw more than MAX_GRID_LINES (100000) lines or labels over \
                     the time range",
                ),
            });
        }
        Ok(())
    }

    /// A `--y-grid` draws at most [`MAX_Y_GRID_LINES`] lines over what the spec decides of the
    /// value range: librrd's range reaches `--lower-limit` and `--upper-limit` (and the data,
    /// which the spec cannot know), so `(|lower| + |upper|) / step` is bounded.
    fn check_y_grid_density(&self) -> Result<()> {
        let last = |f: fn(&GraphOption) -> Option<f64>| self.options.iter().rev().find_map(f);
        let step = last(|o| match o {
            GraphOption::YGrid(YGrid::Spec { step, .. }) => Some(*step),
            _ => None,
        });
        let lower = last(|o| match o {
            GraphOption::LowerLimit(v) => Some(*v),
            _ => None,
        });
        let upper = last(|o| match o {
            GraphOption::UpperLimit(v) => Some(*v),
            _ => None,
        });
        let span = lower.unwrap_or(0.0).abs() + upper.unwrap_or(0.0).abs();
        if let Some(step) = step
            && let lines = span / step
            && (lines.is_nan() || lines > f64::from(MAX_Y_GRID_LINES))
        {
            return Err(Error::Option {
                option: "y-grid",
                reason: ValueError::Invalid(
                    "the grid would draw more than MAX_Y_GRID_LINES (10000) lines up to the \
                     --lower-limit/--upper-limit",
                ),
            });
        }
        Ok(())
    }

    /// `--left-axis-format`/`--right-axis-format` follow their formatter: numeric (the default)
    /// takes one `%l[eEfFgG]` and no unit, duration takes duration conversions, timestamp takes
    /// any strftime text.
    fn check_axis_formats(&self) -> Result<()> {
        let formatter = |left: bool| {
            self.options
                .iter()
                .rev()
                .find_map(|o| match o {
                    GraphOption::LeftAxisFormatter(f) if left => Some(*f),
                    GraphOption::RightAxisFormatter(f) if !left => Some(*f),
                    _ => None,
                })
                .unwrap_or(AxisFormatter::Numeric)
        };
        for o in &self.options {
            let (text, left) = match o {
                GraphOption::LeftAxisFormat(s) => (s, true),
                GraphOption::RightAxisFormat(s) => (s, false),
                _ => continue,
            };
            let checked = match formatter(left) {
                AxisFormatter::Numeric => check_axis_format(text),
                AxisFormatter::Duration => check_duration_format(text),
                AxisFormatter::Timestamp => Ok(()),
            };
            checked.map_err(|reason| Error::Option {
                option: o.long_name(),
                reason,
            })?;
        }
        Ok(())
    }
}

/// The start and end librrd makes of `--start` and `--end` now; `None` where librrd would refuse
/// them (it reports that itself).
#[cfg(feature = "librrd")]
fn time_range(start: &str, end: &str) -> Option<(i64, i64)> {
    // Epoch seconds need no parser, and librrd's waits for its process-wide lock: parsing
    // graphs on many threads (for `GraphSpec::data`) would queue there.
    if let (Some(start), Some(end)) = (epoch_seconds(start), epoch_seconds(end)) {
        return Some((start, end));
    }
    crate::ffi::start_end(start, end).ok()
}

/// A time librrd's `rrd_parsetime` reads as seconds since the epoch: a plain number above ten
/// years of seconds (below, it is a date such as `20260101`, or a day of the month).
#[cfg(feature = "librrd")]
fn epoch_seconds(t: &str) -> Option<i64> {
    if t.is_empty() || t.len() > 18 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse()
        .ok()
        .filter(|&s: &i64| s > 10 * 365 * 24 * 60 * 60)
}

/// Without librrd, only times in epoch seconds are known (and nothing is drawn in-process).
#[cfg(not(feature = "librrd"))]
fn time_range(start: &str, end: &str) -> Option<(i64, i64)> {
    Some((start.parse().ok()?, end.parse().ok()?))
}

/// Builds a [`GraphSpec`]. Setters never fail: the common options have typed setters
/// (`.width(650)`, `.start("-1d")`, …) next to the generic [`GraphSpecBuilder::option`];
/// [`GraphSpecBuilder::args`], `start` and `end` remember the first parse error, and
/// [`GraphSpecBuilder::build`] reports it, then validates every option and runs every
/// cross-element check.
///
/// ```
/// use rrdgraph::{
///     Cf, CDef, Color, ControlCode, Def, DsName, GraphOption, GraphSpec, HRule, Legend, Line,
///     VName,
/// };
/// let inoctets = VName::new("inoctets")?;
/// let bits = VName::new("bits")?;
/// let spec = GraphSpec::builder()
///     .output("in.png")
///     .width(650)
///     .start("-1d")
///     .option(GraphOption::SlopeMode) // every option also has the generic form
///     .def(Def::new(&inoctets, "Flow.rrd", DsName::new("eth0_in")?, Cf::Average))
///     .cdef(CDef::new(&bits, "inoctets,8,*".parse()?))
///     .line(Line::new(&bits).color(Color::rgb(0, 0xFF, 0)).legend(Legend::new("In: bits")?))
///     .hrule(HRule::new(6144.0).color(Color::rgb(0xFF, 0, 0))
///         .legend(Legend::new("Alarm")?.with_code(ControlCode::Right)))
///     .build()?;
/// let args = spec.to_args();
/// assert_eq!(args[1..6], ["--width", "650", "--start", "-1d", "--slope-mode"]);
/// assert_eq!(args[6], "DEF:inoctets=Flow.rrd:eth0_in:AVERAGE");
/// assert_eq!(args[8], "LINE1:bits#00FF00:In\\: bits");
/// assert_eq!(args[9], "HRULE:6144#FF0000:Alarm\\r");
/// // Values are checked when the spec is built.
/// assert!(GraphSpec::builder().output("x.png").width(5).build().is_err());
/// assert!(GraphSpec::builder().output("x.png").start("yesterday-ish").build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct GraphSpecBuilder {
    output: Option<String>,
    options: Vec<GraphOption>,
    forms: Vec<ArgForm>,
    elements: Vec<Element>,
    arg_index: Vec<Option<usize>>,
    opt_index: Vec<Option<usize>>,
    error: Option<Error>,
}

/// Typed setters for the common options: each appends its [`GraphOption`], as
/// [`GraphSpecBuilder::option`] does, and [`GraphSpecBuilder::build`] validates it.
macro_rules! option_setters {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) => $var:ident $(($($val:expr),*))?;)*) => {$(
        $(#[$doc])*
        pub fn $name(self $(, $arg: $ty)*) -> Self {
            self.option(GraphOption::$var $(($($val),*))?)
        }
    )*};
}

macro_rules! element_setters {
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $var:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(self, e: $ty) -> Self {
            self.element(Element::$var(e))
        }
    )*};
}

impl GraphSpecBuilder {
    /// Sets the output filename.
    pub fn output(mut self, path: impl Into<String>) -> Self {
        self.output = Some(path.into());
        self
    }

    /// Appends an option.
    pub fn option(mut self, option: GraphOption) -> Self {
        self.options.push(option);
        self.forms.push(ArgForm::Long);
        self.opt_index.push(None);
        self
    }

    option_setters! {
        /// `--step`: the wanted resolution, in seconds.
        step(seconds: u64) => Step(seconds);
        /// `--title`.
        title(title: impl Into<String>) => Title(title.into());
        /// `--vertical-label`.
        vertical_label(label: impl Into<String>) => VerticalLabel(label.into());
        /// `--width` of the canvas in pixels (10 to 100000).
        width(pixels: u32) => Width(pixels);
        /// `--height` of the canvas in pixels (10 to 100000).
        height(pixels: u32) => Height(pixels);
        /// `--upper-limit` of the y axis.
        upper_limit(value: f64) => UpperLimit(value);
        /// `--lower-limit` of the y axis.
        lower_limit(value: f64) => LowerLimit(value);
        /// `--rigid`: keep the limits even when the data goes beyond them.
        rigid() => Rigid;
        /// `--alt-autoscale`.
        alt_autoscale() => AltAutoscale;
        /// `--logarithmic` y axis.
        logarithmic() => Logarithmic;
        /// `--base` (1000, or 1024 for memory sizes).
        base(base: u32) => Base(base);
        /// `--units-exponent` (a multiple of 3 in -18..=18).
        units_exponent(exponent: i32) => UnitsExponent(exponent);
        /// `--right-axis scale:shift`.
        right_axis(scale: f64, shift: f64) => RightAxis(scale, shift);
        /// `--right-axis-label`.
        right_axis_label(label: impl Into<String>) => RightAxisLabel(label.into());
        /// `--no-legend`.
        no_legend() => NoLegend;
        /// `--only-graph`.
        only_graph() => OnlyGraph;
        /// `--full-size-mode`: width and height are those of the whole image.
        full_size_mode() => FullSizeMode;
        /// `--slope-mode`.
        slope_mode() => SlopeMode;
        /// `--imgformat`.
        image_format(format: ImageFormat) => ImgFormat(format);
        /// `--color TAG#color` (repeatable, applied in order).
        color(tag: ColorTag, color: Color) => Color(tag, color);
        /// `--watermark`.
        watermark(text: impl Into<String>) => Watermark(text.into());
        /// `--daemon`: the rrdcached address for every DEF.
        daemon(address: impl Into<String>) => Daemon(address.into());
        /// `--zoom` factor (> 0).
        zoom(factor: f64) => Zoom(factor);
        /// `--border` width in pixels.
        border(pixels: u32) => Border(pixels);
        /// `--legend-position`.
        legend_position(position: LegendPosition) => LegendPosition(position);
        /// `--disable-rrdtool-tag`.
        disable_rrdtool_tag() => DisableRrdtoolTag;
    }

    /// `--start`, an at-style time (`-1d`, `end-24h`, `920804400`). A time that does not
    /// parse is reported by [`build`](Self::build).
    pub fn start(self, time: impl AsRef<str>) -> Self {
        self.time_option("start", time.as_ref(), GraphOption::Start)
    }

    /// `--end`, an at-style time (`now`, `start+1d`, `920808000`). A time that does not parse
    /// is reported by [`build`](Self::build).
    pub fn end(self, time: impl AsRef<str>) -> Self {
        self.time_option("end", time.as_ref(), GraphOption::End)
    }

    fn time_option(
        mut self,
        option: &'static str,
        text: &str,
        f: fn(AtTime) -> GraphOption,
    ) -> Self {
        match AtTime::new(text) {
            Ok(t) => self.option(f(t)),
            Err(reason) => {
                self.remember_error(Error::Option { option, reason });
                self
            }
        }
    }

    pub(crate) fn option_with_form(mut self, option: GraphOption, form: ArgForm) -> Self {
        self.options.push(option);
        self.forms.push(form);
        self.opt_index.push(None);
        self
    }

    pub(crate) fn push_parsed_option(&mut self, option: GraphOption, form: ArgForm, index: usize) {
        self.options.push(option);
        self.forms.push(form);
        self.opt_index.push(Some(index));
    }

    pub(crate) fn push_parsed_element(&mut self, e: Element, index: usize) {
        self.elements.push(e);
        self.arg_index.push(Some(index));
    }

    /// Appends an element.
    pub fn element(mut self, e: impl Into<Element>) -> Self {
        self.elements.push(e.into());
        self.arg_index.push(None);
        self
    }

    element_setters! {
        /// Appends a DEF.
        def(Def) => Def;
        /// Appends a CDEF.
        cdef(CDef) => CDef;
        /// Appends a VDEF.
        vdef(VDef) => VDef;
        /// Appends a LINE.
        line(Line) => Line;
        /// Appends an AREA.
        area(Area) => Area;
        /// Appends a (deprecated) STACK.
        stack(Stack) => Stack;
        /// Appends a TICK.
        tick(Tick) => Tick;
        /// Appends a SHIFT.
        shift(Shift) => Shift;
        /// Appends an HRULE.
        hrule(HRule) => HRule;
        /// Appends a VRULE.
        vrule(VRule) => VRule;
        /// Appends a TEXTALIGN.
        text_align(TextAlign) => TextAlign;
        /// Appends a COMMENT.
        comment(Legend) => Comment;
        /// Appends a PRINT.
        print(Print) => Print;
        /// Appends a GPRINT.
        gprint(Print) => GPrint;
    }

    /// Keeps the first error of a setter that parses (see [`GraphSpecBuilder::args`]) for
    /// [`build`](Self::build) to report.
    pub(crate) fn remember_error(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    pub(crate) fn has_error(&self) -> bool {
        self.error.is_some()
    }

    pub(crate) fn set_output_if_missing(&mut self, output: String) {
        if self.output.is_none() {
            self.output = Some(output);
        }
    }

    pub(crate) fn has_output(&self) -> bool {
        self.output.is_some()
    }

    /// Every remaining problem instead of the first, each with its argument index where it has
    /// one: option errors one by one, dropping the offending option each time, then element
    /// errors one by one, dropping the offending element each time (at most 100 of each).
    pub(crate) fn into_diagnostics(mut self) -> Vec<Error> {
        let mut out: Vec<Error> = self.error.take().into_iter().collect();
        let output = self.output.clone().unwrap_or_default();
        let spec = |options: &[GraphOption], elements: &[Element]| GraphSpec {
            output: output.clone(),
            options: options.to_vec(),
            forms: vec![ArgForm::Long; options.len()],
            elements: elements.to_vec(),
        };
        for _ in 0..100 {
            let e = match spec(&self.options, &self.elements).validate_options() {
                Ok(()) => break,
                Err(e) => e,
            };
            let Error::Option { option, .. } = &e else {
                // The output or the image size: nothing to drop, the elements still get checked.
                out.push(e);
                break;
            };
            let Some(at) = offending_option(&self.options, option) else {
                out.push(e);
                break;
            };
            out.push(with_index(e, self.opt_index[at]));
            self.options.remove(at);
            self.opt_index.remove(at);
        }
        // Element indexes in the caller's list, as elements get dropped.
        let mut original: Vec<usize> = (0..self.elements.len()).collect();
        for _ in 0..100 {
            let Err(mut e) = spec(&self.options, &self.elements).validate_elements() else {
                break;
            };
            let element = match &mut e {
                Error::Element { index, .. }
                | Error::Undefined { index, .. }
                | Error::Duplicate { index, .. }
                | Error::WrongKind { index, .. } => {
                    let i = *index;
                    *index = original[i];
                    Some(i)
                }
                _ => None,
            };
            if let Error::Duplicate { first, .. } = &mut e {
                *first = original[*first];
            }
            let Some(i) = element else {
                let index = match &e {
                    Error::Option { option, .. } => {
                        offending_option(&self.options, option).and_then(|at| self.opt_index[at])
                    }
                    _ => None,
                };
                out.push(with_index(e, index));
                break;
            };
            out.push(with_index(e, self.arg_index.get(i).copied().flatten()));
            self.elements.remove(i);
            self.arg_index.remove(i);
            original.remove(i);
        }
        out
    }

    /// Validates and builds the spec.
    ///
    /// # Errors
    /// The first error remembered by [`args`](Self::args); [`Error::NoOutput`];
    /// [`Error::Option`] for out-of-range option values; [`Error::Element`] for invalid element
    /// fields (bad RPN, dash pattern, …); [`Error::Undefined`] for vnames used before they are
    /// defined; [`Error::Duplicate`]; [`Error::WrongKind`] when a VDEF or SHIFT does not refer to
    /// a DEF/CDEF, a rule does not refer to a VDEF, …. A graph with no elements is valid, as in
    /// rrdtool (it draws nothing). Errors of parsed arguments are wrapped in [`Error::ParsedSpec`] with the
    /// argument index.
    pub fn build(self) -> Result<GraphSpec> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut elements = self.elements;
        // An empty legend is the same as none; keep one representation.
        for e in &mut elements {
            let legend = match e {
                Element::Line(l) => &mut l.legend,
                Element::Area(a) => &mut a.legend,
                Element::Stack(s) => &mut s.legend,
                Element::Tick(t) => &mut t.legend,
                Element::HRule(h) => &mut h.legend,
                Element::VRule(v) => &mut v.legend,
                _ => continue,
            };
            if legend.as_ref().is_some_and(Legend::is_empty) {
                *legend = None;
            }
        }
        let spec = GraphSpec {
            output: self.output.unwrap_or_default(),
            options: self.options,
            forms: self.forms,
            elements,
        };
        spec.validate().map_err(|e| {
            let index = match &e {
                Error::Element { index, .. }
                | Error::Undefined { index, .. }
                | Error::Duplicate { index, .. }
                | Error::WrongKind { index, .. } => self.arg_index.get(*index).copied().flatten(),
                Error::Option { option, .. } => {
                    offending_option(&spec.options, option).and_then(|at| self.opt_index[at])
                }
                _ => None,
            };
            with_index(e, index)
        })?;
        Ok(spec)
    }
}

/// The option an [`Error::Option`] about `name` is about: the one whose own value is bad, or
/// else the last one of that name (the one librrd uses).
fn offending_option(options: &[GraphOption], name: &str) -> Option<usize> {
    options
        .iter()
        .rposition(|o| o.long_name() == name && o.validate().is_err())
        .or_else(|| options.iter().rposition(|o| o.long_name() == name))
}

/// `e` with the argument index it came from, when it came from a parsed argument.
fn with_index(e: Error, index: Option<usize>) -> Error {
    match index {
        Some(index) => Error::ParsedSpec {
            index,
            source: Box::new(e),
        },
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Color, VName};

    #[test]
    fn equality_ignores_option_spelling() {
        let a = GraphSpec::parse_args(&["o.png", "-w", "400", "COMMENT:x"]).unwrap();
        let b = GraphSpec::parse_args(&["o.png", "--width=400", "COMMENT:x"]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_args(), ["o.png", "-w", "400", "COMMENT:x"]);
        assert_eq!(b.to_args(), ["o.png", "--width=400", "COMMENT:x"]);
    }

    #[test]
    fn empty_legends_are_none() {
        let x = VName::new("x").unwrap();
        let spec = GraphSpec::builder()
            .output("o.png")
            .def(Def::new(
                &x,
                "a.rrd",
                crate::DsName::new("v").unwrap(),
                crate::Cf::Average,
            ))
            .line(
                Line::new(&x)
                    .color(Color::rgb(0, 0, 0))
                    .legend(Legend::new("").unwrap()),
            )
            .build()
            .unwrap();
        let Element::Line(l) = &spec.elements()[1] else {
            panic!("a LINE")
        };
        assert_eq!(l.legend, None);
        assert_eq!(GraphSpec::parse_args(&spec.to_args()).unwrap(), spec);
    }

    #[test]
    fn image_format_is_the_last_given() {
        let spec =
            GraphSpec::parse_args(&["o", "-a", "SVG", "--imgformat=PDF", "COMMENT:x"]).unwrap();
        assert_eq!(spec.image_format(), ImageFormat::Pdf);
        assert!(spec.draws());
        assert_eq!(spec.clone().with_output("p").output(), "p");
    }
}

#[cfg(all(test, feature = "librrd"))]
mod time_range_tests {
    use super::*;

    /// The times read without librrd are the ones librrd's parser reads the same way; the
    /// rest go to it.
    #[test]
    fn epoch_seconds_as_librrd_reads_them() {
        for (start, end) in [("1767139200", "1767225600"), ("315360001", "2000000000")] {
            assert_eq!(
                Some((epoch_seconds(start).unwrap(), epoch_seconds(end).unwrap())),
                crate::ffi::start_end(start, end).ok()
            );
        }
        for t in [
            "20260101",
            "315360000",
            "31",
            "-1d",
            "",
            "1767139200x",
            "+1767139200",
        ] {
            assert_eq!(epoch_seconds(t), None, "{t}");
        }
    }
}
