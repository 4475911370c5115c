-- Fetching one invoice and its customer by primary key: the plan is as good as it gets.
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), amount numeric NOT NULL);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 20000) g;
INSERT INTO invoices SELECT g, 1 + g % 20000, g % 800 FROM generate_series(1, 200000) g;
ANALYZE customers, invoices;
-- explain
SELECT i.id, i.amount, c.name FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.id = 123456;
