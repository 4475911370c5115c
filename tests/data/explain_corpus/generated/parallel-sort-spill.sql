-- A report sorted by amount, run by the leader and two workers: each process sorts its share
-- and spills it to disk; work_mem applies to each process separately.
CREATE TABLE payments (id bigint PRIMARY KEY, account_id int NOT NULL, amount numeric(12, 2) NOT NULL, memo text NOT NULL);
INSERT INTO payments SELECT g, g % 5000, (g * 7 % 100000) / 100.0, repeat('x', 40) FROM generate_series(1, 600000) g;
ANALYZE payments;
SET work_mem = '4MB';
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0.001;
SET min_parallel_table_scan_size = 0;
SET jit = off;
-- explain
SELECT id, account_id, amount, memo FROM payments ORDER BY amount DESC, id;
