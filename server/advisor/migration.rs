//! The migration an applied index action writes.

use std::path::{Path, PathBuf};

use super::model::IndexCandidate;

/// An index name from its table and columns, within PostgreSQL's 63 bytes.
pub fn index_name(candidate: &IndexCandidate) -> String {
    let table = candidate
        .table
        .rsplit('.')
        .next()
        .unwrap_or(&candidate.table);
    let mut parts = vec![table.to_string()];
    parts.extend(candidate.columns.iter().map(|column| column.to_string()));
    parts.push("idx".into());
    let raw = parts.join("_").to_ascii_lowercase();
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    name.truncate(63);
    name.trim_matches('_').to_string()
}

/// `CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON …` from the plain definition.
pub fn concurrent_definition(candidate: &IndexCandidate) -> String {
    let name = index_name(candidate);
    let definition = candidate.definition.trim().trim_end_matches(';');
    let rest = ["CREATE UNIQUE INDEX ON ", "CREATE INDEX ON "]
        .iter()
        .find_map(|prefix| {
            strip_prefix_ignore_case(definition, prefix)
                .map(|rest| (prefix.contains("UNIQUE"), rest))
        });
    match rest {
        Some((unique, rest)) => {
            let unique = if unique { "UNIQUE " } else { "" };
            format!("CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {name} ON {rest};")
        }
        // Not the plain form the advisor builds: keep it as it is.
        None => format!("{definition};"),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The migration's text: `CREATE INDEX CONCURRENTLY` cannot run inside a
/// transaction block, so the file says so, and a lock timeout keeps it from
/// queueing behind long transactions on a busy table.
pub fn migration_text(candidate: &IndexCandidate, evidence: &str, note: Option<&str>) -> String {
    let mut text = String::new();
    text.push_str(&format!("-- Added by OptiSchema: {evidence}\n"));
    if let Some(note) = note {
        for line in note.lines() {
            text.push_str(&format!("-- {line}\n"));
        }
    }
    text.push_str("-- Run outside a transaction block (CREATE INDEX CONCURRENTLY).\n");
    text.push_str("SET lock_timeout = '5s';\n");
    text.push_str(&concurrent_definition(candidate));
    text.push('\n');
    text
}

/// `migrations/20261124T010203_add_index_orders_customer_id_idx.sql`,
/// numbered if that exists.
pub fn migration_path(dir: &Path, candidate: &IndexCandidate, timestamp: &str) -> PathBuf {
    let base = format!("{timestamp}_add_{}", index_name(candidate));
    let mut path = dir.join(format!("{base}.sql"));
    let mut counter = 2;
    while path.exists() {
        path = dir.join(format!("{base}_{counter}.sql"));
        counter += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(definition: &str, table: &str, columns: &[&str]) -> IndexCandidate {
        IndexCandidate {
            table: table.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            definition: definition.into(),
        }
    }

    #[test]
    fn concurrent_definition_names_the_index() {
        let c = candidate(
            "CREATE INDEX ON shop.orders (customer_id, created_at)",
            "shop.orders",
            &["customer_id", "created_at"],
        );
        assert_eq!(
            concurrent_definition(&c),
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_created_at_idx ON shop.orders (customer_id, created_at);"
        );
        let text = migration_text(&c, "sandbox: 10 ms → 1 ms", Some("why"));
        assert!(text.contains("SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY"));
        assert!(text.starts_with("-- Added by OptiSchema: sandbox"));
    }

    #[test]
    fn expression_columns_make_safe_names() {
        let c = candidate(
            "CREATE INDEX ON users ((lower(email)))",
            "users",
            &["(lower(email))"],
        );
        assert_eq!(index_name(&c), "users_lower_email_idx");
    }

    #[test]
    fn paths_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let c = candidate("CREATE INDEX ON t (a)", "t", &["a"]);
        let first = migration_path(dir.path(), &c, "20260101T000000");
        std::fs::write(&first, "x").unwrap();
        let second = migration_path(dir.path(), &c, "20260101T000000");
        assert_ne!(first, second);
        assert!(second.to_string_lossy().ends_with("_2.sql"));
    }
}
