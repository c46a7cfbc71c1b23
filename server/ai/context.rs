//! What the model is told about a statement — and therefore exactly what
//! leaves the machine when AI suggestions are on.
//!
//! # What is sent (the README repeats this list)
//!
//! For each statement the user asks about, one request to `ai.baseUrl`
//! carrying:
//! 1. the statement's text without its comments, **literal values
//!    replaced by parameters** (`$1`, `$2`, …) unless `ai.sendLiterals` is on;
//! 2. for each table the statement names that the catalog knows: its
//!    qualified name, its columns (name, type, NOT NULL), the definitions of
//!    its indexes (`pg_get_indexdef`), its estimated row count and its total
//!    size on disk;
//! 3. the statement's generic plan (`EXPLAIN` without executing it, with
//!    parameters, so no values), when one could be made;
//! 4. its live numbers from pg_stat_statements: calls, mean and total
//!    execution time, rows per call and share of the database's time.
//!
//! Nothing else: no other statements, no table data, no connection
//! strings, no file names, no user names. The API key goes in the
//! `Authorization` header and nowhere else.

use serde::Serialize;

use super::literals::{Parameterized, parameterize};
use crate::sql::facts::TableRef;
use crate::sql::lexer::{TokenKind, tokenize};
use crate::stats::model::Catalog;
use crate::stats::snapshot::Cumulative;

/// Everything sent to the model about one statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AiContext {
    /// The statement as sent (parameterized unless literals may be sent).
    pub statement: String,
    /// For [`super::literals::restore_literals`]: the literal each
    /// introduced parameter replaced. Never sent.
    #[serde(skip)]
    pub literals: Vec<(u32, String)>,
    /// Whether `statement` carries the user's literal values.
    pub literals_sent: bool,
    pub tables: Vec<TableContext>,
    /// The generic plan, already rendered as text.
    pub plan: Option<String>,
    pub stats: Option<StatsContext>,
}

/// One table the statement reads, as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableContext {
    /// `schema.name`.
    pub name: String,
    pub columns: Vec<ColumnContext>,
    /// `pg_get_indexdef` text of each index.
    pub indexes: Vec<String>,
    pub estimated_rows: f64,
    pub total_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnContext {
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
}

/// The statement's live numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StatsContext {
    pub calls: u64,
    pub mean_ms: f64,
    pub total_ms: f64,
    pub rows_per_call: f64,
    /// Share of the database's execution time, in percent.
    pub share_percent: Option<f64>,
}

impl StatsContext {
    /// From the cumulative numbers; `None` when the statement never ran.
    pub fn from_cumulative(cumulative: &Cumulative, share_percent: Option<f64>) -> Option<Self> {
        let mean_ms = cumulative.mean_ms()?;
        Some(StatsContext {
            calls: cumulative.calls,
            mean_ms,
            total_ms: cumulative.total_ms,
            rows_per_call: cumulative.rows as f64 / cumulative.calls as f64,
            share_percent: share_percent.filter(|share| share.is_finite()),
        })
    }
}

impl AiContext {
    /// The context for `statement` (already in `$n` placeholder form; see
    /// `sql::params`): comments go (they may say anything), literals become
    /// parameters unless `send_literals`, and each of `tables` the catalog
    /// knows is described (tables it does not know are left out — there is
    /// nothing to say about them).
    pub fn build(
        statement: &str,
        send_literals: bool,
        tables: &[TableRef],
        catalog: &Catalog,
        plan: Option<String>,
        stats: Option<StatsContext>,
    ) -> AiContext {
        let statement = without_comments(statement);
        let Parameterized { text, literals } = if send_literals {
            Parameterized {
                text: statement,
                literals: Vec::new(),
            }
        } else {
            parameterize(&statement)
        };
        AiContext {
            statement: text,
            literals,
            literals_sent: send_literals,
            tables: describe_tables(tables, catalog),
            plan,
            stats,
        }
    }
}

/// The statement with each comment replaced by one space, trimmed.
fn without_comments(statement: &str) -> String {
    let mut out = String::with_capacity(statement.len());
    for token in tokenize(statement) {
        match token.kind {
            TokenKind::LineComment | TokenKind::BlockComment => out.push(' '),
            _ => out.push_str(token.text(statement)),
        }
    }
    out.trim().to_owned()
}

fn describe_tables(tables: &[TableRef], catalog: &Catalog) -> Vec<TableContext> {
    let mut described: Vec<TableContext> = Vec::new();
    for table in tables {
        let Some(info) = catalog.table(&table.qualified_name()) else {
            continue;
        };
        let name = format!("{}.{}", info.schema, info.name);
        if described.iter().any(|known| known.name == name) {
            continue; // a self-join names the table twice
        }
        described.push(TableContext {
            name,
            columns: catalog
                .columns_of(info)
                .map(|column| ColumnContext {
                    name: column.name.clone(),
                    data_type: column.data_type.clone(),
                    not_null: column.not_null,
                })
                .collect(),
            indexes: catalog
                .indexes_of(info)
                .map(|index| index.definition.clone())
                .collect(),
            estimated_rows: info.estimated_rows.max(0.0),
            total_bytes: info.total_bytes,
        });
    }
    described
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::model::{ColumnInfo, IndexInfo, TableInfo};

    fn catalog() -> Catalog {
        Catalog {
            tables: vec![TableInfo {
                schema: "public".into(),
                name: "orders".into(),
                estimated_rows: 1_000_000.0,
                total_bytes: 80 << 20,
                seq_scans: 10,
                index_scans: 0,
                live_rows: 1_000_000,
                writes: 5,
            }],
            indexes: vec![IndexInfo {
                schema: "public".into(),
                table: "orders".into(),
                name: "orders_pkey".into(),
                definition: "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)"
                    .into(),
                columns: vec!["id".into()],
                bytes: 1 << 20,
                scans: 0,
                is_valid: true,
                is_unique: true,
                is_primary: true,
                predicate: None,
            }],
            columns: vec![ColumnInfo {
                schema: "public".into(),
                table: "orders".into(),
                name: "customer_id".into(),
                data_type: "integer".into(),
                not_null: true,
                null_fraction: None,
                n_distinct: None,
            }],
        }
    }

    fn table(name: &str) -> TableRef {
        TableRef {
            schema: None,
            name: name.into(),
            alias: None,
        }
    }

    #[test]
    fn literals_stay_home_unless_allowed() {
        let statement = "SELECT * FROM orders WHERE customer_id = 42 AND note = 'secret'";
        let hidden = AiContext::build(statement, false, &[], &Catalog::default(), None, None);
        assert_eq!(
            hidden.statement,
            "SELECT * FROM orders WHERE customer_id = $1 AND note = $2"
        );
        assert_eq!(hidden.literals.len(), 2);
        let serialized = serde_json::to_string(&hidden).unwrap();
        assert!(!serialized.contains("secret") && !serialized.contains("42"));

        let sent = AiContext::build(statement, true, &[], &Catalog::default(), None, None);
        assert_eq!(sent.statement, statement);
    }

    #[test]
    fn comments_are_not_sent() {
        let context = AiContext::build(
            "-- for Jane Doe\nSELECT /* vip */ * FROM orders",
            true,
            &[],
            &Catalog::default(),
            None,
            None,
        );
        assert_eq!(context.statement, "SELECT   * FROM orders");
    }

    #[test]
    fn known_tables_are_described_once_unknown_ones_left_out() {
        let context = AiContext::build(
            "SELECT 1",
            false,
            &[table("orders"), table("orders"), table("missing")],
            &catalog(),
            Some("Seq Scan on orders".into()),
            None,
        );
        assert_eq!(context.tables.len(), 1);
        let orders = &context.tables[0];
        assert_eq!(orders.name, "public.orders");
        assert_eq!(orders.columns[0].name, "customer_id");
        assert_eq!(orders.indexes.len(), 1);
        assert_eq!(orders.estimated_rows, 1_000_000.0);
    }

    #[test]
    fn stats_need_calls() {
        assert_eq!(
            StatsContext::from_cumulative(&Cumulative::default(), Some(1.0)),
            None
        );
        let cumulative = Cumulative {
            calls: 4,
            total_ms: 100.0,
            rows: 8,
            ..Cumulative::default()
        };
        let stats = StatsContext::from_cumulative(&cumulative, Some(f64::NAN)).unwrap();
        assert_eq!((stats.mean_ms, stats.rows_per_call), (25.0, 2.0));
        assert_eq!(stats.share_percent, None);
    }
}
