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
SLOW_PLANNING_MS = 200.0  # planning this long is paid on every unprepared call, whatever the execution
TRIVIAL_PLAN_NODES = 3  # planning longer than execution on a plan this small is usually a cold cache
TRIGGER_MIN_MS = 10.0  # trigger time that matters...
TRIGGER_MIN_SHARE = 0.1  # ...and its share of the statement
FK_SCAN_MIN_MS_PER_CALL = 0.5  # an indexed foreign-key check is a probe of ~0.05 ms; a scan costs more
JOIN_FILTER_MIN_REMOVED = 100_000  # row pairs a Join Filter discards, over all loops
JOIN_FILTER_MIN_SHARE = 0.9  # of the pairs it tested
INDEX_FILTER_MIN_REMOVED = 1_000  # rows an index scan's Filter discards (index scans read few rows)
INDEX_FILTER_MIN_SHARE = 0.9
HOT_NODE_SHARE = 0.3  # a node holding this share of exclusive time that no rule explains
HOT_NODE_MIN_MS = 10.0
HOT_LOOPS = 100_000  # nested-loop iterations whose own overhead shows in the join's time
IO_MIN_BLOCKS = 1_000  # blocks read from outside shared_buffers before I/O explains a node
IO_MIN_SHARE = 0.1  # I/O read time over execution time before a cache miss ratio is a warning
SIDE_ISSUE_SHARE = 0.1  # a warning costing less than this share of the statement is a side issue (info)
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
    """PLAN001 when an index can serve the filter (the CREATE INDEX PostgreSQL can use, from
    tools.sql.indexes.index_for), PLAN019 when no index can as the filter is written."""
    from tools.explain.predicates import advise

    for node in plan.of_type("Seq Scan"):
        condition = node.extras.get("Filter")
        if condition is None:
            continue
        removed = _removed_total(node)
        returned = node.total_rows or 0.0
        if removed < SEQ_SCAN_MIN_REMOVED or removed / (removed + returned) < SEQ_SCAN_MIN_REMOVED_SHARE:
            continue
        table = f"{node.schema}.{node.relation}" if node.schema else node.relation
        advice = advise(table or "the_table", str(condition)) if table else None
        if advice is None:  # a SubPlan, an OR or a boolean column: other rules speak, or nothing can
            continue
        read = removed + returned
        evidence = {"rows_removed": removed, "rows_returned": returned, "rows_read": read,
                    "removed_share": round(removed / read, 4), "filter": condition, "relation": table}
        if not advice.plain:
            evidence["index_reason"] = advice.reason
        message = (f"Seq Scan on {table} reads {read:,.0f} rows and its filter discards {removed:,.0f} "
                   f"({removed / read:.0%}) to return {returned:,.0f}")
        if advice.create:
            evidence.update(index=advice.create, columns=advice.columns)
            if advice.expression:
                evidence["instead"] = "Or compare the bare column, so that an index on the column serves it."
                evidence["instead_es"] = "O compara la columna sin transformar, para que la sirva un índice sobre ella."
            yield catalogue.SEQ_SCAN_LARGE_FILTER.finding(message, location=_where(node), evidence=evidence,
                                                         cost_ms=node.exclusive_ms)
        else:
            evidence.update(instead=advice.alternative or "rewrite the predicate so it compares a bare column")
            yield catalogue.SEQ_SCAN_UNINDEXABLE_FILTER.finding(message, location=_where(node), evidence=evidence,
                                                               cost_ms=node.exclusive_ms)


def index_scan_filter(plan: ExplainPlan) -> Iterator[Finding]:
    """PLAN018: an index (or index-only) scan whose Filter throws away most of what it reads, the
    classic ORDER BY ... LIMIT over an index that matches the order but not the filter."""
    from tools.explain.predicates import advise, columns_in, conjuncts

    total = plan.stats.total_ms or 0.0
    for node in plan.of_type("Index Scan", "Index Only Scan"):
        condition = node.extras.get("Filter")
        if condition is None:
            continue
        removed = _removed_total(node)
        returned = node.total_rows or 0.0
        if (condition is None or removed < INDEX_FILTER_MIN_REMOVED
                or removed / (removed + returned) < INDEX_FILTER_MIN_SHARE
                or not total or (node.exclusive_ms or 0.0) / total < SIDE_ISSUE_SHARE):
            continue
        table = f"{node.schema}.{node.relation}" if node.schema else node.relation
        cond = node.extras.get("Index Cond")
        leading = conjuncts(str(cond)) if cond else []
        read = removed + returned
        evidence = {"rows_removed": removed, "rows_returned": returned, "rows_read": read,
                    "removed_share": round(removed / read, 4), "filter": condition, "relation": table,
                    "scan_index": node.index}
        advice = advise(table or "the_table", str(condition), leading) if table else None
        if advice is not None and advice.columns and _under_limit(plan)[node.id]:
            # The scan returns rows in the index's order for a LIMIT: the new index must keep that order.
            evidence["index_hint"] = (f"an index on ({', '.join(advice.columns)}) followed by the column(s) "
                                      f"{node.index} orders by, so the LIMIT still reads rows in order")
            evidence["index_hint_es"] = (f"un índice en ({', '.join(advice.columns)}) seguido de la(s) columna(s) "
                                         f"por las que ordena {node.index}, para que el LIMIT siga leyendo en orden")
        elif advice is not None and advice.create:
            evidence["index"] = advice.create
        if advice is None or not advice.columns or all(c in columns_in(" ".join(leading)) for c in advice.columns):
            evidence.pop("index_hint", None)
            evidence.pop("index_hint_es", None)
            evidence.pop("index", None)
            evidence["instead"] = ("the Filter (" + str(condition)[:80] + ") has no term an index can serve: split an OR "
                                   "into a UNION of queries that each filter on indexed columns, or move the test "
                                   "out of the scan")
        yield catalogue.INDEX_SCAN_FILTER.finding(
            f"{node.label} on {table} via {node.index} reads {read:,.0f} rows and its Filter discards "
            f"{removed:,.0f} ({removed / read:.0%}) to return {returned:,.0f}",
            location=_where(node), evidence=evidence, cost_ms=node.exclusive_ms,
        )


def _under_limit(plan: ExplainPlan) -> list[bool]:
    """By node id: whether a Limit above reads the node's rows in order (no blocking node between)."""
    return _per_plan("under_limit", plan, _build_under_limit)


def _build_under_limit(plan: ExplainPlan) -> list[bool]:
    flags = [False] * len(plan.nodes())
    for node in plan.nodes():
        for child in node.children:
            blocking = node.node_type in ("Sort", "Hash", "Aggregate", "Materialize")
            flags[child.id] = node.node_type == "Limit" or (flags[node.id] and not blocking)
    return flags


def _sort_disk_kb(node: PlanNode) -> list[float]:
    """The disk each process of the sort spilled (the leader's line first, then each worker's)."""
    spills = []
    if node.extras.get("Sort Space Type") == "Disk":
        spills.append(float(_int(node.extras.get("Sort Space Used"))))
    for worker in node.extras.get("Workers") or []:
        if isinstance(worker, dict) and worker.get("Sort Space Type") == "Disk":
            spills.append(float(_int(worker.get("Sort Space Used"))))
    for groups in ("Full-sort Groups", "Pre-sorted Groups"):
        disk = (node.extras.get(groups) or {}).get("Sort Space Disk") if isinstance(node.extras.get(groups), dict) else None
        if isinstance(disk, dict):
            spills.append(float(_int(disk.get("Peak Sort Space Used"))))
    return [kb for kb in spills if kb > 0]


def work_mem_hint(disk_kb: float) -> str:
    """A work_mem to try: three times the spill (an in-memory sort needs more than the compact runs it
    writes: on PostgreSQL 15 a 31 MB external merge sorted in 73 MB of memory, so twice was not
    enough), rounded up to a power of two megabytes, and never below the 4MB default it already lacked."""
    return f"{max(2 ** math.ceil(math.log2(max(disk_kb * 3 / 1024, 1))), 4)}MB"


def disk_sort(plan: ExplainPlan) -> Iterator[Finding]:
    """work_mem is per sort and per process: the advice follows the largest single spill, not the
    sum over the leader and its workers."""
    work_mem = (plan.settings or {}).get("work_mem")
    for node in plan.of_type("Sort", "Incremental Sort"):
        spills = _sort_disk_kb(node)
        if not spills:
            continue
        kb, total_kb = max(spills), sum(spills)
        setting = f" (work_mem {work_mem})" if work_mem else ""
        keys = [str(k) for k in node.extras.get("Sort Key") or node.extras.get("Presorted Key") or []]
        where = (f"{_mb(kb)} in the largest of {len(spills)} processes, {_mb(total_kb)} in all"
                 if len(spills) > 1 else _mb(kb))
        evidence = {"disk_kb": kb, "total_disk_kb": total_kb, "sort_method": node.extras.get("Sort Method"),
                    "sort_key": keys, "work_mem": work_mem, "work_mem_hint": work_mem_hint(kb)}
        if len(spills) > 1:
            evidence["processes"] = len(spills)
        if keys and _one_table(keys):
            evidence["index_sort_key"] = ", ".join(keys)
        yield catalogue.DISK_SORT.finding(
            f"Sort spilled {where} to disk{setting} using {node.extras.get('Sort Method', 'external sort')}",
            location=_where(node), evidence=evidence, cost_ms=node.exclusive_ms,
        )


def _one_table(keys: list[str]) -> bool:
    """Whether sort keys can come from one index: plain columns of a single table (alias)."""
    aliases = set()
    for key in keys:
        m = re.fullmatch(r"(?:([\w$]+|\"[^\"]+\")\.)?([\w$]+|\"[^\"]+\")(?: DESC| ASC)?(?: NULLS (?:FIRST|LAST))?", key.strip())
        if m is None:
            return False
        aliases.add(m.group(1))
    return len(aliases) == 1


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
    """Report where an estimate goes wrong, costed at what it caused. Errors propagate upwards, so a
    node whose child is already off in the same direction is reported only if it makes the error 10x
    worse itself. A misestimate is a warning only when the plan shows it changed a choice (see
    :func:`_consequence`); elsewhere it is info. Row counts of a merge join's inner side and of a
    Memoize include re-scans, and are not estimates gone wrong."""
    for node in plan.nodes():
        if not _misestimated(node) or (node.estimate_direction == "over"
                                       and _per_plan("cut_short", plan, _cut_short)[node.id]):
            continue
        parents = _parents(plan)
        if _rescanned(node, parents):
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
        effect, cost = _consequence(node, parents, inherited)
        severe = factor >= MISESTIMATE_SEVERE_FACTOR and effect is not None
        evidence = {"plan_rows": node.plan_rows, "actual_rows": node.actual_rows, "factor": round(factor, 2),
                    "direction": direction, "loops": node.actual_loops, "relation": node.relation}
        if effect:
            evidence["effect"] = effect
        yield catalogue.ROW_MISESTIMATE.finding(
            f"Row estimate off by {factor:,.0f}x ({direction}estimate): planned {node.plan_rows:,.0f} rows, "
            f"got {node.actual_rows:,.0f} per loop — the planner expected {what} rows"
            + (f"; {effect}" if effect else ""),
            location=_where(node), evidence=evidence,
            severity="warning" if severe else "info",
            cost_ms=cost if effect else node.exclusive_ms,
        )


_LAST: dict[str, tuple[ExplainPlan, object]] = {}


def _per_plan(name: str, plan: ExplainPlan, build: Callable[[ExplainPlan], object]):
    """``build(plan)``, computed once for the plan being analyzed (several rules need the same map)."""
    last = _LAST.get(name)
    if last is not None and last[0] is plan:
        return last[1]
    value = build(plan)
    _LAST[name] = (plan, value)
    return value


def _parents(plan: ExplainPlan) -> dict[int, PlanNode]:
    return _per_plan("parents", plan, lambda p: {child.id: node for node in p.nodes() for child in node.children})


def _rescanned(node: PlanNode, parents: dict[int, PlanNode]) -> bool:
    """A node whose row count counts re-reads: the inner side of a merge join (mark and restore),
    and a Memoize (a Materialize there is the merge join's inner side too)."""
    parent = parents.get(node.id)
    if node.node_type == "Memoize":
        return True
    return parent is not None and parent.node_type == "Merge Join" and node.parent_relationship == "Inner"


_JOINS = ("Nested Loop", "Hash Join", "Merge Join")


def _consequence(node: PlanNode, parents: dict[int, PlanNode], inherited: float) -> tuple[str | None, float | None]:
    """What the misestimate made the planner do, and the time that cost, when the plan shows it:

    - fewer rows than planned feeding the outer side of a Nested Loop that then ran its inner side
      thousands of times (a nested loop chosen for a handful of rows);
    - fewer rows than planned feeding a Hash whose batches grew at run time (sized for fewer rows);
    - a hash or merge join whose own selectivity is off 100x with accurate inputs (the join method
      and the scans under it were chosen for a result size it does not have).
    """
    direction = node.estimate_direction
    if (node.node_type in ("Hash Join", "Merge Join") and inherited < MISESTIMATE_FACTOR
            and (node.estimate_factor or 0) >= MISESTIMATE_SEVERE_FACTOR):
        return (f"{node.label} #{node.id} and the scans under it were chosen for "
                f"{node.plan_rows:,.0f} rows"), node.inclusive_ms
    if direction != "under":
        return None, None
    child, parent = node, parents.get(node.id)
    while parent is not None and parent.node_type not in _JOINS:
        if parent.node_type == "Hash":
            batches = _int(parent.extras.get("Hash Batches"))
            original = _int(parent.extras.get("Original Hash Batches")) or batches
            join = parents.get(parent.id)
            if batches > original and join is not None:
                return (f"the hash #{parent.id} was sized for {original} batch(es) and needed {batches}",
                        join.inclusive_ms)
            return None, None
        if parent.node_type in ("Sort", "Aggregate", "Limit", "Materialize", "Gather", "Gather Merge"):
            return None, None
        child, parent = parent, parents.get(parent.id)
    if parent is None or parent.node_type != "Nested Loop" or len(parent.children) < 2 or child is not parent.children[0]:
        return None, None
    inner = parent.children[1]
    loops = inner.actual_loops or 0
    if loops < NESTED_LOOP_MIN_LOOPS:
        return None, None
    return (f"the Nested Loop #{parent.id} above ran its inner side {loops:,} times, planned for "
            f"{child.plan_rows:,.0f} outer rows"), inner.inclusive_ms


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
        evidence = {"loops": loops, "inner_ms": inner.inclusive_ms, "outer_plan_rows": planned,
                    "outer_actual_rows": outer.total_rows, "inner": inner.label}
        evidence.update(_loop_advice(outer, inner))
        yield catalogue.NESTED_LOOP_MANY_LOOPS.finding(
            f"Nested Loop ran its inner side {loops:,} times{estimate}, "
            f"{inner.inclusive_ms:,.1f} ms in total ({(inner.actual_total_ms or 0):.3f} ms per loop)",
            location=_where(node), evidence=evidence, cost_ms=inner.inclusive_ms,
        )


_INDEXED = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Memoize")


def _loop_advice(outer: PlanNode, inner: PlanNode) -> dict[str, str]:
    """What the numbers say about the loops: the outer estimate was wrong, the inner side is a
    per-row subquery (an aggregate or a sort under the loop) that a set-based join would run once,
    or the inner side scans where an index on its join key would look up."""
    rows, planned = outer.actual_rows or 0, outer.plan_rows or 0
    if planned and rows / planned >= MISESTIMATE_FACTOR:
        return {"advice": f"the outer side was estimated at {planned:,.0f} rows and returned {rows:,.0f}; fix that "
                          "estimate (ANALYZE; CREATE STATISTICS for correlated columns) and the planner will "
                          "choose a hash join, which reads the inner side once",
                "advice_es": f"el lado externo se estimó en {planned:,.0f} filas y devolvió {rows:,.0f}; corrige esa "
                             "estimación (ANALYZE; CREATE STATISTICS para columnas correlacionadas) y el "
                             "planificador elegirá un hash join, que lee el lado interno una vez"}
    what = {"Aggregate": ("an aggregate", "un agregado"), "Sort": ("a sort", "una ordenación"),
            "Limit": ("a LIMIT", "un LIMIT"), "WindowAgg": ("a window function", "una función de ventana"),
            "Unique": ("a DISTINCT", "un DISTINCT")}.get(inner.node_type)
    if what:
        return {"advice": f"the inner side computes {what[0]} for every outer row (a correlated subquery or "
                          "LATERAL); compute it once for all rows with GROUP BY and join the result",
                "advice_es": f"el lado interno calcula {what[1]} por cada fila externa (una subconsulta "
                             "correlacionada o LATERAL); calcúlalo una vez para todas las filas con GROUP BY y "
                             "une el resultado"}
    loops = f"{inner.actual_loops:,}"
    if inner.node_type not in _INDEXED:
        return {"advice": f"index the inner side's join key ({inner.label}, run {loops} times) so each loop is a "
                          "lookup, or let the planner pick a hash join (check its estimates: ANALYZE)",
                "advice_es": f"indexa la clave del join del lado interno ({inner.label}, ejecutado {loops} veces) "
                             "para que cada iteración sea una búsqueda, o deja que el planificador elija un hash "
                             "join (revisa sus estimaciones: ANALYZE)"}
    return {"advice": f"each of the {loops} loops is already an index lookup ({inner.label}); a hash join would "
                      "read the inner side once: check why the planner expected few outer rows (ANALYZE)",
            "advice_es": f"cada una de las {loops} iteraciones ya es una búsqueda por índice ({inner.label}); un "
                         "hash join leería el lado interno una vez: revisa por qué el planificador esperaba pocas "
                         "filas externas (ANALYZE)"}


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
    """Loops under a Gather count every process: a subplan the leader and two workers each ran once
    shows loops=3 and was not re-scanned."""
    in_subplan: set[int] = set()
    for node in plan.nodes():
        if node.parent_relationship == "SubPlan" or node.id in in_subplan:
            in_subplan.update(child.id for child in node.children)
            in_subplan.add(node.id)
    for node in plan.nodes():
        if node.node_type != "CTE Scan" and node.id not in in_subplan:
            continue
        loops = (node.actual_loops or 0) // max(node.processes, 1)
        removed = _removed_total(node)
        if loops < SUBPLAN_MIN_LOOPS or removed < SUBPLAN_MIN_REMOVED:
            continue
        what = f"CTE {node.cte_name}" if node.node_type == "CTE Scan" else "SubPlan"
        per_process = f" in each of {node.processes} processes" if node.processes > 1 else ""
        yield catalogue.REPEATED_SUBPLAN_FILTER.finding(
            f"{what} is re-scanned {loops:,} times{per_process} and its filter discards {removed:,.0f} rows in "
            f"total ({removed / (node.actual_loops or 1):,.0f} per loop)",
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
    """Blocks read from outside shared_buffers may come from the OS page cache at memory speed: only
    I/O timings (track_io_timing) say whether the reads cost anything. A warning when they do."""
    buffers = plan.plan.buffers
    if buffers is None:
        return
    hit, read = buffers.shared_hit, buffers.shared_read
    if read < CACHE_MIN_READ_BLOCKS or hit / (hit + read) >= CACHE_HIT_MIN_RATIO:
        return
    io_ms = buffers.io_read_ms
    total = plan.stats.total_ms or 0.0
    costly = bool(io_ms) and bool(total) and io_ms / total >= IO_MIN_SHARE
    timing = (f", {io_ms:,.1f} ms reading" if io_ms else
              "; without I/O timings (track_io_timing) the plan cannot tell whether those reads cost time")
    yield catalogue.LOW_CACHE_HIT.finding(
        f"Shared buffer hit ratio {hit / (hit + read):.0%}: {read:,} blocks ({_mb(read * _BLOCK_KB)}) "
        f"read from outside shared_buffers{timing}",
        location=_where(plan.plan),
        evidence={"shared_hit": hit, "shared_read": read, "hit_share": round(hit / (hit + read), 4),
                  "io_read_ms": io_ms},
        severity="warning" if costly else "info",
        cost_ms=io_ms,
    )


def planning_dominates(plan: ExplainPlan) -> Iterator[Finding]:
    """PLAN013 when planning outlasts execution; on a plan of a node or two with no partitions that
    is usually the first statement of a connection (cold catalog caches), so info unless it is slow
    in absolute terms. PLAN020 when planning is slow in absolute terms though execution is longer."""
    planning, execution = plan.stats.planning_ms, plan.stats.execution_ms
    if planning is None or execution is None or planning < PLANNING_MIN_MS:
        return
    evidence = {"planning_ms": planning, "execution_ms": execution, "planning": plan.planning}
    if planning > execution:
        trivial = (len(plan.nodes()) <= TRIVIAL_PLAN_NODES and planning < SLOW_PLANNING_MS
                   and not plan.of_type("Append", "Merge Append"))
        yield catalogue.PLANNING_DOMINATES.finding(
            f"Planning took {planning:,.1f} ms, more than the {execution:,.1f} ms execution"
            + (" (on a plan this small, often a cold cache: re-run to check)" if trivial else ""),
            location=Location(node="Planning"), evidence=evidence,
            severity="info" if trivial else None, cost_ms=planning,
        )
    elif planning >= SLOW_PLANNING_MS:
        yield catalogue.SLOW_PLANNING.finding(
            f"Planning took {planning:,.1f} ms ({planning / (planning + execution):.0%} of planning plus "
            f"execution), paid again on every call that is not prepared",
            location=Location(node="Planning"), evidence=evidence, cost_ms=planning,
        )


def _checks_new_rows(plan: ExplainPlan, constraint: str, relation: str | None) -> bool:
    """Whether a foreign-key trigger checks rows the statement wrote into the referencing table (an
    INSERT, or the constraint's own table being modified) rather than looking for rows that
    reference deleted or changed keys: only the latter scans the referencing table."""
    modified = plan.of_type("ModifyTable")
    operations = {node.operation for node in modified}
    if operations and operations <= {"Insert"}:
        return True
    guess = _FK_DEFAULT_NAME.match(constraint)
    return bool(guess and (guess["table"] == relation
                           or (relation is None and guess["table"] in {n.relation for n in modified}
                               and "Delete" not in operations)))


_FK_DEFAULT_NAME = re.compile(r"^(?P<table>.+)_(?P<column>[a-z0-9]+_id)_fkey$")


def triggers(plan: ExplainPlan) -> Iterator[Finding]:
    """PLAN014 for a foreign-key constraint trigger that takes a real share of the statement and more
    than an index probe per call (the referencing column has no index: each call scans that table),
    PLAN015 for any other trigger."""
    total = plan.stats.total_ms or 0.0
    for trigger in plan.triggers or []:
        if not isinstance(trigger, dict):
            continue
        ms = trigger.get("Time")
        if not isinstance(ms, (int, float)) or ms < TRIGGER_MIN_MS or not total or ms / total < TRIGGER_MIN_SHARE:
            continue
        calls = _int(trigger.get("Calls"))
        constraint = trigger.get("Constraint Name")
        relation = trigger.get("Relation")
        name = str(trigger.get("Trigger Name") or "")
        per_call = f", {ms / calls:,.2f} ms per call" if calls else ""
        evidence = {"trigger_ms": ms, "calls": calls, "trigger_share": round(ms / total, 4), "relation": relation}
        if constraint and calls and ms / calls < FK_SCAN_MIN_MS_PER_CALL:
            continue  # index probes (the referencing column is indexed): the time is the number of rows
        if constraint and _checks_new_rows(plan, constraint, relation):
            continue  # the check of inserted rows probes the referenced key, which is always indexed
        if constraint:
            evidence["constraint"] = constraint
            evidence["lookup"] = ("its table and columns: SELECT conrelid::regclass, pg_get_constraintdef(oid) "
                                  f"FROM pg_constraint WHERE conname = '{constraint}'")
            guess = _FK_DEFAULT_NAME.match(constraint)
            if guess and guess["table"] != relation:
                evidence["index"] = f"CREATE INDEX ON {guess['table']} ({guess['column']})"
            on = f" on {relation}" if relation else ""
            yield catalogue.FK_CHECK_TRIGGER.finding(
                f"Trigger for constraint {constraint}{on} took {ms:,.1f} ms ({ms / total:.0%} of the statement) "
                f"in {calls:,} call{'s' if calls != 1 else ''}{per_call}",
                location=Location(node=f"Trigger for constraint {constraint}{on}"), evidence=evidence, cost_ms=ms,
            )
        else:
            evidence["trigger"] = name
            yield catalogue.SLOW_TRIGGER.finding(
                f"Trigger {name} took {ms:,.1f} ms ({ms / total:.0%} of the statement) in {calls:,} "
                f"call{'s' if calls != 1 else ''}{per_call}",
                location=Location(node=f"Trigger {name}"), evidence=evidence, cost_ms=ms,
            )


def join_filter_discards(plan: ExplainPlan) -> Iterator[Finding]:
    """PLAN016: a join whose Join Filter tests and discards most of the pairs its method produces.
    Its cost is the join's own time plus the re-reads of its inner side that only feed the filter."""
    for node in plan.of_type(*_JOINS):
        if "Rows Removed by Join Filter" not in node.extras:
            continue
        removed = _removed_total(node, "Rows Removed by Join Filter")
        kept = node.total_rows or 0.0
        if removed < JOIN_FILTER_MIN_REMOVED or removed / (removed + kept) < JOIN_FILTER_MIN_SHARE:
            continue
        condition = str(node.extras.get("Join Filter", ""))
        inner = node.children[1] if len(node.children) > 1 else None
        if node.node_type == "Nested Loop" and inner is not None:
            outer_ms = node.children[0].inclusive_ms or 0.0
            cost = (node.inclusive_ms or 0.0) - outer_ms
        elif node.node_type == "Merge Join" and inner is not None and inner.node_type in ("Materialize", "Sort"):
            cost = (node.exclusive_ms or 0.0) + (inner.exclusive_ms or 0.0)
        else:
            cost = node.exclusive_ms
        total = plan.stats.total_ms or 0.0
        evidence = {"rows_removed": removed, "pairs": removed + kept, "rows": kept, "join_filter": condition}
        if total and cost is not None:
            evidence["cost_share"] = round(cost / total, 4)
        evidence.update(_join_filter_advice(node, condition))
        share = f", {cost / total:.0%} of the time" if total and cost else ""
        yield catalogue.JOIN_FILTER_DISCARDS.finding(
            f"{node.label}'s Join Filter discards {removed:,.0f} of {removed + kept:,.0f} row pairs "
            f"({removed / (removed + kept):.1%}) to keep {kept:,.0f}{share}",
            location=_where(node), evidence=evidence, cost_ms=cost,
        )


_RANGE_OPS = re.compile(r"(?<![<>=!])(?:<=|>=|<|>)(?![<>=])")


def _join_filter_advice(node: PlanNode, condition: str) -> dict[str, str]:
    if re.search(r"\w+\(", condition) and not _RANGE_OPS.search(condition):
        return {"advice": "the filter computes an expression on every pair - store it (a generated column, or an "
                          "expression index) and join on it with =, so the join matches instead of testing",
                "advice_es": "el filtro calcula una expresión en cada par: guárdala (una columna generada o un "
                             "índice de expresión) y une por ella con =, para que el join busque en lugar de probar"}
    if _RANGE_OPS.search(condition):
        return {"advice": "the filter is a range (x BETWEEN lo AND hi): look each row's match up with a LATERAL "
                          "subquery on an index (ORDER BY lo DESC LIMIT 1), or store the range as a range type "
                          "and join with @> on a GiST index",
                "advice_es": "el filtro es un rango (x BETWEEN lo AND hi): busca la fila de cada una con una "
                             "subconsulta LATERAL sobre un índice (ORDER BY lo DESC LIMIT 1), o guarda el rango "
                             "como tipo range y une con @> sobre un índice GiST"}
    return {"advice": "rewrite the condition so the join can use it as a hash, merge or index key (an equality); "
                      "an OR of conditions can become a UNION of joins",
            "advice_es": "reescribe la condición para que el join la use como clave de hash, merge o índice (una "
                         "igualdad); un OR de condiciones puede ser una UNION de joins"}


_NOT_IN = re.compile(r"NOT \((?:SubPlan \d+|ANY \(.*\(SubPlan \d+\)[^)]*\))\)")


def not_in_subplan(plan: ExplainPlan) -> Iterator[Finding]:
    """PLAN017: NOT IN (subquery) whose SubPlan is not hashed: it runs again for every outer row."""
    for node in plan.nodes():
        condition = node.extras.get("Filter")
        if (not isinstance(condition, str) or "SubPlan" not in condition or "hashed SubPlan" in condition
                or not _NOT_IN.search(condition)):
            continue
        subplans = [c for c in node.children if c.parent_relationship == "SubPlan"]
        if not subplans:
            continue
        sub = subplans[0]
        loops = (sub.actual_loops or 0) // max(sub.processes, 1)
        if loops < SUBPLAN_MIN_LOOPS:
            continue
        yield catalogue.NOT_IN_SUBPLAN.finding(
            f"{node.label} on {node.target} filters with NOT IN (SubPlan): the subquery ran {loops:,} times, "
            f"{sub.inclusive_ms or 0:,.1f} ms in total",
            location=_where(node),
            evidence={"loops": loops, "subplan_ms": sub.inclusive_ms, "filter": condition},
            cost_ms=node.inclusive_ms,
        )


def hot_nodes(plan: ExplainPlan, found: list[Finding]) -> Iterator[Finding]:
    """PLAN021: a node holding a large share of the time that no finding explains, reported with
    what its own numbers say (reads, rows read for a LIMIT, rows rechecked, loop overhead). A node
    whose numbers explain nothing (a join producing the rows the query asks for) stays quiet."""
    total = plan.stats.total_ms or 0.0
    if not total or not plan.stats.analyzed:
        return
    explained = {_node_id(f) for f in found if f.severity != "info"}
    for node in plan.nodes():
        ms = node.exclusive_ms or 0.0
        if ms < HOT_NODE_MIN_MS or ms / total < HOT_NODE_SHARE or node.id in explained:
            continue
        reading = _reading(node, _under_limit(plan), _parents(plan))
        if reading is None:
            continue
        en, es = reading
        yield catalogue.HOT_NODE.finding(
            f"{node.label}{(' using ' if node.index else ' on ') + node.target if node.target else ''} takes {ms:,.1f} ms ({ms / total:.0%} of "
            f"the statement) of its own: {en.split(':')[0].split('. ')[0]}",
            location=_where(node),
            evidence={"node_ms": ms, "node_share": round(ms / total, 4), "advice": en, "advice_es": es,
                      "reading_es": es.split(":")[0].split(". ")[0]},
            cost_ms=ms,
        )


def _node_id(finding: Finding) -> int | None:
    node = finding.location.node if finding.location else None
    m = re.match(r"#(\d+)\b", node or "")
    return int(m.group(1)) if m else None


def _reading(node: PlanNode, limited: list[bool], parents: dict[int, PlanNode]) -> tuple[str, str] | None:
    ms = node.exclusive_ms or 0.0
    buffers = node.buffers
    if buffers is not None and buffers.shared_read >= IO_MIN_BLOCKS and _reading_costs(node, ms):
        per = ms / buffers.shared_read
        timing = f" ({buffers.io_read_ms:,.1f} ms of I/O)" if buffers.io_read_ms else ""
        return (f"it read {buffers.shared_read:,} blocks from outside shared_buffers{timing}, {per:.2f} ms per "
                "block: the time is reading. Read fewer blocks (a more selective or covering index, CLUSTER on "
                "the index) or keep them cached (shared_buffers, pg_prewarm)",
                f"leyó {buffers.shared_read:,} bloques de fuera de shared_buffers{timing}, {per:.2f} ms por bloque: "
                "el tiempo es lectura. Lee menos bloques (un índice más selectivo o que cubra la consulta, CLUSTER "
                "por el índice) o mantenlos en caché (shared_buffers, pg_prewarm)")
    heap_blocks = _int(node.extras.get("Exact Heap Blocks")) + _int(node.extras.get("Lossy Heap Blocks"))
    if node.node_type == "Bitmap Heap Scan" and heap_blocks >= IO_MIN_BLOCKS and (buffers is None or not buffers.shared_hit):
        removed = _removed_total(node, "Rows Removed by Index Recheck") + _removed_total(node)
        if removed < (node.total_rows or 0):
            return (f"it fetched {heap_blocks:,} heap blocks, {ms / heap_blocks:.2f} ms each: random heap reads "
                    "(a cold cache; EXPLAIN (ANALYZE, BUFFERS) shows the reads). Keep the table cached "
                    "(pg_prewarm, shared_buffers) or CLUSTER it on the index so matching rows share blocks",
                    f"leyó {heap_blocks:,} bloques del heap, {ms / heap_blocks:.2f} ms cada uno: lecturas "
                    "aleatorias (caché fría; EXPLAIN (ANALYZE, BUFFERS) las muestra). Mantén la tabla en caché "
                    "(pg_prewarm, shared_buffers) o haz CLUSTER por el índice")
    if node.node_type == "Bitmap Heap Scan":
        rechecked = _removed_total(node, "Rows Removed by Index Recheck")
        filtered = _removed_total(node)
        kept = node.total_rows or 0.0
        if rechecked + filtered >= max(kept, 1.0):
            return (f"it fetched {rechecked + filtered + kept:,.0f} rows and discarded {rechecked:,.0f} on recheck "
                    f"and {filtered:,.0f} by its Filter to keep {kept:,.0f}: the index condition is much coarser "
                    "than the test (a bounding box for an exact geometry test: subdivide large geometries, "
                    "ST_Subdivide; a lossy bitmap: more work_mem)",
                    f"leyó {rechecked + filtered + kept:,.0f} filas y descartó {rechecked:,.0f} al recomprobar y "
                    f"{filtered:,.0f} con su filtro para quedarse con {kept:,.0f}: la condición del índice es mucho "
                    "más gruesa que la prueba (subdivide geometrías grandes con ST_Subdivide; si es lossy, más work_mem)")
    if limited[node.id] and node.total_rows:
        limit = next((p for p in _ancestors(node, parents) if p.node_type == "Limit"), None)
        kept = limit.total_rows if limit is not None else None
        if kept is not None and node.total_rows >= 1_000 and node.total_rows >= 10 * max(kept, 1):
            return (f"it produced {node.total_rows:,.0f} rows for a Limit that returns {kept:,.0f}: an OFFSET "
                    "skipping rows, or a filter above it. Use keyset pagination (WHERE key < last seen key) "
                    "instead of OFFSET",
                    f"produjo {node.total_rows:,.0f} filas para un Limit que devuelve {kept:,.0f}: un OFFSET que "
                    "salta filas o un filtro por encima. Usa paginación por clave (WHERE clave < última vista) en "
                    "lugar de OFFSET")
    if node.node_type == "Nested Loop" and len(node.children) > 1:
        inner = node.children[1]
        loops = inner.actual_loops or 0
        if loops >= HOT_LOOPS:
            return (f"the loop itself over {loops:,} iterations (the inner side's {inner.actual_total_ms or 0:.3f} ms "
                    "per loop is rounded, so the loop's time shows here). A hash join reads the inner side once: "
                    "check why the planner chose a nested loop (enable_* settings, estimates)",
                    f"el propio bucle en {loops:,} iteraciones (los {inner.actual_total_ms or 0:.3f} ms por iteración "
                    "del lado interno están redondeados, así que el tiempo aparece aquí). Un hash join lee el lado "
                    "interno una vez: revisa por qué el planificador eligió un nested loop (ajustes enable_*, "
                    "estimaciones)")
    return None


def _reading_costs(node: PlanNode, ms: float) -> bool:
    """Whether the node's reads explain its time: I/O timings say so, or (without them) most of its
    blocks were reads and each took a disk's time, not the OS page cache's."""
    buffers = node.buffers
    if buffers is None or not buffers.shared_read:
        return False
    if buffers.io_read_ms is not None:
        return buffers.io_read_ms >= HOT_NODE_SHARE * ms
    touched = buffers.shared_read + buffers.shared_hit
    return buffers.shared_read >= 0.5 * touched and ms / buffers.shared_read >= 0.1


def _ancestors(node: PlanNode, parents: dict[int, PlanNode]):
    parent = parents.get(node.id)
    while parent is not None:
        yield parent
        parent = parents.get(parent.id)


RULES: tuple[Callable[[ExplainPlan], Iterator[Finding]], ...] = (
    seq_scan_large_filter,
    index_scan_filter,
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
    triggers,
    join_filter_discards,
    not_in_subplan,
)


def find_problems(plan: ExplainPlan) -> list[Finding]:
    """Every rule's findings ranked by the time they cost. A warning costing less than a tenth of the
    statement is a side issue (info); one costing half of it (and 100 ms) is an error. Then the
    nodes that hold a large share of the time and that no finding explains get their own."""
    total = plan.stats.total_ms or 0.0
    findings: list[Finding] = []
    try:
        for rule in RULES:
            for finding in rule(plan):
                _grade(finding, total)
                findings.append(finding)
        for finding in hot_nodes(plan, findings):
            _grade(finding, total)
            findings.append(finding)
    finally:
        _LAST.clear()  # the maps hold the plan: let it go with the caller's last reference
    findings.sort(key=lambda f: -(f.cost_ms or 0.0))
    return findings


def _grade(finding: Finding, total: float) -> None:
    cost = finding.cost_ms
    if finding.severity != "warning" or not total or cost is None:
        return
    if cost / total < SIDE_ISSUE_SHARE:
        finding.severity = "info"
    elif cost >= ESCALATE_MIN_MS and cost / total >= ESCALATE_SHARE:
        finding.severity = "error"
