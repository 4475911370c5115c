-- Which pricing period each sale falls in: a join on a range (no equality), so a nested loop
-- tests every sale against every period and discards almost all pairs.
CREATE TABLE periods (id int PRIMARY KEY, starts_at timestamp NOT NULL, ends_at timestamp NOT NULL, price numeric NOT NULL);
CREATE TABLE sales (id bigint PRIMARY KEY, sold_at timestamp NOT NULL, qty int NOT NULL);
INSERT INTO periods SELECT g, '2024-01-01'::timestamp + (g - 1) * interval '6 hours',
  '2024-01-01'::timestamp + g * interval '6 hours', 10 + g % 7 FROM generate_series(1, 1200) g;
INSERT INTO sales SELECT g, '2024-01-01'::timestamp + (g * 97 % 259200) * interval '1 minute', 1 + g % 5
  FROM generate_series(1, 20000) g;
ANALYZE periods, sales;
-- explain
SELECT sum(s.qty * p.price) FROM sales s JOIN periods p ON s.sold_at >= p.starts_at AND s.sold_at < p.ends_at;
