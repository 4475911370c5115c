-- NOT IN over a small subquery: PostgreSQL hashes it once (hashed SubPlan). Fine as it is.
CREATE TABLE members (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE banned (member_id bigint NOT NULL);
INSERT INTO members SELECT g, 'm' || g FROM generate_series(1, 200000) g;
INSERT INTO banned SELECT g * 97 FROM generate_series(1, 500) g;
ANALYZE members, banned;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*) FROM members WHERE id NOT IN (SELECT member_id FROM banned);
