"""cProfile/pstats dumps (`python -m cProfile -o`, `Stats.dump_stats`): a marshalled function table."""

from __future__ import annotations

import marshal
from typing import Any

from tools.errors import InputError
from tools.profile.model import MAX_SECONDS, FuncKey, FuncStat, Profile


def pstats_from_bytes(raw: bytes, where: str) -> Profile:
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
