-- doctor, sandbox only: CREATE INDEX needs ownership of the table, so count
-- the user tables this role owns (directly or through a role it belongs to).
SELECT
    count(*)::int8 AS tables,
    count(*) FILTER (WHERE pg_catalog.pg_has_role(c.relowner, 'USAGE'))::int8 AS owned
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%';
