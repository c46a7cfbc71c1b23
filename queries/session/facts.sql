-- Facts about this session, read once when the statistics source opens.
-- Everything here is readable by any role.
--
-- Membership in pg_read_all_stats is looked up by oid so that the query does
-- not fail on a server where that role does not exist; 'USAGE' asks whether
-- we hold the role's privileges, which is what pg_stat_statements checks.
SELECT
    pg_catalog.current_setting('server_version_num')::int4 AS server_version_num,
    pg_catalog.current_database()::text AS database,
    d.oid AS dbid,
    pg_catalog.quote_ident(current_user::text) AS role,
    pg_catalog.current_setting('is_superuser') = 'on' AS is_superuser,
    COALESCE((
        SELECT pg_catalog.pg_has_role(current_user, r.oid, 'USAGE')
        FROM pg_catalog.pg_roles r
        WHERE r.rolname = 'pg_read_all_stats'
    ), false) AS reads_all_stats,
    -- NULL before PostgreSQL 14, which has no such setting.
    pg_catalog.current_setting('compute_query_id', true) AS compute_query_id,
    -- NULL when the extension's library is not loaded.
    pg_catalog.current_setting('pg_stat_statements.track', true) AS track
FROM pg_catalog.pg_database d
WHERE d.datname = pg_catalog.current_database();
