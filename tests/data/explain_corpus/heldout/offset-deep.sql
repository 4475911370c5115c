-- Page 5,000 of a feed with OFFSET: the index scan produces 100,020 rows for a Limit that returns
-- 20. Keyset pagination (WHERE created_at < last seen ORDER BY created_at DESC LIMIT 20) reads 20.
CREATE TABLE posts (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, title text NOT NULL, body text NOT NULL);
INSERT INTO posts SELECT g, '2020-01-01'::timestamptz + g * interval '1 minute', 'post ' || g, repeat('x', 200)
  FROM generate_series(1, 300000) g;
CREATE INDEX ON posts (created_at);
ANALYZE posts;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, title FROM posts ORDER BY created_at DESC OFFSET 100000 LIMIT 20;
