-- An export ordered by columns of three joined tables spills its sort: no single index can give
-- that order (its keys live in three tables), work_mem can.
CREATE TABLE regions (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE stores (id int PRIMARY KEY, region_id int NOT NULL REFERENCES regions (id), name text NOT NULL);
CREATE TABLE sales (id bigint PRIMARY KEY, store_id int NOT NULL REFERENCES stores (id), sold_on date NOT NULL, amount numeric NOT NULL);
INSERT INTO regions SELECT g, 'region ' || g FROM generate_series(1, 20) g;
INSERT INTO stores SELECT g, 1 + g % 20, 'store ' || g FROM generate_series(1, 500) g;
INSERT INTO sales SELECT g, 1 + g % 500, '2023-01-01'::date + g % 365, g % 900 FROM generate_series(1, 300000) g;
ANALYZE regions, stores, sales;
SET work_mem = '1MB';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT r.name, st.name, s.sold_on, s.amount FROM sales s JOIN stores st ON st.id = s.store_id JOIN regions r ON r.id = st.region_id
 ORDER BY r.name, st.name, s.sold_on;
