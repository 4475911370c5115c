-- Looking up one customer's invoices by customer number: a plain btree on the column serves it.
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_no int NOT NULL, issued_on date NOT NULL, amount numeric NOT NULL);
INSERT INTO invoices SELECT g, g % 20000, '2020-01-01'::date + g % 1500, g % 800 FROM generate_series(1, 500000) g;
ANALYZE invoices;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, issued_on, amount FROM invoices WHERE customer_no = 4242;
