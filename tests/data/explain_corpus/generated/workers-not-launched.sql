-- A parallel aggregate on a server with no parallel workers to give: the leader does it alone.
CREATE TABLE metrics (id bigint PRIMARY KEY, host int NOT NULL, cpu double precision NOT NULL);
INSERT INTO metrics SELECT g, g % 100, (g % 1000) / 10.0 FROM generate_series(1, 1000000) g;
ANALYZE metrics;
SET max_parallel_workers_per_gather = 4;
SET max_parallel_workers = 0;
SET parallel_setup_cost = 0;
SET jit = off;
-- explain
SELECT host, avg(cpu) FROM metrics GROUP BY host;
