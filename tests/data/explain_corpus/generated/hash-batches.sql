-- Joining a year of page views to sessions with a small work_mem: the hash table of sessions is
-- split into batches written to temp files.
CREATE TABLE sessions (id bigint PRIMARY KEY, user_agent text NOT NULL, started_at timestamptz NOT NULL);
CREATE TABLE page_views (id bigint PRIMARY KEY, session_id bigint NOT NULL, path text NOT NULL);
INSERT INTO sessions SELECT g, 'agent ' || (g % 300), '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 200000) g;
INSERT INTO page_views SELECT g, 1 + g % 200000, '/p/' || (g % 5000) FROM generate_series(1, 400000) g;
ANALYZE sessions, page_views;
SET work_mem = '1MB';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT s.user_agent, count(*) FROM page_views v JOIN sessions s ON s.id = v.session_id GROUP BY s.user_agent;
