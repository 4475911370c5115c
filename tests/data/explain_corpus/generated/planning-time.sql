-- A reporting query over nine joined lookup tables with join_collapse_limit raised so the planner
-- searches every join order: planning takes hundreds of milliseconds on every call, and the
-- statement's longer execution hides it.
DO $$ BEGIN FOR i IN 1..9 LOOP
  EXECUTE format('CREATE TABLE dim%s (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, c int NOT NULL)', i);
  EXECUTE format('INSERT INTO dim%s SELECT g, g %% 100, g %% 50, g %% 10 FROM generate_series(1, 2000) g', i);
  EXECUTE format('CREATE INDEX ON dim%s (a)', i);
  EXECUTE format('CREATE INDEX ON dim%s (b)', i);
END LOOP; END $$;
CREATE TABLE clicks (id bigint NOT NULL, kind int NOT NULL);
INSERT INTO clicks SELECT g, g % 7 FROM generate_series(1, 3000000) g;
ANALYZE;
SET join_collapse_limit = 14;
SET from_collapse_limit = 14;
SET geqo_threshold = 20;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*), (SELECT count(*) FROM clicks WHERE kind = 3)
  FROM dim1 JOIN dim2 ON dim2.a = dim1.a JOIN dim3 ON dim3.b = dim2.b AND dim3.a = dim1.a
  JOIN dim4 ON dim4.a = dim3.a AND dim4.b = dim2.b JOIN dim5 ON dim5.b = dim4.b AND dim5.a = dim1.a
  JOIN dim6 ON dim6.a = dim5.a AND dim6.b = dim3.b JOIN dim7 ON dim7.b = dim6.b AND dim7.a = dim2.a
  JOIN dim8 ON dim8.a = dim7.a AND dim8.b = dim1.b JOIN dim9 ON dim9.b = dim8.b AND dim9.a = dim4.a
 WHERE dim1.id < 50 AND dim2.c = 1 AND dim9.c = 3;
