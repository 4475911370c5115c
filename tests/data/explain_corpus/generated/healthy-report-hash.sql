-- A monthly revenue report that has to read every order of the year: a hash join and a hash
-- aggregate in memory over rows the query asks for. Nothing to fix.
CREATE TABLE products (id int PRIMARY KEY, category text NOT NULL);
CREATE TABLE order_items (id bigint PRIMARY KEY, product_id int NOT NULL, ordered_on date NOT NULL, amount numeric NOT NULL);
INSERT INTO products SELECT g, 'cat' || g % 30 FROM generate_series(1, 2000) g;
INSERT INTO order_items SELECT g, 1 + g % 2000, '2023-01-01'::date + g % 365, g % 400 FROM generate_series(1, 300000) g;
ANALYZE products, order_items;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT p.category, date_trunc('month', i.ordered_on) AS month, sum(i.amount)
  FROM order_items i JOIN products p ON p.id = i.product_id GROUP BY 1, 2;
