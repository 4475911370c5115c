-- A customer search box: name ILIKE '%smith%' over 300,000 customers. No B-tree serves a leading
-- wildcard; a pg_trgm GIN index (gin_trgm_ops) serves LIKE and ILIKE.
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, city text NOT NULL);
INSERT INTO customers SELECT g, CASE WHEN g % 1500 = 0 THEN 'John Smithson ' ELSE 'Jane Doe ' END || g, 'city' || g % 300
  FROM generate_series(1, 300000) g;
ANALYZE customers;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, name FROM customers WHERE name ILIKE '%smith%';
