//! Validated value types: vnames, colors, legends, print formats, times and grid specs, one
//! file each.

mod at_time;
mod cf;
mod color;
mod ds_name;
mod grid;
mod legend;
mod number;
mod print_format;
mod text;
mod vname;

pub use at_time::AtTime;
pub use cf::Cf;
pub use color::{Color, ColorForm};
pub use ds_name::{DsName, MAX_DS_NAME_LEN};
pub use grid::{MAX_GRID_INTERVAL, MAX_GRID_LINES, MAX_Y_GRID_LINES, TimeUnit, XGrid, YGrid};
pub use legend::{ControlCode, Legend};
pub(crate) use number::{fmt_f64, parse_f64};
pub use print_format::{MAX_FORMAT_WIDTH, PrintFormat};
pub(crate) use print_format::{check_axis_format, check_duration_format};
pub(crate) use text::check_text;
pub use text::{MAX_LEGEND_LEN, MAX_TEXT_LEN};
pub use vname::{MAX_VNAME_LEN, VName};
