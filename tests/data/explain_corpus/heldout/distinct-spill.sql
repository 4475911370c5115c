-- DISTINCT over 600,000 wide rows with the default 4 MB work_mem: the sort spills to disk. More
-- work_mem for this query keeps it in memory.
CREATE TABLE page_views (id bigint PRIMARY KEY, visitor text NOT NULL, path text NOT NULL);
INSERT INTO page_views SELECT g, md5((g % 200000)::text), '/page/' || (g % 5000) FROM generate_series(1, 600000) g;
ANALYZE page_views;
SET max_parallel_workers_per_gather = 0;
SET enable_hashagg = off;
SET jit = off;
-- explain
SELECT DISTINCT visitor, path FROM page_views;
