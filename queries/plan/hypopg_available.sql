-- HypoPG is usable when it is installed in this database and its functions
-- resolve unqualified (its schema is on the search path).
SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'hypopg')
       AND pg_catalog.to_regprocedure('hypopg_reset()') IS NOT NULL
       AND pg_catalog.to_regprocedure('hypopg_create_index(text)') IS NOT NULL
       AS available
