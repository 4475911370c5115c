-- A batch lookup of 200 ids with = ANY(array): one index scan, 200 probes. Fine.
CREATE TABLE items (id bigint PRIMARY KEY, sku text NOT NULL, stock int NOT NULL);
INSERT INTO items SELECT g, 'sku' || g, g % 50 FROM generate_series(1, 300000) g;
ANALYZE items;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, stock FROM items WHERE id = ANY (ARRAY(SELECT g * 1000 FROM generate_series(1, 200) g));
