-- A materialized CTE of open tickets looked up once per agent: the CTE Scan re-reads and
-- re-filters all of it on every loop.
CREATE TABLE agents (id int PRIMARY KEY, team int NOT NULL);
CREATE TABLE tickets (id bigint PRIMARY KEY, agent_id int NOT NULL, status text NOT NULL, opened_at timestamptz NOT NULL);
INSERT INTO agents SELECT g, g % 10 FROM generate_series(1, 300) g;
INSERT INTO tickets SELECT g, 1 + g % 300, CASE WHEN g % 5 = 0 THEN 'open' ELSE 'closed' END, now() - g * interval '1 minute'
  FROM generate_series(1, 60000) g;
ANALYZE agents, tickets;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
WITH open_tickets AS MATERIALIZED (SELECT agent_id, opened_at FROM tickets WHERE status = 'open')
SELECT a.id, (SELECT count(*) FROM open_tickets o WHERE o.agent_id = a.id) FROM agents a WHERE a.team = 3;
