//! The RRD file layout that librrd 1.7 writes on `x86_64` Linux, decoded from bytes (no I/O
//! here: [`RrdFile`](crate::RrdFile) does the reads).
//!
//! Little-endian, every `unsigned long`, `time_t` and `double` 8 bytes and 8-byte aligned:
//!
//! | part        | bytes                     | what the reader uses |
//! |-------------|---------------------------|----------------------|
//! | `stat_head` | 128                       | cookie `RRD\0`, version `000N\0`, float cookie at 16, `ds_cnt` 24, `rra_cnt` 32, `pdp_step` 40 |
//! | `ds_def`    | 120 per data source       | `ds_nam` (20 bytes, NUL-terminated) |
//! | `rra_def`   | 120 per archive           | `cf_nam` (20 bytes), `row_cnt` 24, `pdp_cnt` 32 |
//! | `live_head` | 16                        | `last_up` |
//! | `pdp_prep`  | 112 per data source       | (skipped) |
//! | `cdp_prep`  | 80 per archive and source | (skipped) |
//! | `rra_ptr`   | 8 per archive             | `cur_row` |
//! | rows        | 8 per row and source, archive after archive | the values |
//!
//! Versions `0003`, `0004` and `0005` share this layout; the older `0001`/`0002` (an 8-byte
//! `live_head`) are refused.

use crate::value::Cf;

/// The most data sources a header may declare.
pub const MAX_DS: u64 = 10_000;
/// The most archives a header may declare.
pub const MAX_RRA: u64 = 10_000;

pub(crate) const STAT_HEAD_LEN: usize = 128;
/// Where the `ds_def`s start; they and the `rra_def`s follow back to back.
pub(crate) const DEFS_AT: u64 = STAT_HEAD_LEN as u64;
const DS_DEF_LEN: u64 = 120;
const RRA_DEF_LEN: u64 = 120;
pub(crate) const LIVE_HEAD_LEN: usize = 16;
const PDP_PREP_LEN: u64 = 112;
const CDP_PREP_LEN: u64 = 80;
const RRA_PTR_LEN: u64 = 8;
const VALUE_LEN: u64 = 8;
const NAME_LEN: usize = 20;
const FLOAT_COOKIE: f64 = 8.642_135E130;

/// What is wrong with a header, before the file's path is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    pub(crate) field: &'static str,
    pub(crate) reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> Bad {
    Bad {
        field,
        reason: reason.into(),
    }
}

/// The 8 bytes at `at`; callers pass slices they have checked to be long enough.
fn word(buf: &[u8], at: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    if let Some(src) = buf.get(at..at + 8) {
        w.copy_from_slice(src);
    }
    w
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(word(buf, at))
}

/// A NUL-terminated name in a fixed field, as librrd's `strncpy` + terminator reads it.
fn name_at(buf: &[u8], at: usize) -> &[u8] {
    let field = buf.get(at..at + NAME_LEN).unwrap_or_default();
    let field = &field[..NAME_LEN.min(field.len()).saturating_sub(1)];
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// The fixed-size start of the file: counts, step, and where each part lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatHead {
    pub(crate) version: u8,
    pub(crate) ds_cnt: u64,
    pub(crate) rra_cnt: u64,
    pub(crate) pdp_step: u64,
}

impl StatHead {
    /// Decodes and checks the 128-byte `stat_head`.
    pub(crate) fn parse(buf: &[u8]) -> Result<Self, Bad> {
        if buf.len() < STAT_HEAD_LEN {
            return Err(bad(
                "length",
                format!(
                    "the file has {} bytes, shorter than the {STAT_HEAD_LEN}-byte header",
                    buf.len()
                ),
            ));
        }
        if &buf[0..4] != b"RRD\0" {
            return Err(bad("cookie", "not an RRD file (no RRD cookie)"));
        }
        let version = match &buf[4..9] {
            b"0003\0" => 3,
            b"0004\0" => 4,
            b"0005\0" => 5,
            v => {
                return Err(bad(
                    "version",
                    format!(
                        "version {:?} (the reader knows 0003, 0004 and 0005)",
                        String::from_utf8_lossy(v).trim_end_matches('\0')
                    ),
                ));
            }
        };
        if u64_at(buf, 16) != FLOAT_COOKIE.to_bits() {
            return Err(bad(
                "float_cookie",
                "wrong float cookie (a file from another architecture, or corrupt)",
            ));
        }
        let (ds_cnt, rra_cnt, pdp_step) = (u64_at(buf, 24), u64_at(buf, 32), u64_at(buf, 40));
        if ds_cnt == 0 || ds_cnt > MAX_DS {
            return Err(bad(
                "ds_cnt",
                format!("{ds_cnt} data sources (1 to {MAX_DS})"),
            ));
        }
        if rra_cnt == 0 || rra_cnt > MAX_RRA {
            return Err(bad(
                "rra_cnt",
                format!("{rra_cnt} archives (1 to {MAX_RRA})"),
            ));
        }
        if pdp_step == 0 || i64::try_from(pdp_step).is_err() {
            return Err(bad("pdp_step", format!("a step of {pdp_step} seconds")));
        }
        Ok(Self {
            version,
            ds_cnt,
            rra_cnt,
            pdp_step,
        })
    }

    /// Bytes of the `ds_def`s and `rra_def`s (at most 2.4 MB, by [`MAX_DS`] and [`MAX_RRA`]).
    pub(crate) fn defs_len(self) -> u64 {
        self.ds_cnt * DS_DEF_LEN + self.rra_cnt * RRA_DEF_LEN
    }

    pub(crate) fn live_at(self) -> u64 {
        DEFS_AT + self.defs_len()
    }

    pub(crate) fn rra_ptr_at(self) -> u64 {
        self.live_at()
            + LIVE_HEAD_LEN as u64
            + self.ds_cnt * PDP_PREP_LEN
            + self.rra_cnt * self.ds_cnt * CDP_PREP_LEN
    }

    pub(crate) fn rra_ptr_len(self) -> u64 {
        self.rra_cnt * RRA_PTR_LEN
    }

    /// The whole header; the rows start here. No overflow: the counts are bounded.
    pub(crate) fn header_len(self) -> u64 {
        self.rra_ptr_at() + self.rra_ptr_len()
    }
}

/// One archive's definition and where its rows are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchiveDef {
    /// `None` for a name librrd's `rrd_cf_conv` does not know (such an archive never matches).
    pub(crate) cf: Option<Cf>,
    pub(crate) row_cnt: u64,
    pub(crate) pdp_cnt: u64,
    /// Byte offset of row 0.
    pub(crate) data_at: u64,
}

/// The definitions part of the header: names, archives, and the file length they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Defs {
    pub(crate) ds_names: Vec<String>,
    pub(crate) archives: Vec<ArchiveDef>,
    /// Header and rows: what the file must at least hold.
    pub(crate) file_len: u64,
}

impl Defs {
    /// Decodes the `ds_def`s and `rra_def`s (`buf` is [`StatHead::defs_len`] bytes) and checks
    /// that each archive's rows are addressable: `row_cnt` and `pdp_cnt` at least 1, an
    /// archive's time span (`row_cnt` × `pdp_cnt` × `pdp_step`) within `i64` seconds, and the
    /// rows within `file_len`, the file's length.
    pub(crate) fn parse(head: StatHead, buf: &[u8], file_len: u64) -> Result<Self, Bad> {
        let need = usize::try_from(head.defs_len()).unwrap_or(usize::MAX);
        if buf.len() < need {
            return Err(bad("length", "the definitions are cut short"));
        }
        let ds_cnt = usize::try_from(head.ds_cnt).unwrap_or(usize::MAX);
        let ds_names = buf
            .chunks_exact(DS_DEF_LEN as usize)
            .take(ds_cnt)
            .map(|def| String::from_utf8_lossy(name_at(def, 0)).into_owned())
            .collect();
        let mut data_at = head.header_len();
        let archives = buf[ds_cnt * DS_DEF_LEN as usize..need]
            .chunks_exact(RRA_DEF_LEN as usize)
            .enumerate()
            .map(|(i, def)| {
                let row_cnt = u64_at(def, 24);
                let pdp_cnt = u64_at(def, 32);
                if row_cnt == 0 {
                    return Err(bad("rra_def.row_cnt", format!("archive {i} has 0 rows")));
                }
                if pdp_cnt == 0 {
                    return Err(bad(
                        "rra_def.pdp_cnt",
                        format!("archive {i} has 0 steps per row"),
                    ));
                }
                let Some(rows_len) = row_cnt.checked_mul(head.ds_cnt * VALUE_LEN) else {
                    return Err(bad(
                        "rra_def.row_cnt",
                        format!("archive {i} has {row_cnt} rows"),
                    ));
                };
                let end = data_at.saturating_add(rows_len);
                if end > file_len {
                    return Err(bad(
                        "length",
                        format!(
                            "the file has {file_len} bytes; archive {i}'s {row_cnt} rows end at \
                             byte {end}"
                        ),
                    ));
                }
                let span = row_cnt
                    .checked_mul(pdp_cnt)
                    .and_then(|n| n.checked_mul(head.pdp_step))
                    .filter(|&n| i64::try_from(n).is_ok());
                if span.is_none() {
                    return Err(bad(
                        "rra_def.pdp_cnt",
                        format!(
                            "archive {i} ({row_cnt} rows of {pdp_cnt} steps) spans more than \
                             2^63 seconds"
                        ),
                    ));
                }
                let cf = std::str::from_utf8(name_at(def, 0))
                    .ok()
                    .and_then(|n| n.parse::<Cf>().ok());
                let archive = ArchiveDef {
                    cf,
                    row_cnt,
                    pdp_cnt,
                    data_at,
                };
                data_at = end;
                Ok(archive)
            })
            .collect::<Result<Vec<_>, Bad>>()?;
        Ok(Self {
            ds_names,
            archives,
            file_len: data_at,
        })
    }
}

/// The part of the header that every update rewrites: the last update and the ring positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Live {
    pub(crate) last_up: i64,
    pub(crate) cur_rows: Vec<u64>,
}

impl Live {
    /// Decodes `live_head` ([`LIVE_HEAD_LEN`] bytes) and the `rra_ptr`s, checking that the last
    /// update is not before the epoch and every `cur_row` is a row of its archive.
    pub(crate) fn parse(archives: &[ArchiveDef], live: &[u8], ptrs: &[u8]) -> Result<Self, Bad> {
        if live.len() < LIVE_HEAD_LEN || ptrs.len() < archives.len() * RRA_PTR_LEN as usize {
            return Err(bad("length", "the live header is cut short"));
        }
        let last_up = i64::from_le_bytes(word(live, 0));
        if last_up < 0 {
            return Err(bad(
                "live_head.last_up",
                format!("last update {last_up}, before 1970"),
            ));
        }
        let cur_rows = archives
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let cur = u64_at(ptrs, i * RRA_PTR_LEN as usize);
                if cur >= a.row_cnt {
                    return Err(bad(
                        "rra_ptr.cur_row",
                        format!("archive {i}: row {cur} of {}", a.row_cnt),
                    ));
                }
                Ok(cur)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { last_up, cur_rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header like `rrdtool create --step 300 DS:a:GAUGE:600:U:U RRA:AVERAGE:0.5:1:10` writes.
    fn stat_head(ds: u64, rra: u64, step: u64) -> Vec<u8> {
        let mut b = vec![0u8; STAT_HEAD_LEN];
        b[0..4].copy_from_slice(b"RRD\0");
        b[4..9].copy_from_slice(b"0003\0");
        b[16..24].copy_from_slice(&FLOAT_COOKIE.to_le_bytes());
        b[24..32].copy_from_slice(&ds.to_le_bytes());
        b[32..40].copy_from_slice(&rra.to_le_bytes());
        b[40..48].copy_from_slice(&step.to_le_bytes());
        b
    }

    fn rra_def(cf: &str, rows: u64, pdp: u64) -> Vec<u8> {
        let mut b = vec![0u8; RRA_DEF_LEN as usize];
        b[..cf.len()].copy_from_slice(cf.as_bytes());
        b[24..32].copy_from_slice(&rows.to_le_bytes());
        b[32..40].copy_from_slice(&pdp.to_le_bytes());
        b
    }

    #[test]
    fn stat_head_offsets_follow_the_counts() {
        let h = StatHead::parse(&stat_head(2, 3, 300)).unwrap();
        assert_eq!((h.version, h.ds_cnt, h.rra_cnt, h.pdp_step), (3, 2, 3, 300));
        assert_eq!(h.live_at(), 128 + 2 * 120 + 3 * 120);
        assert_eq!(h.rra_ptr_at(), h.live_at() + 16 + 2 * 112 + 6 * 80);
        assert_eq!(h.header_len(), h.rra_ptr_at() + 24);
    }

    #[test]
    fn stat_head_refusals_name_the_field() {
        let field = |b: &[u8]| StatHead::parse(b).unwrap_err().field;
        assert_eq!(field(&[0u8; 10]), "length");
        let mut b = stat_head(1, 1, 300);
        b[0] = b'X';
        assert_eq!(field(&b), "cookie");
        let mut b = stat_head(1, 1, 300);
        b[4..9].copy_from_slice(b"0002\0");
        assert_eq!(field(&b), "version");
        let mut b = stat_head(1, 1, 300);
        b[16] ^= 1;
        assert_eq!(field(&b), "float_cookie");
        assert_eq!(field(&stat_head(0, 1, 300)), "ds_cnt");
        assert_eq!(field(&stat_head(1, MAX_RRA + 1, 300)), "rra_cnt");
        assert_eq!(field(&stat_head(1, 1, 0)), "pdp_step");
    }

    #[test]
    fn defs_place_archives_back_to_back_and_check_them() {
        let head = StatHead::parse(&stat_head(1, 2, 300)).unwrap();
        let mut defs = vec![0u8; 120];
        defs[..5].copy_from_slice(b"speed");
        defs.extend(rra_def("AVERAGE", 10, 1));
        defs.extend(rra_def("BOGUS", 4, 6));
        let want = head.header_len() + 14 * 8;
        let d = Defs::parse(head, &defs, want).unwrap();
        assert_eq!(d.ds_names, ["speed"]);
        assert_eq!(d.archives[0].cf, Some(Cf::Average));
        assert_eq!(d.archives[1].cf, None);
        assert_eq!(d.archives[1].data_at, head.header_len() + 80);
        assert_eq!(d.file_len, want);
        assert_eq!(
            Defs::parse(head, &defs, want - 1).unwrap_err().field,
            "length"
        );
        let mut zero = defs.clone();
        zero[120 + 24..120 + 32].fill(0);
        assert_eq!(
            Defs::parse(head, &zero, want).unwrap_err().field,
            "rra_def.row_cnt"
        );
        let mut huge = defs.clone();
        huge[120 + 32..120 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            Defs::parse(head, &huge, want).unwrap_err().field,
            "rra_def.pdp_cnt"
        );
        let mut rows = defs;
        rows[120 + 24..120 + 32].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            Defs::parse(head, &rows, want).unwrap_err().field,
            "rra_def.row_cnt"
        );
    }

    #[test]
    fn live_checks_the_ring_positions() {
        let archives = [ArchiveDef {
            cf: Some(Cf::Average),
            row_cnt: 10,
            pdp_cnt: 1,
            data_at: 0,
        }];
        let mut live = 920_804_700_i64.to_le_bytes().to_vec();
        live.extend([0u8; 8]);
        let l = Live::parse(&archives, &live, &9u64.to_le_bytes()).unwrap();
        assert_eq!((l.last_up, l.cur_rows.as_slice()), (920_804_700, &[9][..]));
        assert_eq!(
            Live::parse(&archives, &live, &10u64.to_le_bytes())
                .unwrap_err()
                .field,
            "rra_ptr.cur_row"
        );
        live[7] = 0x80;
        assert_eq!(
            Live::parse(&archives, &live, &0u64.to_le_bytes())
                .unwrap_err()
                .field,
            "live_head.last_up"
        );
    }
}
