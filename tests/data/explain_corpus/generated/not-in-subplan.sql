-- Newsletter recipients who never ordered, written with NOT IN. The subquery's 200k ids do not
-- fit in work_mem as a hash table, so PostgreSQL re-reads them for every user.
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE purchases (id bigint PRIMARY KEY, user_id bigint NOT NULL, amount numeric NOT NULL);
INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 3000) g;
INSERT INTO purchases SELECT g, 1 + (g * 37) % 2990, g % 90 FROM generate_series(1, 200000) g;
ANALYZE users, purchases;
SET work_mem = '1MB';
-- explain
SELECT count(*) FROM users WHERE id NOT IN (SELECT user_id FROM purchases);
