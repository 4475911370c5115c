-- Orders of one day, written as created_at::date on a timestamptz column: the cast depends on the
-- session time zone, so it is not IMMUTABLE and cannot be indexed; compare created_at with a
-- range of that day instead.
CREATE TABLE web_orders (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, total numeric NOT NULL);
INSERT INTO web_orders SELECT g, '2022-01-01'::timestamptz + g * interval '2 minutes', g % 700 FROM generate_series(1, 600000) g;
ANALYZE web_orders;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*), sum(total) FROM web_orders WHERE created_at::date = '2023-03-15';
