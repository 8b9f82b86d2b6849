//! The data behind a graph (issue 14): every DEF, CDEF and VDEF of a spec computed in Rust as
//! librrd's `data_fetch` and `data_calc` compute them, with no librrd call. The core
//! ([`GraphData::compute`]) takes a fetch callback; [`GraphData::from_files`] reads the RRDs
//! with [`RrdFile`].

use std::collections::HashMap;
use std::path::PathBuf;

use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

use crate::at_resolve::resolve_window;
use crate::element::{Def, Element, Format, ShiftOffset};
use crate::eval::{Clock, Column, Operand, VDefValue, eval_cdef, fold, gcd, reduce, vdef};
use crate::eval_error::EvalError;
use crate::options::GraphOption;
use crate::printf::{auto_scale, format_value};
use crate::rrd_file::{MAX_FETCH_VALUES, RrdFile};
use crate::series::Series;
use crate::spec::GraphSpec;
use crate::strfduration::strfduration;
use crate::strftime::{FMT_LEG_LEN, Tm, strftime, time_clean};
use crate::value::{AtTime, Cf, VName};

/// The time window of a graph, as librrd holds it after its options: `start` and `end` in
/// seconds, and the image-wide step: the larger of `--step` and `(end - start) / width`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct DataWindow {
    start: i64,
    end: i64,
    step: u64,
}

impl DataWindow {
    /// The window `start..end` of a graph `width` pixels wide, with `--step` `step` (0 when
    /// not given), as librrd computes the image-wide step.
    pub fn new(start: i64, end: i64, width: u32, step: u64) -> Self {
        let span = u64::try_from(end.saturating_sub(start)).unwrap_or(0);
        let per_pixel = span / u64::from(width.max(1));
        Self {
            start,
            end,
            step: step.max(per_pixel),
        }
    }

    /// The start, in seconds since the epoch.
    pub fn start(&self) -> i64 {
        self.start
    }

    /// The end, in seconds since the epoch.
    pub fn end(&self) -> i64 {
        self.end
    }

    /// The image-wide step.
    pub fn step(&self) -> u64 {
        self.step
    }
}

/// Everything behind a graph's picture: each DEF and CDEF series on one grid, and each VDEF.
///
/// The grid is the one `rrdtool xport` uses: the greatest common divisor of the series'
/// steps, from the window's start rounded down to it to its end rounded up; a series has UNKN
/// where it has no value (outside its window, e.g. after a SHIFT).
///
/// JSON: `{"start", "end", "step", "series": {"<vname>": [1.5, null]}, "vdefs": {"<vname>":
/// {"value": 2.5, "time": 0}}, "prints": [], "gprints": []}`, `null` for UNKN and
/// `"inf"`/`"-inf"` for the infinities.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GraphData {
    /// The grid's start (the time before its first row).
    pub start: i64,
    /// The grid's end (the time of its last row).
    pub end: i64,
    /// The grid's step.
    pub step: u64,
    /// Each DEF and CDEF, in the spec's order, one value per row.
    pub series: Vec<(VName, Vec<f64>)>,
    /// Each VDEF, in the spec's order.
    pub vdefs: Vec<(VName, VDefValue)>,
    /// Each series at its own start and step, as librrd holds it (before the grid).
    pub columns: Vec<(VName, Column)>,
    /// Each PRINT's text, as `graphv` gives it in `print[i]`.
    pub prints: Vec<String>,
    /// Each GPRINT's text, its control code (`\\l`, …) dropped.
    pub gprints: Vec<String>,
}

/// What a vname holds while the elements are computed.
enum Value {
    Series(Column),
    VDef(VDefValue),
}

fn fetch_failed(def: &Def, reason: impl std::fmt::Display) -> EvalError {
    EvalError::Series {
        name: def.vname.to_string(),
        reason: reason.to_string(),
    }
}

/// A DEF's own `:start=`/`:end=`: only epoch seconds are resolved here.
fn def_time(def: &Def, t: Option<&AtTime>, default: i64) -> Result<i64, EvalError> {
    match t {
        None => Ok(default),
        Some(t) => t.as_str().parse().map_err(|_| {
            fetch_failed(
                def,
                format!("only epoch seconds are resolved in a DEF's time, not {t}"),
            )
        }),
    }
}

impl GraphData {
    /// Computes `elements` over `window` as librrd does, in their order: a DEF is fetched at
    /// its `:step=` (else the window's step) from its own window, and consolidated with
    /// [`reduce`] to at least the window's step; a CDEF is [`eval_cdef`]; a VDEF is [`vdef`];
    /// a SHIFT moves its series by its offset rounded towards zero to the series' step.
    /// `fetch(def, start, end, resolution)` answers as [`RrdFile::fetch`] does.
    ///
    /// # Errors
    ///
    /// [`EvalError`] from the fetch callback, a DEF whose data source the file lacks, a CDEF,
    /// or a SHIFT by an unknown VDEF value.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "a clock is built for the call (`Clock::at(now).in_zone(..)`)"
    )]
    pub fn compute(
        elements: &[Element],
        window: DataWindow,
        clock: Clock,
        mut fetch: impl FnMut(&Def, i64, i64, u64) -> Result<Series, EvalError>,
    ) -> Result<Self, EvalError> {
        Self::compute_columns(elements, window, &clock, |def, start, end, resolution| {
            ds_column(def, &fetch(def, start, end, resolution)?)
        })
    }

    /// [`compute`](GraphData::compute) with a fetch that answers with the DEF's data source
    /// alone, so that an answer shared by several DEFs is not copied whole for each.
    fn compute_columns(
        elements: &[Element],
        window: DataWindow,
        clock: &Clock,
        mut fetch: impl FnMut(&Def, i64, i64, u64) -> Result<Column, EvalError>,
    ) -> Result<Self, EvalError> {
        let mut values: HashMap<VName, Value> = HashMap::new();
        let mut order: Vec<VName> = Vec::new();
        // The offset each series was moved by (librrd takes the previous SHIFT off first).
        let mut shifts: HashMap<VName, i64> = HashMap::new();
        for element in elements {
            match element {
                Element::Def(def) => {
                    let column = def_column(def, window, &mut fetch)?;
                    order.push(def.vname.clone());
                    values.insert(def.vname.clone(), Value::Series(column));
                }
                Element::CDef(cdef) => {
                    let lookup = |v: &VName| match values.get(v)? {
                        Value::Series(c) => Some(Operand::Series(c)),
                        Value::VDef(d) => Some(Operand::Value(d.value)),
                    };
                    let column = eval_cdef(&cdef.rpn, lookup, clock.clone())?;
                    order.push(cdef.vname.clone());
                    values.insert(cdef.vname.clone(), Value::Series(column));
                }
                Element::VDef(v) => {
                    let Some(Value::Series(src)) = values.get(&v.expr.src) else {
                        return Err(EvalError::Undefined(v.expr.src.clone()));
                    };
                    let value = vdef(src, v.expr.func);
                    order.push(v.vname.clone());
                    values.insert(v.vname.clone(), Value::VDef(value));
                }
                Element::Shift(shift) => {
                    let offset = match &shift.offset {
                        ShiftOffset::Seconds(s) => *s,
                        ShiftOffset::VName(v) => match values.get(v) {
                            Some(Value::VDef(d)) if d.value.is_finite() => {
                                #[expect(
                                    clippy::cast_possible_truncation,
                                    reason = "librrd's (long) of the value"
                                )]
                                let s = d.value as i64;
                                s
                            }
                            _ => {
                                return Err(EvalError::Series {
                                    name: shift.value.to_string(),
                                    reason: format!("SHIFT by {v}, which has no finite value"),
                                });
                            }
                        },
                    };
                    let Some(Value::Series(col)) = values.get_mut(&shift.value) else {
                        return Err(EvalError::Undefined(shift.value.clone()));
                    };
                    let step = col.step_i64();
                    let normalized = offset / step * step;
                    let before = shifts.insert(shift.value.clone(), normalized).unwrap_or(0);
                    col.move_to(col.start() - before + normalized)?;
                }
                _ => {}
            }
        }
        let mut data = Self::on_grid(window, &order, values)?;
        data.print(elements, 1000, clock)?;
        Ok(data)
    }

    /// librrd's `print_calc`: each PRINT and GPRINT with a value format, in order, over a
    /// VDEF's value or (the deprecated CF form) a series consolidated by the CF; `%s` and `%S`
    /// scale by `base` as `auto_scale` does, `%S` reusing the factor of the print before it.
    fn print(&mut self, elements: &[Element], base: u32, clock: &Clock) -> Result<(), EvalError> {
        self.prints.clear();
        self.gprints.clear();
        // Both carry over from one print to the next, as librrd's locals do.
        let mut magfact = -1.0;
        let mut symbol = "";
        for element in elements {
            let (print, is_print) = match element {
                Element::Print(p) => (p, true),
                Element::GPrint(p) => (p, false),
                _ => continue,
            };
            let vdef = print.cf.is_none().then(|| {
                self.vdefs
                    .iter()
                    .find(|(n, _)| n == &print.vname)
                    .map(|(_, v)| *v)
            });
            let mut value = match print.cf {
                None => vdef
                    .flatten()
                    .map(|v| v.value)
                    .ok_or_else(|| EvalError::Undefined(print.vname.clone()))?,
                Some(cf) => {
                    let (_, column) = self
                        .columns
                        .iter()
                        .find(|(n, _)| n == &print.vname)
                        .ok_or_else(|| EvalError::Undefined(print.vname.clone()))?;
                    consolidate(column.values(), cf)
                }
            };
            let format = match &print.format {
                Format::Value(format) => format,
                other => {
                    let text = time_text(other, print, vdef.flatten(), value, clock)?;
                    if is_print {
                        self.prints.push(text);
                    } else {
                        self.gprints.push(text);
                    }
                    continue;
                }
            };
            let mut text = format.as_legend().text().to_owned();
            if let Some(at) = text.find("%S") {
                if magfact < 0.0 {
                    let (v, s, f) = auto_scale(value, f64::from(base));
                    (value, symbol, magfact) = (v, s, f);
                    if value == 0.0 {
                        magfact = -1.0;
                    }
                } else {
                    value /= magfact;
                }
                text.replace_range(at..at + 2, "%s");
            } else if text.contains("%s") {
                let (v, s, f) = auto_scale(value, f64::from(base));
                (value, symbol, magfact) = (v, s, f);
            }
            let mut out = format_value(&text, value, symbol);
            if is_print {
                self.prints.push(out);
            } else {
                // librrd's `snprintf(legend, FMT_LEG_LEN - 2, ...)` keeps 197 bytes.
                let keep = FMT_LEG_LEN - 3;
                if out.len() > keep {
                    if !out.is_char_boundary(keep) {
                        return Err(EvalError::Unsupported(format!(
                            "GPRINT of {}: librrd cuts its text inside a character",
                            print.vname
                        )));
                    }
                    out.truncate(keep);
                }
                self.gprints.push(out);
            }
        }
        Ok(())
    }

    /// Samples every series on xport's grid.
    fn on_grid(
        window: DataWindow,
        order: &[VName],
        mut values: HashMap<VName, Value>,
    ) -> Result<Self, EvalError> {
        let mut columns = Vec::new();
        let mut vdefs = Vec::new();
        for name in order {
            match values.remove(name) {
                Some(Value::Series(c)) => columns.push((name.clone(), c)),
                Some(Value::VDef(v)) => vdefs.push((name.clone(), v)),
                None => {}
            }
        }
        let step = columns
            .iter()
            .map(|(_, c)| c.step())
            .reduce(gcd)
            .unwrap_or(window.step.max(1));
        let step_i = i64::try_from(step).unwrap_or(i64::MAX);
        let start = window.start - window.start.rem_euclid(step_i);
        let mut end = window.end - window.end.rem_euclid(step_i);
        if window.end > end {
            end += step_i;
        }
        let rows = usize::try_from((end - start) / step_i).unwrap_or(0);
        if rows.saturating_mul(columns.len().max(1)) > MAX_FETCH_VALUES {
            return Err(EvalError::Series {
                name: "graph".to_owned(),
                reason: format!("{rows} rows, more than MAX_FETCH_VALUES in all"),
            });
        }
        let series = columns
            .iter()
            .map(|(name, c)| {
                let lead = start - c.start();
                let values = if c.step_i64() == step_i && lead % step_i == 0 {
                    // On the grid already: one copy.
                    let mut v = Vec::with_capacity(rows);
                    c.window_into(lead / step_i, rows, &mut v);
                    v
                } else {
                    (0..rows)
                        .map(|i| {
                            let now = start + i64::try_from(i).unwrap_or(0) * step_i;
                            c.at((now - c.start()).div_euclid(c.step_i64()))
                        })
                        .collect()
                };
                (name.clone(), values)
            })
            .collect();
        Ok(Self {
            start,
            end,
            step,
            series,
            vdefs,
            columns,
            prints: Vec::new(),
            gprints: Vec::new(),
        })
    }

    /// [`compute`](GraphData::compute) with the RRDs read by [`RrdFile`]: each file opened
    /// once, and DEFs of one file, CF and window (its data sources, typically) served by one
    /// fetch, as librrd's `data_fetch` reuses an earlier DEF's answer.
    ///
    /// # Errors
    ///
    /// As [`compute`](GraphData::compute); a file that cannot be read or fetched is an
    /// [`EvalError::Series`] naming the DEF, with the reader's message.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "a clock is built for the call (`Clock::at(now).in_zone(..)`)"
    )]
    pub fn from_files(
        elements: &[Element],
        window: DataWindow,
        clock: Clock,
    ) -> Result<Self, EvalError> {
        let mut files: HashMap<PathBuf, RrdFile> = HashMap::new();
        // A graph has a handful of DEFs: a list is quicker than hashing the key.
        let mut fetched: Vec<(PathBuf, Cf, i64, i64, u64, Series)> = Vec::new();
        Self::compute_columns(elements, window, &clock, |def, start, end, resolution| {
            let key = (def.rrd.as_path(), def.cf, start, end, resolution);
            if let Some(hit) = fetched
                .iter()
                .find(|f| (f.0.as_path(), f.1, f.2, f.3, f.4) == key)
            {
                return ds_column(def, &hit.5);
            }
            if !files.contains_key(&def.rrd) {
                let file = RrdFile::open(&def.rrd).map_err(|e| fetch_failed(def, e))?;
                files.insert(def.rrd.clone(), file);
            }
            let series = files[&def.rrd]
                .fetch(def.cf, start, end, resolution)
                .map_err(|e| fetch_failed(def, e))?;
            let column = ds_column(def, &series);
            fetched.push((def.rrd.clone(), key.1, key.2, key.3, key.4, series));
            column
        })
    }
}

/// A `:strftime`, `:valstrftime` or `:valstrfduration` print's text, as librrd's
/// `print_calc` writes it: `strftime` of the VDEF's time in the clock's zone (dashes when the
/// VDEF has none), of the value as a UTC time (truncated to seconds; `%.0f` of it when it is
/// not finite), of the value as milliseconds (`%f` of it when it is not finite).
fn time_text(
    format: &Format,
    print: &crate::element::Print,
    vdef: Option<VDefValue>,
    value: f64,
    clock: &Clock,
) -> Result<String, EvalError> {
    let text = format.legend().text();
    let unsupported = |why: String| {
        EvalError::Unsupported(format!(
            "PRINT/GPRINT of {} with :{}: {why}",
            print.vname,
            format.style().unwrap_or("")
        ))
    };
    match format {
        Format::Strftime(_) => {
            // The deprecated CF form keeps librrd's `tmvdef` of an earlier print (or of now).
            let vdef = vdef.ok_or_else(|| unsupported("a time needs a VDEF".to_owned()))?;
            if vdef.time == 0 {
                time_clean(text).map_err(unsupported)
            } else {
                let local = clock.zone().at(vdef.time);
                let tm = Tm::at(vdef.time, local.offset(), local.abbreviation());
                strftime(text, &tm).map_err(unsupported)
            }
        }
        Format::ValStrftime(_) => {
            // librrd's `timestamp_to_tm` truncates to whole seconds (its check for a fraction
            // compares the truncation with itself); what no `long long` holds it prints as
            // `%.0f`.
            if !value.is_finite() || value.abs() >= 9.2e18 {
                return Ok(format_value("%.0lf", value, ""));
            }
            // Past the year 9999 glibc writes other widths (and `gmtime_r` fails at last).
            if value.abs() > 253_402_300_799.0 {
                return Err(unsupported(format!("the time {value:e}")));
            }
            let fmt = if text.is_empty() {
                "%Y-%m-%d %H:%M:%S"
            } else {
                text
            };
            #[expect(clippy::cast_possible_truncation, reason = "C's cast, range checked")]
            let tm = Tm::utc(value as i64);
            let out = strftime(fmt, &tm).map_err(unsupported)?;
            if out.is_empty() {
                // strftime's 0 for an empty text fails librrd's graph.
                return Err(unsupported("an empty text, which librrd fails".to_owned()));
            }
            Ok(out)
        }
        Format::ValStrfduration(_) => {
            if !value.is_finite() {
                return Ok(format_value("%lf", value, ""));
            }
            let fmt = if text.is_empty() {
                "%H:%02m:%02s"
            } else {
                text
            };
            strfduration(fmt, value).map_err(unsupported)
        }
        Format::Value(_) => Err(unsupported("a value format".to_owned())),
    }
}

/// The deprecated `PRINT:vname:CF:format`: the finite values consolidated by `cf` (an
/// average only divides when there are two or more).
fn consolidate(values: &[f64], cf: Cf) -> f64 {
    let mut acc = f64::NAN;
    let mut valid = 0u32;
    for &v in values.iter().filter(|v| v.is_finite()) {
        if acc.is_nan() {
            acc = v;
            valid += 1;
            continue;
        }
        if !matches!(cf, Cf::Min | Cf::Max | Cf::Failures | Cf::Last) {
            valid += 1;
        }
        acc = fold(cf, acc, v);
    }
    if !matches!(cf, Cf::Min | Cf::Max | Cf::Failures | Cf::Last) && valid > 1 {
        acc / f64::from(valid)
    } else {
        acc
    }
}

/// The DEF's data source in a fetch's answer.
fn ds_column(def: &Def, series: &Series) -> Result<Column, EvalError> {
    let values = series.column(def.ds.as_str()).ok_or_else(|| {
        fetch_failed(
            def,
            format!("No DS called '{}' in '{}'", def.ds, def.rrd.display()),
        )
    })?;
    Column::new(series.start(), series.step(), values)
}

/// librrd's `data_fetch` for one DEF: its window, the fetch at its step, its data source, and
/// the consolidation to the image-wide step.
fn def_column(
    def: &Def,
    window: DataWindow,
    fetch: &mut impl FnMut(&Def, i64, i64, u64) -> Result<Column, EvalError>,
) -> Result<Column, EvalError> {
    let start = def_time(def, def.start.as_ref(), window.start)?;
    let end = def_time(def, def.end.as_ref(), window.end)?;
    let wanted = def.step.unwrap_or(window.step);
    let column = fetch(def, start, end, wanted)?;
    let step = wanted.max(window.step);
    if column.step() < step {
        let cf = def.reduce.unwrap_or(def.cf);
        reduce(&column, cf, step)
    } else {
        Ok(column)
    }
}

impl Serialize for GraphData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut doc = s.serialize_struct("GraphData", 6)?;
        doc.serialize_field("start", &self.start)?;
        doc.serialize_field("end", &self.end)?;
        doc.serialize_field("step", &self.step)?;
        doc.serialize_field("series", &SeriesMap(&self.series))?;
        doc.serialize_field("vdefs", &VDefMap(&self.vdefs))?;
        doc.serialize_field("prints", &self.prints)?;
        doc.serialize_field("gprints", &self.gprints)?;
        doc.end()
    }
}

struct SeriesMap<'a>(&'a [(VName, Vec<f64>)]);

impl Serialize for SeriesMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, values) in self.0 {
            let samples: Vec<crate::sample::Sample> = values.iter().map(|&v| v.into()).collect();
            map.serialize_entry(name.as_str(), &samples)?;
        }
        map.end()
    }
}

struct VDefMap<'a>(&'a [(VName, VDefValue)]);

impl Serialize for VDefMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, v) in self.0 {
            map.serialize_entry(name.as_str(), v)?;
        }
        map.end()
    }
}

impl GraphSpec {
    /// `--start` and `--end` resolved as librrd resolves them (`rrd_parsetime` and
    /// `rrd_proc_start_end`) at `clock`'s now in its zone: seconds since the epoch, before any
    /// alignment to a step.
    ///
    /// ```
    /// use rrdgraph::{Clock, GraphSpec, Zone};
    /// let spec = GraphSpec::parse_args(&["-", "--start", "end-1d", "--end", "20260330",
    ///     "LINE1:1#000000"])?;
    /// let berlin = Clock::at(0).in_zone(Zone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3")?);
    /// assert_eq!(spec.time_window(&berlin)?, (1_774_735_200, 1_774_821_600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EvalError::Time`] for a spec librrd refuses (with librrd's reason), a start before
    /// 1980 or after the end.
    pub fn time_window(&self, clock: &Clock) -> Result<(i64, i64), EvalError> {
        let (mut start, mut end, mut end_first) = (None, None, false);
        for option in self.options() {
            match option {
                GraphOption::Start(t) => start = Some(t.as_str()),
                GraphOption::End(t) => {
                    end_first |= start.is_none();
                    end = Some(t.as_str());
                }
                _ => {}
            }
        }
        resolve_window(start, end, end_first, clock)
    }

    /// The data behind this graph, computed in Rust from the RRD files with no librrd call
    /// ([`GraphData::from_files`]): the window from `--start`, `--end`, `--width` (default
    /// 400) and `--step`, resolved at `clock`'s now.
    ///
    /// ```no_run
    /// use rrdgraph::{Clock, GraphSpec};
    /// let spec = GraphSpec::parse_args(&["-", "--start", "-1d", "DEF:a=Flow.rrd:eth0_in:AVERAGE",
    ///     "VDEF:m=a,MAXIMUM", "PRINT:m:%lf"])?;
    /// let data = spec.data(Clock::at(1_767_225_600))?;
    /// println!("{}", data.vdefs[0].1.value);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EvalError::Time`] as [`time_window`](GraphSpec::time_window), and the errors of
    /// [`GraphData::compute`].
    #[expect(
        clippy::needless_pass_by_value,
        reason = "a clock is built for the call (`Clock::at(now).in_zone(..)`)"
    )]
    pub fn data(&self, clock: Clock) -> Result<GraphData, EvalError> {
        let (mut width, mut step, mut base) = (400, 0, 1000);
        for option in self.options() {
            match option {
                GraphOption::Width(w) => width = *w,
                GraphOption::Step(s) => step = *s,
                GraphOption::Base(b) => base = *b,
                _ => {}
            }
        }
        let (start, end) = self.time_window(&clock)?;
        let window = DataWindow::new(start, end, width, step);
        let mut data = GraphData::from_files(self.elements(), window, clock.clone())?;
        if base != 1000 {
            data.print(self.elements(), base, &clock)?;
        }
        Ok(data)
    }
}
