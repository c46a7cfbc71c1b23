-- Indexes of the tables in tables.sql (PostgreSQL 11+: indnkeyatts).
-- columns: the key columns in order, without INCLUDE columns; an expression
-- key appears as its text. predicate: the WHERE of a partial index.
-- pg_relation_size takes an ACCESS SHARE lock, like pg_total_relation_size.
SELECT
    n.nspname::text AS schema,
    t.relname::text AS table_name,
    i.relname::text AS name,
    pg_catalog.pg_get_indexdef(x.indexrelid) AS definition,
    ARRAY(
        SELECT pg_catalog.pg_get_indexdef(x.indexrelid, k, true)
        FROM pg_catalog.generate_series(1, x.indnkeyatts::int4) AS k
        ORDER BY k
    ) AS columns,
    pg_catalog.pg_relation_size(x.indexrelid) AS bytes,
    s.idx_scan,
    x.indisvalid,
    x.indisunique,
    x.indisprimary,
    pg_catalog.pg_get_expr(x.indpred, x.indrelid, true) AS predicate
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_stat_user_indexes s ON s.indexrelid = x.indexrelid
WHERE t.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_toast'
  AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
ORDER BY 1, 2, 3;
