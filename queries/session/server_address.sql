-- The fallback identity when pg_control_system() may not be called: where
-- the server listens. Readable by any role; host is NULL over a Unix socket.
SELECT
    pg_catalog.host(pg_catalog.inet_server_addr()) AS host,
    pg_catalog.current_setting('port') AS port,
    pg_catalog.current_setting('cluster_name') AS cluster_name;
