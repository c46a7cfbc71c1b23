-- doctor, sandbox only: can this session build an index? Everything happens
-- in one transaction that is rolled back, and only on a temporary table, so
-- nothing of the sandbox database is touched.
BEGIN;
CREATE TEMPORARY TABLE optischema_doctor_probe (id integer);
CREATE INDEX optischema_doctor_probe_idx ON optischema_doctor_probe (id);
ROLLBACK;
