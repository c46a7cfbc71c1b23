use super::*;

fn original(text: &str) -> Admitted {
    admit_measurable(text).unwrap_or_else(|reason| panic!("{text}: {reason}"))
}

#[test]
fn queries_and_single_dml_statements_are_measured() {
    for (text, kind) in [
        (
            "SELECT * FROM t WHERE a = $1",
            StatementKind::Query { ordered: false },
        ),
        (
            "SELECT * FROM t ORDER BY a LIMIT 5;",
            StatementKind::Query { ordered: true },
        ),
        (
            "WITH x AS (SELECT a FROM t) SELECT a FROM x",
            StatementKind::Query { ordered: false },
        ),
        (
            "SELECT a FROM t UNION SELECT b FROM u ORDER BY 1",
            StatementKind::Query { ordered: true },
        ),
        ("UPDATE t SET a = ? WHERE b = ?", StatementKind::Modify),
        ("DELETE FROM t WHERE a = :id", StatementKind::Modify),
        ("INSERT INTO t (a) SELECT b FROM u", StatementKind::Modify),
    ] {
        assert_eq!(original(text).kind, kind, "{text}");
    }
}

#[test]
fn the_statement_is_kept_in_dollar_form_without_its_semicolon() {
    let admitted = original("SELECT * FROM t WHERE a = :id; -- done");
    assert_eq!(admitted.text, "SELECT * FROM t WHERE a = $1");
    assert_eq!(admitted.params.count, 1);
    assert!(admitted.ast.is_some());
}

#[test]
fn anything_else_is_refused() {
    for text in [
        "",
        " ; ",
        "DROP TABLE t",
        "CREATE INDEX ON t (a)",
        "SELECT 1; DROP TABLE t",
        "SELECT * INTO new_table FROM t",
        "WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone",
        "EXPLAIN SELECT 1",
        "VACUUM t",
        "SELECT FROM WHERE",
        "SELECT nextval('s')",
        "SELECT pg_catalog.pg_advisory_lock(1)",
        "SELECT 1 \0",
    ] {
        assert!(admit_measurable(text).is_err(), "{text:?} was admitted");
    }
}

#[test]
fn rewrites_must_be_one_harmless_query() {
    let base =
        original("SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u) AND lower(name) = $1");
    for (rewrite, why) in [
        ("DELETE FROM t", "single SELECT"),
        ("SELECT 1; DROP TABLE t", "more than one statement"),
        ("SELECT pg_sleep(10)", "pg_sleep()"),
        (
            "SELECT id FROM t, LATERAL (SELECT pg_sleep(1)) s",
            "pg_sleep()",
        ),
        (
            "SELECT ARRAY[pg_catalog.pg_sleep(1)]",
            "pg_catalog.pg_sleep()",
        ),
        ("SELECT dblink_exec('x')", "dblink_exec()"),
        ("SELECT id FROM t WHERE id = $2", "parameters"),
        ("SELECT * INTO copy FROM t", "SELECT INTO"),
        (
            "WITH d AS (DELETE FROM t RETURNING id) SELECT id FROM d",
            "single SELECT",
        ),
    ] {
        let reason = admit_rewrite(&base, rewrite).expect_err(rewrite);
        assert!(reason.contains(why), "{rewrite}: {reason}");
    }
}

#[test]
fn rewrites_may_add_pure_builtins_and_keep_the_originals_functions() {
    let base =
        original("SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u) AND lower(name) = ?");
    let rewrite = admit_rewrite(
        &base,
        "SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id) \
         AND lower(name) = ? AND coalesce(length(name), 0) >= 0",
    )
    .unwrap();
    assert_eq!(rewrite.params.count, 1);
    assert!(rewrite.text.contains("lower(name) = $1"));
}

#[test]
fn index_definitions_get_a_known_name() {
    assert_eq!(
        admit_index(
            "CREATE INDEX ON orders (customer_id);",
            "optischema_candidate_7"
        )
        .unwrap(),
        "CREATE INDEX optischema_candidate_7 ON orders (customer_id)"
    );
    assert_eq!(
        admit_index(
            "create unique index concurrently if not exists old_name on shop.orders using btree (a, (lower(b))) where c",
            "optischema_candidate_8"
        )
        .unwrap(),
        "create unique index optischema_candidate_8 on shop.orders using btree (a, (lower(b))) where c"
    );
}

#[test]
fn only_a_single_create_index_is_an_index_candidate() {
    for definition in [
        "CREATE INDEX ON t (a); DROP TABLE t",
        "DROP INDEX x",
        "CREATE TABLE t (a int)",
        "SELECT 1",
        "CREATE INDEX",
    ] {
        assert!(
            admit_index(definition, "optischema_candidate_1").is_err(),
            "{definition}"
        );
    }
}
