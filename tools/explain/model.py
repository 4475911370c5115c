"""The typed plan tree: built here from FORMAT JSON, or directly by the text parser; measured here.

Timing model (the numbers every finding and the renderer rely on):

* ``inclusive_ms`` — wall time spent in the node and everything below it:
  ``Actual Total Time`` (an average per loop) × ``Actual Loops``, divided by the number of
  processes that ran it when the node sits under a Gather (workers launched + the leader), because
  PostgreSQL sums loops over processes that ran in parallel.
* ``exclusive_ms`` — inclusive minus the children's inclusive time. A CTE's plan runs inside the
  ``CTE Scan`` that reads it, so its time is taken off that scan, not off the node the CTE hangs
  from; an InitPlan's time is taken off the node whose expressions use its result. This keeps
  the sum of exclusive times equal to the root's inclusive time (no double counting).
* ``share`` — exclusive time over the statement's execution time.
* ``estimate_factor``/``estimate_direction`` — actual rows vs planned rows per loop, as PEV2:
  factor ≥ 1, direction ``under`` when the planner expected fewer rows, ``over`` when more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from tools.errors import InputError

BUFFER_FIELDS = {
    "Shared Hit Blocks": "shared_hit",
    "Shared Read Blocks": "shared_read",
    "Shared Dirtied Blocks": "shared_dirtied",
    "Shared Written Blocks": "shared_written",
    "Local Hit Blocks": "local_hit",
    "Local Read Blocks": "local_read",
    "Local Dirtied Blocks": "local_dirtied",
    "Local Written Blocks": "local_written",
    "Temp Read Blocks": "temp_read",
    "Temp Written Blocks": "temp_written",
}
_IO_READ_KEYS = ("I/O Read Time", "Shared I/O Read Time", "Local I/O Read Time", "Temp I/O Read Time")
_IO_WRITE_KEYS = ("I/O Write Time", "Shared I/O Write Time", "Local I/O Write Time", "Temp I/O Write Time")
# Deeper plans are refused: real plans stay far below, and every consumer (JSON, terminal tree)
# walks the tree recursively.
MAX_DEPTH = 200
# PEV2's text parser invents these two; PostgreSQL never reports temp hits or dirtied temp blocks.
_IGNORED_KEYS = frozenset({"Temp Hit Blocks", "Temp Dirtied Blocks"})


@dataclass(slots=True)
class Buffers:
    """Block counts (8 kB each) from ``BUFFERS``, and the I/O time from ``track_io_timing``."""

    shared_hit: int = 0
    shared_read: int = 0
    shared_dirtied: int = 0
    shared_written: int = 0
    local_hit: int = 0
    local_read: int = 0
    local_dirtied: int = 0
    local_written: int = 0
    temp_read: int = 0
    temp_written: int = 0
    io_read_ms: float | None = None  # all scopes
    io_write_ms: float | None = None


@dataclass(slots=True)
class PlanNode:
    """One plan node. ``extras`` keeps every other property under its FORMAT JSON name, typed."""

    id: int
    node_type: str
    relation: str | None = None
    schema: str | None = None
    alias: str | None = None
    index: str | None = None
    cte_name: str | None = None
    function_name: str | None = None
    subplan_name: str | None = None
    parent_relationship: str | None = None
    join_type: str | None = None
    strategy: str | None = None
    partial_mode: str | None = None
    operation: str | None = None
    scan_direction: str | None = None
    parallel_aware: bool = False
    async_capable: bool = False
    startup_cost: float | None = None
    total_cost: float | None = None
    plan_rows: float | None = None
    plan_width: int | None = None
    actual_startup_ms: float | None = None
    actual_total_ms: float | None = None
    actual_rows: float | None = None
    actual_loops: int | None = None
    workers_planned: int | None = None
    workers_launched: int | None = None
    buffers: Buffers | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    children: list[PlanNode] = field(default_factory=list)
    # Derived by build_plan().
    inclusive_ms: float | None = None
    exclusive_ms: float | None = None
    share: float | None = None
    estimate_factor: float | None = None
    estimate_direction: str | None = None
    hot: bool = False
    processes: int = 1  # the processes whose loops ``actual_loops`` sums: under a Gather, leader + workers

    @property
    def never_executed(self) -> bool:
        return self.actual_loops == 0

    @property
    def total_rows(self) -> float | None:
        """Rows produced over all loops."""
        if self.actual_rows is None or self.actual_loops is None:
            return None
        return self.actual_rows * self.actual_loops

    @property
    def label(self) -> str:
        """The name EXPLAIN's text format prints: ``Hash Left Join``, ``Parallel Seq Scan``..."""
        name = self.node_type
        if name == "Aggregate" and self.strategy:
            name = {"Sorted": "GroupAggregate", "Hashed": "HashAggregate", "Mixed": "MixedAggregate"}.get(
                self.strategy, "Aggregate"
            )
        elif name == "ModifyTable" and self.operation:
            name = self.operation
        elif self.join_type and self.join_type != "Inner":
            name = f"{name} {self.join_type} Join" if name == "Nested Loop" else name.replace(" Join", f" {self.join_type} Join")
        if self.partial_mode and self.partial_mode != "Simple":
            name = f"{self.partial_mode} {name}"
        if self.scan_direction == "Backward":
            name += " Backward"
        if self.parallel_aware:
            name = "Parallel " + name
        return name

    @property
    def target(self) -> str:
        """What the node reads: ``public.orders o``, ``users_pkey on users``, ``CTE x``..."""
        rel = f"{self.schema}.{self.relation}" if self.schema and self.relation else self.relation
        parts = []
        if self.index:
            parts.append(self.index + (f" on {rel}" if rel else ""))
        elif rel:
            parts.append(rel)
        elif self.cte_name:
            parts.append(self.cte_name)
        elif self.function_name:
            parts.append(self.function_name)
        if self.alias and self.alias not in (self.relation, self.cte_name, self.function_name):
            parts.append(self.alias)
        return " ".join(parts)

    def walk(self):
        """Pre-order, iteratively (plans can be deep)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


class PlanStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planning_ms: float | None = None
    execution_ms: float | None = None
    nodes: int = 0
    total_ms: float | None = None  # execution time, or the root's time when it was not reported
    trigger_ms: float | None = None
    jit_ms: float | None = None
    analyzed: bool = False  # EXPLAIN ANALYZE (actual rows/times present)
    format: str = "text"


class ExplainPlan(BaseModel):
    """A parsed and measured plan: the tree plus the statement-level facts."""

    plan: PlanNode
    stats: PlanStats
    planning: dict[str, Any] | None = None  # planning buffers / memory
    triggers: list[dict[str, Any]] | None = None
    jit: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    query_identifier: int | str | None = None
    extras: dict[str, Any] | None = None  # any other statement-level key
    _nodes: list[PlanNode] | None = PrivateAttr(default=None)
    _by_type: dict[str, list[PlanNode]] | None = PrivateAttr(default=None)

    def nodes(self) -> list[PlanNode]:
        """Every node, pre-order (computed once: rules and views walk the plan many times)."""
        if self._nodes is None:
            self._nodes = list(self.plan.walk())
        return self._nodes

    def of_type(self, *node_types: str) -> list[PlanNode]:
        """Nodes of the given types, pre-order (rules look at one or two node types each)."""
        if self._by_type is None:
            by_type: dict[str, list[PlanNode]] = {}
            for node in self.nodes():
                by_type.setdefault(node.node_type, []).append(node)
            self._by_type = by_type
        if len(node_types) == 1:
            return self._by_type.get(node_types[0], [])
        return sorted((n for t in node_types for n in self._by_type.get(t, [])), key=lambda n: n.id)

    def to_pg_json(self) -> dict[str, Any]:
        """The plan under FORMAT JSON names, e.g. to paste a TEXT plan into tools that want JSON."""
        out: dict[str, Any] = {"Plan": to_pg_json(self.plan)}
        if self.stats.planning_ms is not None:
            out["Planning Time"] = self.stats.planning_ms
        for key, value in (("Planning", self.planning), ("Triggers", self.triggers), ("JIT", self.jit),
                           ("Settings", self.settings), ("Query Identifier", self.query_identifier)):
            if value is not None:
                out[key] = value
        out.update({k: v for k, v in (self.extras or {}).items() if k != "Unplaced Lines"})  # ours, not PG's
        if self.stats.execution_ms is not None and "Total Runtime" not in out:
            out["Execution Time"] = self.stats.execution_ms
        return out


# Plan numbers are int64 counters and doubles well below this (PostgreSQL clamps row estimates to
# 1e100); input can still say 1e400 (inf) or write a 400-digit integer, which no arithmetic survives.
NUMBER_LIMIT = 1e300
# The same bounds as constants of each type: comparing an int with an int, a float with a float, and
# without negating on every call, is half the cost on a 10,000-node plan.
_LO, _HI, _INT_LO, _INT_HI = -NUMBER_LIMIT, NUMBER_LIMIT, -(10**300), 10**300


def _number(raw: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, (int, float)) else float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {key!r} is not a number: {str(value)[:40]!r}") from None
    if not -NUMBER_LIMIT < number < NUMBER_LIMIT:  # also false for nan
        raise InputError(f"{where}: {key!r} is out of range: {str(value)[:40]!r}")
    return kind(number)


_STR_FIELDS = (
    ("Relation Name", "relation"),
    ("Schema", "schema"),
    ("Alias", "alias"),
    ("Index Name", "index"),
    ("CTE Name", "cte_name"),
    ("Function Name", "function_name"),
    ("Subplan Name", "subplan_name"),
    ("Parent Relationship", "parent_relationship"),
    ("Join Type", "join_type"),
    ("Strategy", "strategy"),
    ("Partial Mode", "partial_mode"),
    ("Operation", "operation"),
    ("Scan Direction", "scan_direction"),
)
_NUM_FIELDS = (
    ("Startup Cost", "startup_cost", float),
    ("Total Cost", "total_cost", float),
    ("Plan Rows", "plan_rows", float),
    ("Plan Width", "plan_width", int),
    ("Actual Startup Time", "actual_startup_ms", float),
    ("Actual Total Time", "actual_total_ms", float),
    ("Actual Rows", "actual_rows", float),
    ("Actual Loops", "actual_loops", int),
    ("Workers Planned", "workers_planned", int),
    ("Workers Launched", "workers_launched", int),
)

_BUFFER = object()  # markers in FIELD_SPEC
_SKIP = object()
FIELD_SPEC: dict[str, tuple[str, Any]] = {
    **{key: (attr, str) for key, attr in _STR_FIELDS},
    **{key: (attr, kind) for key, attr, kind in _NUM_FIELDS},
    **{key: (attr, _BUFFER) for key, attr in BUFFER_FIELDS.items()},
    "Parallel Aware": ("parallel_aware", bool),
    "Async Capable": ("async_capable", bool),
    "Node Type": ("", _SKIP),
    "Plans": ("", _SKIP),
    **{key: ("", _SKIP) for key in _IGNORED_KEYS},
}
_IO_KEYS = {**{k: True for k in _IO_READ_KEYS}, **{k: False for k in _IO_WRITE_KEYS}}


def _node(raw: Any, nodes: list[PlanNode], depth: int = 0) -> PlanNode:
    """One pass over the node's keys: typed fields, buffers, and the rest into extras."""
    if depth > MAX_DEPTH:
        raise InputError(f"plan nested deeper than {MAX_DEPTH} levels")
    if not isinstance(raw, dict):
        raise InputError(f"plan node #{len(nodes)} is not an object")
    node_type = raw.get("Node Type")
    if not isinstance(node_type, str) or not node_type:
        raise InputError(f"plan node #{len(nodes)} has no \"Node Type\"")
    node_id = len(nodes)
    # Collected first and passed to the constructors at once: cheaper than a setattr per key.
    fields: dict[str, Any] = {}
    counts: dict[str, Any] | None = None
    extras: dict[str, Any] = {}
    has_io = False
    for key, value in raw.items():
        spec = FIELD_SPEC.get(key)
        if spec is None:
            if ((type(value) is float and not _LO < value < _HI) or (type(value) is int and not _INT_LO < value < _INT_HI)
                    or (type(value) in (dict, list) and not _in_range(value))):
                raise InputError(f"{_where(node_id, node_type)}: {key!r} holds a number out of range")
            extras[key] = value
            has_io = has_io or key in _IO_KEYS
            continue
        attr, kind = spec
        if kind is _SKIP or value is None:
            continue
        if kind is _BUFFER:
            if counts is None:
                counts = {}
            counts[attr] = (value if type(value) is int and _INT_LO < value < _INT_HI
                            else _number(raw, key, int, _where(node_id, node_type)) or 0)
        elif kind is float:  # keep ints as given: TEXT and JSON then agree on "rows=10" vs 10
            fields[attr] = (value if (type(value) is float and _LO < value < _HI)
                            or (type(value) is int and _INT_LO < value < _INT_HI)
                            else _number(raw, key, float, _where(node_id, node_type)))
        elif kind is str:
            fields[attr] = value if type(value) is str else str(value)
        elif kind is bool:
            fields[attr] = value is True
        else:
            fields[attr] = (value if type(value) is int and _INT_LO < value < _INT_HI
                            else _number(raw, key, int, _where(node_id, node_type)))
    buffers = None if counts is None else Buffers(**counts)
    node = PlanNode(id=node_id, node_type=node_type, buffers=buffers, extras=extras, **fields)
    nodes.append(node)
    if has_io:
        add_io_times(node)
    children = raw.get("Plans")
    if children:
        if not isinstance(children, list):
            raise InputError(f'{_where(node_id, node_type)}: "Plans" is not a list')
        kids = node.children
        for child in children:  # a loop, not a comprehension: one stack frame per plan level
            kids.append(_node(child, nodes, depth + 1))
    return node


def _in_range(value: Any) -> bool:
    """Every number inside a nested value (Workers, Sort Space, JIT, Triggers...) within the limit."""
    if type(value) is float:
        return _LO < value < _HI
    if type(value) is int:
        return _INT_LO < value < _INT_HI
    if type(value) is dict:
        return all(_in_range(v) for v in value.values())
    if type(value) is list:
        return all(_in_range(v) for v in value)
    return True


def _where(node_id: int, node_type: str) -> str:
    return f"node #{node_id} ({node_type})"


def add_io_times(node: PlanNode) -> None:
    """Sum the I/O timing properties (any scope, any PostgreSQL version's keys) into ``buffers``."""
    read = write = None
    for key, is_read in _IO_KEYS.items():
        value = node.extras.get(key)
        if type(value) in (int, float):
            if is_read:
                read = (read or 0.0) + value
            else:
                write = (write or 0.0) + value
    if read is None and write is None:
        return
    if node.buffers is None:
        node.buffers = Buffers()
    node.buffers.io_read_ms = read or 0.0
    node.buffers.io_write_ms = write or 0.0


def build_plan(raw: dict[str, Any]) -> ExplainPlan:
    """Typed, measured plan from a FORMAT JSON document ``{"Plan": {...}, "Planning Time": ...}``."""
    nodes: list[PlanNode] = []
    return finish_plan(_node(raw["Plan"], nodes), nodes, raw, "json")


def finish_plan(root: PlanNode, nodes: list[PlanNode], raw: dict[str, Any], fmt: str) -> ExplainPlan:
    """Measure a typed tree and attach the statement-level facts, which ``raw`` holds under their
    FORMAT JSON names (``Planning Time``, ``Triggers``, ``JIT``...). ``nodes`` lists the tree in
    pre-order, each node's ``id`` its index (both parsers number nodes as they create them)."""
    for key, value in raw.items():
        if key != "Plan" and not _in_range(value):
            raise InputError(f"plan: {key!r} holds a number out of range")
    planning_ms = _number(raw, "Planning Time", float, "plan")
    execution_ms = _number(raw, "Execution Time", float, "plan")
    if execution_ms is None:
        execution_ms = _number(raw, "Total Runtime", float, "plan")
    _fill_missing_buffers(nodes)
    _inclusive(nodes)
    triggers = raw.get("Triggers") if isinstance(raw.get("Triggers"), list) else None
    trigger_ms = sum(t.get("Time", 0) for t in triggers if isinstance(t, dict)) if triggers else None
    total_ms = execution_ms
    if not total_ms and root.inclusive_ms is not None:
        # Execution Time includes the AFTER triggers (FK checks) that run once the plan is done.
        total_ms = root.inclusive_ms + (trigger_ms or 0.0)
    _measure(nodes, total_ms)
    jit = raw.get("JIT") if isinstance(raw.get("JIT"), dict) else None
    jit_ms = _jit_total(jit) if jit else None
    known = {"Plan", "Planning Time", "Execution Time", "Triggers", "JIT", "Settings", "Planning",
             "Query Identifier"}
    stats = PlanStats(
        planning_ms=planning_ms,
        execution_ms=execution_ms,
        nodes=len(nodes),
        total_ms=total_ms,
        trigger_ms=trigger_ms,
        jit_ms=jit_ms,
        analyzed=root.actual_loops is not None,
        format=fmt,
    )
    plan = ExplainPlan.model_construct(
        plan=root,
        stats=stats,
        planning=raw.get("Planning") if isinstance(raw.get("Planning"), dict) else None,
        triggers=triggers,
        jit=jit,
        settings=raw.get("Settings") if isinstance(raw.get("Settings"), dict) else None,
        query_identifier=raw.get("Query Identifier"),
        extras={k: v for k, v in raw.items() if k not in known} or None,
    )
    plan._nodes = nodes
    return plan


def _jit_total(jit: dict[str, Any]) -> float | None:
    """JIT time: ``Timing.Total``, or the sum of the ``... Time: 1.2 ms`` lines PostgreSQL 11 printed."""
    timing = jit.get("Timing")
    if isinstance(timing, dict):
        total = timing.get("Total")
        return float(total) if isinstance(total, (int, float)) else None
    parts = [_MS.match(str(v)) for k, v in jit.items() if k.endswith(" Time")]
    return sum(float(m[1]) for m in parts if m) if any(parts) else None


_MS = re.compile(r"\s*([\d.]+)\s*ms\s*$")


def _fill_missing_buffers(nodes: list[PlanNode]) -> None:
    """Text format omits ``Buffers:`` lines that would be all zeros; JSON reports the zeros."""
    if any(n.buffers is not None for n in nodes):
        for node in nodes:
            if node.buffers is None:
                node.buffers = Buffers()


def _measure(nodes: list[PlanNode], total_ms: float | None) -> None:
    """Exclusive time, share, estimate factor and the hot path, once inclusive times are set."""
    cte_time: dict[str, float] = {}
    initplans: list[tuple[PlanNode, PlanNode]] = []
    parents: dict[int, PlanNode] = {}
    for node in nodes:
        exclusive = node.inclusive_ms
        for child in node.children:
            parents[child.id] = node
            if exclusive is None or child.inclusive_ms is None:
                continue
            if child.parent_relationship != "InitPlan":
                exclusive -= child.inclusive_ms
            elif (child.subplan_name or "").startswith("CTE "):
                name = child.subplan_name[4:]
                cte_time[name] = cte_time.get(name, 0.0) + child.inclusive_ms
            else:
                initplans.append((node, child))  # taken off the node that uses its result
        node.exclusive_ms = exclusive
    for owner, initplan in initplans:
        user = _initplan_user(owner, initplan)
        if user.exclusive_ms is not None:
            user.exclusive_ms -= initplan.inclusive_ms
    if cte_time:  # each CTE's time is inside the CTE Scans that read it, first reader first
        for node in nodes:
            if node.node_type == "CTE Scan" and node.cte_name in cte_time and node.exclusive_ms is not None:
                taken = min(cte_time[node.cte_name], node.exclusive_ms)
                node.exclusive_ms -= taken
                cte_time[node.cte_name] -= taken
    hottest = None
    for node in nodes:
        exclusive = node.exclusive_ms
        if exclusive is not None:
            if exclusive < 0:
                node.exclusive_ms = exclusive = 0.0  # rounding in the reported times
            if total_ms:
                node.share = min(1.0, exclusive / total_ms)
            if hottest is None or exclusive > hottest.exclusive_ms:
                hottest = node
        if node.actual_rows and node.plan_rows:  # actual rows vs planned, per loop, as PEV2
            factor = node.actual_rows / node.plan_rows
            if not 1 / NUMBER_LIMIT < factor < NUMBER_LIMIT:  # from absurd inputs (1e-309 rows): no estimate
                continue
            if factor > 1:
                node.estimate_factor, node.estimate_direction = factor, "under"
            elif factor < 1:
                node.estimate_factor, node.estimate_direction = 1 / factor, "over"
            else:
                node.estimate_factor, node.estimate_direction = 1.0, "none"
    while hottest is not None:  # root → the node with the largest exclusive time
        hottest.hot = True
        hottest = parents.get(hottest.id)


def _inclusive(nodes: list[PlanNode]) -> None:
    """Set inclusive_ms, top-down over the pre-order list: a node under a Gather divides its loops
    by the processes that ran them (workers of the nearest Gather above + the leader)."""
    gather_workers = [0] * len(nodes)  # by node id
    for node in nodes:
        workers = gather_workers[node.id]
        loops = node.actual_loops
        if node.actual_total_ms is not None and loops is not None:
            processes = min(loops, workers + 1) if workers and loops else 1
            node.processes = processes
            node.inclusive_ms = node.actual_total_ms * loops / max(processes, 1)
            if not -NUMBER_LIMIT < node.inclusive_ms < NUMBER_LIMIT:
                raise InputError(f"{_where(node.id, node.node_type)}: time × loops is out of range")
        elif loops == 0:
            node.inclusive_ms = 0.0
        if node.workers_planned is not None or node.workers_launched is not None:
            workers = node.workers_launched if node.workers_launched is not None else node.workers_planned or 0
        if workers:
            for child in node.children:
                gather_workers[child.id] = workers


_PARAM = re.compile(r"\(returns ([^)]*)\)")


def _initplan_user(owner: PlanNode, initplan: PlanNode) -> PlanNode:
    """The deepest node under ``owner`` whose properties mention the InitPlan's result."""
    name = initplan.subplan_name or ""
    match = _PARAM.search(name)
    tokens = [t.strip() for t in match[1].split(",")] if match else []
    if not tokens:
        tokens = [f"({name.split(' (')[0]})"]  # PG16+: "(InitPlan 1).col1"
    best, best_depth = owner, -1
    stack = [(owner, 0)]
    while stack:
        node, depth = stack.pop()
        text = " ".join(str(v) for k, v in node.extras.items() if isinstance(v, (str, list)))
        if depth > best_depth and any(re.search(re.escape(t) + r"(?!\d)", text) for t in tokens):
            best, best_depth = node, depth
        stack.extend((c, depth + 1) for c in node.children if c is not initplan)
    return best


def to_pg_json(node: PlanNode) -> dict[str, Any]:
    """The node back under FORMAT JSON names (what PEV2 and other tools exchange)."""
    out: dict[str, Any] = {"Node Type": node.node_type}
    for key, attr in _STR_FIELDS:
        value = getattr(node, attr)
        if value is not None:
            out[key] = value
    out["Parallel Aware"] = node.parallel_aware
    out["Async Capable"] = node.async_capable
    for key, attr, _ in _NUM_FIELDS:
        value = getattr(node, attr)
        if value is not None:
            out[key] = value
    if node.buffers is not None:
        for key, attr in BUFFER_FIELDS.items():
            out[key] = getattr(node.buffers, attr)
    out.update(node.extras)
    if node.children:
        out["Plans"] = [to_pg_json(child) for child in node.children]
    return out
