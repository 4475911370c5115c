"""Real plans from the real PostgreSQL: each finding kind provoked with real settings.

Every scenario captures the same statement as TEXT and as FORMAT JSON, checks the finding on both
and checks that both formats build the same tree (timings and buffer counts differ from one run
to the next, so those are left out of the comparison; everything else must be equal).
"""

from __future__ import annotations

import json

import pytest

from tools.explain import analyze, parse_plan
from tools.explain.model import to_pg_json

pytestmark = pytest.mark.postgres

# Measurements that change between two executions of the same statement.
_VOLATILE = ("Time", "Blocks", "Memory", "Disk Usage", "Sort Space Used", "Workers", "Heap Blocks",
             "Rows Removed by Index Recheck")


def _stable(node: dict) -> dict:
    """The node without run-to-run measurements. Also dropped: ``Inner Unique`` (TEXT never shows
    it) and zero WAL counters (with WAL on, a read-only TEXT plan carries no trace of the option)."""
    out = {}
    for key, value in node.items():
        if key == "Plans":
            out[key] = [_stable(child) for child in value]
        elif key.startswith("WAL ") and not value:
            continue
        elif not any(word in key for word in _VOLATILE) and key != "Inner Unique":
            out[key] = value
    return out


def assert_same_tree(from_text, from_json, context) -> None:
    """Same values under FORMAT JSON names, and each value in the same place: a typed PlanNode
    field in both trees or in ``extras`` in both (the text parser builds typed nodes directly)."""
    assert _stable(to_pg_json(from_text.plan)) == _stable(to_pg_json(from_json.plan)), context
    placed = [[(n.id, n.node_type, sorted(_stable(n.extras))) for n in plan.nodes()]
              for plan in (from_text, from_json)]
    assert placed[0] == placed[1], context


def capture(conn, sql: str, options: str = "ANALYZE, BUFFERS"):
    """TEXT and JSON EXPLAIN of ``sql``, each in a rolled-back transaction (DML leaves no trace)."""
    with conn.transaction(force_rollback=True):
        text = "\n".join(row[0] for row in conn.execute(f"EXPLAIN ({options}) {sql}"))
    with conn.transaction(force_rollback=True):
        document = conn.execute(f"EXPLAIN ({options}, FORMAT JSON) {sql}").fetchone()[0]
    return text, json.dumps(document)


def check(conn, sql: str, kind: str | None, options: str = "ANALYZE, BUFFERS", verbose: bool = True):
    """Both formats: same tree, and the finding ``kind`` present (or, for None, no warning at all)."""
    text, json_text = capture(conn, sql, options)
    from_text, from_json = parse_plan(text, "text"), parse_plan(json_text, "json")
    assert from_text.stats.format == "text" and from_json.stats.format == "json"
    assert_same_tree(from_text, from_json, text)
    reports = [analyze(from_text, verbose=verbose), analyze(from_json, verbose=verbose)]
    for report in reports:
        kinds = [f.kind for f in report.findings]
        if kind is None:
            assert not [f for f in report.findings if f.severity != "info"], (kinds, text)
        else:
            assert kind in kinds, (kinds, text)
    if kind is None:
        return None, text
    return next(f for f in reports[1].findings if f.kind == kind), text


@pytest.fixture
def db(pg_conn):
    pg_conn.execute("SET max_parallel_workers_per_gather = 0")
    pg_conn.execute("SET jit = off")
    return pg_conn


def _table(conn, name: str, rows: int, extra: str = "") -> None:
    conn.execute(
        f"CREATE TABLE {name} {extra} AS SELECT g AS id, g % 1000 AS k, g % 100 AS a, g % 100 AS b, "
        f"md5(g::text) AS s FROM generate_series(1, {rows}) g"
    )
    conn.execute(f"ANALYZE {name}")


def test_healthy_primary_key_and_limit_plans_have_no_warning(db):
    _table(db, "healthy", 20_000)
    db.execute("ALTER TABLE healthy ADD PRIMARY KEY (id)")
    db.execute("ANALYZE healthy")
    check(db, "SELECT * FROM healthy WHERE id = 42", None)
    check(db, "SELECT * FROM healthy ORDER BY id LIMIT 10", None)


def test_seq_scan_large_filter_names_the_filter_column(db):
    _table(db, "orders_scan", 50_000)
    finding, _ = check(db, "SELECT * FROM orders_scan WHERE k = 7", "seq_scan_large_filter")
    assert finding.code == "PLAN001" and finding.handoff == "data-engineer"
    assert finding.evidence["columns"] == ["k"]
    assert finding.evidence["rows_removed"] == 49_950
    ddl = finding.suggestion.split(": ", 1)[1].split(" so ")[0]
    assert ddl.startswith("CREATE INDEX") and "ON orders_scan (k)" in ddl
    db.execute(ddl)  # the suggested index is valid and the planner uses it
    plan = "\n".join(row[0] for row in db.execute("EXPLAIN SELECT * FROM orders_scan WHERE k = 7"))
    assert "orders_scan_k_idx" in plan, plan


def test_disk_sort_with_small_work_mem(db):
    _table(db, "sort_spill", 50_000)
    db.execute("SET work_mem = '64kB'")
    finding, _ = check(db, "SELECT * FROM sort_spill ORDER BY s", "disk_sort")
    assert finding.evidence["disk_kb"] > 64 and finding.code == "PLAN002"


def test_hash_batches_with_small_work_mem(db):
    _table(db, "hb_left", 30_000)
    _table(db, "hb_right", 30_000)
    db.execute("SET work_mem = '64kB'")
    db.execute("SET enable_mergejoin = off")
    db.execute("SET enable_nestloop = off")
    finding, _ = check(db, "SELECT * FROM hb_left l JOIN hb_right r ON r.id = l.id", "hash_batches")
    assert finding.evidence["batches"] > 1


def test_hashagg_spill_with_small_work_mem(db):
    _table(db, "agg_spill", 50_000)
    db.execute("SET work_mem = '64kB'")
    db.execute("SET enable_sort = off")
    finding, _ = check(db, "SELECT s, count(*) FROM agg_spill GROUP BY s", "hashagg_spill")
    assert finding.evidence["batches"] > 1 or finding.evidence["disk_kb"] > 0


def test_row_misestimate_from_stale_statistics(db):
    db.execute("CREATE TABLE stale (id int, k int) WITH (autovacuum_enabled = off)")
    db.execute("INSERT INTO stale SELECT g, 0 FROM generate_series(1, 20000) g")
    db.execute("ANALYZE stale")
    db.execute("UPDATE stale SET k = 1")  # statistics still say every k is 0
    finding, _ = check(db, "SELECT * FROM stale WHERE k = 1", "row_misestimate")
    assert finding.evidence["direction"] == "under" and finding.evidence["factor"] >= 100
    assert finding.severity == "info"  # a lone scan: the misestimate changed no plan choice
    # joined, the 1-row estimate picks a nested loop that runs its inner side 20,000 times
    _table(db, "stale_other", 20_000)
    db.execute("CREATE INDEX ON stale_other (id)")
    db.execute("ANALYZE stale_other")
    finding, text = check(db, "SELECT * FROM stale s JOIN stale_other o ON o.id = s.id WHERE s.k = 1",
                          "row_misestimate")
    assert "Nested Loop" in text and finding.severity in ("warning", "error"), text
    assert finding.evidence["factor"] >= 100


def test_lossy_bitmap_with_small_work_mem(db):
    _table(db, "bitmap_lossy", 200_000)
    db.execute("CREATE INDEX ON bitmap_lossy (a)")
    db.execute("ANALYZE bitmap_lossy")
    db.execute("SET work_mem = '64kB'")
    db.execute("SET enable_seqscan = off")
    db.execute("SET enable_indexscan = off")
    finding, _ = check(db, "SELECT * FROM bitmap_lossy WHERE a < 50", "lossy_bitmap")
    assert finding.evidence["lossy_blocks"] > 0


def test_nested_loop_many_loops_when_hash_and_merge_are_off(db):
    _table(db, "nl_outer", 1_500)
    _table(db, "nl_inner", 1_500)
    db.execute("SET enable_hashjoin = off")
    db.execute("SET enable_mergejoin = off")
    finding, _ = check(db, "SELECT * FROM nl_outer o JOIN nl_inner i ON i.id = o.id", "nested_loop_many_loops")
    assert finding.evidence["loops"] == 1_500


def test_workers_not_launched_when_the_server_has_none(db):
    _table(db, "par_scan", 20_000)
    for setting in ("max_parallel_workers = 0", "max_parallel_workers_per_gather = 2", "parallel_setup_cost = 0",
                    "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0"):
        db.execute(f"SET {setting}")
    finding, _ = check(db, "SELECT count(*) FROM par_scan", "workers_not_launched")
    assert finding.evidence == {"planned": 2, "launched": 0} and finding.handoff == "devops-engineer"


def test_jit_overhead_with_thresholds_at_zero(db):
    _table(db, "jit_small", 2_000)
    for setting in ("jit = on", "jit_above_cost = 0", "jit_inline_above_cost = 0", "jit_optimize_above_cost = 0"):
        db.execute(f"SET {setting}")
    finding, _ = check(db, "SELECT sum(id), avg(k) FROM jit_small WHERE a > 3", "jit_overhead")
    assert finding.evidence["jit_ms"] > 0 and finding.handoff == "devops-engineer"


def test_repeated_subplan_filter_on_a_materialized_cte(db):
    _table(db, "sub_outer", 300)
    _table(db, "sub_cte", 5_000)
    sql = (
        "WITH c AS MATERIALIZED (SELECT * FROM sub_cte) "
        "SELECT o.id, (SELECT count(*) FROM c WHERE c.id = o.id) FROM sub_outer o"
    )
    finding, _ = check(db, sql, "repeated_subplan_filter")
    assert finding.evidence["loops"] == 300 and finding.handoff == "backend-engineer"


def test_heap_fetches_without_vacuum(db):
    db.execute("CREATE TABLE ios (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = off)")
    db.execute("INSERT INTO ios SELECT g, 'x' FROM generate_series(1, 20000) g")
    db.execute("ANALYZE ios")
    db.execute("SET enable_seqscan = off")
    db.execute("SET enable_bitmapscan = off")
    finding, _ = check(db, "SELECT id FROM ios WHERE id <= 15000", "heap_fetches")
    assert finding.evidence["heap_fetches"] == 15_000


def test_low_cache_hit_on_a_table_larger_than_the_scan_ring(db):
    # Bulk writes and large sequential scans go through small ring buffers, so a table bigger than
    # a quarter of shared_buffers is read from outside shared_buffers.
    shared_mb = db.execute("SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'").fetchone()[0]
    rows = int(shared_mb * 1024 * 1024 / 4 / 36 * 1.5)  # two ints take ~36 bytes per row on disk
    db.execute(f"CREATE TABLE cold AS SELECT g AS id, g % 10 AS k FROM generate_series(1, {rows}) g")
    finding, _ = check(db, "SELECT count(*) FROM cold", "low_cache_hit")
    assert finding.evidence["shared_read"] >= 1_000


def test_planning_dominates_on_a_many_way_join(db):
    db.execute("CREATE TABLE pj (id int PRIMARY KEY, ref int)")
    # A star of 10 tables: exhaustive join search plans for ~100 ms while the (empty) tables execute in
    # under 1 ms, far from the 5 ms floor on a fast idle server too (a 20-table chain planned in ~9 ms).
    joins = " ".join(f"JOIN pj t{i} ON t{i}.ref = t0.id" for i in range(1, 10))
    db.execute("SET join_collapse_limit = 22")
    db.execute("SET from_collapse_limit = 22")
    db.execute("SET geqo_threshold = 30")  # exhaustive join search: planning grows fast with joins
    finding, _ = check(db, f"SELECT * FROM pj t0 {joins} WHERE t0.ref = 1", "planning_dominates")
    assert finding.evidence["planning_ms"] > finding.evidence["execution_ms"]


def test_verbose_settings_and_costs_off_formats_agree(db):
    """Other EXPLAIN options: VERBOSE/SETTINGS, TIMING OFF, COSTS OFF, and plain EXPLAIN."""
    _table(db, "opts", 5_000)
    db.execute("SET work_mem = '128kB'")
    sql = "SELECT a, count(*) FROM opts WHERE k < 900 GROUP BY a ORDER BY 2 DESC"
    for options in ("ANALYZE, BUFFERS, VERBOSE, SETTINGS", "ANALYZE, TIMING OFF", "COSTS OFF", "VERBOSE"):
        text, json_text = capture(db, sql, options)
        from_text, from_json = parse_plan(text), parse_plan(json_text)
        assert_same_tree(from_text, from_json, (options, text))
        assert from_text.settings == from_json.settings
        assert from_text.stats.nodes == from_json.stats.nodes >= 3


_SHAPES = [
    "WITH c AS MATERIALIZED (SELECT * FROM shapes WHERE k < 10) SELECT (SELECT count(*) FROM c WHERE c.a = shapes.a), "
    "shapes.id FROM shapes WHERE shapes.id < 50 AND shapes.k = (SELECT max(k) FROM shapes)",
    "SELECT a, id, row_number() OVER (PARTITION BY a ORDER BY id) FROM shapes WHERE a < 5 ORDER BY a, id LIMIT 20",
    "SELECT * FROM shapes WHERE k = 5 OR k = 7",
    "SELECT * FROM shapes_p WHERE id IN (5, 15000) UNION ALL SELECT id, k FROM shapes WHERE id < 3",
    "SELECT t1.id FROM shapes t1 JOIN shapes t2 ON t2.k = t1.k WHERE t1.id < 100",
    "SELECT * FROM shapes ORDER BY a, s LIMIT 10",
    "SELECT count(*) FROM shapes WHERE EXISTS (SELECT 1 FROM shapes t2 WHERE t2.id = shapes.id + 1)",
    "SELECT a, sum(id) FROM shapes GROUP BY ROLLUP (a)",
    "SELECT * FROM generate_series(1, 10) g, LATERAL (SELECT * FROM shapes WHERE shapes.id = g) x",
    "SELECT * FROM (VALUES (1), (2)) v(x) JOIN shapes ON shapes.id = v.x",
    "INSERT INTO shapes SELECT * FROM shapes WHERE id < 3 RETURNING id",
    "UPDATE shapes SET k = k WHERE id < 3",
]


def test_many_node_kinds_give_equal_text_and_json_trees(db):
    """CTE, InitPlan, SubPlan, WindowAgg, BitmapOr, partitions, Memoize, Incremental Sort,
    grouping sets, Function/Values Scan, ModifyTable — under several option sets."""
    _table(db, "shapes", 20_000)
    db.execute("CREATE INDEX ON shapes (k)")
    db.execute("CREATE INDEX ON shapes (a, id)")
    db.execute("CREATE TABLE shapes_p (id int, v int) PARTITION BY RANGE (id)")
    db.execute("CREATE TABLE shapes_p1 PARTITION OF shapes_p FOR VALUES FROM (0) TO (10000)")
    db.execute("CREATE TABLE shapes_p2 PARTITION OF shapes_p FOR VALUES FROM (10000) TO (20001)")
    db.execute("INSERT INTO shapes_p SELECT id, k FROM shapes")
    db.execute("ANALYZE shapes, shapes_p")
    db.execute("SET work_mem = '1MB'")
    node_types = set()
    for sql in _SHAPES:
        for options in ("ANALYZE, BUFFERS", "ANALYZE, VERBOSE, BUFFERS, SETTINGS, WAL", "VERBOSE"):
            text, json_text = capture(db, sql, options)
            from_text, from_json = parse_plan(text), parse_plan(json_text)
            assert_same_tree(from_text, from_json, (options, text))
            node_types.update(n.node_type for n in from_json.nodes())
    assert {"CTE Scan", "WindowAgg", "BitmapOr", "Append", "Aggregate", "ModifyTable", "Function Scan",
            "Values Scan", "Incremental Sort"} <= node_types, node_types
