-- Query texts, only for queryids not seen before: reading texts makes the
-- server read its query-text file, the expensive part of pg_stat_statements.
-- $1: database oid, $2: queryids (int8[]).
SELECT queryid, query
FROM pg_stat_statements(true)
WHERE dbid = $1
  AND queryid = ANY ($2)
  AND query IS NOT NULL;
