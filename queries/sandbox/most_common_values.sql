-- The planner's most common values of one column, most common first
-- ($1: the table as a quoted, possibly schema-qualified name; $2: the column;
-- $3: how many).
SELECT v.value
FROM pg_catalog.pg_stats AS s
CROSS JOIN LATERAL pg_catalog.unnest(s.most_common_vals::text::text[]) WITH ORDINALITY AS v(value, position)
WHERE (s.schemaname, s.tablename) = (
        SELECT n.nspname, c.relname
        FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE c.oid = pg_catalog.to_regclass($1)
      )
  AND s.attname = $2
  AND v.value IS NOT NULL
ORDER BY s.inherited, v.position
LIMIT $3::integer
