use super::*;
use crate::sql::ast::parse_statement;

fn facts(sql: &str) -> QueryFacts {
    let statement = parse_statement(sql).unwrap_or_else(|| panic!("sqlparser rejects {sql}"));
    extract(&statement)
}

fn table(schema: Option<&str>, name: &str, alias: Option<&str>) -> TableRef {
    TableRef {
        schema: schema.map(str::to_owned),
        name: name.to_owned(),
        alias: alias.map(str::to_owned),
    }
}

fn column(table: Option<&str>, column: &str, role: ColumnRole) -> ColumnUse {
    ColumnUse {
        table: table.map(str::to_owned),
        column: column.to_owned(),
        role,
    }
}

use ColumnRole::{Equality, GroupBy, Join, OrderBy, Range};

#[test]
fn single_table_resolves_unqualified_columns() {
    let facts = facts("SELECT name FROM users WHERE id = $1 AND created_at > now() ORDER BY name");
    assert_eq!(facts.tables, vec![table(None, "users", None)]);
    assert_eq!(
        facts.columns,
        vec![
            column(Some("users"), "id", Equality),
            column(Some("users"), "created_at", Range),
            column(Some("users"), "name", OrderBy),
        ]
    );
}

#[test]
fn identifiers_fold_to_lower_case_unless_quoted() {
    let facts = facts(r#"SELECT 1 FROM Public."Users" AS U WHERE U."Email" = 'x' AND u.Id = 1"#);
    assert_eq!(
        facts.tables,
        vec![table(Some("public"), "Users", Some("u"))]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("public.Users"), "Email", Equality),
            column(Some("public.Users"), "id", Equality),
        ]
    );
}

#[test]
fn join_columns_resolve_through_aliases() {
    let facts = facts(
        "SELECT o.id FROM shop.orders o JOIN customers c ON o.customer_id = c.id \
         WHERE c.country = 'NZ' ORDER BY o.created_at",
    );
    assert_eq!(
        facts.tables,
        vec![
            table(Some("shop"), "orders", Some("o")),
            table(None, "customers", Some("c")),
        ]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("shop.orders"), "customer_id", Join),
            column(Some("customers"), "id", Join),
            column(Some("customers"), "country", Equality),
            column(Some("shop.orders"), "created_at", OrderBy),
        ]
    );
}

#[test]
fn comma_joins_in_where_are_joins() {
    let facts = facts("SELECT 1 FROM a, b WHERE a.id = b.a_id");
    assert_eq!(
        facts.columns,
        vec![
            column(Some("a"), "id", Join),
            column(Some("b"), "a_id", Join)
        ]
    );
}

#[test]
fn unqualified_columns_with_several_tables_stay_unresolved() {
    let facts = facts("SELECT 1 FROM a JOIN b ON a.id = b.id WHERE status = 'x'");
    assert_eq!(
        facts.columns,
        vec![
            column(Some("a"), "id", Join),
            column(Some("b"), "id", Join),
            column(None, "status", Equality),
        ]
    );
}

#[test]
fn equality_forms_in_and_is_null() {
    let facts = facts("SELECT 1 FROM t WHERE a IN (1, 2) AND b IS NULL AND $1 = c AND d = ANY($2)");
    assert_eq!(
        facts.columns,
        vec![
            column(Some("t"), "a", Equality),
            column(Some("t"), "b", Equality),
            column(Some("t"), "c", Equality),
            column(Some("t"), "d", Equality),
        ]
    );
}

#[test]
fn range_forms_between_and_prefix_like() {
    let facts = facts(
        "SELECT 1 FROM t WHERE a BETWEEN 1 AND 2 AND 5 <= b AND c LIKE 'abc%' \
         AND d LIKE '%abc' AND e NOT BETWEEN 1 AND 2",
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("t"), "a", Range),
            column(Some("t"), "b", Range),
            column(Some("t"), "c", Range),
        ]
    );
}

#[test]
fn negations_and_wrapped_columns_are_not_index_columns() {
    let facts =
        facts("SELECT 1 FROM t WHERE NOT (a = 1) AND lower(b) = 'x' AND c <> 2 AND d NOT IN (1)");
    assert!(facts.columns.is_empty(), "{:?}", facts.columns);
}

#[test]
fn or_branches_count() {
    let facts = facts("SELECT 1 FROM t WHERE (a = 1 OR b = 2)");
    assert_eq!(
        facts.columns,
        vec![
            column(Some("t"), "a", Equality),
            column(Some("t"), "b", Equality)
        ]
    );
}

#[test]
fn group_by_and_order_by_skip_output_aliases_and_positions() {
    let facts = facts(
        "SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY n DESC, 1, status",
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("orders"), "status", GroupBy),
            column(Some("orders"), "status", OrderBy),
        ]
    );
}

#[test]
fn subqueries_in_where_and_from_have_their_own_scope() {
    let facts = facts(
        "SELECT u.id FROM users u WHERE u.id IN (SELECT user_id FROM orders WHERE total > 100) \
         AND EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id) \
         AND u.team_id = (SELECT id FROM (SELECT id, name FROM teams) t WHERE t.name = 'x')",
    );
    assert_eq!(
        facts.tables,
        vec![
            table(None, "users", Some("u")),
            table(None, "orders", None),
            table(None, "sessions", Some("s")),
            table(None, "teams", None),
        ]
    );
    assert_eq!(
        facts.columns,
        vec![
            // A WHERE's own conditions come before those of its subqueries.
            column(Some("users"), "id", Equality),
            column(Some("users"), "team_id", Equality),
            column(Some("orders"), "total", Range),
            column(Some("sessions"), "user_id", Join),
            column(Some("users"), "id", Join),
            // `t` is a derived table: its columns belong to no table for certain.
            column(None, "name", Equality),
        ]
    );
}

#[test]
fn cte_names_are_not_tables() {
    let facts = facts(
        "WITH recent AS (SELECT * FROM orders WHERE created_at > $1) \
         SELECT * FROM recent r JOIN customers c ON c.id = r.customer_id",
    );
    assert_eq!(
        facts.tables,
        vec![
            table(None, "orders", None),
            table(None, "customers", Some("c"))
        ]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("orders"), "created_at", Range),
            column(Some("customers"), "id", Join),
            column(None, "customer_id", Join),
        ]
    );
}

#[test]
fn set_operations_collect_both_sides() {
    let facts = facts("SELECT id FROM a WHERE x = 1 UNION ALL SELECT id FROM b WHERE y = 2");
    assert_eq!(
        facts.tables,
        vec![table(None, "a", None), table(None, "b", None)]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("a"), "x", Equality),
            column(Some("b"), "y", Equality)
        ]
    );
}

#[test]
fn insert_target_and_its_select_source() {
    let facts =
        facts("INSERT INTO archive.orders (id) SELECT id FROM orders WHERE created_at < $1");
    assert_eq!(
        facts.tables,
        vec![
            table(None, "orders", None),
            table(Some("archive"), "orders", None)
        ]
    );
    assert_eq!(
        facts.columns,
        vec![column(Some("orders"), "created_at", Range)]
    );
}

#[test]
fn update_with_from_and_where() {
    let facts =
        facts("UPDATE accounts a SET balance = 0 FROM users u WHERE a.user_id = u.id AND u.banned");
    assert_eq!(
        facts.tables,
        vec![
            table(None, "accounts", Some("a")),
            table(None, "users", Some("u"))
        ]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("accounts"), "user_id", Join),
            column(Some("users"), "id", Join),
        ]
    );
}

#[test]
fn delete_with_using_and_where() {
    let facts = facts(
        "DELETE FROM s.sessions USING users WHERE sessions.user_id = users.id AND users.id = 7",
    );
    assert_eq!(
        facts.tables,
        vec![
            table(Some("s"), "sessions", None),
            table(None, "users", None)
        ]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("s.sessions"), "user_id", Join),
            column(Some("users"), "id", Join),
            column(Some("users"), "id", Equality),
        ]
    );
}

#[test]
fn schema_qualified_column_references_resolve() {
    let facts = facts("SELECT 1 FROM app.users, app.teams WHERE app.users.team_id = app.teams.id");
    assert_eq!(
        facts.columns,
        vec![
            column(Some("app.users"), "team_id", Join),
            column(Some("app.teams"), "id", Join),
        ]
    );
}

#[test]
fn join_using_pairs_both_tables() {
    let facts = facts("SELECT 1 FROM orders JOIN customers USING (customer_id)");
    assert_eq!(
        facts.columns,
        vec![
            column(Some("orders"), "customer_id", Join),
            column(Some("customers"), "customer_id", Join),
        ]
    );
}

#[test]
fn duplicates_are_removed() {
    let facts = facts("SELECT 1 FROM t JOIN t AS t2 ON t.id = t2.id WHERE t.a = 1 OR t.a = 2");
    assert_eq!(
        facts.tables,
        vec![table(None, "t", None), table(None, "t", Some("t2"))]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("t"), "id", Join),
            column(Some("t"), "a", Equality)
        ]
    );
}

#[test]
fn long_condition_chains_do_not_overflow_the_stack() {
    let conditions = vec!["a = 1"; 3000].join(" AND ");
    let facts = facts(&format!("SELECT 1 FROM t WHERE {conditions}"));
    assert_eq!(facts.columns, vec![column(Some("t"), "a", Equality)]);
}

#[test]
fn table_command_and_merge() {
    assert_eq!(
        facts("SELECT 1 UNION TABLE app.users").tables,
        vec![table(Some("app"), "users", None)]
    );
    let facts = facts(
        "MERGE INTO stock s USING deliveries d ON s.item = d.item \
         WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty",
    );
    assert_eq!(
        facts.tables,
        vec![
            table(None, "stock", Some("s")),
            table(None, "deliveries", Some("d"))
        ]
    );
    assert_eq!(
        facts.columns,
        vec![
            column(Some("stock"), "item", Join),
            column(Some("deliveries"), "item", Join)
        ]
    );
}
