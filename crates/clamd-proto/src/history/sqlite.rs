//! The history in an SQLite file (rusqlite, SQLite compiled in).

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::db::{Db, DbError, Dialect, Value};

/// How long an SQLite write waits for another process holding the file (a second opskit on
/// it) before it fails.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

static SQLITE: Dialect = Dialect {
    // An alias of the rowid: numbered from 1, never reused while the row exists.
    id: "INTEGER PRIMARY KEY",
    bytes: "BLOB",
    begin_write: "BEGIN IMMEDIATE",
    schema_lock: None,
    now: "CAST(strftime('%s', 'now') AS INTEGER)",
};

pub(crate) struct Sqlite(rusqlite::Connection);

impl Sqlite {
    /// Opens (creating) the file, in WAL mode so that readers never block the daemon's
    /// writes.
    pub(crate) fn open(path: &Path) -> Result<Self, DbError> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Switching to WAL takes the file exclusively, and SQLite answers "database is
        // locked" at once, without its busy handler, while another process holds it (a
        // daemon creating or writing the history as a query opens it). A file already in WAL
        // mode is left as it is; the switch itself is retried within the busy timeout.
        let mode: String =
            busy_retry(|| conn.pragma_query_value(None, "journal_mode", |r| r.get(0)))?;
        if !mode.eq_ignore_ascii_case("wal") {
            busy_retry(|| conn.pragma_update(None, "journal_mode", "WAL"))?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Self(conn))
    }
}

/// Runs `f` again while SQLite says the file is busy, for at most [`BUSY_TIMEOUT`].
fn busy_retry<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let until = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < until =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Int(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Self::Text(Some(t)) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Self::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Self::Int(None) | Self::Text(None) => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Integer(i) => Value::Int(Some(i)),
        ValueRef::Text(t) => Value::Text(Some(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        // The schema has no REAL column; a NULL is typed by the column reading it.
        ValueRef::Null | ValueRef::Real(_) => Value::Int(None),
    }
}

impl Db for Sqlite {
    fn dialect(&self) -> &'static Dialect {
        &SQLITE
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let n = self
            .0
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, DbError> {
        let mut st = self.0.prepare_cached(sql)?;
        let n = st.column_count();
        let rows = st.query_map(rusqlite::params_from_iter(params), |row| {
            (0..n).map(|i| row.get_ref(i).map(value)).collect()
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
