"""The EXPLAIN analyzer on hand-written plans, bad input, fuzzing and the `lmagent explain` CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from near_numbers import check_cli, check_result, json_number, near_number

from tools.errors import InputError
from tools.explain import ExplainInput, analyze, explain_tool, parse_plan
from tools.explain.rules import filter_columns
from tools.registry import get

PARALLEL = """\
 Finalize Aggregate  (cost=10.0..10.1 rows=1 width=8) (actual time=100.000..100.000 rows=1 loops=1)
   ->  Gather  (cost=10.0..10.1 rows=2 width=8) (actual time=99.000..99.900 rows=3 loops=1)
         Workers Planned: 2
         Workers Launched: 2
         ->  Partial Aggregate  (cost=9.0..9.1 rows=1 width=8) (actual time=90.000..90.000 rows=1 loops=3)
               ->  Parallel Seq Scan on big  (cost=0.0..8.0 rows=100 width=0) (actual time=0.010..60.000 rows=100 loops=3)
                     Worker 0:  actual time=0.020..61.000 rows=98 loops=1
                     Worker 1:  actual time=0.030..59.000 rows=101 loops=1
 Planning Time: 0.100 ms
 Execution Time: 100.500 ms
"""

INITPLAN = """\
 Seq Scan on t  (cost=1.00..2.00 rows=1 width=4) (actual time=5.000..10.000 rows=1 loops=1)
   Filter: (id = $0)
   InitPlan 1 (returns $0)
     ->  Result  (cost=0.00..1.00 rows=1 width=4) (actual time=4.000..4.000 rows=1 loops=1)
 Execution Time: 10.100 ms
"""

TRIGGERS_JIT = """\
 Insert on t  (cost=0.00..0.01 rows=0 width=0) (actual time=0.100..0.100 rows=0 loops=1)
   ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
 Planning Time: 30.000 ms
 Trigger RI_ConstraintTrigger_c_1 for constraint t_ref_fkey on t: time=0.500 calls=1
 Trigger audit: time=1.250 calls=1
 JIT:
   Functions: 4
   Options: Inlining true, Optimization true, Expressions true, Deforming true
   Timing: Generation 1.000 ms, Inlining 2.000 ms, Optimization 3.000 ms, Emission 4.000 ms, Total 10.000 ms
 Execution Time: 12.000 ms
"""


def test_parallel_times_divide_loops_by_processes():
    plan = parse_plan(PARALLEL)
    scan = plan.nodes()[-1]
    assert scan.label == "Parallel Seq Scan" and scan.parallel_aware
    assert scan.inclusive_ms == pytest.approx(60.0)  # 60 ms per loop x 3 loops / 3 processes
    assert [w["Worker Number"] for w in scan.extras["Workers"]] == [0, 1]
    gather = plan.nodes()[1]
    assert gather.exclusive_ms == pytest.approx(99.9 - 90.0)
    assert sum(n.exclusive_ms for n in plan.nodes()) == pytest.approx(plan.plan.inclusive_ms)
    assert plan.stats.execution_ms == 100.5 and plan.stats.planning_ms == 0.1


def test_initplan_time_is_taken_off_the_node_using_it():
    plan = parse_plan(INITPLAN)
    scan, result = plan.nodes()
    assert result.parent_relationship == "InitPlan" and result.subplan_name == "InitPlan 1 (returns $0)"
    assert scan.exclusive_ms == pytest.approx(6.0)
    assert sum(n.exclusive_ms for n in plan.nodes()) == pytest.approx(scan.inclusive_ms)


def test_triggers_jit_and_modify_table():
    plan = parse_plan(TRIGGERS_JIT)
    assert plan.plan.node_type == "ModifyTable" and plan.plan.operation == "Insert"
    assert [t["Trigger Name"] for t in plan.triggers] == ["RI_ConstraintTrigger_c_1", "audit"]
    assert plan.triggers[0]["Constraint Name"] == "t_ref_fkey" and plan.stats.trigger_ms == 1.75
    assert plan.jit["Functions"] == 4 and plan.jit["Options"]["Inlining"] is True and plan.stats.jit_ms == 10.0
    assert {f.kind for f in analyze(plan).findings} == {"jit_overhead"}
    # planning beats execution on a two-node plan: usually a cold catalog cache, so only info
    severity = {f.kind: f.severity for f in analyze(plan, verbose=True).findings}
    assert severity["planning_dominates"] == "info" and severity["jit_overhead"] == "warning"


def test_estimate_factor_and_direction():
    plan = parse_plan("Seq Scan on t  (cost=0.00..1.00 rows=10 width=4) (actual time=0.1..0.2 rows=1000 loops=1)")
    assert plan.plan.estimate_factor == pytest.approx(100) and plan.plan.estimate_direction == "under"
    plan = parse_plan("Seq Scan on t  (cost=0.00..1.00 rows=1000 width=4) (actual time=0.1..0.2 rows=10 loops=1)")
    assert plan.plan.estimate_factor == pytest.approx(100) and plan.plan.estimate_direction == "over"


def test_estimates_only_plan_has_no_times_and_no_findings():
    report = explain_tool(ExplainInput(plan="Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)\n  Filter: (a = 1)"))
    assert report.findings == [] and report.data.stats.analyzed is False
    assert report.data.plan.inclusive_ms is None


def test_costs_off_plan():
    plan = parse_plan("Hash Join\n  Hash Cond: (a.id = b.id)\n  ->  Seq Scan on a\n  ->  Hash\n        ->  Seq Scan on b")
    assert [n.label for n in plan.nodes()] == ["Hash Join", "Seq Scan", "Hash", "Seq Scan"]
    assert [n.parent_relationship for n in plan.nodes()] == [None, "Outer", "Inner", "Outer"]


_word = st.sampled_from(["on", "using", "on", "using", "t", "public.orders", "idx", "Scan", "Backward"])
_node_name = st.tuples(
    st.sampled_from(["", "Parallel ", "Async "]),
    st.sampled_from(["Seq Scan", "Index Scan", "Index Only Scan Backward", "Bitmap Heap Scan", "CTE Scan",
                     "Function Scan", "Subquery Scan", "Values Scan", "Hash Join", "Foreign Scan", "Sort"]),
    st.lists(_word, max_size=6),
)


@settings(max_examples=2000, deadline=None)
@given(_node_name)
def test_quoting_identifiers_does_not_change_the_node(parts):
    """Plain names take a split-on-spaces path, quoted names the regexes: both must agree."""
    from tools.explain.text import describe_node

    prefix, node_type, words = parts
    quote = {w: ".".join(f'"{p}"' for p in w.split(".")) if w not in ("on", "using", "Backward") else w for w in words}
    plain = " ".join([prefix + node_type, *words])
    quoted = " ".join([prefix + node_type, *(quote[w] for w in words)])
    unquoted = {key: value.replace('"', "") if isinstance(value, str) else value
                for key, value in describe_node(quoted).items()}  # a name left unsplit keeps its quotes
    assert describe_node(plain) == unquoted, (plain, quoted)


def test_filter_columns():
    assert filter_columns("((status = 'x'::text) AND (t.age > 3))") == ["status", "age"]
    assert filter_columns("((lower((email)::text) = 'a'::text) OR (deleted_at IS NULL))") == ["email", "deleted_at"]


def test_registry_entry_calls_the_tool():
    report = get("explain").call({"plan": "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)"})
    assert report.tool == "explain" and report.data.plan.relation == "t"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty input"),
        ("   \n\t\n", "empty input"),
        ("hello world\nthis is not a plan", "no plan found"),
        ('[{"Plan": {"Node Type": "Seq Scan", "Plans": [', "invalid JSON"),
        ('{"foo": 1}', "not an EXPLAIN plan"),
        ('[{"Plan": {"Node Type": "Seq Scan", "Actual Rows": "many"}}]', "not a number"),
        ('[{"Plan": {"Plans": []}}]', "Node Type"),
        ('[{"Plan": {"Node Type": "Append", "Plans": [1]}}]', "not an object"),
    ],
)
def test_bad_input_is_a_clear_error(text, message):
    with pytest.raises(InputError, match=message):
        parse_plan(text, "plan.txt")


def test_truncated_text_plan_still_analyzes_what_is_there():
    full = PARALLEL.splitlines()
    plan = parse_plan("\n".join(full[:4]))
    assert [n.node_type for n in plan.nodes()] == ["Aggregate", "Gather"]


def test_large_plan_is_parsed_without_hanging():
    """A ~50 MB FORMAT JSON plan: parsed (or refused) with a clear result, never a hang."""
    child = {"Node Type": "Seq Scan", "Relation Name": "t", "Startup Cost": 0, "Total Cost": 1, "Plan Rows": 1,
             "Plan Width": 4, "Actual Startup Time": 0.01, "Actual Total Time": 0.02, "Actual Rows": 1,
             "Actual Loops": 1, "Filter": "(x = 1)" + " " * 300, "Rows Removed by Filter": 3}
    document = [{"Plan": {"Node Type": "Append", "Plans": [child] * 100_000}, "Execution Time": 5000.0}]
    text = json.dumps(document)
    assert len(text) > 45 * 2**20
    plan = parse_plan(text)
    assert plan.stats.nodes == 100_001


def test_deeply_nested_json_is_an_input_error():
    text = '[{"Plan": ' + '{"Node Type": "Limit", "Plans": [' * 5000 + "{}" + "]}" * 5000 + "}]"
    with pytest.raises(InputError):
        parse_plan(text)


def test_deeply_nested_text_plan_is_an_input_error_and_moderate_depth_works(run_cli, tmp_path):
    def chain(depth: int) -> str:
        head = "Limit  (cost=0.00..1.00 rows=1 width=4) (actual time=0.1..1.0 rows=1 loops=1)"
        return "\n".join(head if i == 0 else " " * (i * 6 - 4) + "->  " + head for i in range(depth))

    with pytest.raises(InputError, match="deeper than"):
        parse_plan(chain(300))
    path = tmp_path / "deep.txt"
    path.write_text(chain(150))
    code, out, err = run_cli("explain", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["stats"]["nodes"] == 150


_PATHOLOGICAL = [
    # Found by fuzzing: a wrapped node name followed by JSON fragments used to backtrack for minutes.
    "\n".join([
        "  ->  Parallel Seq Scan on pgbench_accounts_1  (cost=0.00..7029.",
        "  ->  Index Scan using pgbench_branches_pkey on pgbenc",
        '          "Rows Removed by Filter": 1231          ↵',
        "[                                                 ↵",
        '          "Relation Name": "part_0",              +',
        '|       "Total Cost": 2017.80,                      +|',
        '       "Parallel Aware": false,                    ↵',
        '           "Actual Rows": 15,                      ↵',
    ]),
    "Seq Scan on " + "x" * 40 + ' "y""z" w  (cost=0.00..1.00 rows=1 width=4)',
    "Limit  (cost=0.00..1.00 rows=1 width=4)\n  Worker 1:" + " " * 200_000 + "x",
    "Limit  (cost=0.00..1.00 rows=1 width=4)\nTrigger " + "a for constraint " * 20_000 + ": time=1.0 calls=1",
    "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  Filter: (" + "a " * 100_000 + "= 1)",
    "Limit  (cost=0.00..1.00 rows=1 width=4)\n  Buffers: " + "shared " * 100_000,
    "QUERY PLAN\n" + "|" + " " * 100_000 + "+",
    "z" * 5_000_000,
]


def test_pathological_lines_finish(tmp_path):
    """Inputs crafted against regex backtracking: each must finish (a subprocess guards the hang)."""
    import subprocess
    import sys

    for index, text in enumerate(_PATHOLOGICAL):
        path = tmp_path / f"p{index}.txt"
        path.write_text(text)
        code = (
            "import sys; from tools.errors import InputError; from tools.explain import parse_plan, analyze\n"
            "try:\n    analyze(parse_plan(open(sys.argv[1]).read()), verbose=True)\n"
            "except InputError:\n    pass\n"
        )
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (index, done.stderr[-500:])


_plan_line = st.one_of(
    st.sampled_from(PARALLEL.splitlines() + INITPLAN.splitlines() + TRIGGERS_JIT.splitlines()),
    st.text(alphabet=" ->()=.:0123456789abcdefghijklmnopqrstuvwxyzSWP│|+↵\"'\t", max_size=80),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_plan_line, max_size=25))
def test_fuzz_text_only_input_errors_escape(lines):
    try:
        plan = parse_plan("\n".join(lines))
    except InputError:
        return
    analyze(plan, verbose=True)


# Property lines whose numbers are replaced by near-numbers (tests/near_numbers.py).
_PROPERTY_TEMPLATES = (
    "Buffers: shared hit={} read={}", "Buffers: shared hit=1, local hit={} written={}, temp read={}",
    "Heap Blocks: exact={} lossy={}", "Buckets: {} (originally {})  Batches: {}  Memory Usage: {}kB",
    "Batches: {}  Memory Usage: {}kB  Disk Usage: {}kB", "Workers Planned: {}", "Workers Launched: {}",
    "Rows Removed by Filter: {}", "Heap Fetches: {}", "WAL: records={} fpi={} bytes={}",
    "I/O Timings: shared read={} write={}, temp read={}", "Sort Method: quicksort  Memory: {}kB",
    "Hits: {}  Misses: {}  Evictions: {}  Overflows: {}  Memory Usage: {}kB",
    "Full-sort Groups: {}  Sort Method: quicksort  Average Memory: {}kB  Peak Memory: {}kB",
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["Hash", "Seq Scan on t", "Bitmap Heap Scan on t", "HashAggregate"]),
       st.lists(st.tuples(st.sampled_from(_PROPERTY_TEMPLATES), st.lists(near_number, min_size=5, max_size=5)),
                min_size=1, max_size=6))
def test_fuzz_property_numbers_only_input_errors_escape(node, properties):
    # Each node type its own rules read the properties: a scan's filter counts, a Hash's batches...
    lines = [f"{node}  (cost=0.00..1.00 rows=1 width=4) (actual time=0.010..0.020 rows=1 loops=1)",
             "  Filter: (a = 1)"]
    lines += ["  " + template.format(*values) for template, values in properties]
    _parse_or_error("\n".join(lines))


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["Plan", "Plans", "Node Type", "Actual Rows", "Actual Loops",
                                         "Actual Total Time", "Plan Rows", "Filter", "Workers Planned",
                                         "Shared Hit Blocks", "Subplan Name", "Parent Relationship",
                                         "Execution Time", "JIT", "Triggers", "Hash Batches"]),
                        children, max_size=6),
    ),
    max_leaves=30,
))
def test_fuzz_json_only_input_errors_escape(document):
    try:
        plan = parse_plan(json.dumps(document))
    except InputError:
        return
    analyze(plan, verbose=True)


# CLI --------------------------------------------------------------------------------------------

DISK_SORT = """\
                                   QUERY PLAN
--------------------------------------------------------------------------------
 Sort  (cost=1.00..2.00 rows=50000 width=4) (actual time=400.0..450.0 rows=50000 loops=1)
   Sort Key: s
   Sort Method: external merge  Disk: 2048kB
   ->  Seq Scan on t  (cost=0.00..1.00 rows=50000 width=4) (actual time=0.01..20.0 rows=50000 loops=1)
 Planning Time: 0.100 ms
 Execution Time: 460.000 ms
(6 rows)
"""


def test_cli_json_shape(run_cli, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(DISK_SORT)
    code, out, err = run_cli("explain", str(path), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert set(document) == {"plan", "findings", "stats"}
    assert {"planning_ms", "execution_ms", "nodes"} <= set(document["stats"])
    assert document["stats"]["nodes"] == 2 and document["plan"]["node_type"] == "Sort"
    assert document["findings"][0]["code"] == "PLAN002" and document["findings"][0]["severity"] == "error"


def test_cli_rich_view_and_fail_on(run_cli):
    code, out, _ = run_cli("explain", "-", stdin=DISK_SORT)
    assert code == 0 and "Sort" in out and "PLAN002" in out
    code, _, _ = run_cli("explain", "--fail-on", "error", stdin=DISK_SORT)
    assert code == 1
    code, _, _ = run_cli("explain", "--fail-on", "error", stdin="Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)")
    assert code == 0


def test_cli_unreadable_input_exits_2(run_cli, tmp_path):
    code, _, err = run_cli("explain", str(tmp_path / "missing.txt"))
    assert code == 2 and "missing.txt" in err and "Traceback" not in err
    code, _, err = run_cli("explain", "-", stdin="not a plan at all")
    assert code == 2 and err.startswith("<stdin>") and "no plan found" in err


@pytest.mark.parametrize("line", [
    "Sort  (cost=1e400..2.00 rows=1 width=4)",
    "Sort  (cost=0.00..2.00 rows=1 width=4) (actual time=0.010..1e999 rows=1 loops=1)",
    "Hash  (cost=0.00..1.00 rows=1 width=4)\n  Batches: 1e400  Memory Usage: 8kB  Disk Usage: 1kB",
])
def test_numbers_no_float_can_hold_are_a_clear_error(line):
    with pytest.raises(InputError, match="number out of range") as error:
        parse_plan(line, "plan.txt")
    assert str(error.value).startswith("plan.txt:")


def test_json_counts_out_of_float_range_are_a_clear_error():
    document = [{"Plan": {"Node Type": "Aggregate", "Strategy": "Hashed", "Actual Rows": 1, "Actual Loops": 1,
                          "Actual Total Time": 5.0, "HashAgg Batches": 1e400, "Disk Usage": 1e400}}]
    with pytest.raises(InputError, match="not a number a plan can hold"):  # json.dumps wrote Infinity
        parse_plan(json.dumps(document))
    text = json.dumps(document).replace("Infinity", "1e400")
    with pytest.raises(InputError, match="'HashAgg Batches' holds a number out of range"):
        parse_plan(text)


# Near-numbers in every numeric place of both formats: a clear error or a result that is strict JSON.
_NODE_LINE = "Seq Scan on t  (cost={0}..{1} rows={2} width={3}) (actual time={4}..{5} rows={6} loops={7})"
_JSON_KEYS = ("Startup Cost", "Total Cost", "Plan Rows", "Plan Width", "Actual Startup Time", "Actual Total Time",
              "Actual Rows", "Actual Loops", "Shared Hit Blocks", "Workers Planned", "Peak Memory Usage",
              "Rows Removed by Filter")


def _parse_or_error(text: str) -> None:
    try:
        plan = parse_plan(text, "plan")
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith("plan"), str(error)
        return
    check_result(analyze(plan, verbose=True))
    check_result(plan)


@settings(max_examples=300, deadline=None)
@given(st.lists(near_number, min_size=8, max_size=8))
def test_fuzz_text_node_numbers(numbers):
    good = ["0.00", "1.00", "10", "4", "0.010", "1.000", "10", "1"]
    for index, number in enumerate(numbers):  # one near-number at a time, in each place
        values = list(good)
        values[index] = number
        _parse_or_error(_NODE_LINE.format(*values) + "\n  Filter: (a = 1)\n  Rows Removed by Filter: 5\n")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_JSON_KEYS), json_number)
def test_fuzz_json_node_numbers(key, number):
    node = {"Node Type": "Seq Scan", "Plan Rows": 10, "Actual Rows": 10, "Actual Loops": 1,
            "Actual Total Time": 1.0, "Filter": "(a = 1)"}
    _parse_or_error('[{"Plan": ' + json.dumps(node)[:-1] + f', "{key}": {number}' + "}}]")


@pytest.mark.parametrize("number", ["Infinity", "NaN", "1e400", "9" * 400])
def test_cli_json_plan_with_non_finite_numbers_is_a_clear_error(run_cli, number):
    plan = '[{"Plan": {"Node Type": "Seq Scan", "Actual Rows": ' + number + ', "Plan Rows": 1, "Actual Loops": 1}}]'
    code, out, err = run_cli("explain", "-", "--json", stdin=plan)
    check_cli(code, out, err)
    assert code == 2


@pytest.mark.parametrize("where", ["node", "statement"])
def test_nested_json_numbers_out_of_range_are_a_clear_error(where):
    nested = {"Workers": [{"Worker Number": 0, "Actual Total Time": 1e400}]}
    document = {"Plan": {"Node Type": "Gather", "Actual Loops": 1, "Actual Total Time": 1.0,
                         **(nested if where == "node" else {})},
                **({"JIT": {"Timing": {"Total": 1e400}}} if where == "statement" else {})}
    text = json.dumps([document]).replace("Infinity", "1e400")  # 1e400 reads as inf, with no Infinity token
    with pytest.raises(InputError, match="holds a number out of range"):
        parse_plan(text, "plan.json")


FK_DELETE = """\
Delete on customers  (cost=0.00..174.00 rows=0 width=0) (actual time=0.700..0.701 rows=0 loops=1)
  ->  Seq Scan on customers  (cost=0.00..174.00 rows=200 width=6) (actual time=0.009..0.590 rows=200 loops=1)
        Filter: (NOT active)
Planning Time: 0.104 ms
Trigger for constraint orders_customer_id_fkey: time={time} calls=200
Execution Time: {execution} ms
"""


def test_fk_trigger_scanning_the_referencing_table_names_the_index():
    finding = analyze(parse_plan(FK_DELETE.format(time="3353.581", execution="3354.498"))).findings[0]
    assert finding.code == "PLAN014" and finding.evidence["index"] == "CREATE INDEX ON orders (customer_id)"
    assert finding.evidence["calls"] == 200 and finding.evidence["trigger_share"] > 0.99


def test_fk_checks_at_index_probe_speed_and_insert_checks_are_quiet():
    # 200 probes of 0.05 ms: the referencing column is indexed, the time is the number of rows
    assert analyze(parse_plan(FK_DELETE.format(time="11.291", execution="12.291"))).findings == []
    # an INSERT's check probes the referenced key (always indexed): no index to suggest
    insert = ("Insert on tickets  (cost=0.00..0.02 rows=0 width=0) (actual time=0.300..0.301 rows=0 loops=1)\n"
              "  ->  Result  (cost=0.00..0.02 rows=1 width=56) (actual time=0.160..0.161 rows=1 loops=1)\n"
              "Trigger for constraint tickets_seat_id_fkey: time=61.328 calls=1\n"
              "Execution Time: 63.500 ms\n")
    assert analyze(parse_plan(insert)).findings == []


def test_a_line_that_is_not_part_of_the_plan_is_reported_not_dropped():
    text = ("Seq Scan on orders  (cost=0.00..18334.00 rows=5 width=97) (actual time=0.020..180.5 rows=5 loops=1)\n"
            "  Filter: (customer_id = 42)\n"
            "  Rows Removed by Filter: 999995\n"
            "why is this slow?\n")
    plan = parse_plan(text)
    assert plan.extras["Unplaced Lines"] == [{"Line": 4, "Text": "why is this slow?"}]
    report = analyze(plan)
    assert "line 4 is not part of the plan" in report.summary and [f.code for f in report.findings] == ["PLAN001"]
    assert "Unplaced Lines" not in plan.to_pg_json()
