-- Customer lookups used by the account pages.

-- name: customer_by_email
SELECT id, name, country
FROM customers
WHERE email = $1;

-- name: customers_by_domain
-- A leading wildcard cannot use the unique index on email.
SELECT id, email
FROM customers
WHERE email LIKE '%@example.com';

-- name: recent_signups
SELECT *
FROM customers
WHERE created_at > now() - interval '7 days'
ORDER BY created_at DESC
LIMIT 50;

-- name: signups_per_day
SELECT date_trunc('day', created_at) AS day, count(*)
FROM customers
GROUP BY 1
ORDER BY 1;
