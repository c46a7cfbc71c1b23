-- Demo schema: a small shop. `optischema demo` loads this into a throwaway
-- PostgreSQL, fills it with data and runs a workload against it.
-- Some indexes a real shop would have are missing on purpose.

CREATE TABLE customers (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    country     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id          bigserial PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    title       text NOT NULL,
    category    text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE orders (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers (id),
    status       text NOT NULL DEFAULT 'pending',
    total_cents  integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
    -- no index on customer_id: orders by customer scan the whole table
);

CREATE TABLE order_items (
    order_id    bigint NOT NULL REFERENCES orders (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    customer_id bigint,
    kind        text NOT NULL,
    payload     jsonb,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
