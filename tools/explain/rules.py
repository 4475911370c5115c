"""Findings over the typed plan: one small function per kind, codes PLAN001.. never reused.

Every threshold is a named constant documented (with where it comes from) in docs/tools/explain.md.
A rule returns findings with the numbers in the message and ``cost_ms`` set to the time the problem
costs, so the report can rank them; :func:`find_problems` runs them all and escalates a warning to
an error when the problem costs at least half of the statement's time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

from tools.catalogue import plan as catalogue
from tools.explain.model import ExplainPlan, PlanNode
from tools.findings import Finding, Location

SEQ_SCAN_MIN_REMOVED = 10_000  # rows discarded by the filter, over all loops
SEQ_SCAN_MIN_REMOVED_SHARE = 0.9  # of the rows the scan read
MISESTIMATE_FACTOR = 10  # depesz/PEV2 flag estimates off by 10x and more
MISESTIMATE_SEVERE_FACTOR = 100
MISESTIMATE_MIN_ROWS = 100  # below this, a 10x error rarely changes the plan
NESTED_LOOP_MIN_LOOPS = 1_000
NESTED_LOOP_MIN_SHARE = 0.1  # inner side's share of execution time
JIT_MIN_SHARE = 0.1  # JIT time over execution time
JIT_MIN_MS = 1.0
SUBPLAN_MIN_LOOPS = 2
SUBPLAN_MIN_REMOVED = 10_000  # rows re-filtered over all loops
HEAP_FETCH_MIN = 1_000
HEAP_FETCH_MIN_SHARE = 0.1  # heap fetches over rows returned
CACHE_HIT_MIN_RATIO = 0.9
CACHE_MIN_READ_BLOCKS = 1_000  # 8 MB read from outside shared_buffers
PLANNING_MIN_MS = 5.0
ESCALATE_SHARE = 0.5  # a warning costing this share of execution time becomes an error...
ESCALATE_MIN_MS = 100.0  # ...when that time is noticeable

_BLOCK_KB = 8


def _where(node: PlanNode) -> Location:
    target = f" on {node.target}" if node.target else ""
    return Location(node=f"#{node.id} {node.label}{target}")


def _mb(kb: float) -> str:
    return f"{kb / 1024:.1f} MB" if kb >= 1024 else f"{kb:.0f} kB"


def _int(value: object) -> int:
    """A count from the plan, 0 when absent or not a number (the parsers refuse out-of-range ones)."""
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _removed_total(node: PlanNode, key: str = "Rows Removed by Filter") -> float:
    """Rows removed over all loops (EXPLAIN reports the per-loop average)."""
    per_loop = node.extras.get(key)
    if not isinstance(per_loop, (int, float)) or isinstance(per_loop, bool):
        return 0.0
    return per_loop * max(node.actual_loops or 1, 1)


_COLUMN = re.compile(
    r'(?:[a-z_][\w$]*\.)?(?:"([^"]+)"|([a-z_][\w$]*))\)*\s*(?:=|<>|!=|<=|>=|<|>|~~\*?|!~~\*?|~\*?|IS\b|@>|<@|&&)',
    re.IGNORECASE,
)
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_CAST = re.compile(r"::[\w\" ]+(?:\[\])?")
_NOT_COLUMNS = {"and", "or", "not", "any", "all", "null", "true", "false", "select"}


def filter_columns(expression: str) -> list[str]:
    """Column names compared in a Filter, in order: ``((status = 'x') AND (age > 3))`` → status, age."""
    seen: list[str] = []
    expression = _CAST.sub("", _LITERAL.sub("''", expression))
    for match in _COLUMN.finditer(expression):
        name = match[1] or match[2]
        if name and name.lower() not in _NOT_COLUMNS and not name[0].isdigit() and name not in seen:
            seen.append(name)
    return seen


def seq_scan_large_filter(plan: ExplainPlan) -> Iterator[Finding]:
    for node in plan.of_type("Seq Scan"):
        if "Filter" not in node.extras:
            continue
        removed = _removed_total(node)
        returned = node.total_rows or 0.0
        if removed < SEQ_SCAN_MIN_REMOVED or removed / (removed + returned) < SEQ_SCAN_MIN_REMOVED_SHARE:
            continue
        columns = filter_columns(str(node.extras["Filter"]))
        table = f"{node.schema}.{node.relation}" if node.schema else node.relation
        read = removed + returned
        evidence = {"rows_removed": removed, "rows_returned": returned, "rows_read": read,
                    "removed_share": round(removed / read, 4), "filter": node.extras["Filter"], "columns": columns,
                    "relation": table}
        if columns:
            evidence["index"] = f"CREATE INDEX ON {table} ({', '.join(columns)})"
        yield catalogue.SEQ_SCAN_LARGE_FILTER.finding(
            f"Seq Scan on {table} reads {read:,.0f} rows and its filter discards {removed:,.0f} "
            f"({removed / read:.0%}) to return {returned:,.0f}",
            location=_where(node), evidence=evidence, cost_ms=node.exclusive_ms,
        )


def _sort_disk_kb(node: PlanNode) -> float:
    kb = 0.0
    if node.extras.get("Sort Space Type") == "Disk":
        kb += _int(node.extras.get("Sort Space Used"))
    for worker in node.extras.get("Workers") or []:
        if isinstance(worker, dict) and worker.get("Sort Space Type") == "Disk":
            kb += _int(worker.get("Sort Space Used"))
    for groups in ("Full-sort Groups", "Pre-sorted Groups"):
        disk = (node.extras.get(groups) or {}).get("Sort Space Disk") if isinstance(node.extras.get(groups), dict) else None
        if isinstance(disk, dict):
            kb += _int(disk.get("Peak Sort Space Used"))
    return kb


def work_mem_hint(disk_kb: float) -> str:
    """A work_mem to try: twice the spill (a sort needs more memory than it writes), rounded up to a
    power of two megabytes."""
    return f"{2 ** math.ceil(math.log2(max(disk_kb * 2 / 1024, 1)))}MB"


def disk_sort(plan: ExplainPlan) -> Iterator[Finding]:
    work_mem = (plan.settings or {}).get("work_mem")
    for node in plan.of_type("Sort", "Incremental Sort"):
        kb = _sort_disk_kb(node)
        if kb <= 0:
            continue
        setting = f" (work_mem {work_mem})" if work_mem else ""
        keys = node.extras.get("Sort Key") or node.extras.get("Presorted Key") or []
        yield catalogue.DISK_SORT.finding(
            f"Sort spilled {_mb(kb)} to disk{setting} using {node.extras.get('Sort Method', 'external sort')}",
            location=_where(node),
            evidence={"disk_kb": kb, "sort_method": node.extras.get("Sort Method"), "sort_key": keys,
                      "work_mem": work_mem, "work_mem_hint": work_mem_hint(kb)},
            cost_ms=node.exclusive_ms,
        )


def hash_batches(plan: ExplainPlan) -> Iterator[Finding]:
    for node in plan.of_type("Hash"):
        batches = _int(node.extras.get("Hash Batches"))
        if batches <= 1:
            continue
        original = _int(node.extras.get("Original Hash Batches")) or batches
        grew = f" (planned {original}: the row estimate was too low)" if original < batches else ""
        evidence = {"batches": batches, "original_batches": original,
                    "memory_kb": node.extras.get("Peak Memory Usage"),
                    "temp_written_blocks": node.buffers.temp_written if node.buffers else None}
        if original < batches:
            evidence["planned_batches"] = original
        yield catalogue.HASH_BATCHES.finding(
            f"Hash split into {batches} batches{grew}; {_mb(_int(node.extras.get('Peak Memory Usage')))} "
            "per batch in memory, the rest written to temp files",
            location=_where(node), evidence=evidence, cost_ms=node.inclusive_ms,
        )


def hashagg_spill(plan: ExplainPlan) -> Iterator[Finding]:
    for node in plan.of_type("Aggregate"):
        if node.strategy not in ("Hashed", "Mixed"):
            continue
        batches = _int(node.extras.get("HashAgg Batches"))
        disk = _int(node.extras.get("Disk Usage"))
        if batches <= 1 and disk <= 0:
            continue
        memory = _int(node.extras.get("Peak Memory Usage"))
        yield catalogue.HASHAGG_SPILL.finding(
            f"HashAggregate spilled to disk: {batches} batches, {_mb(disk)} written",
            location=_where(node),
            evidence={"batches": batches, "disk_kb": disk, "memory_kb": node.extras.get("Peak Memory Usage"),
                      "planned_partitions": node.extras.get("Planned Partitions"), "needed_kb": disk + memory},
            cost_ms=node.exclusive_ms,
        )


def _cut_short(plan: ExplainPlan) -> list[bool]:
    """By node id: whether the node's consumer may stop reading early (LIMIT, EXISTS, semi/anti and
    merge joins), where fewer actual rows than planned is expected, not a misestimate."""
    nodes = plan.nodes()
    early = [False] * len(nodes)
    for node in nodes:  # pre-order: a node's own flag is set before its children's
        blocking = node.node_type in ("Sort", "Hash") or (
            node.node_type == "Aggregate" and node.strategy in ("Plain", "Hashed", "Mixed")
        )
        passed_down = (early[node.id] and not blocking) or node.node_type in ("Limit", "Merge Join")
        semi = node.join_type in ("Semi", "Anti")
        for index, child in enumerate(node.children):
            early[child.id] = (passed_down or child.parent_relationship in ("SubPlan", "InitPlan")
                               or (semi and index == 1))
    return early


def row_misestimate(plan: ExplainPlan) -> Iterator[Finding]:
    """Report where an estimate goes wrong: errors propagate upwards, so a node whose child is
    already off in the same direction is reported only if it makes the error 10x worse itself."""
    cut_short = _cut_short(plan)
    for node in plan.nodes():
        if not _misestimated(node) or (node.estimate_direction == "over" and cut_short[node.id]):
            continue
        inherited = max(
            (c.estimate_factor for c in node.children
             if _misestimated(c) and c.estimate_direction == node.estimate_direction),
            default=1.0,
        )
        if node.estimate_factor / inherited < MISESTIMATE_FACTOR:
            continue
        factor = node.estimate_factor or 0.0
        direction = "under" if node.estimate_direction == "under" else "over"
        what = "fewer" if direction == "under" else "more"
        yield catalogue.ROW_MISESTIMATE.finding(
            f"Row estimate off by {factor:,.0f}x ({direction}estimate): planned {node.plan_rows:,.0f} rows, "
            f"got {node.actual_rows:,.0f} per loop — the planner expected {what} rows",
            location=_where(node),
            evidence={"plan_rows": node.plan_rows, "actual_rows": node.actual_rows, "factor": round(factor, 2),
                      "direction": direction, "loops": node.actual_loops, "relation": node.relation},
            severity="warning" if factor >= MISESTIMATE_SEVERE_FACTOR else "info",
            cost_ms=node.inclusive_ms,
        )


def _misestimated(node: PlanNode) -> bool:
    return (
        node.estimate_factor is not None
        and node.estimate_factor >= MISESTIMATE_FACTOR
        and max(node.actual_rows or 0, node.plan_rows or 0) >= MISESTIMATE_MIN_ROWS
    )


def lossy_bitmap(plan: ExplainPlan) -> Iterator[Finding]:
    for node in plan.of_type("Bitmap Heap Scan"):
        lossy = _int(node.extras.get("Lossy Heap Blocks"))
        if lossy <= 0:
            continue
        exact = _int(node.extras.get("Exact Heap Blocks"))
        rechecked = _removed_total(node, "Rows Removed by Index Recheck")
        yield catalogue.LOSSY_BITMAP.finding(
            f"Bitmap went lossy: {lossy:,} of {lossy + exact:,} heap blocks kept only page-level bits; "
            f"{rechecked:,.0f} rows rechecked and discarded",
            location=_where(node),
            evidence={"lossy_blocks": lossy, "exact_blocks": exact, "heap_blocks": lossy + exact,
                      "rows_removed_by_recheck": rechecked},
            cost_ms=node.exclusive_ms,
        )


def nested_loop_many_loops(plan: ExplainPlan) -> Iterator[Finding]:
    total = plan.stats.total_ms or 0.0
    for node in plan.of_type("Nested Loop"):
        if len(node.children) < 2:
            continue
        inner = next((c for c in node.children if c.parent_relationship == "Inner"), node.children[1])
        loops = inner.actual_loops or 0
        if loops < NESTED_LOOP_MIN_LOOPS or not total or (inner.inclusive_ms or 0) / total < NESTED_LOOP_MIN_SHARE:
            continue
        outer = node.children[0]
        planned = outer.plan_rows
        estimate = f" (planned {planned:,.0f} outer rows)" if planned else ""
        yield catalogue.NESTED_LOOP_MANY_LOOPS.finding(
            f"Nested Loop ran its inner side {loops:,} times{estimate}, "
            f"{inner.inclusive_ms:,.1f} ms in total ({(inner.actual_total_ms or 0):.3f} ms per loop)",
            location=_where(node),
            evidence={"loops": loops, "inner_ms": inner.inclusive_ms, "outer_plan_rows": planned,
                      "outer_actual_rows": outer.total_rows, "inner": inner.label},
            cost_ms=inner.inclusive_ms,
        )


def workers_not_launched(plan: ExplainPlan) -> Iterator[Finding]:
    for node in plan.of_type("Gather", "Gather Merge"):
        planned, launched = node.workers_planned, node.workers_launched
        if planned is None or launched is None or launched >= planned:
            continue
        yield catalogue.WORKERS_NOT_LAUNCHED.finding(
            f"{node.label} planned {planned} parallel workers but launched {launched}",
            location=_where(node), evidence={"planned": planned, "launched": launched},
            cost_ms=node.inclusive_ms * (1 - (launched + 1) / (planned + 1)) if node.inclusive_ms else None,
        )


def jit_overhead(plan: ExplainPlan) -> Iterator[Finding]:
    jit_ms, total = plan.stats.jit_ms, plan.stats.execution_ms
    if not jit_ms or not total or jit_ms < JIT_MIN_MS or jit_ms / total < JIT_MIN_SHARE:
        return
    functions = (plan.jit or {}).get("Functions")
    yield catalogue.JIT_OVERHEAD.finding(
        f"JIT compilation took {jit_ms:,.1f} ms, {jit_ms / total:.0%} of the {total:,.1f} ms execution "
        f"({functions} functions)",
        location=Location(node="JIT"),
        evidence={"jit_ms": jit_ms, "execution_ms": total, "jit_share": round(jit_ms / total, 4),
                  "functions": functions, "timing": (plan.jit or {}).get("Timing")},
        cost_ms=jit_ms,
    )


def repeated_subplan_filter(plan: ExplainPlan) -> Iterator[Finding]:
    in_subplan: set[int] = set()
    for node in plan.nodes():
        if node.parent_relationship == "SubPlan" or node.id in in_subplan:
            in_subplan.update(child.id for child in node.children)
            in_subplan.add(node.id)
    for node in plan.nodes():
        if node.node_type != "CTE Scan" and node.id not in in_subplan:
            continue
        loops = node.actual_loops or 0
        removed = _removed_total(node)
        if loops < SUBPLAN_MIN_LOOPS or removed < SUBPLAN_MIN_REMOVED:
            continue
        what = f"CTE {node.cte_name}" if node.node_type == "CTE Scan" else "SubPlan"
        yield catalogue.REPEATED_SUBPLAN_FILTER.finding(
            f"{what} is re-scanned {loops:,} times and its filter discards {removed:,.0f} rows in total "
            f"({removed / loops:,.0f} per loop)",
            location=_where(node),
            evidence={"loops": loops, "rows_removed": removed, "filter": node.extras.get("Filter")},
            cost_ms=node.inclusive_ms,
        )


def heap_fetches(plan: ExplainPlan) -> Iterator[Finding]:
    for node in plan.of_type("Index Only Scan"):
        fetches = _int(node.extras.get("Heap Fetches"))
        if fetches < HEAP_FETCH_MIN:
            continue
        rows = node.total_rows or 0.0
        if rows and fetches / rows < HEAP_FETCH_MIN_SHARE:
            continue
        yield catalogue.HEAP_FETCHES.finding(
            f"Index Only Scan visited the heap {fetches:,} times for {rows:,.0f} rows: the visibility map is stale",
            location=_where(node), evidence={"heap_fetches": fetches, "rows": rows, "relation": node.relation},
            cost_ms=node.exclusive_ms,
        )


def low_cache_hit(plan: ExplainPlan) -> Iterator[Finding]:
    buffers = plan.plan.buffers
    if buffers is None:
        return
    hit, read = buffers.shared_hit, buffers.shared_read
    if read < CACHE_MIN_READ_BLOCKS or hit / (hit + read) >= CACHE_HIT_MIN_RATIO:
        return
    io_ms = buffers.io_read_ms
    timing = f", {io_ms:,.1f} ms reading" if io_ms else ""
    yield catalogue.LOW_CACHE_HIT.finding(
        f"Shared buffer hit ratio {hit / (hit + read):.0%}: {read:,} blocks ({_mb(read * _BLOCK_KB)}) "
        f"read from outside shared_buffers{timing}",
        location=_where(plan.plan),
        evidence={"shared_hit": hit, "shared_read": read, "hit_share": round(hit / (hit + read), 4),
                  "io_read_ms": io_ms},
        cost_ms=io_ms,
    )


def planning_dominates(plan: ExplainPlan) -> Iterator[Finding]:
    planning, execution = plan.stats.planning_ms, plan.stats.execution_ms
    if planning is None or execution is None or planning < PLANNING_MIN_MS or planning <= execution:
        return
    yield catalogue.PLANNING_DOMINATES.finding(
        f"Planning took {planning:,.1f} ms, more than the {execution:,.1f} ms execution",
        location=Location(node="Planning"),
        evidence={"planning_ms": planning, "execution_ms": execution, "planning": plan.planning},
        cost_ms=planning,
    )


RULES: tuple[Callable[[ExplainPlan], Iterator[Finding]], ...] = (
    seq_scan_large_filter,
    disk_sort,
    hash_batches,
    hashagg_spill,
    row_misestimate,
    lossy_bitmap,
    nested_loop_many_loops,
    workers_not_launched,
    jit_overhead,
    repeated_subplan_filter,
    heap_fetches,
    low_cache_hit,
    planning_dominates,
)


def find_problems(plan: ExplainPlan) -> list[Finding]:
    total = plan.stats.total_ms or 0.0
    findings: list[Finding] = []
    for rule in RULES:
        for finding in rule(plan):
            cost = finding.cost_ms or 0.0
            if finding.severity == "warning" and total and cost >= ESCALATE_MIN_MS and cost / total >= ESCALATE_SHARE:
                finding.severity = "error"
            findings.append(finding)
    findings.sort(key=lambda f: -(f.cost_ms or 0.0))
    return findings
