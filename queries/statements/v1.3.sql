-- Counters, without texts, for extension versions 1.3 to 1.7 (PostgreSQL
-- 9.5 to 12): times are named *_time; there is no toplevel column.
-- Rows with a NULL queryid belong to other roles we may not see; skipped.
-- $1: database oid.
SELECT
    userid,
    dbid,
    queryid,
    true AS toplevel,
    calls,
    total_time AS total_exec_time,
    min_time AS min_exec_time,
    max_time AS max_exec_time,
    mean_time AS mean_exec_time,
    stddev_time AS stddev_exec_time,
    rows,
    shared_blks_hit,
    shared_blks_read,
    temp_blks_written
FROM pg_stat_statements(false)
WHERE dbid = $1
  AND queryid IS NOT NULL;
