-- doctor: what kind of session we got. Readable by any role.
-- pg_stat_ssl shows whether this very connection is encrypted (no row
-- over a Unix-domain socket on some versions, hence the LEFT JOIN).
SELECT
    pg_catalog.current_setting('server_version') AS server_version,
    pg_catalog.current_setting('server_version_num')::int4 AS server_version_num,
    pg_catalog.current_database()::text AS database,
    pg_catalog.current_setting('default_transaction_read_only') AS read_only,
    pg_catalog.current_setting('application_name') AS application_name,
    pg_catalog.current_setting('statement_timeout') AS statement_timeout,
    COALESCE(s.ssl, false) AS ssl,
    s.version AS tls_version
FROM (SELECT 1) AS one
LEFT JOIN pg_catalog.pg_stat_ssl s ON s.pid = pg_catalog.pg_backend_pid();
