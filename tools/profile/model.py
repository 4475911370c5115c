"""The loaded profile every format becomes: per-function stats, the call graph or stacks, the call tree.

pstats dumps record a call *graph*, not a tree, so their tree is expanded from the caller→callee edges
(the way flame graph tools for cProfile do it), splitting a function's time among its callers in
proportion to the edge times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import BaseModel, Field

# A function is (file, line, name), the key cProfile uses; stack formats fill what they know.
FuncKey = tuple[str, int, str]

TREE_MIN_SHARE = 0.001  # pstats tree expansion drops branches below 0.1 % of the total
TREE_MAX_NODES = 50_000

# Amounts no profile measures, in its unit: more than 1e15 (31 years of samples at 1 MHz, a
# petabyte; seconds are capped at 1e9, 31 years), or a whole profile under 1e-9. Inside these
# bounds every share (100 * time / total) and per-call microsecond value is a float; outside them
# a damaged dump or a speedscope file of 1e306 makes them inf, which --json cannot print.
MAX_SECONDS = 1e9
MAX_AMOUNT = 1e15
MIN_TOTAL = 1e-9


class FunctionRow(BaseModel):
    name: str
    file: str = ""
    line: int = 0
    calls: int | None = None
    primitive_calls: int | None = None
    self_time: float
    cum_time: float
    self_pct: float
    cum_pct: float
    per_call_us: float | None = None  # cumulative time per call, when the unit is time


class HotFrame(BaseModel):
    name: str
    file: str = ""
    line: int = 0
    total: float  # inclusive time (or samples) at this point of the path
    self_time: float
    pct: float  # of the whole profile
    calls: int | None = None


class ProfileData(BaseModel):
    format: str  # pstats | speedscope | collapsed
    unit: str  # seconds | samples | the speedscope unit
    total: float
    functions: int
    top_self: list[FunctionRow]
    top_cumulative: list[FunctionRow]
    hot_path: list[HotFrame]
    skipped: list[str] = Field(default_factory=list)  # input that could not be used, and why


@dataclass(slots=True)
class FuncStat:
    calls: int | None = None
    primitive_calls: int | None = None
    self_time: float = 0.0
    cum_time: float = 0.0


@dataclass(slots=True)
class Node:
    """A call-tree node: inclusive ``total``, ``self_time`` spent in the frame itself."""

    key: FuncKey
    total: float = 0.0
    self_time: float = 0.0
    children: dict[FuncKey, Node] = field(default_factory=dict)

    def child(self, key: FuncKey) -> Node:
        node = self.children.get(key)
        if node is None:
            node = self.children[key] = Node(key)
        return node


ROOT_KEY: FuncKey = ("", 0, "all")


@dataclass
class Profile:
    """One loaded profile in any format."""

    format: str
    unit: str
    funcs: dict[FuncKey, FuncStat]
    # pstats: callee -> caller -> (calls, cumulative time along that edge)
    edges: dict[FuncKey, dict[FuncKey, tuple[int, float]]] | None = None
    # stack formats: root-first stack -> weight
    stacks: dict[tuple[FuncKey, ...], float] | None = None
    skipped: list[str] = field(default_factory=list)
    _tree: Node | None = None

    @cached_property
    def total(self) -> float:
        if self.stacks is not None:
            return sum(self.stacks.values())
        return sum(f.self_time for f in self.funcs.values())

    @property
    def seconds(self) -> float | None:
        """Seconds per unit, or None when the profile counts samples (or bytes)."""
        return 1.0 if self.unit == "seconds" else None

    def tree(self) -> Node:
        if self._tree is None:
            self._tree = stack_tree(self.stacks) if self.stacks is not None else graph_tree(self)
        return self._tree

    def inclusive_time(self, member: Callable[[FuncKey], bool]) -> float:
        """Time spent under any frame for which ``member`` is true, each moment counted once."""
        if self.stacks is not None:
            return sum(w for stack, w in self.stacks.items() if any(member(k) for k in stack))
        assert self.edges is not None
        total = 0.0
        for key, stat in self.funcs.items():
            if not member(key):
                continue
            callers = self.edges.get(key) or {}
            if not callers:
                total += stat.cum_time
            total += sum(ct for caller, (_, ct) in callers.items() if not member(caller))
        return total


def from_stacks(fmt: str, unit: str, stacks: dict[tuple[FuncKey, ...], float], skipped: list[str]) -> Profile:
    funcs: dict[FuncKey, FuncStat] = {}
    for stack, weight in stacks.items():
        for key in set(stack):  # recursion: count a frame once per sample
            stat = funcs.get(key) or funcs.setdefault(key, FuncStat())
            stat.cum_time += weight
        funcs[stack[-1]].self_time += weight
    return Profile(fmt, unit, funcs, stacks=stacks, skipped=skipped)


def stack_tree(stacks: dict[tuple[FuncKey, ...], float]) -> Node:
    root = Node(ROOT_KEY)
    for stack, weight in stacks.items():
        node = root
        node.total += weight
        for key in stack:
            node = node.child(key)
            node.total += weight
        node.self_time += weight
    return root


def graph_tree(profile: Profile) -> Node:
    """Expand a pstats call graph into a tree, splitting each function's time among its callees."""
    assert profile.edges is not None
    callees: dict[FuncKey, list[tuple[FuncKey, float]]] = {}
    for callee, callers in profile.edges.items():
        for caller, (_, ct) in callers.items():
            if caller != callee:
                callees.setdefault(caller, []).append((callee, ct))
    total = profile.total
    floor = total * TREE_MIN_SHARE
    root = Node(ROOT_KEY, total=total)
    budget = TREE_MAX_NODES
    # (parent node, function, time to give it, ancestors on this path). A function's time that no
    # profiled caller accounts for was entered from outside the profile: it starts a tree.
    pending: list[tuple[Node, FuncKey, float, frozenset[FuncKey]]] = []
    for key, callers in profile.edges.items():
        cum = profile.funcs[key].cum_time
        if cum >= floor:
            entered = cum - sum(ct for caller, (_, ct) in callers.items() if caller != key)
            if entered >= floor:
                pending.append((root, key, entered, frozenset()))
    while pending and budget > 0:
        parent, key, time, ancestors = pending.pop()
        if time < floor or key in ancestors:
            continue
        budget -= 1
        node = parent.child(key)
        node.total += time
        stat = profile.funcs[key]
        scale = time / stat.cum_time if stat.cum_time > 0 else 0.0
        given = 0.0
        path = ancestors | {key}
        for callee, ct in callees.get(key, ()):
            share = ct * scale
            given += share
            if share >= floor:
                pending.append((node, callee, share, path))
        node.self_time += max(time - given, 0.0)
    return root


def display_name(key: FuncKey) -> str:
    file, line, name = key
    if not file or file == "~":
        return name
    return f"{name} ({_short_path(file)}:{line})" if line else f"{name} ({_short_path(file)})"


def _short_path(file: str) -> str:
    parts = file.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else file


class Rows(dict):
    """FunctionRows built on first use: most of a 100,000-function profile never needs one."""

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self.profile = profile

    def __missing__(self, key: FuncKey) -> FunctionRow:
        built = self[key] = function_row(key, self.profile.funcs[key], self.profile)
        return built


def function_row(key: FuncKey, stat: FuncStat, profile: Profile) -> FunctionRow:
    total = profile.total
    per_call = None
    if stat.calls and profile.seconds:
        per_call = stat.cum_time * profile.seconds / stat.calls * 1e6
    return FunctionRow(
        name=display_name(key), file=key[0], line=key[1], calls=stat.calls, primitive_calls=stat.primitive_calls,
        self_time=stat.self_time, cum_time=stat.cum_time,
        self_pct=100.0 * stat.self_time / total, cum_pct=100.0 * stat.cum_time / total, per_call_us=per_call,
    )
