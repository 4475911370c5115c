-- Line items priced from a small tax table: the planner puts a Memoize in front of the lookup;
-- almost every probe is a cache hit that EXPLAIN rounds to 0.000 ms, so the 1.2 M loops' time
-- shows up as the nested loop's own time, not under any child.
CREATE TABLE tax_rates (code int PRIMARY KEY, rate numeric NOT NULL);
CREATE TABLE line_items (id bigint PRIMARY KEY, tax_code int NOT NULL, net numeric NOT NULL);
INSERT INTO tax_rates SELECT g, g / 100.0 FROM generate_series(1, 50) g;
INSERT INTO line_items SELECT g, 1 + g % 50, g % 1000 FROM generate_series(1, 1200000) g;
ANALYZE tax_rates, line_items;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT sum(l.net * t.rate) FROM line_items l JOIN tax_rates t ON t.code = l.tax_code;
