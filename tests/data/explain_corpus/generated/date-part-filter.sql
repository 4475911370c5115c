-- Sign-ups of one month filtered with date_part() on a timestamp column: an index on the column
-- is not used for date_part(...) = ...; a range on the column, or an index on the expression, is.
CREATE TABLE signups (id bigint PRIMARY KEY, created_at timestamp NOT NULL, plan text NOT NULL);
INSERT INTO signups SELECT g, '2019-01-01'::timestamp + g * interval '3 minutes', CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END
  FROM generate_series(1, 600000) g;
ANALYZE signups;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*) FROM signups WHERE date_part('year', created_at) = 2021 AND date_part('month', created_at) = 3;
