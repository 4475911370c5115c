-- Distinct visitors per path with a small work_mem: the hash aggregate spills to disk.
CREATE TABLE hits (id bigint PRIMARY KEY, path text NOT NULL, visitor bigint NOT NULL);
INSERT INTO hits SELECT g, '/page/' || (g % 150000), g % 90000 FROM generate_series(1, 500000) g;
ANALYZE hits;
SET work_mem = '1MB';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT path, count(*) FROM hits GROUP BY path;
