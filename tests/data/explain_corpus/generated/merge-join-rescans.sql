-- A merge join over a many-to-many key: the inner Materialize is re-read for every duplicate on
-- the outer side, so its row count is far above the estimate without any misestimate.
CREATE TABLE shipments (id bigint PRIMARY KEY, warehouse int NOT NULL);
CREATE TABLE staff (id bigint PRIMARY KEY, warehouse int NOT NULL);
INSERT INTO shipments SELECT g, g % 40 FROM generate_series(1, 20000) g;
INSERT INTO staff SELECT g, g % 40 FROM generate_series(1, 4000) g;
CREATE INDEX ON shipments (warehouse);
CREATE INDEX ON staff (warehouse);
VACUUM ANALYZE shipments, staff;
SET enable_hashjoin = off;
SET enable_nestloop = off;
SET jit = off;
-- explain
SELECT count(*) FROM shipments s JOIN staff t ON t.warehouse = s.warehouse;
