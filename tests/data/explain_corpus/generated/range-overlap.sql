-- Room bookings that overlap a time window: range overlap (&&) is served by a GiST index, the
-- way PostGIS predicates are; a btree cannot answer it.
CREATE TABLE bookings (id bigint PRIMARY KEY, room int NOT NULL, during tstzrange NOT NULL);
INSERT INTO bookings SELECT g, g % 300, tstzrange('2023-01-01'::timestamptz + g * interval '7 minutes',
  '2023-01-01'::timestamptz + g * interval '7 minutes' + interval '1 hour') FROM generate_series(1, 400000) g;
ANALYZE bookings;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT id, room FROM bookings WHERE during && tstzrange('2024-06-01 10:00+00', '2024-06-01 12:00+00');
