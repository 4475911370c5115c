-- Customers with more than 60 orders: the planner cannot estimate HAVING and guesses a third of
-- the groups; far fewer pass. Nothing above the aggregate depends on that guess.
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL);
INSERT INTO orders SELECT g, CASE WHEN g % 100 = 0 THEN 1 + g % 50 ELSE g % 20000 END, g % 300 FROM generate_series(1, 400000) g;
ANALYZE orders;
SET jit = off;
-- explain
SELECT customer_id, count(*) FROM orders GROUP BY customer_id HAVING count(*) > 60;
