-- doctor: whether the server has the packages of the extensions we use, and
-- which version is installed in this database (NULL: not created here).
SELECT
    name::text AS name,
    default_version::text AS default_version,
    installed_version::text AS installed_version
FROM pg_catalog.pg_available_extensions
WHERE name IN ('pg_stat_statements', 'hypopg');
