-- The parameter types PostgreSQL inferred for the statement just prepared
-- as optischema_parameter_types, in parameter order.
SELECT p.type::text
FROM pg_catalog.pg_prepared_statements AS s
CROSS JOIN LATERAL pg_catalog.unnest(s.parameter_types) WITH ORDINALITY AS p(type, position)
WHERE s.name = 'optischema_parameter_types'
ORDER BY p.position
