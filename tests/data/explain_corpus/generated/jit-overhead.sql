-- A small lookup on a server whose JIT thresholds were lowered to zero: compiling the expressions
-- costs more than running the query.
CREATE TABLE settings_kv (key text PRIMARY KEY, value text NOT NULL, scope int NOT NULL);
INSERT INTO settings_kv SELECT 'k' || g, 'v' || g, g % 10 FROM generate_series(1, 5000) g;
ANALYZE settings_kv;
SET jit = on;
SET jit_above_cost = 0;
SET jit_inline_above_cost = 0;
SET jit_optimize_above_cost = 0;
-- explain
SELECT scope, count(*), max(value) FROM settings_kv WHERE key LIKE 'k1%' GROUP BY scope;
