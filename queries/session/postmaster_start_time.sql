-- When the server started: a change means a restart, which empties
-- pg_stat_statements unless it saves its entries across restarts.
SELECT pg_catalog.pg_postmaster_start_time() AS started;
