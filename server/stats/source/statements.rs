//! pg_stat_statements: counters for every entry, texts on demand, and the
//! two times that tell the collector the counters started over (a reset, or
//! a server restart).

use std::collections::HashMap;
use std::time::SystemTime;

use tokio_postgres::Row;

use crate::stats::model::{Counters, EntryKey, EntryRow};

use super::error::SourceError;
use super::reader::{Reader, count, millis};
use super::sql::{self, Sql};
use super::timestamp::PgTimestamp;

/// Every entry of the database `dbid`, without texts, read with `query`
/// (chosen by extension version). Rows of other roles we may not see have
/// a NULL queryid and are left out by the query itself.
pub async fn entries(
    reader: Reader<'_>,
    query: Sql,
    dbid: u32,
) -> Result<Vec<EntryRow>, SourceError> {
    let rows = reader.rows(query, &[&dbid]).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(entry) = entry(reader, query, row)? {
            entries.push(entry);
        }
    }
    Ok(entries)
}

fn entry(reader: Reader<'_>, sql: Sql, row: &Row) -> Result<Option<EntryRow>, SourceError> {
    let (Some(userid), Some(dbid), Some(queryid)) = (
        reader.get::<Option<u32>>(sql, row, "userid")?,
        reader.get::<Option<u32>>(sql, row, "dbid")?,
        reader.get::<Option<i64>>(sql, row, "queryid")?,
    ) else {
        return Ok(None);
    };
    let key = EntryKey {
        userid,
        dbid,
        queryid,
        toplevel: reader
            .get::<Option<bool>>(sql, row, "toplevel")?
            .unwrap_or(true),
    };
    let int = |name| reader.get::<Option<i64>>(sql, row, name).map(count);
    let ms = |name| reader.get::<Option<f64>>(sql, row, name).map(millis);
    let counters = Counters {
        calls: int("calls")?,
        total_exec_ms: ms("total_exec_time")?,
        min_exec_ms: ms("min_exec_time")?,
        max_exec_ms: ms("max_exec_time")?,
        mean_exec_ms: ms("mean_exec_time")?,
        stddev_exec_ms: ms("stddev_exec_time")?,
        rows: int("rows")?,
        shared_blks_hit: int("shared_blks_hit")?,
        shared_blks_read: int("shared_blks_read")?,
        temp_blks_written: int("temp_blks_written")?,
    };
    Ok(Some(EntryRow { key, counters }))
}

/// Texts of `queryids` in database `dbid`. An entry kept per role (and per
/// top-level/nested) can repeat a queryid; the first text wins — they are
/// the same statement.
pub async fn texts(
    reader: Reader<'_>,
    dbid: u32,
    queryids: &[i64],
) -> Result<HashMap<i64, String>, SourceError> {
    if queryids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = sql::TEXTS;
    let rows = reader.rows(sql, &[&dbid, &queryids]).await?;
    let mut texts = HashMap::with_capacity(queryids.len());
    for row in &rows {
        let queryid: Option<i64> = reader.get(sql, row, "queryid")?;
        let text: Option<String> = reader.get(sql, row, "query")?;
        if let (Some(queryid), Some(text)) = (queryid, text) {
            texts.entry(queryid).or_insert(text);
        }
    }
    Ok(texts)
}

/// `pg_stat_statements_info.stats_reset` (extension 1.9+).
pub async fn stats_reset(reader: Reader<'_>) -> Result<Option<SystemTime>, SourceError> {
    let sql = sql::INFO;
    let Some(row) = reader.optional_row(sql, &[]).await? else {
        return Ok(None);
    };
    let reset: Option<PgTimestamp> = reader.get(sql, &row, "stats_reset")?;
    Ok(reset.and_then(|PgTimestamp(time)| time))
}

/// When the server started; a restart empties pg_stat_statements (unless
/// it saved its entries), so a change means counters started over.
pub async fn postmaster_start_time(reader: Reader<'_>) -> Result<SystemTime, SourceError> {
    let sql = sql::POSTMASTER_START_TIME;
    let row = reader.one_row(sql, &[]).await?;
    let started: Option<PgTimestamp> = reader.get(sql, &row, "started")?;
    started
        .and_then(|PgTimestamp(time)| time)
        .ok_or_else(|| reader.unexpected(sql, "no representable start time"))
}
