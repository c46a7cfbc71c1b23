//! Running a statement from `queries/` and reading its columns, with every
//! failure turned into a `SourceError` that names the file — never a panic
//! on a NULL or an unexpected type.

use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Client, Row};

use super::error::SourceError;
use super::sql::Sql;

/// A session and the database it is in (for error messages).
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub client: &'a Client,
    /// `None` until the session's database is known.
    pub database: Option<&'a str>,
}

impl<'a> Reader<'a> {
    pub async fn rows(
        &self,
        sql: Sql,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, SourceError> {
        self.client
            .query(sql.text, params)
            .await
            .map_err(|error| SourceError::query(sql, self.database, error))
    }

    /// At most one row.
    pub async fn optional_row(
        &self,
        sql: Sql,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, SourceError> {
        let mut rows = self.rows(sql, params).await?;
        if rows.len() > 1 {
            return Err(self.unexpected(sql, format!("{} rows instead of one", rows.len())));
        }
        Ok(rows.pop())
    }

    /// Exactly one row.
    pub async fn one_row(
        &self,
        sql: Sql,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, SourceError> {
        self.optional_row(sql, params)
            .await?
            .ok_or_else(|| self.unexpected(sql, "no row"))
    }

    /// Column `name` of `row`; a type mismatch is an error, not a panic.
    pub fn get<'r, T: FromSql<'r>>(
        &self,
        sql: Sql,
        row: &'r Row,
        name: &str,
    ) -> Result<T, SourceError> {
        row.try_get(name)
            .map_err(|error| SourceError::query(sql, self.database, error))
    }

    pub fn unexpected(&self, sql: Sql, detail: impl Into<String>) -> SourceError {
        SourceError::unexpected(sql, self.database, detail)
    }
}

/// A count or size: NULL (no statistics yet) and negative values read as 0.
pub fn count(value: Option<i64>) -> i64 {
    value.unwrap_or(0).max(0)
}

/// A duration in milliseconds: NULL, negative, NaN and infinite read as 0.
pub fn millis(value: Option<f64>) -> f64 {
    match value {
        Some(ms) if ms.is_finite() && ms > 0.0 => ms,
        _ => 0.0,
    }
}

/// A statistic where NULL means "unknown" and NaN must not leak through.
pub fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_numbers_read_as_zero_or_unknown() {
        assert_eq!(count(None), 0);
        assert_eq!(count(Some(-5)), 0);
        assert_eq!(count(Some(i64::MAX)), i64::MAX);
        assert_eq!(millis(None), 0.0);
        assert_eq!(millis(Some(f64::NAN)), 0.0);
        assert_eq!(millis(Some(f64::INFINITY)), 0.0);
        assert_eq!(millis(Some(-1.0)), 0.0);
        assert_eq!(millis(Some(2.5)), 2.5);
        assert_eq!(finite(Some(f64::NAN)), None);
        assert_eq!(finite(Some(-0.5)), Some(-0.5));
    }
}
