"""Conformance with PEV2's own parser fixtures (../shared/corpus/pev2, PostgreSQL licence, Dalibo).

The fixtures are read in place, never copied. Each ``*-expect`` file is matched against our plan
exported under FORMAT JSON names, with the partial-match rule of Jest's ``toMatchObject`` that PEV2
uses (every expected key must be present and equal; arrays match element-wise and by length).
Where PEV2's text parser keeps a TEXT spelling that PostgreSQL's JSON never uses, the comparison
accepts the PostgreSQL form; each such equivalence is listed in ``_equivalent`` and in
docs/tools/explain.md.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tools.explain import parse_plan
from tools.explain.model import to_pg_json
from tools.explain.text import describe_node

# Fixtures we do not assert on, with the reason (kept empty unless a fixture is wrong or out of scope).
LEFT_OUT: dict[str, str] = {}
MIN_PASS_RATE = 1.0


def _close(a: object, b: object) -> bool:
    try:
        x, y = float(a), float(b)  # PEV2 keeps some numbers as strings ("Sort Space Used": "25")
    except (TypeError, ValueError):
        return False
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def _equivalent(key: str, expected: object, actual: object, node: dict) -> bool:
    """TEXT spellings PEV2 keeps that PostgreSQL's FORMAT JSON splits or types differently."""
    if key == "Node Type" and isinstance(expected, str):
        # "Hash Semi Join", "HashAggregate", "Merge" (ModifyTable) name a JSON node type + attributes
        return describe_node(expected)["Node Type"] == actual
    if key in ("Relation Name", "Index Name") and isinstance(expected, str):
        # PEV2 keeps "schema.name" and identifier quotes; FORMAT JSON splits and unquotes them
        qualified = f"{node['Schema']}.{actual}" if key == "Relation Name" and node.get("Schema") else actual
        return expected.replace('"', "") == str(qualified).replace('"', "")
    if isinstance(actual, list) and isinstance(expected, str):
        return ", ".join(map(str, actual)) == expected  # PEV2 keeps "Output" as one string
    if isinstance(expected, (int, float, str)) and not isinstance(expected, bool) and isinstance(actual, (int, float, str)):
        return expected == actual or _close(expected, actual)
    return False


def match_object(expected: object, actual: object, where: str = "") -> list[str]:
    """Differences between ``expected`` and ``actual`` under toMatchObject semantics."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                if key in ("Temp Hit Blocks", "Temp Dirtied Blocks") and value == 0:
                    continue  # PEV2 invents these; PostgreSQL has no temp hits or dirtied temp blocks
                problems.append(f"{where}/{key}: missing (expected {value!r})")
            elif isinstance(value, (dict, list)):
                if isinstance(value, list) and isinstance(actual[key], list) or isinstance(value, dict):
                    problems += match_object(value, actual[key], f"{where}/{key}")
                else:
                    problems.append(f"{where}/{key}: expected {value!r}, got {actual[key]!r}")
            elif value != actual[key] and not _equivalent(key, value, actual[key], actual):
                problems.append(f"{where}/{key}: expected {value!r}, got {actual[key]!r}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r:.80}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for p in match_object(e, a, f"{where}[{i}]")]
    if expected == actual or _equivalent("", expected, actual, {}):
        return []
    return [f"{where}: expected {expected!r}, got {actual!r}"]


def _expect_cases(corpus: Path) -> list[tuple[str, Path, Path]]:
    root = corpus / "pev2"
    cases = []
    for folder in ("from-text", "12-line-wrapped-plans"):
        for plan in sorted((root / folder).glob("*-plan")):
            cases.append((f"{folder}/{plan.name}", plan, plan.with_name(plan.name[: -len("plan")] + "expect")))
    for plan in sorted((root / "21-io-timings").glob("*.plan")):
        cases.append((f"21-io-timings/{plan.name}", plan, plan.with_suffix(".expect")))
    return cases


def _actual_for(name: str, plan_path: Path) -> tuple[object, object]:
    plan = parse_plan(plan_path.read_text(encoding="utf-8"), str(plan_path))
    if name.startswith("21-io-timings/"):
        # The expectation is PEV2's analyzed root node: its "*… (all scopes)" keys are I/O time
        # totals over every scope, which we keep as Buffers.io_read_ms / io_write_ms.
        node = to_pg_json(plan.plan)
        node.pop("Plans", None)
        buffers = plan.plan.buffers
        node["*I/O Read Time (all scopes)"] = buffers.io_read_ms if buffers else None
        node["*I/O Write Time (all scopes)"] = buffers.io_write_ms if buffers else None
        return plan, node
    return plan, plan.to_pg_json()


def _expected_for(name: str, expect_path: Path) -> object:
    expected = json.loads(expect_path.read_text(encoding="utf-8"))
    if isinstance(expected, list):
        expected = expected[0]
    if name.startswith("21-io-timings/"):
        # PEV2 display derivatives we do not compute: read speed and exclusive I/O per node.
        return {k: v for k, v in expected.items() if "speed" not in k and "exclusive" not in k}
    _drop_inner_unique(expected.get("Plan", {}))  # PEV2 drops it too: TEXT cannot show it
    return expected


def _drop_inner_unique(node: dict) -> None:
    node.pop("Inner Unique", None)
    for child in node.get("Plans", []):
        _drop_inner_unique(child)


def test_expect_fixtures_match(corpus):
    cases = _expect_cases(corpus)
    assert len(cases) >= 65, "the PEV2 corpus looks incomplete"
    failures = {}
    for name, plan_path, expect_path in cases:
        if name in LEFT_OUT:
            continue
        _, actual = _actual_for(name, plan_path)
        problems = match_object(_expected_for(name, expect_path), actual)
        if problems:
            failures[name] = problems[:5]
    checked = len(cases) - len(LEFT_OUT)
    rate = (checked - len(failures)) / checked
    assert rate >= MIN_PASS_RATE, json.dumps(failures, indent=1)


@pytest.mark.parametrize("style", ["text", "json"])
def test_psql_frames_give_the_same_tree(corpus, style):
    """Every psql border/format variant of the same query parses to the same tree."""
    files = sorted((corpus / "pev2" / "11-psql-frames").glob(f"{style}-*.plan"))
    assert len(files) >= 10
    for path in files:
        plan = parse_plan(path.read_text(encoding="utf-8"), str(path))
        shape = [(n.node_type, n.relation) for n in plan.plan.walk()]
        if "dbeaver" in path.name:
            assert shape == [("ModifyTable", "toto123456789"), ("Seq Scan", "toto123456789")], path.name
            assert plan.plan.operation == "Delete" and plan.stats.execution_ms == 4024.335
            continue
        assert shape == [("Nested Loop", None), ("Seq Scan", "users"), ("Seq Scan", "part_0")], path.name
        assert plan.plan.children[0].extras["Rows Removed by Filter"] == 1231, path.name
        assert plan.stats.execution_ms is not None and plan.stats.planning_ms is not None, path.name


def test_cte_exclusive_times_add_up(corpus):
    """PEV2's CTE check: exclusive times over the whole tree sum to the root's time (±1%)."""
    files = sorted((corpus / "pev2" / "cte-exclusive-time").glob("*.plan"))
    assert files
    for path in files:
        plan = parse_plan(path.read_text(encoding="utf-8"), str(path))
        total = sum(node.exclusive_ms or 0.0 for node in plan.plan.walk())
        root = plan.plan.actual_total_ms
        assert root * 0.99 < total < root * 1.01, (path.name, total, root)


def test_samples_parse(corpus):
    """PEV2's demo plans carry no assertions; they must parse and be measured."""
    files = sorted(p for p in (corpus / "pev2" / "samples").iterdir() if p.suffix in (".txt", ".json"))
    assert files
    for path in files:
        plan = parse_plan(path.read_text(encoding="utf-8"), str(path))
        assert plan.stats.nodes > 1, path.name
        assert plan.plan.node_type
        # The parsers number nodes as they create them; that must be the tree's pre-order.
        walked = list(plan.plan.walk())
        assert list(map(id, plan.nodes())) == list(map(id, walked)), path.name
        assert [n.id for n in walked] == list(range(len(walked))), path.name
