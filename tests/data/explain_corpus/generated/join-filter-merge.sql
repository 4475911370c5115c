-- Prices valid for a product over time, joined on the product and filtered on the validity
-- range: the merge join pairs every sale with every price row of its product and the Join Filter
-- discards the pairs outside the range.
CREATE TABLE price_history (product_id int NOT NULL, valid_from date NOT NULL, valid_to date NOT NULL, price numeric NOT NULL);
CREATE TABLE order_lines (id bigint PRIMARY KEY, product_id int NOT NULL, ordered_on date NOT NULL, qty int NOT NULL);
INSERT INTO price_history SELECT p, '2020-01-01'::date + (k - 1) * 7, '2020-01-01'::date + k * 7, 5 + (p + k) % 40
  FROM generate_series(1, 50) p, generate_series(1, 300) k;
INSERT INTO order_lines SELECT g, 1 + g % 50, '2020-01-01'::date + (g * 13) % 2100, 1 + g % 3 FROM generate_series(1, 40000) g;
CREATE INDEX ON price_history (product_id);
CREATE INDEX ON order_lines (product_id);
ANALYZE price_history, order_lines;
SET enable_hashjoin = off;
SET enable_nestloop = off;
-- explain
SELECT sum(l.qty * h.price) FROM order_lines l
  JOIN price_history h ON h.product_id = l.product_id AND l.ordered_on >= h.valid_from AND l.ordered_on < h.valid_to;
