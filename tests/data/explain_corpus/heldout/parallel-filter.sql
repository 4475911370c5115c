-- One device's readings out of 2,000,000, read by a parallel sequential scan in three processes:
-- an index on device_id serves it.
CREATE TABLE readings (id bigint PRIMARY KEY, device_id int NOT NULL, taken_at timestamptz NOT NULL, value float8 NOT NULL);
INSERT INTO readings SELECT g, g % 5000, '2024-01-01'::timestamptz + g * interval '1 second', g % 97
  FROM generate_series(1, 2000000) g;
ANALYZE readings;
SET max_parallel_workers_per_gather = 2;
SET jit = off;
-- explain
SELECT taken_at, value FROM readings WHERE device_id = 777;
