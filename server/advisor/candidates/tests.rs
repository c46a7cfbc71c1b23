use super::*;
use crate::sql::ast::parse_statement;
use crate::sql::facts::extract;
use crate::stats::model::{ColumnInfo, IndexInfo, TableInfo};

fn facts(sql: &str) -> QueryFacts {
    extract(&parse_statement(sql).unwrap_or_else(|| panic!("sqlparser rejects {sql}")))
}

fn table(name: &str, rows: f64) -> TableInfo {
    TableInfo {
        schema: "public".into(),
        name: name.into(),
        estimated_rows: rows,
        total_bytes: 0,
        seq_scans: 0,
        index_scans: 0,
        live_rows: rows as i64,
        writes: 0,
    }
}

/// A column with `n_distinct` (PostgreSQL's convention; `None` when not analysed).
fn column(table: &str, name: &str, n_distinct: Option<f64>) -> ColumnInfo {
    ColumnInfo {
        schema: "public".into(),
        table: table.into(),
        name: name.into(),
        data_type: "integer".into(),
        not_null: true,
        null_fraction: Some(0.0),
        n_distinct,
    }
}

fn index(table: &str, name: &str, columns: &[&str]) -> IndexInfo {
    IndexInfo {
        schema: "public".into(),
        table: table.into(),
        name: name.into(),
        definition: String::new(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        bytes: 0,
        scans: 0,
        is_valid: true,
        is_unique: false,
        is_primary: false,
        predicate: None,
    }
}

fn primary_key(table: &str, columns: &[&str]) -> IndexInfo {
    IndexInfo {
        is_unique: true,
        is_primary: true,
        ..index(table, &format!("{table}_pkey"), columns)
    }
}

/// `orders` (100k rows) and `customers` (10k rows), both with primary keys.
fn shop() -> Catalog {
    Catalog {
        tables: vec![table("orders", 100_000.0), table("customers", 10_000.0)],
        indexes: vec![
            primary_key("orders", &["id"]),
            primary_key("customers", &["id"]),
        ],
        columns: vec![
            column("orders", "id", Some(-1.0)),
            column("orders", "customer_id", Some(-0.1)),
            column("orders", "status", Some(5.0)),
            column("orders", "created_at", Some(-0.9)),
            column("orders", "total", None),
            column("customers", "id", Some(-1.0)),
            column("customers", "email", Some(-1.0)),
            column("customers", "country", Some(40.0)),
        ],
    }
}

fn columns_of(candidates: &[IndexCandidate]) -> Vec<String> {
    candidates
        .iter()
        .map(|c| format!("{}({})", c.table, c.columns.join(",")))
        .collect()
}

#[test]
fn equality_by_selectivity_then_range_with_its_order_by() {
    let sql = "SELECT * FROM orders WHERE status = $1 AND customer_id = $2 \
               AND created_at > $3 ORDER BY created_at";
    let candidates = generate(&facts(sql), &shop());
    assert_eq!(
        columns_of(&candidates),
        [
            "orders(customer_id,status,created_at)",
            "orders(customer_id,status)",
            "orders(customer_id)",
            "orders(created_at)",
        ]
    );
    assert_eq!(
        candidates[0].definition,
        "CREATE INDEX ON orders (customer_id, status, created_at)"
    );
}

#[test]
fn order_by_on_another_column_than_the_range_is_left_out() {
    let sql = "SELECT * FROM orders WHERE status = $1 AND created_at > $2 ORDER BY total";
    assert_eq!(
        columns_of(&generate(&facts(sql), &shop())),
        [
            "orders(status,created_at)",
            "orders(status)",
            "orders(created_at)"
        ]
    );
}

#[test]
fn order_by_alone_follows_the_equality_columns() {
    let sql = "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id LIMIT 10";
    assert_eq!(
        columns_of(&generate(&facts(sql), &shop())),
        [
            "orders(customer_id,created_at,id)",
            "orders(customer_id)",
            "orders(created_at,id)"
        ]
    );
}

#[test]
fn an_existing_index_with_the_same_leading_columns_serves_it() {
    let mut catalog = shop();
    // Equality columns in another order still serve the statement.
    catalog.indexes.push(index(
        "orders",
        "orders_status_customer_created",
        &["status", "customer_id", "created_at", "total"],
    ));
    let sql = "SELECT * FROM orders WHERE status = $1 AND customer_id = $2 AND created_at > $3";
    assert_eq!(
        columns_of(&generate(&facts(sql), &catalog)),
        ["orders(customer_id)", "orders(created_at)"]
    );
}

#[test]
fn partial_invalid_and_differently_ordered_indexes_do_not_serve_it() {
    let mut catalog = shop();
    catalog.indexes.push(IndexInfo {
        predicate: Some("status = 'open'".into()),
        ..index("orders", "partial", &["customer_id"])
    });
    catalog.indexes.push(IndexInfo {
        is_valid: false,
        ..index("orders", "invalid", &["customer_id"])
    });
    catalog.indexes.push(index(
        "orders",
        "tail_first",
        &["created_at", "customer_id"],
    ));
    let sql = "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2";
    // Only the range column alone is served (by `tail_first`).
    assert_eq!(
        columns_of(&generate(&facts(sql), &catalog)),
        ["orders(customer_id,created_at)", "orders(customer_id)"]
    );
}

#[test]
fn composite_and_prefix_are_served_separately() {
    let mut catalog = shop();
    catalog
        .indexes
        .push(index("orders", "orders_customer", &["customer_id"]));
    let sql = "SELECT * FROM orders WHERE customer_id = $1 AND status = $2";
    // The single-column prefix exists; the composite does not.
    assert_eq!(
        columns_of(&generate(&facts(sql), &catalog)),
        ["orders(customer_id,status)"]
    );
}

#[test]
fn a_unique_index_within_the_equality_columns_serves_it() {
    let sql = "SELECT * FROM orders WHERE id = $1 AND status = $2";
    assert!(generate(&facts(sql), &shop()).is_empty());
}

#[test]
fn aliases_and_unqualified_columns_resolve_through_the_catalog() {
    let sql = "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id \
               WHERE email = $1 AND o.status = $2";
    let candidates = generate(&facts(sql), &shop());
    assert_eq!(
        columns_of(&candidates),
        [
            // customer_id is the join key: the inner side of a nested loop.
            "orders(customer_id,status)",
            "orders(status)",
            "orders(customer_id)",
            // customers.id is the primary key; email resolves to customers.
            "customers(email)",
        ]
    );
}

#[test]
fn unknown_tables_and_columns_are_skipped() {
    let sql = "SELECT * FROM orders o JOIN audit a ON a.order_id = o.id \
               WHERE o.no_such_column = $1 AND o.status = $2 AND a.kind = $3";
    assert_eq!(
        columns_of(&generate(&facts(sql), &shop())),
        ["orders(status)"]
    );
    // With a table the catalog does not know, unqualified columns stay unresolved.
    let sql = "SELECT * FROM orders JOIN audit USING (id) WHERE status = $1";
    assert!(generate(&facts(sql), &shop()).is_empty());
}

#[test]
fn columns_are_taken_as_is_when_the_catalog_lists_none() {
    let catalog = Catalog {
        tables: vec![table("events", 1000.0)],
        ..Catalog::default()
    };
    let sql = "SELECT * FROM events WHERE kind = $1";
    assert_eq!(
        columns_of(&generate(&facts(sql), &catalog)),
        ["events(kind)"]
    );
}

#[test]
fn candidates_per_table_are_bounded() {
    let sql = "SELECT * FROM wide w JOIN other x ON x.id = w.other_id \
               WHERE w.a = 1 AND w.b = 2 AND w.c = 3 AND w.d > 4 AND w.e > 5 ORDER BY w.f";
    let catalog = Catalog {
        tables: vec![table("wide", 1000.0)],
        ..Catalog::default()
    };
    let candidates = generate(&facts(sql), &catalog);
    assert_eq!(candidates.len(), MAX_CANDIDATES_PER_TABLE);
    assert_eq!(
        columns_of(&candidates),
        [
            "wide(other_id,a,b,c,d)",
            "wide(a,b,c,d)",
            "wide(other_id,a,b,c)",
            "wide(other_id)",
        ]
    );
    assert_eq!(generate(&facts(sql), &catalog), candidates);
}

#[test]
fn definitions_quote_identifiers_only_when_needed() {
    let catalog = Catalog {
        tables: vec![TableInfo {
            schema: "Shop".into(),
            ..table("Order", 10.0)
        }],
        ..Catalog::default()
    };
    let sql = r#"SELECT * FROM "Shop"."Order" WHERE "userId" = $1 AND "user" = $2 AND plain = $3"#;
    let candidates = generate(&facts(sql), &catalog);
    assert_eq!(
        candidates[0].definition,
        r#"CREATE INDEX ON "Shop"."Order" ("userId", "user", plain)"#
    );
    assert_eq!(candidates[0].table, "Shop.Order");
}
