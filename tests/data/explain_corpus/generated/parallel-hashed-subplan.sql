-- Accounts not on the blocklist, scanned in parallel: the hashed SubPlan is built once in each of
-- the three processes (loops=3), which is not a re-scan.
CREATE TABLE accounts (id bigint PRIMARY KEY, region int NOT NULL, balance numeric NOT NULL);
CREATE TABLE blocklist (account_id bigint NOT NULL, reason text NOT NULL, active boolean NOT NULL);
INSERT INTO accounts SELECT g, g % 20, g % 1000 FROM generate_series(1, 1500000) g;
INSERT INTO blocklist SELECT g * 13, 'fraud', g % 10 = 0 FROM generate_series(1, 120000) g;
ANALYZE accounts, blocklist;
SET max_parallel_workers_per_gather = 2;
SET jit = off;
-- explain
SELECT count(*) FROM accounts WHERE id NOT IN (SELECT account_id FROM blocklist WHERE active);
