-- Tables, partitioned tables and materialized views in user schemas, with
-- size and activity. Other sessions' temporary tables are left out.
--
-- pg_total_relation_size takes an ACCESS SHARE lock on each table, so this
-- waits behind a running ALTER TABLE (at most statement_timeout); it returns
-- NULL for a table dropped meanwhile. The write counters are summed by the
-- reader so that huge values cannot overflow bigint here.
SELECT
    n.nspname::text AS schema,
    c.relname::text AS name,
    c.reltuples::float8 AS reltuples,
    pg_catalog.pg_total_relation_size(c.oid) AS total_bytes,
    s.seq_scan,
    s.idx_scan,
    s.n_live_tup,
    s.n_tup_ins,
    s.n_tup_upd,
    s.n_tup_del
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_toast'
  AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
ORDER BY 1, 2;
