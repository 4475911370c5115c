"""Findings over a loaded profile: one small function per kind, codes PROF001.. never reused.

* PROF001 many_cheap_calls      a function called a huge number of times for little work each
* PROF002 io_wait               most of the time is spent waiting (sleep, locks, sockets), not on CPU
* PROF003 memoization_candidate recursion that recomputes the same subproblems
* PROF004 serialization_hotspot regex / JSON / serialization code takes a large share
* PROF005 db_driver_time        time inside database drivers (hand off to the SQL tools)
* PROF006 hot_spot              one function holds a large share of the self time

Thresholds are the constants below, documented in docs/tools/profile.md.
"""

from __future__ import annotations

from collections.abc import Callable

from tools.catalogue import prof
from tools.findings import Finding, Location
from tools.profile.classify import REGEX_COMPILE, categories, is_builtin, is_library, is_wait
from tools.profile.model import FuncKey, FuncStat, FunctionRow, Profile, Rows, display_name

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


def find_problems(profile: Profile, rows: Rows, top_self: FuncKey, total: float) -> list[Finding]:
    return [
        *_many_cheap_calls(profile, rows, total),
        *_io_wait(profile, total),
        *_memoization(profile, rows, total),
        *_serialization(profile, total),
        *_db_driver(profile, total),
        *_hot_spot(profile, rows, top_self, total),
    ]


def _amount(profile: Profile, value: float) -> str:
    if profile.seconds:
        return fmt_seconds(value)
    return f"{value:,.0f} {profile.unit}"


def fmt_seconds(value: float) -> str:
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


def _many_cheap_calls(profile: Profile, rows: Rows, total: float) -> list[Finding]:
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
        if caller is not None and (caller[0] in hits or is_library(caller[0])):
            continue
        evidence: dict = {"calls": row.calls, "cum_pct": round(row.cum_pct, 1)}
        if row.per_call_us is not None:
            evidence["per_call_us"] = round(row.per_call_us, 3)
        message = f"`{row.name}` called {row.calls:,} times"
        if row.per_call_us is not None:
            message += f" at {row.per_call_us:.2f} µs each"
        message += f": {row.cum_pct:.0f}% of the profile"
        if caller is not None:
            caller_key, edge_calls = caller
            caller_calls = profile.funcs[caller_key].calls or 0
            evidence["top_caller"] = display_name(caller_key)
            evidence["calls_from_top_caller"] = edge_calls
            if caller_calls:
                ratio = edge_calls / caller_calls
                evidence["calls_per_caller_call"] = round(ratio, 1)
                message += f", {ratio:,.0f} calls per call of `{display_name(caller_key)}`"
                if ratio >= NESTED_LOOP_RATIO:  # a loop inside a loop: the fix says so
                    evidence["nested_caller"] = display_name(caller_key)
        out.append(prof.MANY_CHEAP_CALLS.finding(
            message, location=_location(key), evidence=evidence,
            severity="error" if row.cum_pct >= 50 else "warning", cost_ms=_cost_ms(profile, row.cum_time),
        ))
    return out[:3]


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
    return [prof.IO_WAIT.finding(
        f"{share:.0%} of the profile ({_amount(profile, waited)}) is waiting, not computing: " + _names(top),
        location=_location(max((k for k in profile.funcs if is_wait(k)),
                               key=lambda k: profile.funcs[k].cum_time)),
        evidence={"wait_pct": round(100 * share, 1), "wait_functions": top},
        cost_ms=_cost_ms(profile, waited),
    )]


def _memoization(profile: Profile, rows: Rows, total: float) -> list[Finding]:
    out = []
    for key, stat in profile.funcs.items():
        if not (_is_recursive(stat) and stat.calls >= RECURSION_CALLS and stat.cum_time >= total * RECURSION_SHARE):
            continue
        if is_builtin(key):
            continue
        row = rows[key]
        ratio = row.calls / row.primitive_calls
        out.append(prof.MEMOIZATION_CANDIDATE.finding(
            f"`{row.name}` ran {row.calls:,} times for {row.primitive_calls:,} outside call(s) "
            f"({ratio:,.0f} recursive calls each): the same subproblems are recomputed",
            location=_location(key),
            evidence={"calls": row.calls, "primitive_calls": row.primitive_calls, "cum_pct": round(row.cum_pct, 1)},
            cost_ms=_cost_ms(profile, row.cum_time),
        ))
    return sorted(out, key=lambda f: -(f.evidence["cum_pct"]))[:3]


def _serialization(profile: Profile, total: float) -> list[Finding]:
    out = []
    for category in ("regex", "json", "serialization"):
        def member(k: FuncKey, c: str = category) -> bool:
            return c in categories(k)

        spent = profile.inclusive_time(member)
        share = spent / total
        if share < CATEGORY_SHARE:
            continue
        top = _top_members(profile, member)
        evidence: dict = {"category": category, "pct": round(100 * share, 1), "functions": top}
        if category == "regex":
            compiles = sum(s.calls or 0 for k, s in profile.funcs.items()
                           if k[2] == "compile" and REGEX_COMPILE.search(k[0]))
            if compiles:
                evidence["pattern_compilations"] = compiles
            if compiles >= REGEX_COMPILES:  # more distinct patterns than re's cache holds (or a purge)
                evidence["recompiled_patterns"] = compiles
        out.append(prof.SERIALIZATION_HOTSPOT.finding(
            f"{category} takes {share:.0%} of the profile ({_amount(profile, spent)}): " + _names(top),
            location=Location(node=category), evidence=evidence, cost_ms=_cost_ms(profile, spent),
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
    return [prof.DB_DRIVER_TIME.finding(
        message, location=Location(node="database driver"), evidence=evidence, cost_ms=_cost_ms(profile, spent),
    )]


def _hot_spot(profile: Profile, rows: Rows, key: FuncKey, total: float) -> list[Finding]:
    row = rows[key]
    if row.self_pct < HOT_SPOT_SHARE * 100:
        return []
    return [prof.HOT_SPOT.finding(
        f"`{row.name}` holds {row.self_pct:.0f}% of the self time ({_amount(profile, row.self_time)})",
        location=_location(key), evidence={"self_pct": round(row.self_pct, 1), "calls": row.calls},
        cost_ms=_cost_ms(profile, row.self_time),
    )]
