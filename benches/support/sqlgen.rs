//! Deterministic, realistic SQL files for the latency benchmark.
//!
//! Every statement is distinct (table suffixes, columns and constants vary
//! with a seeded generator and the statement's index), so no analysis can be
//! reused between statements. About one statement in six carries a lint
//! finding (`SELECT *`, `NOT IN (SELECT …)`, a leading-wildcard `LIKE`, `=
//! NULL`, a large `OFFSET`, `ORDER BY random()`, a function-wrapped column,
//! an UPDATE without WHERE); a few are DDL; comments sit between them.

use std::fmt::Write;

// Each bench uses part of the generator.
#[path = "rng.rs"]
#[allow(dead_code)]
mod rng;

pub use rng::Rng;

const TABLES: &[&str] = &[
    "orders",
    "customers",
    "order_items",
    "products",
    "invoices",
    "payments",
    "shipments",
    "accounts",
    "sessions",
    "events",
    "inventory",
    "suppliers",
    "reviews",
    "coupons",
    "audit_log",
    "subscriptions",
];

const COLUMNS: &[&str] = &[
    "status",
    "created_at",
    "updated_at",
    "amount_cents",
    "region",
    "email",
    "quantity",
    "priority",
    "country_code",
    "total",
    "discount",
    "channel",
    "score",
    "category",
];

const STATUSES: &[&str] = &[
    "pending",
    "paid",
    "shipped",
    "cancelled",
    "refunded",
    "on_hold",
    "active",
    "archived",
];

const COMMENTS: &[&str] = &[
    "report for the finance dashboard",
    "used by the nightly batch job",
    "hot path: checkout service",
    "admin screen, rarely run",
    "keep in sync with the API handler",
    "added for the support team",
    "TODO: paginate with keyset instead",
    "migration helper",
];

/// A generated file: its text and where each statement starts.
pub struct SqlFile {
    pub text: String,
    pub starts: Vec<usize>,
}

/// A file of `statements` distinct statements, ~250 bytes each on average.
pub fn generate(statements: usize, seed: u64) -> SqlFile {
    let mut rng = Rng::new(seed);
    let mut text = String::with_capacity(statements * 260);
    let mut starts = Vec::with_capacity(statements);
    for index in 0..statements {
        if index.is_multiple_of(2) {
            let _ = writeln!(
                text,
                "-- {} (query #{index}, see docs/queries.md)",
                rng.pick(COMMENTS)
            );
        } else if index % 37 == 5 {
            let _ = writeln!(
                text,
                "/* {}\n   owner: team-{} */",
                rng.pick(COMMENTS),
                rng.below(40)
            );
        }
        starts.push(text.len());
        statement(&mut text, &mut rng, index);
        text.push_str(";\n\n");
    }
    SqlFile { text, starts }
}

/// Table name with a suffix, so fingerprints differ across the file.
fn table(rng: &mut Rng) -> String {
    format!("{}_{}", rng.pick(TABLES), rng.below(50))
}

fn statement(out: &mut String, rng: &mut Rng, index: usize) {
    let i = index;
    let t1 = table(rng);
    let t2 = table(rng);
    let c1 = rng.pick(COLUMNS);
    let c2 = rng.pick(COLUMNS);
    let c3 = rng.pick(COLUMNS);
    let status = rng.pick(STATUSES);
    let n = rng.below(10_000);
    let limit = 10 + rng.below(200);
    let key = i as u64 * 10_000 + n;
    let day = 1 + rng.below(28);
    let month = 1 + rng.below(12);
    let w = match rng.below(100) {
        // Plain, finding-free statements: the majority.
        0..=21 => writeln!(
            out,
            "SELECT a.id, a.{c1}, a.{c2}, b.{c3}, b.name\n  FROM {t1} a\n  JOIN {t2} b ON b.{t1}_id = a.id\n WHERE a.{c1} = '{status}'\n   AND a.created_at >= DATE '2024-{month:02}-{day:02}'\n   AND b.{c3} > {n}\n ORDER BY a.created_at DESC\n LIMIT {limit}"
        ),
        22..=33 => writeln!(
            out,
            "SELECT a.{c1}, count(*) AS n, sum(a.amount_cents) AS cents\n  FROM {t1} a\n  LEFT JOIN {t2} b ON b.id = a.{t2}_id AND b.{c2} <> 'x{i}'\n WHERE a.created_at BETWEEN DATE '2023-{month:02}-{day:02}' AND DATE '2024-{month:02}-{day:02}'\n GROUP BY a.{c1}\nHAVING count(*) > {n}\n ORDER BY cents DESC"
        ),
        34..=43 => writeln!(
            out,
            "INSERT INTO {t1} (id, {c1}, {c2}, status, created_at)\nVALUES ({key}, 'v{n}', {limit}, '{status}', TIMESTAMP '2024-{month:02}-{day:02} 10:{:02}:00')\nON CONFLICT (id) DO UPDATE SET {c1} = EXCLUDED.{c1}, updated_at = now()",
            rng.below(60)
        ),
        44..=51 => writeln!(
            out,
            "UPDATE {t1}\n   SET {c1} = '{status}',\n       {c2} = {c2} + {limit},\n       updated_at = now()\n WHERE id = {key}\n   AND {c3} IS NOT NULL\nRETURNING id, {c1}"
        ),
        52..=57 => writeln!(
            out,
            "DELETE FROM {t1}\n WHERE created_at < DATE '2022-{month:02}-{day:02}'\n   AND status = '{status}'\n   AND id NOT IN ({i}, {n}, {limit})"
        ),
        58..=65 => writeln!(
            out,
            "WITH recent AS (\n  SELECT {c1}, max(created_at) AS last_seen\n    FROM {t1}\n   WHERE created_at > now() - INTERVAL '{day} days'\n   GROUP BY {c1}\n)\nSELECT r.{c1}, r.last_seen, c.{c2}\n  FROM recent r\n  JOIN {t2} c ON c.{c1} = r.{c1}\n WHERE c.id > {i}\n LIMIT {limit}"
        ),
        66..=70 => writeln!(
            out,
            "INSERT INTO {t1}_archive (id, {c1}, archived_at)\nSELECT id, {c1}, now()\n  FROM {t1}\n WHERE status = '{status}' AND created_at < DATE '2021-{month:02}-{day:02}'\n   AND id BETWEEN {i} AND {key}"
        ),
        71..=72 => writeln!(
            out,
            "SELECT p.id, p.name, p.{c1}\n  FROM {t1} p\n WHERE p.{c2} = $1\n   AND p.{c3} IN ($2, $3, $4)\n   AND p.id > {i}\n ORDER BY p.id\n LIMIT {limit}"
        ),
        // Statements with lint findings.
        73..=76 => writeln!(
            out,
            "SELECT *\n  FROM {t1}\n WHERE {c1} = '{status}'\n   AND id > {key}\n ORDER BY created_at DESC\n LIMIT {limit}"
        ),
        77..=79 => writeln!(
            out,
            "SELECT c.id, c.email, c.{c1}\n  FROM {t1} c\n WHERE c.id NOT IN (SELECT o.{t1}_id FROM {t2} o WHERE o.{c2} = '{status}' AND o.id > {n})\n   AND c.created_at > DATE '2024-{month:02}-{day:02}'\n LIMIT {limit}"
        ),
        80..=81 => writeln!(
            out,
            "SELECT id, email, {c1}\n  FROM {t1}\n WHERE email LIKE '%{status}{n}@example.com'\n   AND id <> {i}\n ORDER BY id"
        ),
        82 => writeln!(
            out,
            "SELECT id, {c1}, {c2}\n  FROM {t1}\n WHERE {c1} = NULL OR {c2} > {n}\n ORDER BY id\n LIMIT {limit} /* {i} */"
        ),
        83 => writeln!(
            out,
            "SELECT id, {c1}, created_at\n  FROM {t1}\n WHERE status = '{status}'\n ORDER BY created_at\n LIMIT 50 OFFSET {}",
            5_000 + i as u64 * 10 + n
        ),
        84 => writeln!(
            out,
            "SELECT id, {c1}\n  FROM {t1}\n WHERE {c2} > {n} AND id > {i}\n ORDER BY random()\n LIMIT {limit}"
        ),
        85..=86 => writeln!(
            out,
            "SELECT id, email, {c1}\n  FROM {t1}\n WHERE lower(email) = 'user{i}.{n}@example.com'\n   AND {c2} IS NOT NULL\n LIMIT {limit}"
        ),
        87 => writeln!(
            out,
            "UPDATE {t1} -- batch {i}\n   SET {c1} = '{status}', {c2} = {n}, updated_at = now()"
        ),
        88..=89 => writeln!(
            out,
            "SELECT o.id, o.{c1}, c.email\n  FROM {t1} o, {t2} c\n WHERE o.{c2} > {n}\n   AND o.id > {i}\n ORDER BY o.id\n LIMIT {limit}"
        ),
        // DDL, a few.
        90..=91 => writeln!(
            out,
            "CREATE INDEX IF NOT EXISTS {t1}_{c1}_{i}_idx\n    ON {t1} ({c1}, created_at DESC)\n WHERE status <> '{status}'"
        ),
        92 => writeln!(
            out,
            "CREATE TABLE IF NOT EXISTS {t1}_{i} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    {t2}_id bigint NOT NULL REFERENCES {t2} (id),\n    {c1} text NOT NULL DEFAULT '{status}',\n    {c2} numeric(12, 2),\n    created_at timestamptz NOT NULL DEFAULT now()\n)"
        ),
        93 => writeln!(
            out,
            "ALTER TABLE {t1}\n  ADD COLUMN IF NOT EXISTS {c1}_{i} integer NOT NULL DEFAULT {n}"
        ),
        // Correlated subquery and EXISTS: more plain DML.
        _ => writeln!(
            out,
            "SELECT c.id, c.{c1},\n       (SELECT max(o.created_at) FROM {t2} o WHERE o.customer_id = c.id) AS last_order\n  FROM {t1} c\n WHERE EXISTS (SELECT 1 FROM {t2} o WHERE o.customer_id = c.id AND o.{c2} > {n})\n   AND c.id >= {i}\n LIMIT {limit}"
        ),
    };
    w.expect("writing to a String cannot fail");
    // The statement ends without its newline: the caller adds `;`.
    out.pop();
}
