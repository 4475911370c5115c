-- Searching customer notes for a word anywhere in the text: no btree can serve LIKE '%refund%';
-- a pg_trgm GIN index can.
CREATE TABLE tickets (id bigint PRIMARY KEY, customer_id int NOT NULL, note text NOT NULL);
INSERT INTO tickets SELECT g, g % 5000, 'ticket ' || g || CASE WHEN g % 997 = 0 THEN ' asks for a refund' ELSE ' about delivery' END
  FROM generate_series(1, 400000) g;
ANALYZE tickets;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, customer_id FROM tickets WHERE note LIKE '%refund%';
