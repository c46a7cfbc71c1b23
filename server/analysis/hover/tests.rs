use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::*;
use crate::stats::history::IntervalSample;
use crate::stats::model::{Catalog, IndexInfo};
use crate::stats::snapshot::{Cumulative, StatementStats};

#[test]
fn hover_lists_tables_with_aliases() {
    let document = Document::new(
        "SELECT id, name FROM users WHERE id = 1;\nSELECT o.id FROM orders o JOIN users u ON u.id = o.user_id;"
            .into(),
        1,
    );
    let info = hover(&document, 3, &Snapshot::empty()).unwrap();
    assert!(info.markdown.contains("`users`"), "{}", info.markdown);
    assert!(
        info.markdown.contains("No database configured"),
        "{}",
        info.markdown
    );
    let info = hover(&document, 50, &Snapshot::empty()).unwrap();
    assert!(
        info.markdown.contains("`orders` (as `o`)"),
        "{}",
        info.markdown
    );
}

fn live_snapshot(document: &Document) -> Snapshot {
    let fingerprint = document.statements()[0].analysis.fingerprint;
    let now = SystemTime::now();
    let stats = StatementStats {
        queryids: vec![42, 43],
        cumulative: Cumulative {
            calls: 1200,
            total_ms: 14_760.0,
            min_ms: 1.0,
            max_ms: 80.0,
            stddev_ms: 3.0,
            rows: 1200,
            shared_blks_hit: 900,
            shared_blks_read: 100,
            temp_blks_written: 0,
        },
        recent: IntervalSample {
            calls: 600,
            total_ms: 7_380.0,
            ..IntervalSample::default()
        },
        ..StatementStats::default()
    };
    Snapshot {
        status: ConnectionStatus::Live,
        refreshed_at: Some(now),
        watching_since: Some(now - Duration::from_secs(600)),
        statements: Arc::new(HashMap::from([(fingerprint, stats)])),
        database_recent_ms: 14_760.0,
        catalog: Arc::new(Catalog {
            tables: vec![TableInfo {
                schema: "public".into(),
                name: "orders".into(),
                estimated_rows: 250_000.0,
                total_bytes: 40 * 1024 * 1024,
                seq_scans: 12,
                index_scans: 3400,
                live_rows: 250_000,
                writes: 99,
            }],
            indexes: vec![IndexInfo {
                schema: "public".into(),
                table: "orders".into(),
                name: "orders_pkey".into(),
                definition: "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)"
                    .into(),
                columns: vec!["id".into()],
                bytes: 5 * 1024 * 1024,
                scans: 3400,
                is_valid: true,
                is_unique: true,
                is_primary: true,
                predicate: None,
            }],
            columns: vec![],
        }),
        ..Snapshot::empty()
    }
}

#[test]
fn matched_statement_shows_live_numbers() {
    let document = Document::new(
        "SELECT id FROM orders WHERE customer_id = 7;\nSELECT 2;".into(),
        1,
    );
    let snapshot = live_snapshot(&document);
    let markdown = hover(&document, 1, &snapshot).unwrap().markdown;
    assert!(
        markdown.contains("| calls | 1,200 · 120/min recently |"),
        "{markdown}"
    );
    assert!(markdown.contains("mean 12.3 ms"), "{markdown}");
    assert!(
        markdown.contains("| share of DB time | 50.0% |"),
        "{markdown}"
    );
    assert!(markdown.contains("90.0% of 1,000 blocks"), "{markdown}");
    assert!(markdown.contains("queryid 42, 43"), "{markdown}");
    let unmatched = hover(&document, document.text().len() - 2, &snapshot)
        .unwrap()
        .markdown;
    assert!(
        unmatched.contains("Not seen in `pg_stat_statements`"),
        "{unmatched}"
    );
}

#[test]
fn table_name_shows_catalog_facts() {
    let document = Document::new("SELECT id FROM orders WHERE customer_id = 7;".into(), 1);
    let snapshot = live_snapshot(&document);
    let offset = document.text().find("orders").unwrap() + 2;
    let info = hover(&document, offset, &snapshot).unwrap();
    assert!(
        info.markdown.contains("**table** `public.orders`"),
        "{}",
        info.markdown
    );
    assert!(
        info.markdown.contains("40.0 MB · ~250k rows"),
        "{}",
        info.markdown
    );
    assert!(
        info.markdown.contains("`orders_pkey` (id)"),
        "{}",
        info.markdown
    );
    assert_eq!(&document.text()[info.range], "orders");
}
