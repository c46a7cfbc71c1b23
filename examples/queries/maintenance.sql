-- One-off maintenance scripts (psql).
\set ON_ERROR_STOP on

-- Archive old events.
DELETE FROM events
WHERE occurred_at < now() - interval '90 days';

-- Oops: this one resets every customer's country.
UPDATE customers SET country = 'unknown';

-- Random sample for manual QA.
SELECT id, email FROM customers ORDER BY random() LIMIT 10;

-- Comma join without a join condition.
SELECT c.email, p.title
FROM customers c, products p
WHERE p.category = 'books';

-- Comparing with NULL is never true.
SELECT id FROM events WHERE customer_id = NULL;

COPY products (sku, title, category, price_cents) FROM stdin;
SKU-1	Notebook	stationery	350
SKU-2	Pen; blue	stationery	120
\.
