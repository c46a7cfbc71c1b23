-- The installed pg_stat_statements: its version decides which columns exist
-- (not the server version); its schema may be off the search path.
SELECT
    e.extversion AS version,
    n.nspname::text AS schema,
    n.nspname = ANY (pg_catalog.current_schemas(false)) AS on_search_path
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_stat_statements';
