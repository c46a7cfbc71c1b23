//! A statement's column uses, grouped by the catalog table they belong to.

use crate::sql::facts::{ColumnRole, QueryFacts, TableRef};
use crate::stats::model::{Catalog, ColumnInfo, TableInfo};

/// One table of the statement that the catalog knows, with the columns the
/// statement uses on it.
pub(super) struct TableUses<'a> {
    /// How the statement names it (the first reference, when it is named twice).
    pub table_ref: &'a TableRef,
    pub info: &'a TableInfo,
    /// The catalog's columns of the table; empty when the catalog has none.
    pub catalog_columns: Vec<&'a ColumnInfo>,
    /// `(column, role)` in statement order, without repeats.
    pub uses: Vec<(&'a str, ColumnRole)>,
}

impl TableUses<'_> {
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.catalog_columns
            .iter()
            .copied()
            .find(|column| column.name == name)
    }

    /// Whether the table may have this column: it does, or the catalog does
    /// not list the table's columns at all.
    fn may_have(&self, name: &str) -> bool {
        self.catalog_columns.is_empty() || self.column(name).is_some()
    }
}

/// Groups the uses of `facts` by table, in the order the statement first
/// names each table. Tables the catalog does not know are left out, and so
/// are columns their table does not have.
pub(super) fn by_table<'a>(facts: &'a QueryFacts, catalog: &'a Catalog) -> Vec<TableUses<'a>> {
    let mut tables: Vec<TableUses<'a>> = Vec::new();
    let mut all_known = true;
    for table_ref in &facts.tables {
        let name = table_ref.qualified_name();
        if tables
            .iter()
            .any(|known| known.table_ref.qualified_name() == name)
        {
            continue;
        }
        let Some(info) = catalog.table(&name) else {
            all_known = false;
            continue;
        };
        let catalog_columns: Vec<&ColumnInfo> = catalog.columns_of(info).collect();
        all_known &= !catalog_columns.is_empty();
        tables.push(TableUses {
            table_ref,
            info,
            catalog_columns,
            uses: Vec::new(),
        });
    }
    for column_use in &facts.columns {
        let column = column_use.column.as_str();
        let target = match &column_use.table {
            Some(name) => tables
                .iter()
                .position(|table| &table.table_ref.qualified_name() == name),
            None if all_known => only_table_with(&tables, column),
            None => None,
        };
        let Some(table) = target.map(|index| &mut tables[index]) else {
            continue;
        };
        let entry = (column, column_use.role);
        if table.may_have(column) && !table.uses.contains(&entry) {
            table.uses.push(entry);
        }
    }
    tables
}

/// The one table that has `column`. Only meaningful when every table of the
/// statement is in the catalog with its columns: otherwise an unknown table
/// might have the column too.
fn only_table_with(tables: &[TableUses<'_>], column: &str) -> Option<usize> {
    let mut having = tables
        .iter()
        .enumerate()
        .filter(|(_, table)| table.column(column).is_some())
        .map(|(index, _)| index);
    let first = having.next()?;
    having.next().is_none().then_some(first)
}
