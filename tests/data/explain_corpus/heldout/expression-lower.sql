-- Login by e-mail, case-insensitively: WHERE lower(email) = ... over 300,000 accounts. An index on
-- email does not serve lower(email); an expression index on (lower(email)) does.
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO accounts SELECT g, 'User' || g || '@Example.com', '2020-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 300000) g;
CREATE INDEX ON accounts (email);
ANALYZE accounts;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, created_at FROM accounts WHERE lower(email) = 'user4242@example.com';
