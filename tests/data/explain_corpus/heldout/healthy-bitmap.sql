-- Orders of one status out of twenty: a bitmap index scan reads the matching 5% once. Fine.
CREATE TABLE shipments (id bigint PRIMARY KEY, status int NOT NULL, weight numeric NOT NULL);
INSERT INTO shipments SELECT g, g % 20, g % 70 FROM generate_series(1, 300000) g;
CREATE INDEX ON shipments (status);
ANALYZE shipments;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*), sum(weight) FROM shipments WHERE status = 3;
