-- A range of sensor readings fetched through a bitmap with a tiny work_mem: the bitmap goes lossy
-- and every row of the lossy pages is rechecked.
CREATE TABLE readings (id bigint PRIMARY KEY, sensor int NOT NULL, value double precision NOT NULL);
INSERT INTO readings SELECT g, (g::bigint * 7919) % 1000, g % 1000 FROM generate_series(1, 600000) g;
CREATE INDEX ON readings (sensor);
ANALYZE readings;
SET work_mem = '64kB';
SET enable_seqscan = off;
SET enable_indexscan = off;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT avg(value) FROM readings WHERE sensor BETWEEN 100 AND 400;
