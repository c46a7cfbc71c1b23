-- The demo's application: which statements of examples/queries/*.sql it
-- runs, how often relative to each other, and with which parameter values.
-- `optischema demo` reads this file; so can you, to see what produced the
-- numbers the editor shows.
--
-- Format: a `-- run: NAME weight=N` line names a statement by its
-- `-- name:` tag in examples/queries/. The SQL after it, up to the next
-- `-- run:` line, is run once before the workload starts; each row it
-- returns is one set of parameter values ($1, $2, … in column order),
-- drawn from the data the way real requests would be. A statement without
-- parameters has no such query. During the workload, connections pick
-- statements at random by weight and execute them with bind parameters.

-- Account pages: look a customer up by email (served by the unique index).
-- run: customer_by_email weight=25
SELECT email FROM customers ORDER BY random() LIMIT 500;

-- "My orders": the busiest page. Customers who order a lot look more often,
-- so parameter values come from the orders themselves. No index on
-- orders.customer_id: every call scans the table.
-- run: orders_for_customer weight=30
SELECT customer_id FROM orders ORDER BY random() LIMIT 500;

-- Order detail pages.
-- run: order_lines weight=15
SELECT id FROM orders ORDER BY random() LIMIT 500;

-- Back office: paging through all orders, fifty at a time.
-- run: order_page weight=5
SELECT (page * 50)::text FROM generate_series(0, 2000) AS page;

-- Back office: a day's orders (the cast on created_at defeats any index).
-- run: orders_on_day weight=3
SELECT (current_date - day)::text FROM generate_series(0, 365) AS day;

-- Dashboards and reports, now and then.
-- run: recent_signups weight=3
-- run: pending_totals weight=2
-- run: customers_by_domain weight=2
-- run: signups_per_day weight=1
-- run: customers_without_orders weight=1
