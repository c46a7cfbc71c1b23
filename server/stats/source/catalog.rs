//! Tables, indexes and columns of the user's schemas, one query each,
//! pipelined on the one session.

use tokio_postgres::Row;

use crate::stats::model::{Catalog, ColumnInfo, IndexInfo, TableInfo};

use super::error::SourceError;
use super::reader::{Reader, count, finite};
use super::sql;

pub async fn catalog(reader: Reader<'_>) -> Result<Catalog, SourceError> {
    let (tables, indexes, columns) =
        tokio::try_join!(tables(reader), indexes(reader), columns(reader))?;
    Ok(Catalog {
        tables,
        indexes,
        columns,
    })
}

async fn tables(reader: Reader<'_>) -> Result<Vec<TableInfo>, SourceError> {
    let rows = reader.rows(sql::TABLES, &[]).await?;
    rows.iter().map(|row| table(reader, row)).collect()
}

fn table(reader: Reader<'_>, row: &Row) -> Result<TableInfo, SourceError> {
    let sql = sql::TABLES;
    let int = |name| reader.get::<Option<i64>>(sql, row, name).map(count);
    // -1 means "never vacuumed or analysed" (PostgreSQL 14+); other odd
    // values are as meaningless.
    let estimated_rows = finite(reader.get(sql, row, "reltuples")?)
        .filter(|rows| *rows > 0.0)
        .unwrap_or(0.0);
    Ok(TableInfo {
        schema: reader.get(sql, row, "schema")?,
        name: reader.get(sql, row, "name")?,
        estimated_rows,
        total_bytes: int("total_bytes")?,
        seq_scans: int("seq_scan")?,
        index_scans: int("idx_scan")?,
        live_rows: int("n_live_tup")?,
        writes: int("n_tup_ins")?
            .saturating_add(int("n_tup_upd")?)
            .saturating_add(int("n_tup_del")?),
    })
}

async fn indexes(reader: Reader<'_>) -> Result<Vec<IndexInfo>, SourceError> {
    let rows = reader.rows(sql::INDEXES, &[]).await?;
    rows.iter().map(|row| index(reader, row)).collect()
}

fn index(reader: Reader<'_>, row: &Row) -> Result<IndexInfo, SourceError> {
    let sql = sql::INDEXES;
    let flag = |name| {
        reader
            .get::<Option<bool>>(sql, row, name)
            .map(Option::unwrap_or_default)
    };
    let columns: Option<Vec<Option<String>>> = reader.get(sql, row, "columns")?;
    Ok(IndexInfo {
        schema: reader.get(sql, row, "schema")?,
        table: reader.get(sql, row, "table_name")?,
        name: reader.get(sql, row, "name")?,
        // NULL only when the index was dropped while we read.
        definition: reader
            .get::<Option<String>>(sql, row, "definition")?
            .unwrap_or_default(),
        columns: columns.unwrap_or_default().into_iter().flatten().collect(),
        bytes: count(reader.get(sql, row, "bytes")?),
        scans: count(reader.get(sql, row, "idx_scan")?),
        is_valid: flag("indisvalid")?,
        is_unique: flag("indisunique")?,
        is_primary: flag("indisprimary")?,
        predicate: reader.get(sql, row, "predicate")?,
    })
}

async fn columns(reader: Reader<'_>) -> Result<Vec<ColumnInfo>, SourceError> {
    let rows = reader.rows(sql::COLUMNS, &[]).await?;
    rows.iter().map(|row| column(reader, row)).collect()
}

fn column(reader: Reader<'_>, row: &Row) -> Result<ColumnInfo, SourceError> {
    let sql = sql::COLUMNS;
    Ok(ColumnInfo {
        schema: reader.get(sql, row, "schema")?,
        table: reader.get(sql, row, "table_name")?,
        name: reader.get(sql, row, "name")?,
        data_type: reader
            .get::<Option<String>>(sql, row, "data_type")?
            .unwrap_or_default(),
        not_null: reader
            .get::<Option<bool>>(sql, row, "not_null")?
            .unwrap_or_default(),
        null_fraction: finite(reader.get(sql, row, "null_frac")?),
        n_distinct: finite(reader.get(sql, row, "n_distinct")?),
    })
}
