//! The facts about a statement that hovers, stats and the advisor need:
//! which tables it touches (with aliases) and which columns it filters,
//! joins, orders and groups by. Plain data, computed from sqlparser's AST.

use serde::Serialize;

mod collect;
pub mod expr;
pub mod walk;

pub use collect::Collector;

#[cfg(test)]
mod tests;

/// A table (or view) named in a statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TableRef {
    /// Schema as written (folded to lower case unless quoted), if qualified.
    pub schema: Option<String>,
    /// Name, folded to lower case unless quoted.
    pub name: String,
    pub alias: Option<String>,
}

impl TableRef {
    /// `schema.name` or `name`.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// How a column is used; the advisor orders index columns by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColumnRole {
    /// `col = …`, `col IN (…)`, `col IS NULL`.
    Equality,
    /// `col = other.col` in a JOIN … ON or WHERE between two tables.
    Join,
    /// `col < …`, `BETWEEN`, `LIKE 'prefix%'`.
    Range,
    OrderBy,
    GroupBy,
}

/// A column use, resolved to its table where that is certain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ColumnUse {
    /// `TableRef::qualified_name` of the table it belongs to, when the
    /// qualifier or a single-table FROM makes that certain.
    pub table: Option<String>,
    /// Column name, folded to lower case unless quoted.
    pub column: String,
    pub role: ColumnRole,
}

/// Everything extracted from one statement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueryFacts {
    pub tables: Vec<TableRef>,
    pub columns: Vec<ColumnUse>,
}

/// Extracts the facts from a parsed statement: every table it names (CTE
/// names excluded), and the columns its WHERE and JOIN conditions, ORDER BY
/// and GROUP BY use, deduplicated in the order they appear. (Statement
/// analysis gets the same facts from the walk its rules make: see
/// [`Collector`].)
pub fn extract(statement: &sqlparser::ast::Statement) -> QueryFacts {
    collect::collect(statement)
}
