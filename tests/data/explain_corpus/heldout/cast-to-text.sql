-- An ORM compares an integer key as text: WHERE customer_id::text = '4242'. The index on
-- customer_id cannot serve the cast; comparing the bare column (customer_id = 4242) uses it.
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id int NOT NULL, amount numeric NOT NULL);
INSERT INTO invoices SELECT g, g % 20000, g % 900 FROM generate_series(1, 400000) g;
CREATE INDEX ON invoices (customer_id);
ANALYZE invoices;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, amount FROM invoices WHERE customer_id::text = '4242';
