//! The prefilter must never change what the rules find: each test runs
//! statements through the pipeline with it and without it
//! ([`assert_prefilter_sound`]). The rule tests do the same on every
//! statement they use.

use super::super::test_support::assert_prefilter_sound;
use super::super::{Candidates, RULES};
use crate::sql::lexer::{Lexer, Token};
use crate::sql::split::split;

#[allow(dead_code)]
#[path = "../../../../benches/support/sqlgen.rs"]
mod sqlgen;

fn candidates(sql: &str) -> Vec<&'static str> {
    let tokens: Vec<Token> = Lexer::new(sql).filter(|t| !t.kind.is_trivia()).collect();
    let candidates = Candidates::of(sql, &tokens);
    RULES
        .iter()
        .enumerate()
        .filter(|(index, _)| candidates.contains(*index))
        .map(|(_, rule)| rule.code)
        .collect()
}

fn assert_all_sound(text: &str) -> usize {
    let spans = split(text);
    for span in &spans {
        assert_prefilter_sound(&text[span.range.clone()]);
    }
    spans.len()
}

#[test]
fn ordinary_statements_need_no_rule() {
    for sql in [
        "SELECT a.id, b.name FROM t a JOIN u b ON b.t_id = a.id \
         WHERE a.status = 'x' AND a.created_at >= DATE '2024-01-01' ORDER BY a.id DESC LIMIT 10",
        "SELECT a.region, count(*) AS n FROM t a LEFT JOIN u b ON b.id = a.u_id AND b.x <> 'y' \
         WHERE a.day BETWEEN DATE '2023-01-01' AND DATE '2024-01-01' \
         GROUP BY a.region HAVING count(*) > 5 ORDER BY n DESC",
        "INSERT INTO t (id, a) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a, at = now()",
        "UPDATE t SET a = 'x', b = b + 1, at = now() WHERE id = 7 AND c IS NOT NULL RETURNING id, a",
        "DELETE FROM t WHERE created_at < DATE '2022-01-01' AND id NOT IN (1, 2, 3)",
        "SELECT c.id, (SELECT max(o.at) FROM o WHERE o.c_id = c.id) AS last FROM c \
         WHERE EXISTS (SELECT 1 FROM o WHERE o.c_id = c.id AND o.x > 3) AND c.id >= 9 LIMIT 5",
        "SELECT p.id FROM p WHERE p.a = $1 AND p.b IN ($2, $3) ORDER BY p.id, p.name LIMIT 10",
        "SELECT id FROM t WHERE x = 'lower(y) = NULL, * OFFSET 5' -- ORDER BY random()",
        "SELECT id FROM t FOR NO KEY UPDATE",
        // Computations of constants wrap no column.
        "SELECT a.id FROM t a WHERE a.created_at > now() - INTERVAL '28 days' \
         AND a.x = $1::int AND a.d >= current_date - 7 AND a.y = lower('ABC') AND a.z = -1",
    ] {
        assert_eq!(candidates(sql), Vec::<&str>::new(), "{sql}");
        assert_prefilter_sound(sql);
    }
}

#[test]
fn each_rule_is_a_candidate_where_it_fires() {
    let cases = [
        ("select-star", "SELECT t.* FROM t"),
        (
            "missing-where",
            "WITH d AS (DELETE FROM t RETURNING id) SELECT id FROM d WHERE id > 1",
        ),
        (
            "not-in-subquery",
            "SELECT 1 FROM t WHERE NOT x IN ((SELECT y FROM u))",
        ),
        (
            "leading-wildcard-like",
            "SELECT 1 FROM t WHERE x ILIKE '%a'",
        ),
        ("order-by-random", "SELECT 1 FROM t ORDER BY \"random\"()"),
        ("offset-pagination", "SELECT 1 FROM t OFFSET $1"),
        (
            "non-sargable-predicate",
            "SELECT 1 FROM t WHERE x::date = '2024-01-01'",
        ),
        ("implicit-cross-join", "DELETE FROM t USING u WHERE t.a = 1"),
        ("null-comparison", "SELECT 1 FROM t WHERE ((NULL)) <> x"),
    ];
    for (code, sql) in cases {
        assert!(candidates(sql).contains(&code), "{code}: {sql}");
        assert_prefilter_sound(sql);
    }
}

#[test]
fn lexically_unusual_statements_run_every_rule() {
    for sql in [
        "SELECT 1 FROM t WHERE x = E'\\''",
        "SELECT 1 FROM t WHERE x = $$a$$",
        "SELECT U&\"\\0061\" FROM t",
        "SELECT 'é' FROM t",
    ] {
        assert_eq!(candidates(sql).len(), RULES.len(), "{sql}");
    }
}

/// Statements whose shape the prefilter's reasoning had to consider.
#[test]
fn grammar_corners_agree() {
    for sql in [
        "UPDATE t SET a = 1 WHERE CURRENT OF c",
        "DELETE FROM t WHERE CURRENT OF c",
        "DELETE FROM ONLY t",
        "UPDATE ONLY t * SET a = 1",
        "UPDATE t SET (a, b) = (SELECT x, y FROM u WHERE u.id = t.id)",
        "UPDATE t SET a = u.a FROM u",
        "WITH u AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM u WHERE a = 1",
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r",
        "SELECT DISTINCT ON (a) * FROM t ORDER BY a, b",
        "SELECT * FROM t *",
        "TABLE t",
        "VALUES (1, NULL), (2, 3)",
        "SELECT ALL * FROM t",
        "SELECT * FROM t WHERE a = 1 FOR UPDATE SKIP LOCKED",
        "SELECT * FROM t TABLESAMPLE SYSTEM (10) WHERE a = 1",
        "SELECT x FROM t WHERE x = ALL (SELECT y FROM u) AND NOT x = 1",
        "SELECT x FROM t WHERE x NOT IN (SELECT y FROM u UNION SELECT z FROM v)",
        "SELECT x FROM t WHERE x NOT BETWEEN 1 AND 2 OR x NOT LIKE 'a%'",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t WHERE lower(y) = 'a'",
        "SELECT count(*) FILTER (WHERE lower(x) = 'a') FROM t",
        "SELECT row_number() OVER (PARTITION BY a ORDER BY random()) FROM t",
        "SELECT a FROM t GROUP BY ROLLUP (a, b) HAVING count(*) > 1",
        "SELECT a FROM t WINDOW w AS (ORDER BY a) ORDER BY a OFFSET 0",
        "SELECT a FROM t ORDER BY a FETCH FIRST 5 ROWS ONLY",
        "SELECT a FROM t LIMIT ALL OFFSET 2000",
        "SELECT 1 FROM t WHERE a=-1 AND b=+2 AND c<>NULL",
        "SELECT 1 FROM t WHERE a=NULL",
        "SELECT 1 FROM t WHERE (a)=(NULL)",
        "SELECT 1 FROM t WHERE NULL=a",
        "SELECT 1 FROM t WHERE a = NULLIF(b, 1)",
        "SELECT 1 FROM t WHERE a NOTNULL",
        "SELECT 1 FROM t WHERE a*2=4",
        "SELECT 1 FROM t WHERE a::int=4",
        "SELECT 1 FROM t, u",
        "SELECT 1 FROM t NATURAL JOIN u, v",
        "SELECT 1 FROM t JOIN u ON (lower(t.a) = u.a)",
        "SELECT 1 FROM t JOIN u ON t.a = u.a WHERE (t.b + 1) > 2",
        "INSERT INTO t SELECT * FROM u",
        "INSERT INTO t VALUES (1) RETURNING *",
        "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
        "MERGE INTO t USING u ON lower(t.a) = u.a WHEN MATCHED THEN DELETE",
        "SELECT * FROM (VALUES (1), (2)) v(a)",
        "SELECT * FROM t WHERE a IN (TABLE u)",
        "SELECT 1 FROM t WHERE a NOT IN (TABLE u)",
        "SELECT random FROM t ORDER BY random",
        "SELECT 1 FROM t ORDER BY \"RANDOM\"()",
        "SELECT 1 FROM t ORDER BY public.\"random\"()",
        "SELECT 1 FROM t OFFSET 1000 ROWS FETCH NEXT 1 ROW ONLY",
        "SELECT 1 FROM t WHERE a LIKE ANY (ARRAY['%a'])",
        "SELECT 1 FROM t WHERE a SIMILAR TO '%a'",
        "SELECT 1 FROM t WHERE a ILIKE '%a' ESCAPE '!'",
        "DELETE FROM t USING u",
        "DELETE FROM t USING (SELECT a FROM u) s WHERE t.a = 1",
        "UPDATE t SET a = 1 RETURNING a AS where",
        "UPDATE t SET a = 1 RETURNING a AS where, b AS from",
        "DELETE FROM t RETURNING t.where",
        "SELECT 1 FROM t WHERE t.limit = 1 AND lower(t.x) = 'a'",
        "SELECT 1 FROM t JOIN u ON t.join = 1 AND lower(u.x) = 'a'",
        "SELECT 1 FROM t JOIN u ON t.a = u.a AND join(u.x) = 'a'",
        "SELECT 1 FROM t WHERE t.group = 1 AND t.x + 1 = 2",
        "SELECT 1 FROM t WHERE x = NULL::int OR t.null = NULL",
        "SELECT 1 FROM t WHERE x LIKE ('%a')",
        "SELECT 1 FROM t OFFSET (2000)",
        "SELECT 1 FROM t WHERE NOT (x IN (SELECT y FROM u))",
        "SELECT 1 FROM (SELECT a FROM u) s, (SELECT b FROM v) w",
        "SELECT 1 FROM t JOIN u ON (lower(t.a) = u.a)",
        "WITH x AS NOT MATERIALIZED (SELECT a FROM t) SELECT a FROM x WHERE a NOT IN (SELECT b FROM u)",
        "DELETE FROM t WHERE a IN (SELECT a FROM u, v)",
    ] {
        assert_prefilter_sound(sql);
    }
}

/// The statements of the latency benchmark: the mix the prefilter is tuned for.
#[test]
fn benchmark_statements_agree() {
    let file = sqlgen::generate(1_500, 0x5EED);
    assert!(assert_all_sound(&file.text) >= 1_500);
}

/// Rule triggers and near misses, combined into statements of every kind.
#[test]
fn generated_mix_agrees() {
    const CONDITIONS: &[&str] = &[
        "x = NULL",
        "NULL <> t.x",
        "x = (NULL)",
        "((NULL)) != x",
        "x IS NULL OR y IS NOT NULL",
        "x = NULL::int",
        "x IS DISTINCT FROM NULL",
        "lower(x) = 'a'",
        "x::date = '2024-01-01'",
        "x + 1 = 5",
        "-x > 3",
        "x || 'a' = 'b'",
        "x * 2 < 10",
        "x % 2 = 0",
        "EXTRACT(year FROM ts) = 2020",
        "ts AT TIME ZONE 'UTC' > now()",
        "ts AT TIME ZONE 'UTC' > '2024-01-01'",
        "x / 2 < 10",
        "x::text || '' = 'a'",
        "CAST(x AS int) = 1",
        "substring(x FROM 1 FOR 2) = 'ab'",
        "trim(x) = 'a'",
        "\"lower\"(x) = 'a'",
        "pg_catalog.lower(t.x) = 'a'",
        "x LIKE '%a'",
        "x ILIKE '_a' AND y = 1",
        "x NOT LIKE '%a'",
        "x LIKE 'a%'",
        "x ~~ '%a'",
        "x LIKE '%' || $1",
        "x NOT IN (SELECT y FROM u)",
        "NOT x IN (SELECT y FROM u)",
        "x NOT IN ((SELECT y FROM u))",
        "NOT (x IN (SELECT y FROM u))",
        "x NOT IN (VALUES (1))",
        "x NOT IN (1, 2)",
        "x IN (SELECT y FROM u)",
        "EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
        "NOT EXISTS (SELECT 1 FROM u WHERE lower(u.a) = 'x')",
        "x = ANY (ARRAY[1, 2])",
        "x BETWEEN lower(y) AND 3",
        "lower(x) BETWEEN 'a' AND 'b'",
        "lower(x) IN ('a', 'b')",
        "lower(x) IN (SELECT y FROM u)",
        "t.a = u.b",
        "a = b",
        "(x, y) = (1, 2)",
        "(x = 1 OR y = 2)",
        "x = $1",
        "x > now() - interval '1 day'",
        "x = 'it''s -- no comment * = NULL'",
        "x = /* lower( */ 1",
        "x = \"NULL\"",
        "\"random\"() > 0",
        "x = (SELECT max(y) FROM u WHERE u.z + 1 = 2)",
        "(x)::date = '2024-01-01'",
        "((x))::date = '2024-01-01'",
        "2 * (x + 1) = 4",
        "(x + 1) * 2 = 4",
        "2 * (1 + (x)) = 4",
        "lower((x)) = 'a'",
        "2 * ((x)) = 4",
        "x[1] + 1 = 2",
        "CASE WHEN x > 0 THEN x END + 1 = 2",
        "x::varchar(10) = 'a'",
        "\"X\" + 1 = 2",
        "x = $1::int",
        "x > current_date - 7",
        "current_date - x > 7",
        "t.current_date - 1 > 7",
        "lower('a') = x",
        "lower(('a')) = x",
        "-(x) > 3",
        "x - -y > 0",
        "t.null + 1 = 2",
        "coalesce(x, 0) + 1 = 2",
        "date_trunc('day', x) = '2024-01-01'",
        "x = now() - interval '1 day' AND y + 1 = 2",
        "now() - x > interval '1 day'",
        "x = 1",
    ];
    const FROMS: &[&str] = &[
        "t",
        "t, u",
        "t JOIN u ON t.a = u.a",
        "t JOIN u ON lower(t.a) = u.a",
        "t JOIN u ON t.a = u.a - 1",
        "t JOIN u USING (a)",
        "t, generate_series(1, 3) g",
        "(SELECT * FROM t) s",
        "(SELECT a FROM t) s, u",
        "t CROSS JOIN u",
        "t LEFT JOIN u ON t.a = u.a AND u.b = NULL",
        "t, LATERAL (SELECT * FROM u WHERE u.a = t.a) l",
        "ONLY t",
        "t AS x (a, b), u",
        "s.t, s.u",
        "t JOIN (u JOIN v ON u.a = v.a) ON t.a = u.a, w",
    ];
    const PROJECTIONS: &[&str] = &["*", "t.*", "count(*)", "a, b", "a * 2 AS b", "random()"];
    const ORDERS: &[&str] = &[
        "random()",
        "a",
        "RANDOM ( ) DESC",
        "pg_catalog.random()",
        "a, b",
    ];
    const OFFSETS: &[&str] = &["5000", "$1", "10", "($1 - 1) * 10"];
    const TEMPLATES: &[&str] = &[
        "SELECT {p} FROM {f} WHERE {c}",
        "SELECT {p} FROM {f} WHERE {c} GROUP BY a, b ORDER BY {o} LIMIT 10 OFFSET {n}",
        "WITH w AS (SELECT {p} FROM {f} WHERE {c}) SELECT * FROM w, t",
        "SELECT a FROM t WHERE a IN (SELECT {p} FROM {f} WHERE {c}) ORDER BY {o}",
        "SELECT a FROM {f} WHERE {c} UNION ALL SELECT {p} FROM t ORDER BY 1",
        "UPDATE t SET a = 1 WHERE {c}",
        "UPDATE t SET a = 1 FROM {f} WHERE {c}",
        "UPDATE t SET a = (SELECT {p} FROM {f} WHERE {c})",
        "DELETE FROM t WHERE {c}",
        "DELETE FROM t USING {f} WHERE {c}",
        "WITH d AS (DELETE FROM t WHERE {c} RETURNING *) SELECT {p} FROM d",
        "WITH d AS (UPDATE t SET a = 1 RETURNING *) SELECT {p} FROM {f} WHERE {c}",
        "INSERT INTO t (a) SELECT {p} FROM {f} WHERE {c} ON CONFLICT (a) DO UPDATE SET a = 1",
        "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2 WHERE {c}",
        "SELECT {p} FROM {f} WHERE {c} FOR NO KEY UPDATE",
        "MERGE INTO t USING u ON {c} WHEN MATCHED THEN UPDATE SET b = 1 \
         WHEN NOT MATCHED THEN INSERT (a) VALUES (u.a)",
        "MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE",
    ];
    // Every value of each slot once, the others at their first value; then
    // a deterministic sample of full combinations.
    let fill = |template: &str, choice: [usize; 5]| {
        template
            .replace("{p}", PROJECTIONS[choice[0] % PROJECTIONS.len()])
            .replace("{f}", FROMS[choice[1] % FROMS.len()])
            .replace("{c}", CONDITIONS[choice[2] % CONDITIONS.len()])
            .replace("{o}", ORDERS[choice[3] % ORDERS.len()])
            .replace("{n}", OFFSETS[choice[4] % OFFSETS.len()])
    };
    let mut statements = Vec::new();
    for template in TEMPLATES {
        let slots = [
            PROJECTIONS.len(),
            FROMS.len(),
            CONDITIONS.len(),
            ORDERS.len(),
            OFFSETS.len(),
        ];
        for (slot, &count) in slots.iter().enumerate() {
            for value in 0..count {
                let mut choice = [0; 5];
                choice[slot] = value;
                statements.push(fill(template, choice));
            }
        }
    }
    let mut rng = sqlgen::Rng::new(0x0971_5C4E);
    for _ in 0..1_500 {
        let template = TEMPLATES[rng.below(TEMPLATES.len() as u64) as usize];
        let choice = std::array::from_fn(|_| rng.below(1_000) as usize);
        statements.push(fill(template, choice));
    }
    for sql in &statements {
        assert_prefilter_sound(sql);
    }
}

/// PostgreSQL's regression SQL: 5,000 statements using every corner of
/// the grammar.
#[test]
fn postgres_regression_corpus_agrees() {
    let path = [
        std::env::var_os("OPTISCHEMA_CORPUS_DIR").map(std::path::PathBuf::from),
        Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")),
        Some(std::path::PathBuf::from("/work/shared/corpus")),
    ]
    .into_iter()
    .flatten()
    .map(|dir| dir.join("pg-regress-valid.sql"))
    .find(|path| path.is_file())
    .expect(
        "the PostgreSQL regression corpus (pg-regress-valid.sql) was not found; \
         set OPTISCHEMA_CORPUS_DIR (tests/corpus.rs needs it too)",
    );
    let text = std::fs::read_to_string(&path).expect("corpus readable");
    assert_eq!(assert_all_sound(&text), 5_000);
}
