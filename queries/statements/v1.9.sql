-- Counters, without texts, for extension versions 1.9 and later
-- (PostgreSQL 14+): adds toplevel. Later versions rename or add columns we
-- do not select (1.11: blk_read_time -> shared_blk_read_time).
-- Rows with a NULL queryid belong to other roles we may not see; skipped.
-- $1: database oid.
SELECT
    userid,
    dbid,
    queryid,
    toplevel,
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
