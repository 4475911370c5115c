"""Find the bottleneck in a CPU profile: cProfile/pstats dumps, speedscope JSON, collapsed stacks.

Every format is loaded into one :class:`Profile`: per-function self and cumulative time (and call
counts when the format records them) plus a call tree. pstats dumps record a call *graph*, not a
tree, so their tree is expanded from the caller→callee edges (the way flame graph tools for
cProfile do it), splitting a function's time among its callers in proportion to the edge times.

Findings (thresholds are module constants, documented in docs/tools/profile.md):

* PROF001 many_cheap_calls      a function called a huge number of times for little work each
* PROF002 io_wait               most of the time is spent waiting (sleep, locks, sockets), not on CPU
* PROF003 memoization_candidate recursion that recomputes the same subproblems
* PROF004 serialization_hotspot regex / JSON / serialization code takes a large share
* PROF005 db_driver_time        time inside database drivers (hand off to the SQL tools)
* PROF006 hot_spot              one function holds a large share of the self time
"""

from __future__ import annotations

import heapq
import json
import marshal
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, FiniteFloat, model_validator

from tools.errors import InputError
from tools.findings import Finding, Location, Report
from tools.numbers import TOO_MANY_DIGITS

# A function is (file, line, name), the key cProfile uses; stack formats fill what they know.
FuncKey = tuple[str, int, str]

MANY_CALLS = 50_000  # PROF001: at least this many calls ...
CHEAP_CALL_US = 20.0  # ... each costing at most this (cumulative, microseconds) ...
MANY_CALLS_SHARE = 0.10  # ... and together at least this share of the profile
NESTED_LOOP_RATIO = 1_000  # calls per call of the top caller that suggest a loop inside a loop
WAIT_SHARE = 0.25  # PROF002
RECURSION_RATIO = 50  # PROF003: total calls / primitive (non-recursive) calls
RECURSION_CALLS = 10_000
RECURSION_SHARE = 0.05
CATEGORY_SHARE = 0.10  # PROF004 per category (regex, json, serialization)
REGEX_COMPILES = 100  # PROF004: pattern compilations that mean the re cache is missing
DB_SHARE = 0.20  # PROF005
HOT_SPOT_SHARE = 0.25  # PROF006
HOT_PATH_MIN_SHARE = 0.05  # the hot path stops where the heaviest child carries less than this
HOT_PATH_MAX_DEPTH = 64
TREE_MIN_SHARE = 0.001  # pstats tree expansion drops branches below 0.1 % of the total
TREE_MAX_NODES = 50_000

UNIT_SECONDS = {"nanoseconds": 1e-9, "microseconds": 1e-6, "milliseconds": 1e-3, "seconds": 1.0}
# Amounts no profile measures, in its unit: more than 1e15 (31 years of samples at 1 MHz, a
# petabyte; seconds are capped at 1e9, 31 years), or a whole profile under 1e-9. Inside these
# bounds every share (100 * time / total) and per-call microsecond value is a float; outside them
# a damaged dump or a speedscope file of 1e306 makes them inf, which --json cannot print.
MAX_SECONDS = 1e9
MAX_AMOUNT = 1e15
MIN_TOTAL = 1e-9


class ProfileInput(BaseModel):
    """A profile to analyze: a file path (.prof/.pstats, speedscope .json, collapsed .txt) or pasted text."""

    path: str | None = Field(None, description="path to a cProfile/pstats dump, speedscope JSON or collapsed stacks")
    text: str | None = Field(None, description="pasted speedscope JSON or collapsed-stack text")
    top: int = Field(20, ge=1, le=500, description="how many functions to list by self and cumulative time")

    @model_validator(mode="after")
    def _one_source(self) -> ProfileInput:
        if (self.path is None) == (self.text is None):
            raise ValueError("give exactly one of path or text")
        return self


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
            self._tree = _stack_tree(self.stacks) if self.stacks is not None else _graph_tree(self)
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


# --------------------------------------------------------------------------- loading


def detect_profile(data: str | bytes) -> str | None:
    """The profile format of pasted or attached content ("pstats", "speedscope", "collapsed"), or None."""
    if isinstance(data, bytes):
        if data[:1] in (b"{", b"\xfb"):
            try:
                _pstats_from_bytes(data, "<input>")
                return "pstats"
            except InputError:
                pass
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    stripped = data.lstrip()
    if stripped.startswith("{"):
        head = stripped[:4096]
        return "speedscope" if "speedscope" in head or ('"profiles"' in head and '"shared"' in head) else None
    lines = [ln for ln in data.split("\n") if ln.strip()]
    if lines and any(";" in ln for ln in lines) and all(_COLLAPSED_LINE.match(ln) for ln in lines):
        return "collapsed"
    return None


def load_profile(path: str | None = None, text: str | None = None) -> Profile:
    """Load a profile from a file (any supported format; ``-`` is stdin) or from pasted text."""
    if path is None:
        return parse_profile(text or "", "<input>")
    try:
        if path == "-":
            import sys

            raw = sys.stdin.buffer.read()
        else:
            raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None
    return parse_profile(raw, path)


def parse_profile(data: bytes | str, where: str = "<input>") -> Profile:
    """Parse profile content: binary is a pstats dump; text is speedscope JSON or collapsed stacks."""
    if isinstance(data, bytes):
        if where.endswith((".prof", ".pstats")):
            return _pstats_from_bytes(data, where)
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _pstats_from_bytes(data, where)
    if not data.strip():
        raise InputError("empty profile", path=where)
    if data.lstrip().startswith("{"):
        return _speedscope(data, where)
    return _collapsed(data, where)


def _pstats_from_bytes(raw: bytes, where: str) -> Profile:
    if not raw:
        raise InputError("empty profile", path=where)
    try:
        stats = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as exc:
        raise InputError(f"not a cProfile/pstats dump ({exc})", path=where) from None
    if not isinstance(stats, dict):
        raise InputError("not a cProfile/pstats dump (no function table)", path=where)
    funcs: dict[FuncKey, FuncStat] = {}
    edges: dict[FuncKey, dict[FuncKey, tuple[int, float]]] = {}
    key: object = None
    try:
        while stats:  # popitem: the marshalled table is freed as it is converted
            key, (cc, nc, tt, ct, callers) = stats.popitem()
            if not _is_func_key(key):
                raise TypeError
            funcs[key] = FuncStat(calls=_count(nc), primitive_calls=_count(cc), self_time=_seconds(tt),
                                  cum_time=_seconds(ct))
            edges[key] = {caller: (_count(edge[0]), _seconds(edge[3])) for caller, edge in callers.items()}
    except (TypeError, ValueError, IndexError, AttributeError, OverflowError):
        raise InputError(f"not a cProfile/pstats dump (bad entry {key!r:.80})", path=where) from None
    if not funcs:
        raise InputError("empty profile: no functions recorded", path=where)
    # Merged or converted dumps can name callers that have no entry of their own: drop those edges.
    dropped = 0
    for callers in edges.values():
        unknown = [caller for caller in callers if caller not in funcs]
        for caller in unknown:
            del callers[caller]
        dropped += len(unknown)
    skipped = [f"{dropped} call edge(s) from functions without an entry in the dump were ignored"] if dropped else []
    return Profile("pstats", "seconds", funcs, edges=edges, skipped=skipped)


def _count(value: Any) -> int:
    """A call count: int(inf) raises OverflowError, and a count beyond 64 bits is no float."""
    count = int(value)
    if not 0 <= count < 2**63:
        raise ValueError
    return count


def _seconds(value: Any) -> float:
    """A time: finite and within MAX_SECONDS (the profile module's calibration can make it negative)."""
    seconds = float(value)
    if not abs(seconds) <= MAX_SECONDS:  # also nan
        raise ValueError
    return seconds


def _is_func_key(key: object) -> bool:
    return (type(key) is tuple and len(key) == 3 and type(key[0]) is str
            and type(key[1]) is int and type(key[2]) is str)


# `stack;of;frames 123` — the count may be a float (some tools write weights). At most 15 digits:
# a line with a count no float holds ('9' * 400 is inf) is skipped like any line without a count.
_COLLAPSED_LINE = re.compile(r"^(\S.*?)\s+(\d{1,15}(?:\.\d+)?)\s*$")
# py-spy writes frames as `function (file.py:line)`, and native ones (--native) as `symbol (libc.so.6)`;
# a line number of more than 9 digits is no line (and int() refuses more than 4300).
_PYSPY_FRAME = re.compile(r"^(.*) \(([^()]*?):(\d{1,9})\)$")
_NATIVE_FRAME = re.compile(r"^(.*) \(([^()]*\.(?:so[.\d]*|dylib|dll|pyd))\)$")


def _frame_key(frame: str) -> FuncKey:
    m = _PYSPY_FRAME.match(frame)
    if m:
        return (m.group(2), int(m.group(3)), m.group(1))
    m = _NATIVE_FRAME.match(frame)
    if m:
        return (m.group(2), 0, m.group(1))
    return ("", 0, frame)


def _collapsed(text: str, where: str) -> Profile:
    stacks: dict[tuple[FuncKey, ...], float] = {}
    keys: dict[str, FuncKey] = {}
    skipped = 0
    first_bad = None
    for lineno, line in enumerate(text.split("\n"), 1):  # not splitlines(): \x1e etc. are not line ends here
        if not line.strip():
            continue
        m = _COLLAPSED_LINE.match(line)
        if not m:
            skipped += 1
            first_bad = first_bad or lineno
            continue
        stack = tuple(keys.get(f) or keys.setdefault(f, _frame_key(f)) for f in m.group(1).split(";") if f)
        if stack:
            stacks[stack] = stacks.get(stack, 0.0) + float(m.group(2))
    if not stacks:
        raise InputError("no `frame;frame;... count` lines: not a collapsed-stack profile", path=where,
                         line=first_bad)
    notes = [f"{skipped} line(s) without a sample count were skipped (first: line {first_bad})"] if skipped else []
    return _from_stacks("collapsed", "samples", stacks, notes)


class _SpeedscopeFrame(BaseModel):
    name: str
    file: str | None = None
    line: int | None = None


class _SpeedscopeEvent(BaseModel):
    type: str
    frame: int
    at: FiniteFloat  # json.loads reads Infinity, NaN and 1e400


class _SpeedscopeProfile(BaseModel):
    type: str
    name: str = ""
    unit: str = "none"
    samples: list[list[int]] = Field(default_factory=list)
    weights: list[FiniteFloat] = Field(default_factory=list)
    events: list[_SpeedscopeEvent] = Field(default_factory=list)


class _SpeedscopeShared(BaseModel):
    frames: list[_SpeedscopeFrame]


class _SpeedscopeFile(BaseModel):
    shared: _SpeedscopeShared
    profiles: list[_SpeedscopeProfile]


def _speedscope(text: str, where: str) -> Profile:
    from pydantic import ValidationError

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=where, line=exc.lineno) from None
    except ValueError:  # int() refuses more than 4300 digits
        raise InputError(f"invalid JSON: {TOO_MANY_DIGITS}", path=where) from None
    try:
        parsed = _SpeedscopeFile.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(f"not a speedscope profile: {loc}: {err['msg']}", path=where) from None
    frames = [(f.file or "", f.line or 0, f.name) for f in parsed.shared.frames]
    units = {p.unit for p in parsed.profiles}
    unit = units.pop() if len(units) == 1 else "none"
    scale = UNIT_SECONDS.get(unit, 1.0)
    stacks: dict[tuple[FuncKey, ...], float] = {}
    calls: dict[FuncKey, int] = {}
    skipped: list[str] = []
    many = len(parsed.profiles) > 1
    for prof in parsed.profiles:
        prefix: tuple[FuncKey, ...] = (("", 0, f"thread {prof.name}"),) if many else ()
        try:
            if prof.type == "sampled":
                _speedscope_sampled(prof, frames, prefix, scale, stacks)
            elif prof.type == "evented":
                _speedscope_evented(prof, frames, prefix, scale, stacks, calls)
            else:
                skipped.append(f"profile {prof.name!r}: unknown type {prof.type!r}")
        except IndexError:
            skipped.append(f"profile {prof.name!r}: refers to a frame that does not exist")
    if not stacks:
        raise InputError("empty profile: no samples" + (f" ({'; '.join(skipped)})" if skipped else ""),
                         path=where)
    prof_unit = "seconds" if unit in UNIT_SECONDS else ("samples" if unit == "none" else unit)
    profile = _from_stacks("speedscope", prof_unit, stacks, skipped)
    for key, n in calls.items():
        if key in profile.funcs:  # a frame opened and closed at one instant holds no time, so no entry
            profile.funcs[key].calls = n
    return profile


def _speedscope_sampled(prof, frames, prefix, scale, stacks) -> None:
    weights = prof.weights or [1.0] * len(prof.samples)
    if len(weights) != len(prof.samples):
        raise IndexError
    use_scale = scale if prof.weights else 1.0
    for sample, weight in zip(prof.samples, weights, strict=True):
        if any(i < 0 for i in sample):
            raise IndexError
        stack = prefix + tuple(frames[i] for i in sample)
        if stack and weight > 0:
            stacks[stack] = stacks.get(stack, 0.0) + weight * use_scale


def _speedscope_evented(prof, frames, prefix, scale, stacks, calls) -> None:
    """Replay open/close events; the time between two events belongs to the stack open at that moment."""
    open_stack: list[FuncKey] = []
    last = None
    for ev in sorted(prof.events, key=lambda e: e.at):
        if ev.frame < 0:
            raise IndexError
        frame = frames[ev.frame]
        if last is not None and open_stack and ev.at > last:
            stack = prefix + tuple(open_stack)
            stacks[stack] = stacks.get(stack, 0.0) + (ev.at - last) * scale
        last = ev.at
        if ev.type == "O":
            open_stack.append(frame)
            calls[frame] = calls.get(frame, 0) + 1
        elif ev.type == "C" and frame in open_stack:
            # Close the innermost matching frame (tolerates unbalanced exports).
            del open_stack[len(open_stack) - 1 - open_stack[::-1].index(frame)]


def _from_stacks(fmt: str, unit: str, stacks: dict[tuple[FuncKey, ...], float], skipped: list[str]) -> Profile:
    funcs: dict[FuncKey, FuncStat] = {}
    for stack, weight in stacks.items():
        for key in set(stack):  # recursion: count a frame once per sample
            stat = funcs.get(key) or funcs.setdefault(key, FuncStat())
            stat.cum_time += weight
        funcs[stack[-1]].self_time += weight
    return Profile(fmt, unit, funcs, stacks=stacks, skipped=skipped)


def _stack_tree(stacks: dict[tuple[FuncKey, ...], float]) -> Node:
    root = Node(ROOT_KEY)
    for stack, weight in stacks.items():
        node = root
        node.total += weight
        for key in stack:
            node = node.child(key)
            node.total += weight
        node.self_time += weight
    return root


def _graph_tree(profile: Profile) -> Node:
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


# --------------------------------------------------------------------------- classification


def _is_builtin(key: FuncKey) -> bool:
    return key[0] in ("~", "") and key[2].startswith(("<built-in", "<method"))


# Builtins that block: sleep, select/poll, locks, sockets, TLS, raw file I/O, psycopg's wait loop.
_WAIT_BUILTIN = re.compile(
    r"time\.sleep|select\.select|'select\.\w+' objects|'_thread\.\w*lock' objects|'_socket\.socket' objects|"
    r"_socket\.(getaddrinfo|gethostbyname)|'_ssl\._SSLSocket' objects|posix\.(read|write|wait\w*)|"
    r"'_io\.\w+' objects|\bwait_c\b"
)
# Pure-Python stdlib functions that block (what py-spy shows, since it has no builtin frames).
_WAIT_PY_FILE = re.compile(r"(^|/)(selectors|socket|ssl|threading|queue|subprocess)\.py$")
# Native symbols that block (py-spy --native, perf): libc/pthread waits and CPython's sleep and lock.
_WAIT_NATIVE = re.compile(
    r"^_*(time_sleep|clock_nanosleep|nanosleep|select|pselect\w*|poll|ppoll|epoll_wait|epoll_pwait|kevent|"
    r"recv\w*|read|libc_read|accept4?|connect|pthread_cond_(timed)?wait\w*|sem_(timed|clock)?wait|"
    r"\w*futex\w*wait\w*|PyThread_acquire_lock_timed|wait4|waitpid)$"
)
_NATIVE_LIBRARY = re.compile(r"\.(so[.\d]*|dylib|dll|pyd)$")
_WAIT_PY_NAMES = frozenset({
    "select", "poll", "recv", "recv_into", "send", "sendall", "connect", "create_connection", "accept", "read",
    "write", "wait", "join", "get", "put", "acquire", "communicate", "_wait", "_communicate", "_try_wait",
})
_REGEX = re.compile(r"((^|/)re/|(^|/)(re|sre_compile|sre_parse)\.py|'re\.Pattern'|'re\.Match'|_sre\b)")
_REGEX_COMPILE = re.compile(r"((^|/)re/_compiler\.py|(^|/)sre_compile\.py)$")
_JSON = re.compile(r"((^|/)json/|_json\b|\borjson\b|\bujson\b|\bsimplejson\b)")
_SERIALIZATION = re.compile(
    r"((^|/)(pickle|copy|marshal)\.py|_pickle\b|\bmarshal\.|(^|/)(yaml|xml|msgpack|pydantic|pydantic_core)/|"
    r"\b_yaml\b|pyexpat|ElementTree|msgpack|pydantic_core|deepcopy)"
)
_DB_DRIVER = re.compile(
    r"((^|/)(psycopg|psycopg2|psycopg_binary|psycopg_c|asyncpg|pymysql|MySQLdb|sqlite3|oracledb|cx_Oracle|pymongo)/|"
    r"\bpsycopg_binary\b|\bpsycopg2\b|\b_sqlite3\b|'sqlite3\.|\basyncpg\b|(^|/)sqlalchemy/engine/|"
    r"(^|/)django/db/backends/)"
)

_LIBRARY_PATH = re.compile(r"[/\\](lib[/\\]python\d[\d.]*|site-packages|dist-packages)[/\\]|^<frozen ")


def is_wait(key: FuncKey) -> bool:
    """Blocking calls: time under them is wall-clock waiting that faster code cannot shorten."""
    if _is_builtin(key):
        return bool(_WAIT_BUILTIN.search(key[2]))
    if _NATIVE_LIBRARY.search(key[0]):
        return bool(_WAIT_NATIVE.match(key[2]))
    return key[2] in _WAIT_PY_NAMES and bool(_WAIT_PY_FILE.search(key[0]))


CATEGORIES: dict[str, re.Pattern[str]] = {
    "regex": _REGEX, "json": _JSON, "serialization": _SERIALIZATION, "db": _DB_DRIVER,
}


def categories(key: FuncKey) -> frozenset[str]:
    """Which CATEGORIES a function belongs to: by its file, or by its name for builtins and bare frames."""
    if key[2] == "<module>":
        return frozenset()  # importing json is not serializing
    return _categories_of(key[0] if key[0] not in ("", "~") else key[2])


@lru_cache(maxsize=65536)
def _categories_of(text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in CATEGORIES.items() if pattern.search(text))


# --------------------------------------------------------------------------- analysis


def profile_tool(inp: ProfileInput) -> Report:
    return analyze(load_profile(inp.path, inp.text), top=inp.top)


def analyze(profile: Profile, top: int = 20) -> Report:
    total = profile.total
    if not total >= MIN_TOTAL:
        raise InputError("empty profile: no time recorded")
    if total > (MAX_SECONDS if profile.seconds else MAX_AMOUNT):
        raise InputError(f"the profile adds up to {total:g} {profile.unit}, more than a profile measures")
    funcs = profile.funcs
    rows = _Rows(profile)
    by_self = heapq.nlargest(top, funcs, key=lambda k: funcs[k].self_time)
    by_cum = heapq.nlargest(top, funcs, key=lambda k: funcs[k].cum_time)
    data = ProfileData(
        format=profile.format,
        unit=profile.unit,
        total=total,
        functions=len(profile.funcs),
        top_self=[rows[k] for k in by_self],
        top_cumulative=[rows[k] for k in by_cum],
        hot_path=hot_path(profile),
        skipped=profile.skipped,
    )
    findings = [
        *_many_cheap_calls(profile, rows, total),
        *_io_wait(profile, total),
        *_memoization(profile, rows, total),
        *_serialization(profile, total),
        *_db_driver(profile, total),
        *_hot_spot(profile, rows, by_self[0], total),
    ]
    return Report(tool="profile", findings=findings, data=data, summary=_summary(data, findings))


def display_name(key: FuncKey) -> str:
    file, line, name = key
    if not file or file == "~":
        return name
    return f"{name} ({_short_path(file)}:{line})" if line else f"{name} ({_short_path(file)})"


def _short_path(file: str) -> str:
    parts = file.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else file


class _Rows(dict):
    """FunctionRows built on first use: most of a 100,000-function profile never needs one."""

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self.profile = profile

    def __missing__(self, key: FuncKey) -> FunctionRow:
        row = self[key] = _row(key, self.profile.funcs[key], self.profile)
        return row


def _row(key: FuncKey, stat: FuncStat, profile: Profile) -> FunctionRow:
    total = profile.total
    per_call = None
    if stat.calls and profile.seconds:
        per_call = stat.cum_time * profile.seconds / stat.calls * 1e6
    return FunctionRow(
        name=display_name(key), file=key[0], line=key[1], calls=stat.calls, primitive_calls=stat.primitive_calls,
        self_time=stat.self_time, cum_time=stat.cum_time,
        self_pct=100.0 * stat.self_time / total, cum_pct=100.0 * stat.cum_time / total, per_call_us=per_call,
    )


def hot_path(profile: Profile) -> list[HotFrame]:
    """Follow the heaviest child from the root while it still carries a real share of the time."""
    total = profile.total
    node = profile.tree()
    frames: list[HotFrame] = []
    while node.children and len(frames) < HOT_PATH_MAX_DEPTH:
        node = max(node.children.values(), key=lambda n: n.total)
        if node.total < total * HOT_PATH_MIN_SHARE:
            break
        stat = profile.funcs.get(node.key)
        frames.append(HotFrame(
            name=display_name(node.key), file=node.key[0], line=node.key[1], total=node.total,
            self_time=node.self_time, pct=100.0 * node.total / total, calls=stat.calls if stat else None,
        ))
    return frames


def _amount(profile: Profile, value: float) -> str:
    if profile.seconds:
        return _fmt_seconds(value)
    return f"{value:,.0f} {profile.unit}"


def _fmt_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.1f} µs"


def _cost_ms(profile: Profile, value: float) -> float | None:
    return value * 1e3 if profile.seconds else None


def _location(key: FuncKey) -> Location:
    if key[0] and key[0] != "~":
        return Location(path=key[0], line=key[1] or None, node=key[2])
    return Location(node=key[2])


def _many_cheap_calls(profile: Profile, rows: _Rows, total: float) -> list[Finding]:
    hits = {
        key: rows[key] for key, stat in profile.funcs.items()
        if stat.calls and stat.calls >= MANY_CALLS and stat.cum_time >= total * MANY_CALLS_SHARE
        and (rows[key].per_call_us is None or rows[key].per_call_us <= CHEAP_CALL_US)
        and not _is_recursive(stat)  # cumulative time per call is meaningless there; PROF003 covers it
    }
    out = []
    for key, row in sorted(hits.items(), key=lambda kr: -kr[1].cum_time):
        caller = _top_caller(profile, key)
        # Report the call the user's own loop makes: not a helper called by another hit, not a
        # library's internal loop.
        if caller is not None and (caller[0] in hits or _is_library(caller[0])):
            continue
        evidence: dict = {"calls": row.calls, "cum_pct": round(row.cum_pct, 1)}
        if row.per_call_us is not None:
            evidence["per_call_us"] = round(row.per_call_us, 3)
        message = f"`{row.name}` called {row.calls:,} times"
        if row.per_call_us is not None:
            message += f" at {row.per_call_us:.2f} µs each"
        message += f": {row.cum_pct:.0f}% of the profile"
        suggestion = "Hoist the work out of the loop, batch the calls, or cache the result."
        if caller is not None:
            caller_key, edge_calls = caller
            caller_calls = profile.funcs[caller_key].calls or 0
            evidence["top_caller"] = display_name(caller_key)
            evidence["calls_from_top_caller"] = edge_calls
            if caller_calls:
                ratio = edge_calls / caller_calls
                evidence["calls_per_caller_call"] = round(ratio, 1)
                message += f", {ratio:,.0f} calls per call of `{display_name(caller_key)}`"
                if ratio >= NESTED_LOOP_RATIO:
                    suggestion = (f"One call of `{display_name(caller_key)}` makes {ratio:,.0f} calls: if that is a "
                                  "loop inside a loop (O(n²)), index one side in a dict/set or sort and merge; "
                                  "otherwise hoist the per-item work out of the loop or batch it.")
        out.append(Finding(
            code="PROF001", kind="many_cheap_calls",
            severity="error" if row.cum_pct >= 50 else "warning",
            message=message, location=_location(key), evidence=evidence, suggestion=suggestion,
            cost_ms=_cost_ms(profile, row.cum_time),
        ))
    return out[:3]


def _is_library(key: FuncKey) -> bool:
    return _is_builtin(key) or bool(_LIBRARY_PATH.search(key[0]))


def _is_recursive(stat: FuncStat | FunctionRow) -> bool:
    return bool(stat.calls and stat.primitive_calls and stat.calls >= RECURSION_RATIO * stat.primitive_calls)


def _top_caller(profile: Profile, key: FuncKey) -> tuple[FuncKey, int] | None:
    callers = (profile.edges or {}).get(key) or {}
    callers = {k: v for k, v in callers.items() if k != key}
    if not callers:
        return None
    caller, (calls, _) = max(callers.items(), key=lambda kv: kv[1][1])
    return caller, calls


def _names(names: list[str]) -> str:
    """Function names in backticks: cProfile's `<listcomp>`/`<built-in ...>` must survive Markdown."""
    return ", ".join(f"`{n}`" for n in names)


def _top_members(profile: Profile, member: Callable[[FuncKey], bool], n: int = 3) -> list[str]:
    keys = sorted((k for k in profile.funcs if member(k)), key=lambda k: -profile.funcs[k].cum_time)
    return [display_name(k) for k in keys[:n]]


def _io_wait(profile: Profile, total: float) -> list[Finding]:
    waited = profile.inclusive_time(is_wait)
    share = waited / total
    if share < WAIT_SHARE:
        return []
    top = _top_members(profile, is_wait)
    return [Finding(
        code="PROF002", kind="io_wait", severity="warning",
        message=f"{share:.0%} of the profile ({_amount(profile, waited)}) is waiting, not computing: "
                + _names(top),
        location=_location(max((k for k in profile.funcs if is_wait(k)),
                               key=lambda k: profile.funcs[k].cum_time)),
        evidence={"wait_pct": round(100 * share, 1), "wait_functions": top},
        suggestion="Faster code will not help here: overlap the waits (asyncio.gather, a thread pool), batch "
                   "round trips, or remove the sleep; compare wall and CPU time (time.process_time, "
                   "py-spy --idle) to confirm.",
        cost_ms=_cost_ms(profile, waited),
    )]


def _memoization(profile: Profile, rows: _Rows, total: float) -> list[Finding]:
    out = []
    for key, stat in profile.funcs.items():
        if not (_is_recursive(stat) and stat.calls >= RECURSION_CALLS and stat.cum_time >= total * RECURSION_SHARE):
            continue
        if _is_builtin(key):
            continue
        row = rows[key]
        ratio = row.calls / row.primitive_calls
        out.append(Finding(
            code="PROF003", kind="memoization_candidate", severity="warning",
            message=f"`{row.name}` ran {row.calls:,} times for {row.primitive_calls:,} outside call(s) "
                    f"({ratio:,.0f} recursive calls each): the same subproblems are recomputed",
            location=_location(key),
            evidence={"calls": row.calls, "primitive_calls": row.primitive_calls, "cum_pct": round(row.cum_pct, 1)},
            suggestion="Memoize it (functools.cache on a pure function) or rewrite it bottom-up.",
            cost_ms=_cost_ms(profile, row.cum_time),
        ))
    return sorted(out, key=lambda f: -(f.evidence["cum_pct"]))[:3]


def _serialization(profile: Profile, total: float) -> list[Finding]:
    out = []
    advice = {
        "regex": "Precompile patterns once at module level, anchor them, or replace simple ones with str methods "
                 "(startswith, in, split).",
        "json": "Serialize less (only the fields needed), once per response, or use a faster codec (orjson).",
        "serialization": "Avoid deep copies and repeated (de)serialization in the hot path; pass objects, cache "
                         "encoded forms.",
    }
    for category in advice:
        def member(k: FuncKey, c: str = category) -> bool:
            return c in categories(k)

        spent = profile.inclusive_time(member)
        share = spent / total
        if share < CATEGORY_SHARE:
            continue
        top = _top_members(profile, member)
        evidence: dict = {"category": category, "pct": round(100 * share, 1), "functions": top}
        suggestion = advice[category]
        if category == "regex":
            compiles = sum(s.calls or 0 for k, s in profile.funcs.items()
                           if k[2] == "compile" and _REGEX_COMPILE.search(k[0]))
            if compiles:
                evidence["pattern_compilations"] = compiles
            if compiles >= REGEX_COMPILES:
                suggestion = (f"Patterns were compiled {compiles:,} times: more distinct patterns than re's "
                              "cache holds (or a cache purge); compile each pattern once and reuse it.")
        out.append(Finding(
            code="PROF004", kind="serialization_hotspot", severity="warning",
            message=f"{category} takes {share:.0%} of the profile ({_amount(profile, spent)}): " + _names(top),
            location=Location(node=category), evidence=evidence, suggestion=suggestion,
            cost_ms=_cost_ms(profile, spent),
        ))
    return out


def _db_driver(profile: Profile, total: float) -> list[Finding]:
    def member(k: FuncKey) -> bool:
        return "db" in categories(k)

    spent = profile.inclusive_time(member)
    share = spent / total
    if share < DB_SHARE:
        return []
    executes = sum(s.calls or 0 for k, s in profile.funcs.items() if member(k) and k[2] in ("execute", "executemany"))
    evidence: dict = {"pct": round(100 * share, 1), "functions": _top_members(profile, member)}
    message = f"{share:.0%} of the profile ({_amount(profile, spent)}) is inside database drivers"
    if executes:
        evidence["execute_calls"] = executes
        message += f", {executes:,} execute() calls"
    return [Finding(
        code="PROF005", kind="db_driver_time", severity="warning", message=message,
        location=Location(node="database driver"), evidence=evidence,
        suggestion="The time is in the queries, not in Python: capture them with `lmagent sql --log` "
                   "(N+1 and the hottest statements), then EXPLAIN the slow ones.",
        handoff="data-engineer", cost_ms=_cost_ms(profile, spent),
    )]


def _hot_spot(profile: Profile, rows: _Rows, key: FuncKey, total: float) -> list[Finding]:
    row = rows[key]
    if row.self_pct < HOT_SPOT_SHARE * 100:
        return []
    return [Finding(
        code="PROF006", kind="hot_spot", severity="info",
        message=f"`{row.name}` holds {row.self_pct:.0f}% of the self time ({_amount(profile, row.self_time)})",
        location=_location(key),
        evidence={"self_pct": round(row.self_pct, 1), "calls": row.calls},
        suggestion="Start here: make this function do less work, or call it less often.",
        cost_ms=_cost_ms(profile, row.self_time),
    )]


def _summary(data: ProfileData, findings: Iterable[Finding]) -> str:
    amount = _fmt_seconds(data.total) if data.unit == "seconds" else f"{data.total:,.0f} {data.unit}"
    parts = [f"{data.format} profile: {amount}, {data.functions:,} functions"]
    if data.hot_path:
        parts.append(f"hot path ends in `{data.hot_path[-1].name}` ({data.hot_path[-1].pct:.0f}%)")
    n = len(list(findings))
    parts.append(f"{n} finding{'s' if n != 1 else ''}")
    if data.skipped:
        parts.append(f"skipped: {'; '.join(data.skipped)}")
    return "; ".join(parts)
