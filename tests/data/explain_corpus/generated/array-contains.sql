-- Articles tagged 'postgres': array containment is served by a GIN index, never by a btree.
CREATE TABLE articles (id bigint PRIMARY KEY, title text NOT NULL, tags text[] NOT NULL);
INSERT INTO articles SELECT g, 'article ' || g,
  ARRAY['t' || (g % 300), 't' || (g % 7)] || CASE WHEN g % 1000 = 0 THEN ARRAY['postgres'] ELSE '{}'::text[] END
  FROM generate_series(1, 400000) g;
ANALYZE articles;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, title FROM articles WHERE tags @> ARRAY['postgres'];
