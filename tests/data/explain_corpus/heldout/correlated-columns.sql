-- Orders shipped to one zip code in its own city: city and zip always go together, so the planner
-- multiplies their selectivities, expects a handful of orders and probes order_lines for each in a
-- nested loop. CREATE STATISTICS (dependencies) on (city, zip) gives it the real count.
CREATE TABLE orders (id bigint PRIMARY KEY, city int NOT NULL, zip int NOT NULL, state int NOT NULL);
CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL, qty int NOT NULL);
INSERT INTO orders SELECT g, g % 50, g % 50, g % 50 FROM generate_series(1, 200000) g;
INSERT INTO order_lines SELECT g, 1 + (g::bigint * 7919) % 200000, 1 + g % 4 FROM generate_series(1, 800000) g;
CREATE INDEX ON order_lines (order_id);
ANALYZE orders, order_lines;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT sum(l.qty) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.city = 7 AND o.zip = 7 AND o.state = 7;
