use super::*;
use crate::plan::parse::parse_plan;
use crate::stats::model::{ColumnInfo, TableInfo};

fn fixture(name: &str) -> Plan {
    let path = format!("{}/server/plan/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    parse_plan(&std::fs::read_to_string(path).expect("fixture")).expect("plan")
}

fn table(name: &str, rows: f64, columns: &[&str]) -> (TableInfo, Vec<ColumnInfo>) {
    let info = TableInfo {
        schema: "public".into(),
        name: name.into(),
        estimated_rows: rows,
        total_bytes: 0,
        seq_scans: 0,
        index_scans: 0,
        live_rows: 0,
        writes: 0,
    };
    let columns = columns
        .iter()
        .map(|column| ColumnInfo {
            schema: "public".into(),
            table: name.into(),
            name: (*column).into(),
            data_type: "integer".into(),
            not_null: false,
            null_fraction: None,
            n_distinct: None,
        })
        .collect();
    (info, columns)
}

fn catalog(tables: &[(&str, f64, &[&str])]) -> Catalog {
    let mut catalog = Catalog::default();
    for (name, rows, columns) in tables {
        let (info, columns) = table(name, *rows, columns);
        catalog.tables.push(info);
        catalog.columns.extend(columns);
    }
    catalog
}

#[test]
fn filtered_seq_scan_on_a_large_table_is_reported() {
    let plan = fixture("seq_scan_filter_verbose.json");
    let catalog = catalog(&[("big", 100_000.0, &["id", "cat", "note"])]);
    let thresholds = Thresholds {
        large_table_rows: 50_000.0,
        ..Thresholds::default()
    };
    let findings = plan_findings(&plan, &catalog, &thresholds);
    assert_eq!(
        findings,
        [PlanFinding {
            code: "seq-scan-large-table",
            message: "Seq Scan on public.big (~100,000 rows) filters `(big.cat = 7)`, keeping \
                      ~943 rows; an index on public.big (cat) may help"
                .into(),
            relation: Some("public.big".into()),
        }]
    );
}

#[test]
fn threshold_is_respected() {
    let plan = fixture("seq_scan_filter_verbose.json");
    let catalog = catalog(&[("big", 100_000.0, &["id", "cat", "note"])]);
    let thresholds = Thresholds {
        large_table_rows: 100_000.0,
        ..Thresholds::default()
    };
    assert!(plan_findings(&plan, &catalog, &thresholds).is_empty());
    let thresholds = Thresholds {
        large_table_rows: 99_999.0,
        ..Thresholds::default()
    };
    assert_eq!(plan_findings(&plan, &catalog, &thresholds).len(), 1);
}

#[test]
fn small_tables_unfiltered_scans_and_index_scans_are_not_reported() {
    let catalog = catalog(&[
        ("small", 50.0, &["id", "name"]),
        (
            "orders",
            200_000.0,
            &["id", "customer_id", "total", "status"],
        ),
    ]);
    let thresholds = Thresholds::default();
    for name in [
        "small_table_filter.json",
        "index_scan.json",
        "hypothetical_index.json",
    ] {
        assert_eq!(
            plan_findings(&fixture(name), &catalog, &thresholds),
            [],
            "{name}"
        );
    }
}

#[test]
fn parallel_scans_under_joins_are_found_with_their_columns() {
    let catalog = catalog(&[
        (
            "orders",
            200_000.0,
            &["id", "customer_id", "total", "status"],
        ),
        ("customers", 1_000.0, &["id", "name", "country"]),
    ]);
    let findings = plan_findings(
        &fixture("generic_prepared_verbose.json"),
        &catalog,
        &Thresholds::default(),
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].message,
        "Parallel Seq Scan on public.orders (~200,000 rows) filters \
         `((orders.customer_id = $1) AND (orders.status = $2))`, keeping ~59 rows; \
         an index on public.orders (customer_id, status) may help"
    );
    let joined = plan_findings(&fixture("hash_join.json"), &catalog, &Thresholds::default());
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].relation.as_deref(), Some("public.orders"));
}

#[test]
fn without_the_catalog_plan_rows_are_a_lower_bound() {
    let mut plan = fixture("small_table_filter.json");
    plan.root.plan_rows = 250_000.0;
    let findings = plan_findings(&plan, &Catalog::default(), &Thresholds::default());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].relation.as_deref(), Some("small"));
    assert!(
        findings[0]
            .message
            .ends_with("an index on small (name) may help"),
        "{}",
        findings[0].message
    );
}

#[test]
fn filter_columns_skip_functions_types_qualifiers_and_keywords() {
    assert_eq!(
        filter_columns(
            "((lower(email) = 'a'::text) AND (t.\"Status\" IS NOT NULL) OR (NOT (hashed SubPlan 1)))",
            None
        ),
        ["email", "Status"]
    );
    assert_eq!(
        filter_columns("((note)::text ~~ 'x%'::text)", Some(&["id", "note"])),
        ["note"]
    );
}
