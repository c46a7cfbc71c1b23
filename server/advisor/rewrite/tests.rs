use super::*;
use crate::stats::model::{Catalog, ColumnInfo, IndexInfo, TableInfo};

/// The text of the one candidate from `source`, if any.
fn rewrite(sql: &str, source: &str) -> Option<String> {
    let candidates = rewrite_candidates(sql);
    let mut found = candidates.iter().filter(|c| c.source == source);
    let text = found.next().map(|c| c.text.clone());
    assert!(found.next().is_none(), "one candidate per rewrite");
    text
}

fn not_in(sql: &str) -> Option<String> {
    rewrite(sql, "not-in-subquery")
}

fn count_exists(sql: &str) -> Option<String> {
    rewrite(sql, "count-exists")
}

#[test]
fn not_in_becomes_not_exists() {
    let candidates =
        rewrite_candidates("SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM bans)");
    assert_eq!(
        candidates,
        vec![RewriteCandidate {
            source: "not-in-subquery".into(),
            summary: "NOT IN → NOT EXISTS".into(),
            text: "SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM bans WHERE user_id = users.id)"
                .into(),
        }]
    );
}

#[test]
fn not_in_joins_the_subquerys_own_condition() {
    assert_eq!(
        not_in(
            "SELECT u.id FROM users u WHERE u.active AND u.id NOT IN \
             (SELECT DISTINCT b.user_id FROM bans b WHERE b.reason = 'spam')"
        )
        .as_deref(),
        Some(
            "SELECT u.id FROM users u WHERE u.active AND NOT EXISTS \
             (SELECT 1 FROM bans b WHERE b.user_id = u.id AND b.reason = 'spam')"
        )
    );
    assert_eq!(
        not_in("SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u WHERE a = 1 OR b = 2)")
            .as_deref(),
        Some(
            "SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE t_id = t.id AND (a = 1 OR b = 2))"
        )
    );
}

#[test]
fn not_in_keeps_parameters_in_every_style() {
    for (p1, p2) in [
        ("$1", "$2"),
        ("?", "?"),
        (":kind", ":reason"),
        ("%s", "%s"),
        ("%(kind)s", "%(reason)s"),
    ] {
        let sql = format!(
            "SELECT id FROM users WHERE kind = {p1} AND id NOT IN (SELECT user_id FROM bans WHERE reason = {p2})"
        );
        let expected = format!(
            "SELECT id FROM users WHERE kind = {p1} AND NOT EXISTS \
             (SELECT 1 FROM bans WHERE user_id = users.id AND reason = {p2})"
        );
        assert_eq!(not_in(&sql), Some(expected), "{p1}");
    }
}

#[test]
fn not_in_keeps_comments_case_and_layout() {
    assert_eq!(
        not_in("select id -- who\nfrom users\nwhere not users.id in (\n  select user_id from bans /* all */\n)")
            .as_deref(),
        Some(
            "select id -- who\nfrom users\nwhere not exists (\n  select 1 from bans where user_id = users.id /* all */\n)"
        )
    );
}

#[test]
fn not_in_parenthesizes_expressions_and_quotes_bindings() {
    assert_eq!(
        not_in(r#"SELECT 1 FROM "Users" WHERE id NOT IN (SELECT user_id + 1 FROM bans)"#)
            .as_deref(),
        Some(
            r#"SELECT 1 FROM "Users" WHERE NOT EXISTS (SELECT 1 FROM bans WHERE (user_id + 1) = "Users".id)"#
        )
    );
}

#[test]
fn nested_not_in_are_both_rewritten() {
    assert_eq!(
        not_in("SELECT id FROM a WHERE id NOT IN (SELECT a_id FROM b WHERE b.id NOT IN (SELECT b_id FROM c))")
            .as_deref(),
        Some(
            "SELECT id FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE a_id = a.id AND \
             NOT EXISTS (SELECT 1 FROM c WHERE b_id = b.id))"
        )
    );
}

#[test]
fn not_in_in_dml() {
    assert_eq!(
        not_in("DELETE FROM sessions WHERE user_id NOT IN (SELECT id FROM users)").as_deref(),
        Some(
            "DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = sessions.user_id)"
        )
    );
}

#[test]
fn not_in_that_does_not_qualify_is_left_alone() {
    for sql in [
        "SELECT 1 FROM t WHERE x NOT IN (1, 2)",
        "SELECT 1 FROM t WHERE x IN (SELECT y FROM u)",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT max(y) FROM u)",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT y FROM u GROUP BY y)",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT y FROM u LIMIT 5)",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT y FROM u UNION SELECT z FROM v)",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT y AS x FROM u)",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT y, z FROM u)",
        "SELECT 1 FROM t WHERE lower(x) NOT IN (SELECT y FROM u)",
        // Moving `id` inside would make it the subquery's own users.id.
        "SELECT 1 FROM users WHERE id NOT IN (SELECT id FROM users WHERE banned)",
        "SELECT 1 FROM users u WHERE u.id NOT IN (SELECT id FROM bans u)",
        // Which table `x` belongs to is unknown.
        "SELECT 1 FROM t JOIN v ON v.id = t.id WHERE x NOT IN (SELECT y FROM u)",
        // NULL and FALSE differ outside a WHERE and under NOT.
        "SELECT x NOT IN (SELECT y FROM u) FROM t",
        "SELECT 1 FROM t WHERE NOT (x NOT IN (SELECT y FROM u))",
        "SELECT 1 FROM t WHERE (x NOT IN (SELECT y FROM u)) IS NULL",
        "this is not sql",
        "",
    ] {
        assert_eq!(not_in(sql), None, "{sql}");
    }
}

#[test]
fn count_compared_with_zero_becomes_exists() {
    let sql =
        "SELECT id FROM users u WHERE (SELECT count(*) FROM orders o WHERE o.user_id = u.id) > 0";
    let candidates = rewrite_candidates(sql);
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].summary, "count(*) > 0 → EXISTS");
    assert_eq!(
        candidates[0].text,
        "SELECT id FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)"
    );
    assert_eq!(
        count_exists(
            "select 1 from t where (select count(1) from u where u.t = t.id) = 0 and t.x = ?"
        )
        .as_deref(),
        Some("select 1 from t where not exists (select 1 from u where u.t = t.id) and t.x = ?")
    );
    assert_eq!(
        count_exists("SELECT 1 FROM t WHERE 1 <= (SELECT COUNT(*) FROM u WHERE u.k = :key) OR t.y")
            .as_deref(),
        Some("SELECT 1 FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.k = :key) OR t.y")
    );
}

#[test]
fn counts_that_are_not_existence_checks_are_left_alone() {
    for sql in [
        "SELECT 1 FROM t WHERE (SELECT count(x) FROM u) > 0",
        "SELECT 1 FROM t WHERE (SELECT count(*) FROM u) > 1",
        "SELECT 1 FROM t WHERE (SELECT count(*) FROM u GROUP BY k) > 0",
        "SELECT 1 FROM t WHERE (SELECT count(*) FROM u LIMIT 1) > 0",
        "SELECT 1 FROM t WHERE (SELECT count(*) FILTER (WHERE a) FROM u) > 0",
        "SELECT 1 FROM t WHERE (SELECT count(DISTINCT k) FROM u) > 0",
        "SELECT 1 FROM t WHERE (SELECT sum(1) FROM u) > 0",
        "SELECT (SELECT count(*) FROM u) > 0 FROM t",
        "SELECT 1 FROM t WHERE NOT ((SELECT count(*) FROM u) > 0)",
    ] {
        assert_eq!(count_exists(sql), None, "{sql}");
    }
}

fn catalog() -> Catalog {
    let column = |name: &str, not_null: bool| ColumnInfo {
        schema: "public".into(),
        table: "users".into(),
        name: name.into(),
        data_type: "bigint".into(),
        not_null,
        null_fraction: None,
        n_distinct: None,
    };
    let index = |name: &str, columns: &[&str], is_primary: bool| IndexInfo {
        schema: "public".into(),
        table: "users".into(),
        name: name.into(),
        definition: String::new(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        bytes: 0,
        scans: 0,
        is_valid: true,
        is_unique: true,
        is_primary,
        predicate: None,
    };
    Catalog {
        tables: vec![TableInfo {
            schema: "public".into(),
            name: "users".into(),
            estimated_rows: 1e6,
            total_bytes: 0,
            seq_scans: 0,
            index_scans: 0,
            live_rows: 0,
            writes: 0,
        }],
        indexes: vec![
            index("users_pkey", &["id"], true),
            index("users_org_seq", &["org", "seq"], false),
            index("users_email", &["email"], false),
            IndexInfo {
                predicate: Some("deleted_at IS NULL".into()),
                ..index("users_handle", &["handle"], false)
            },
        ],
        columns: vec![
            column("id", true),
            column("org", true),
            column("seq", true),
            column("email", false),
            column("handle", true),
            column("created_at", true),
        ],
    }
}

fn keyset(sql: &str) -> Option<KeysetSuggestion> {
    keyset_pagination(sql, Some(&catalog()))
}

#[test]
fn offset_becomes_keyset_pagination_on_a_unique_key() {
    let suggestion = keyset("SELECT id, name FROM users ORDER BY id LIMIT 20 OFFSET 40").unwrap();
    assert_eq!(
        suggestion.text,
        "SELECT id, name FROM users WHERE id > $1 ORDER BY id LIMIT 20"
    );
    assert_eq!(suggestion.source, "offset-pagination");
    assert_eq!(
        suggestion.summary,
        "keyset pagination: pass the last id instead of an offset"
    );
    assert_eq!(suggestion.key_columns, ["id"]);
    assert_eq!(suggestion.new_parameters, ["$1"]);
    assert!(suggestion.removed_parameters.is_empty());
    assert!(suggestion.explanation.contains("cannot be validated"));
}

#[test]
fn keyset_takes_the_offsets_parameter_number() {
    let suggestion = keyset(
        "SELECT u.id FROM users u WHERE u.org = $1 OR u.email = $4 ORDER BY u.id LIMIT $2 OFFSET $3",
    )
    .unwrap();
    assert_eq!(
        suggestion.text,
        "SELECT u.id FROM users u WHERE (u.org = $1 OR u.email = $4) AND u.id > $3 ORDER BY u.id LIMIT $2"
    );
    assert_eq!(suggestion.new_parameters, ["$3"]);
    assert_eq!(suggestion.removed_parameters, ["$3"]);
}

#[test]
fn keyset_writes_new_parameters_in_the_statements_style() {
    let cases = [
        (
            "SELECT id FROM users WHERE org = ? ORDER BY id LIMIT ? OFFSET ?",
            "SELECT id FROM users WHERE org = ? AND id > ? ORDER BY id LIMIT ?",
            "?",
            "?",
        ),
        (
            "SELECT id FROM users WHERE org = %s ORDER BY id LIMIT %s OFFSET %s",
            "SELECT id FROM users WHERE org = %s AND id > %s ORDER BY id LIMIT %s",
            "%s",
            "%s",
        ),
        (
            "SELECT id FROM users WHERE org = :org ORDER BY id LIMIT :size OFFSET :skip",
            "SELECT id FROM users WHERE org = :org AND id > :last_id ORDER BY id LIMIT :size",
            ":last_id",
            ":skip",
        ),
        (
            "SELECT id FROM users WHERE org = %(org)s ORDER BY id LIMIT %(size)s OFFSET %(skip)s",
            "SELECT id FROM users WHERE org = %(org)s AND id > %(last_id)s ORDER BY id LIMIT %(size)s",
            "%(last_id)s",
            "%(skip)s",
        ),
    ];
    for (sql, expected, new, removed) in cases {
        let suggestion = keyset(sql).unwrap_or_else(|| panic!("no suggestion for {sql}"));
        assert_eq!(suggestion.text, expected);
        assert_eq!(suggestion.new_parameters, [new]);
        assert_eq!(suggestion.removed_parameters, [removed]);
    }
}

#[test]
fn keyset_on_a_composite_descending_key() {
    let suggestion = keyset(
        "select id from users where created_at > now() - interval '1 day' \
         order by org desc, seq desc offset 100 rows fetch first 10 rows only",
    )
    .unwrap();
    assert_eq!(
        suggestion.text,
        "select id from users where created_at > now() - interval '1 day' and (org, seq) < ($1, $2) \
         order by org desc, seq desc fetch first 10 rows only"
    );
    assert_eq!(
        suggestion.summary,
        "keyset pagination: pass the last org, seq instead of an offset"
    );
}

#[test]
fn keyset_needs_a_unique_not_null_order_key() {
    for sql in [
        // Not unique.
        "SELECT id FROM users ORDER BY created_at LIMIT 10 OFFSET 10",
        // Unique but nullable.
        "SELECT id FROM users ORDER BY email LIMIT 10 OFFSET 10",
        // Unique only where the partial index's predicate holds.
        "SELECT id FROM users ORDER BY handle LIMIT 10 OFFSET 10",
        // Part of a unique key.
        "SELECT id FROM users ORDER BY org LIMIT 10 OFFSET 10",
        // Mixed directions.
        "SELECT id FROM users ORDER BY org, seq DESC LIMIT 10 OFFSET 10",
        "SELECT id FROM users ORDER BY id NULLS FIRST LIMIT 10 OFFSET 10",
        // Joins, grouping, windows, unknown tables, no OFFSET or no LIMIT.
        "SELECT u.id FROM users u JOIN t ON t.id = u.id ORDER BY u.id LIMIT 10 OFFSET 10",
        "SELECT DISTINCT id FROM users ORDER BY id LIMIT 10 OFFSET 10",
        "SELECT id, row_number() OVER () FROM users ORDER BY id LIMIT 10 OFFSET 10",
        "SELECT id FROM accounts ORDER BY id LIMIT 10 OFFSET 10",
        "SELECT id FROM users ORDER BY id LIMIT 10",
        "SELECT id FROM users ORDER BY id OFFSET 10",
        "SELECT id FROM users ORDER BY id LIMIT 10 OFFSET $1 * 10",
        "not sql at all",
    ] {
        assert_eq!(keyset(sql), None, "{sql}");
    }
    assert_eq!(
        keyset_pagination("SELECT id FROM users ORDER BY id LIMIT 10 OFFSET 10", None),
        None
    );
}

#[test]
fn odd_input_does_not_panic() {
    for sql in [
        "",
        ";",
        "SELECT",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT",
        "SELECT 'é😀' FROM tablé WHERE «x» NOT IN (SELECT y FROM u)",
        "SELECT 1 FROM t WHERE x NOT IN ((SELECT y FROM u))",
        "SELECT 1 FROM t WHERE ((SELECT count(*) FROM u)) > 0",
        "SELECT 1 FROM t WHERE x NOT IN (SELECT y FROM u WHERE)",
        "SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?;",
    ] {
        let _ = rewrite_candidates(sql);
        let _ = keyset(sql);
    }
}
