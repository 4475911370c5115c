-- Customers with more than five orders, written as a correlated count in WHERE: the SubPlan runs
-- once per customer. The filter is on a count, so no index on customers can serve it.
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric NOT NULL);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 1000) g;
INSERT INTO orders SELECT g, 1 + g % 1000, g % 300 FROM generate_series(1, 30000) g;
ANALYZE customers, orders;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, name FROM customers c WHERE (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) > 29;
