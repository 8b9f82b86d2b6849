//! The one seam between the history's SQL and a database: a [`Db`] runs statements written
//! once, with `?` placeholders, and gives rows of [`Value`]s. SQLite and PostgreSQL each
//! implement it in a file of their own; nothing above this module knows which one it has.

/// A database's own error, kept as the source of [`Error::History`](crate::Error::History).
pub(crate) type DbError = Box<dyn std::error::Error + Send + Sync>;

/// One parameter or column value. Every column of the schema is one of these three types,
/// which both databases hold natively (`BIGINT`, `TEXT`, `BLOB`/`BYTEA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Vec<u8>),
}

impl Value {
    pub(crate) fn int(&self) -> Option<i64> {
        match self {
            Self::Int(v) => *v,
            _ => None,
        }
    }

    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Self::Text(v) => v.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Self::Bytes(v) => v,
            Self::Text(Some(t)) => t.as_bytes(),
            _ => &[],
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Self::Bytes(v.to_vec())
    }
}

/// What differs between the two databases' SQL: only the column types of the schema, and
/// how concurrent schema creation is serialized.
pub(crate) struct Dialect {
    /// The auto-numbered primary key.
    pub(crate) id: &'static str,
    /// A byte string column.
    pub(crate) bytes: &'static str,
    /// Starts a transaction that writes (SQLite takes the write lock at once, so that a
    /// second writer waits for it instead of failing midway).
    pub(crate) begin_write: &'static str,
    /// Run first in the schema's transaction, so that two management hosts creating the
    /// tables at once do not collide (`None` when the database locks the whole file anyway).
    pub(crate) schema_lock: Option<&'static str>,
    /// The database's clock, in whole seconds since the epoch: heartbeats and leases use it,
    /// so that the management hosts' clocks need not agree.
    pub(crate) now: &'static str,
}

/// A connection to the history's database.
pub(crate) trait Db: Send {
    /// The SQL differences.
    fn dialect(&self) -> &'static Dialect;
    /// Runs statements without parameters, separated by `;`.
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// Runs one statement; `?` placeholders take `params` in order. Returns the rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    /// Runs one query; every row, each column as a [`Value`].
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, DbError>;
    /// Connects again when the connection was lost (a server restarted under a daemon);
    /// whether it did. A file never loses its connection.
    fn reconnect_if_lost(&mut self) -> Result<bool, DbError> {
        Ok(false)
    }
}

/// `sql` with its `?` placeholders numbered `$1`, `$2`, … as PostgreSQL wants them. The
/// history's statements hold no `?` in literals, so every one is a placeholder.
#[cfg(any(test, feature = "history-postgres"))]
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            super::numbered("UPDATE runs SET a = ?, b = ? WHERE id = ?"),
            "UPDATE runs SET a = $1, b = $2 WHERE id = $3"
        );
    }
}
