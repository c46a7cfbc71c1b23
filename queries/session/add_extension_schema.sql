-- Runs only when pg_stat_statements lives in a schema that is not on the
-- search path: puts that schema first for this session only (nothing is
-- written; set_config with is_local = false lasts until the session ends).
-- $1: the extension's schema name.
SELECT pg_catalog.set_config(
    'search_path',
    pg_catalog.quote_ident($1::text) || ', ' || pg_catalog.current_setting('search_path'),
    false
);
