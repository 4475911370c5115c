-- Customers of one street: country, city, postcode and street are correlated, so the planner
-- expects one customer and gets 1,000. The estimate is off 1000x, yet the plan is the one a right
-- estimate would give (a hash join over a seq scan of addresses): the 101 ms scan that discards
-- 299,000 rows is the bottleneck, and an index on the street column is the fix.
CREATE TABLE addresses (customer_id bigint PRIMARY KEY, country text NOT NULL, city text NOT NULL,
                        postcode text NOT NULL, street text NOT NULL);
CREATE TABLE visits (id bigint PRIMARY KEY, customer_id bigint NOT NULL, visited_on date NOT NULL, channel text NOT NULL);
INSERT INTO addresses SELECT g, 'country' || (g % 300 / 100), 'city' || (g % 300 / 10), 'pc' || (g % 300 / 2), 'street' || (g % 300)
  FROM generate_series(1, 300000) g;
INSERT INTO visits SELECT g, g % 300000, '2024-01-01'::date + g % 365, CASE WHEN g % 4 = 0 THEN 'web' ELSE 'app' END
  FROM generate_series(1, 100000) g;
ANALYZE addresses, visits;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*) FROM addresses a JOIN visits v ON v.customer_id = a.customer_id
 WHERE a.country = 'country1' AND a.city = 'city14' AND a.postcode = 'pc71' AND a.street = 'street142';
