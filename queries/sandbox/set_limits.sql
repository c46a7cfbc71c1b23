-- SET LOCAL statement_timeout / lock_timeout for this transaction only
-- ($1, $2: milliseconds).
SELECT pg_catalog.set_config('statement_timeout', $1, true),
       pg_catalog.set_config('lock_timeout', $2, true)
