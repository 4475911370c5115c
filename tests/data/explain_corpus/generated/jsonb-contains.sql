-- Events whose JSON payload says {"type": "refund"}: jsonb containment needs a GIN index
-- (jsonb_path_ops), a btree on the column cannot answer it.
CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, payload jsonb NOT NULL);
INSERT INTO events SELECT g, '2024-01-01'::timestamptz + g * interval '10 seconds',
  jsonb_build_object('type', CASE WHEN g % 800 = 0 THEN 'refund' ELSE 'view' END, 'user', g % 9000, 'n', g)
  FROM generate_series(1, 400000) g;
ANALYZE events;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, created_at FROM events WHERE payload @> '{"type": "refund"}';
