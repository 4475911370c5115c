-- The latest 20 events of one account, served in order by a matching index: healthy.
CREATE TABLE account_events (id bigint PRIMARY KEY, account_id int NOT NULL, created_at timestamptz NOT NULL, kind text NOT NULL);
INSERT INTO account_events SELECT g, g % 3000, '2024-01-01'::timestamptz + g * interval '1 minute', 'k' || g % 9 FROM generate_series(1, 300000) g;
CREATE INDEX ON account_events (account_id, created_at DESC);
ANALYZE account_events;
-- explain
SELECT id, created_at, kind FROM account_events WHERE account_id = 42 ORDER BY created_at DESC LIMIT 20;
