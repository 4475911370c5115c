-- Subscribers of one segment: the segment is described by eight attributes that always go together
-- (all derived from the plan tier), so the planner multiplies eight selectivities of 1/3, expects
-- 46 subscribers and probes their usage events through the index in a nested loop. It gets
-- 100,000 subscribers: 100,000 index probes where a hash join would read usage_events once.
-- CREATE STATISTICS (dependencies, mcv) on the eight columns gives the planner the real number.
CREATE TABLE subscribers (id bigint PRIMARY KEY, tier int NOT NULL, a1 int NOT NULL, a2 int NOT NULL, a3 int NOT NULL,
                          a4 int NOT NULL, a5 int NOT NULL, a6 int NOT NULL, a7 int NOT NULL, region int NOT NULL);
CREATE TABLE usage_events (id bigint PRIMARY KEY, subscriber_id bigint NOT NULL, units int NOT NULL);
INSERT INTO subscribers SELECT g, g % 3, g % 3, g % 3, g % 3, g % 3, g % 3, g % 3, g % 3, g % 17 FROM generate_series(1, 300000) g;
INSERT INTO usage_events SELECT g, (g::bigint * 7919) % 300000 + 1, g % 10 FROM generate_series(1, 600000) g;
CREATE INDEX ON usage_events (subscriber_id);
ANALYZE subscribers, usage_events;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT sum(e.units) FROM subscribers s JOIN usage_events e ON e.subscriber_id = s.id
 WHERE s.tier = 1 AND s.a1 = 1 AND s.a2 = 1 AND s.a3 = 1 AND s.a4 = 1 AND s.a5 = 1 AND s.a6 = 1 AND s.a7 = 1;
