-- Counters, without texts, for extension version 1.8 (PostgreSQL 13):
-- execution times are *_exec_time (planning has its own columns); there is
-- no toplevel column yet.
-- Rows with a NULL queryid belong to other roles we may not see; skipped.
-- $1: database oid.
SELECT
    userid,
    dbid,
    queryid,
    true AS toplevel,
    calls,
    total_exec_time,
    min_exec_time,
    max_exec_time,
    mean_exec_time,
    stddev_exec_time,
    rows,
    shared_blks_hit,
    shared_blks_read,
    temp_blks_written
FROM pg_stat_statements(false)
WHERE dbid = $1
  AND queryid IS NOT NULL;
