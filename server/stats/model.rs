//! Plain data read from PostgreSQL's statistics views and catalog,
//! normalized across server and extension versions.

use serde::{Deserialize, Serialize};

/// pg_stat_statements' counters for one entry, cumulative since the entry
/// was created (or the last reset). Times are in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Counters {
    pub calls: i64,
    pub total_exec_ms: f64,
    pub min_exec_ms: f64,
    pub max_exec_ms: f64,
    pub mean_exec_ms: f64,
    pub stddev_exec_ms: f64,
    pub rows: i64,
    pub shared_blks_hit: i64,
    pub shared_blks_read: i64,
    pub temp_blks_written: i64,
}

/// Identifies one pg_stat_statements entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryKey {
    pub userid: u32,
    pub dbid: u32,
    pub queryid: i64,
    /// `toplevel` (extension 1.9+); `true` on older versions.
    pub toplevel: bool,
}

/// One row of `pg_stat_statements(showtext := false)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryRow {
    pub key: EntryKey,
    pub counters: Counters,
}

/// Who the monitored database is: history on disk is kept per identity, so
/// two databases never share trends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DatabaseIdentity {
    /// `pg_control_system().system_identifier`, as text (it is a u64).
    pub system_identifier: String,
    pub database: String,
}

impl DatabaseIdentity {
    /// A file-name-safe key.
    pub fn storage_key(&self) -> String {
        let safe: String = self
            .database
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}-{safe}", self.system_identifier)
    }
}

/// A table (or materialized view) from the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    pub schema: String,
    pub name: String,
    /// Planner's row estimate (`reltuples`; -1 when never analysed → reported as 0).
    pub estimated_rows: f64,
    pub total_bytes: i64,
    pub seq_scans: i64,
    pub index_scans: i64,
    pub live_rows: i64,
    /// Rows inserted + updated + deleted since stats reset: the write load.
    pub writes: i64,
}

/// An index from the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexInfo {
    pub schema: String,
    pub table: String,
    pub name: String,
    /// `pg_get_indexdef`.
    pub definition: String,
    /// Key columns in order (expressions appear as their text).
    pub columns: Vec<String>,
    pub bytes: i64,
    pub scans: i64,
    pub is_valid: bool,
    pub is_unique: bool,
    pub is_primary: bool,
    /// Partial index predicate, if any.
    pub predicate: Option<String>,
}

/// A column from the catalog, with planner statistics where readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    /// From `pg_stats` (None when not analysed or not readable).
    pub null_fraction: Option<f64>,
    /// From `pg_stats`: >0 absolute count, <0 fraction of rows (PostgreSQL's convention).
    pub n_distinct: Option<f64>,
}

/// The catalog facts the advisor and hovers use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub tables: Vec<TableInfo>,
    pub indexes: Vec<IndexInfo>,
    pub columns: Vec<ColumnInfo>,
}

impl Catalog {
    /// Finds a table by name as written in SQL: `schema.name`, or `name`
    /// looked up in `public` first, then any schema.
    pub fn table(&self, qualified: &str) -> Option<&TableInfo> {
        match qualified.split_once('.') {
            Some((schema, name)) => self
                .tables
                .iter()
                .find(|t| t.schema == schema && t.name == name),
            None => self
                .tables
                .iter()
                .find(|t| t.schema == "public" && t.name == qualified)
                .or_else(|| self.tables.iter().find(|t| t.name == qualified)),
        }
    }

    pub fn indexes_of<'a>(&'a self, table: &'a TableInfo) -> impl Iterator<Item = &'a IndexInfo> {
        self.indexes
            .iter()
            .filter(move |i| i.schema == table.schema && i.table == table.name)
    }

    pub fn columns_of<'a>(&'a self, table: &'a TableInfo) -> impl Iterator<Item = &'a ColumnInfo> {
        self.columns
            .iter()
            .filter(move |c| c.schema == table.schema && c.table == table.name)
    }
}
