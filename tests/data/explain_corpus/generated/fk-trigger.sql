-- A shop deletes its inactive customers. orders.customer_id references customers but has no
-- index, so the FK check behind every deleted customer scans orders.
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, active boolean NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id),
                     total numeric(10, 2) NOT NULL, created_at timestamptz NOT NULL);
SELECT setseed(0.16);
INSERT INTO customers SELECT g, 'c' || g || '@example.com', g % 50 <> 0 FROM generate_series(1, 10000) g;
INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % 10000, (g % 500) + 0.99, '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 100000) g WHERE (1 + (g::bigint * 7919) % 10000) % 50 <> 0;
ANALYZE customers, orders;
-- explain
DELETE FROM customers WHERE NOT active;
