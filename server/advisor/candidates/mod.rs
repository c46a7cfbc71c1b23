//! Index candidates: what a statement's predicates and ORDER BY ask of each
//! table (Dexter-style), minus what existing indexes already serve, and how
//! much the whole tracked workload would gain from each ([`workload`]).
//!
//! Generation is pure: facts from the statement, the catalog snapshot in,
//! candidates out. Whether the planner would use a candidate is for HypoPG
//! or the sandbox to say.

mod columns;
pub(crate) mod identifier;
mod key;
mod served;
pub mod workload;

#[cfg(test)]
mod tests;

use self::columns::TableUses;
use self::identifier::{quote_ident, quote_qualified};
use self::key::IndexKey;
use super::model::IndexCandidate;
use crate::sql::facts::QueryFacts;
use crate::stats::model::Catalog;

/// At most this many candidates per table: the full key and its most useful
/// shorter forms. Each one costs a HypoPG or sandbox evaluation.
pub const MAX_CANDIDATES_PER_TABLE: usize = 4;

/// Candidate indexes for one statement, per table in the order the
/// statement names them, best-founded first within a table.
///
/// Column uses whose table is not written (`WHERE status = …` with a join)
/// count for the one table of the statement whose catalog columns include
/// them, when every table's columns are known. Tables the catalog does not
/// know are skipped, and so are columns their table does not have.
pub fn generate(facts: &QueryFacts, catalog: &Catalog) -> Vec<IndexCandidate> {
    let mut candidates = Vec::new();
    for table in columns::by_table(facts, catalog) {
        let existing: Vec<_> = catalog.indexes_of(table.info).collect();
        candidates.extend(
            key::keys(&table)
                .into_iter()
                .filter(|key| !existing.iter().any(|index| served::serves(index, key)))
                .take(MAX_CANDIDATES_PER_TABLE)
                .map(|key| candidate(&table, &key)),
        );
    }
    candidates
}

fn candidate(table: &TableUses<'_>, key: &IndexKey) -> IndexCandidate {
    let table_ref = table.table_ref;
    let columns: Vec<String> = key.columns().cloned().collect();
    let quoted: Vec<String> = columns.iter().map(|column| quote_ident(column)).collect();
    IndexCandidate {
        table: table_ref.qualified_name(),
        definition: format!(
            "CREATE INDEX ON {} ({})",
            quote_qualified(table_ref.schema.as_deref(), &table_ref.name),
            quoted.join(", ")
        ),
        columns,
    }
}
