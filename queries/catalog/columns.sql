-- Columns of the tables in tables.sql with the planner's statistics.
-- pg_stats shows only columns this role may read; the others get NULLs.
-- A table with inheritance children has two pg_stats rows per column: the
-- table's own (inherited = false) is preferred; a partitioned table has only
-- the inherited one.
SELECT
    n.nspname::text AS schema,
    c.relname::text AS table_name,
    a.attname::text AS name,
    pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
    a.attnotnull AS not_null,
    st.null_frac::float8 AS null_frac,
    st.n_distinct::float8 AS n_distinct
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT s.null_frac, s.n_distinct
    FROM pg_catalog.pg_stats s
    WHERE s.schemaname = n.nspname
      AND s.tablename = c.relname
      AND s.attname = a.attname
    ORDER BY s.inherited
    LIMIT 1
) st ON true
WHERE a.attnum > 0
  AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_toast'
  AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
ORDER BY 1, 2, a.attnum;
