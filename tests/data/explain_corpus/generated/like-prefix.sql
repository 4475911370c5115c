-- Product search by SKU prefix in a database whose default collation is not C (C.UTF-8 on this
-- server): a plain btree on sku cannot serve LIKE 'AB12%'; text_pattern_ops or COLLATE "C" can.
CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL, name text NOT NULL, price numeric NOT NULL);
INSERT INTO products SELECT g, upper(substr(md5(g::text), 1, 2)) || lpad((g % 9999)::text, 4, '0') || '-' || g,
  'product ' || g, g % 500 FROM generate_series(1, 400000) g;
ANALYZE products;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, sku, price FROM products WHERE sku LIKE 'AB12%';
