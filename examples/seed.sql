-- Demo data for examples/schema.sql: a shop with enough orders that a
-- missing index shows in the numbers. `optischema demo` runs this once in a
-- fresh database, after schema.sql.
--
-- Sizes come from psql-style variables the demo sets before running this
-- file (`:customers`, `:orders`); the defaults below are what
-- `optischema demo` uses without `--rows`. Everything is generated with
-- generate_series and a fixed random seed, so every run sees the same shop.

SELECT setseed(0.42);

-- 20,000 customers by default; the last 10% never order anything.
INSERT INTO customers (email, name, country, created_at)
SELECT
    'customer' || n || '@' || (ARRAY['example.com', 'example.org', 'mail.test'])[1 + n % 3],
    'Customer ' || n,
    (ARRAY['DE', 'FR', 'US', 'GB', 'NL', 'SE', 'JP', 'BR'])[1 + (n * 7) % 8],
    now() - (random() * interval '730 days')
FROM generate_series(1, :customers) AS n;

INSERT INTO products (sku, title, category, price_cents)
SELECT
    'SKU-' || n,
    'Product ' || n,
    (ARRAY['books', 'stationery', 'games', 'garden', 'kitchen'])[1 + n % 5],
    100 + (random() * 9900)::int
FROM generate_series(1, 1000) AS n;

-- 300,000 orders by default. Customers are skewed (a few order a lot), and
-- only 5% of orders are still pending.
INSERT INTO orders (customer_id, status, total_cents, created_at)
SELECT
    1 + (power(random(), 2) * (:customers * 0.9 - 1))::bigint,
    CASE
        WHEN r < 0.05 THEN 'pending'
        WHEN r < 0.15 THEN 'cancelled'
        WHEN r < 0.40 THEN 'shipped'
        ELSE 'delivered'
    END,
    500 + (random() * 20000)::int,
    now() - (random() * interval '730 days')
FROM (SELECT random() AS r FROM generate_series(1, :orders)) AS draws;

-- One to three lines per order, with distinct products per order.
-- Loading lines with the foreign key checks of 600,000 rows would take
-- most of the demo's start-up; the data satisfies them by construction.
SET session_replication_role = replica;
INSERT INTO order_items (order_id, product_id, quantity)
SELECT o.id, 1 + (o.id * 37 + line * 919) % 1000, 1 + (o.id + line) % 4
FROM orders o
CROSS JOIN generate_series(0, 2) AS line
WHERE line <= o.id % 3;
RESET session_replication_role;

-- Events of the last 120 days, for the maintenance script's archive query.
INSERT INTO events (customer_id, kind, payload, occurred_at)
SELECT
    1 + (random() * (:customers - 1))::bigint,
    (ARRAY['login', 'view', 'cart', 'checkout'])[1 + n % 4],
    jsonb_build_object('n', n),
    now() - (random() * interval '120 days')
FROM generate_series(1, :orders / 3) AS n;

-- Fresh statistics and visibility maps, as a database in production has.
VACUUM ANALYZE;
