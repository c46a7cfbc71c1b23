-- The cluster's unique identifier, fixed at initdb: survives restarts and
-- differs between clusters. Executable by PUBLIC by default; some managed
-- services revoke it, and then the server address is used instead.
SELECT system_identifier::text AS system_identifier
FROM pg_catalog.pg_control_system();
