-- An index-only count over a freshly loaded table that has never been vacuumed: the visibility
-- map is empty, so every row is checked in the heap.
CREATE TABLE audit_log (id bigint PRIMARY KEY, actor int NOT NULL, at timestamptz NOT NULL) WITH (autovacuum_enabled = off);
INSERT INTO audit_log SELECT g, g % 500, '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 300000) g;
CREATE INDEX ON audit_log (actor, at);
ANALYZE audit_log;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*) FROM audit_log WHERE actor BETWEEN 10 AND 200;
