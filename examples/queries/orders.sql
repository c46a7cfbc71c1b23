-- Order queries behind the "my orders" page and the back office.

-- name: orders_for_customer
SELECT id, status, total_cents, created_at
FROM orders
WHERE customer_id = $1
ORDER BY created_at DESC
LIMIT 20;

-- name: order_page
-- Deep OFFSET pagination reads and throws away every skipped row.
SELECT id, customer_id, total_cents
FROM orders
ORDER BY id
LIMIT 50 OFFSET $1;

-- name: orders_on_day
SELECT id, total_cents
FROM orders
WHERE created_at::date = $1;

-- name: customers_without_orders
SELECT c.id, c.email
FROM customers c
WHERE c.id NOT IN (SELECT o.customer_id FROM orders o);

-- name: order_lines
SELECT o.id, p.title, i.quantity
FROM orders o
JOIN order_items i ON i.order_id = o.id
JOIN products p ON p.id = i.product_id
WHERE o.id = $1;

-- name: pending_totals
SELECT status, count(*), sum(total_cents)
FROM orders
WHERE status = 'pending'
GROUP BY status;
