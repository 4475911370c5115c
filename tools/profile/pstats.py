"""cProfile/pstats dumps (`python -m cProfile -o`, `Stats.dump_stats`): a marshalled function table.

The table is read by :func:`read_marshal`, a small pure-Python reader of the part of the marshal
format such a dump uses, not by ``marshal.loads``: marshal trusts its input, and a 17-byte file (a
tuple that holds a reference to itself, used as a dict key before it is complete) crashes CPython
with SIGSEGV. The reader refuses what a dump never contains (code objects, lists, sets, references
to an object still being read, nesting deeper than a dump's), checks every size against the bytes
left, and builds only dicts, tuples, strings, ints and floats, so bad bytes are an InputError and a
damaged dump cannot crash, loop or allocate more than its own size allows.
"""

from __future__ import annotations

import gc
import struct
from typing import Any

from tools.errors import InputError
from tools.profile.model import MAX_SECONDS, FuncKey, FuncStat, Profile


def pstats_from_bytes(raw: bytes, where: str) -> Profile:
    if not raw:
        raise InputError("empty profile", path=where)
    # The reader makes no reference cycles (it refuses references to unfinished containers): the
    # cyclic collector would only re-scan the million tuples of a big dump (a third of the read time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _pstats(raw, where)
    finally:
        if was_enabled:
            gc.enable()


def _pstats(raw: bytes, where: str) -> Profile:
    try:
        stats = read_marshal(raw)
    except MarshalError as exc:
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


class MarshalError(ValueError):
    """Bytes that are not the marshal data of a pstats dump."""


MARSHAL_MAX_DEPTH = 8  # a dump nests 5 deep: table, entry, callers, edge, number
MARSHAL_MAX_LONG_DIGITS = 2_000  # 30,000 bits; building a long is quadratic in its digits
_FLAG_REF = 0x80
_UNFINISHED = object()  # the reference slot of a container still being read
_I32 = struct.Struct("<i").unpack_from
_F64 = struct.Struct("<d").unpack_from


def read_marshal(data: bytes) -> Any:
    """The object marshal.loads would return for the pstats subset of marshal version 2-4, or MarshalError.

    Types: None, True, False, int (32-bit and long), float (binary and text), str (ASCII, short
    ASCII, interned, Unicode), bytes, tuple, dict and references to finished objects. Trailing
    bytes are ignored, as marshal.loads ignores them.
    """
    refs: list[Any] = []
    append = refs.append
    end = len(data)
    pos = 0

    def read(depth: int) -> Any:
        nonlocal pos
        code = data[pos]
        kind = code & ~_FLAG_REF
        # The three kinds that make up nine in ten objects of a dump come first, without a slot dance.
        if kind == 0x72:  # r: a reference to an object read before
            (index,) = _I32(data, pos + 1)
            pos += 5
            if not 0 <= index < len(refs):
                raise MarshalError(f"bad reference {index}")
            value = refs[index]
            if value is _UNFINISHED:
                raise MarshalError("a reference to an object that is still being read")
            return value
        if kind == 0x67:  # g: binary float
            (value,) = _F64(data, pos + 1)
            pos += 9
            if code & _FLAG_REF:
                append(value)
            return value
        if kind == 0x69:  # i: 32-bit int
            (value,) = _I32(data, pos + 1)
            pos += 5
            if code & _FLAG_REF:
                append(value)
            return value
        pos += 1
        if kind == 0x4E:  # N, T, F: singletons take no reference slot, whatever the flag says
            return None
        if kind == 0x54:
            return True
        if kind == 0x46:
            return False
        slot = -1
        if code & _FLAG_REF:
            slot = len(refs)
            append(_UNFINISHED)
        if kind == 0x29 or kind == 0x28:  # ) small tuple, ( tuple
            if depth >= MARSHAL_MAX_DEPTH:
                raise MarshalError("nested deeper than a profile")
            if kind == 0x29:
                size = data[pos]
                pos += 1
            else:
                (size,) = _I32(data, pos)
                pos += 4
                if not 0 <= size <= end - pos:
                    raise MarshalError(f"bad tuple size {size}")
            depth += 1
            value = tuple([read(depth) for _ in range(size)])
        elif kind == 0x7A or kind == 0x5A:  # z Z: short ASCII string
            size = data[pos]
            pos += 1 + size
            if pos > end:
                raise EOFError
            value = data[pos - size:pos].decode("latin-1")
        elif kind == 0x7B:  # {: dict, key/value pairs up to a 0 (null) key
            if depth >= MARSHAL_MAX_DEPTH:
                raise MarshalError("nested deeper than a profile")
            value = {}
            depth += 1
            while data[pos] != 0x30:
                key = read(depth)
                value[key] = read(depth)  # TypeError when the key is a dict
            pos += 1
        elif kind in (0x61, 0x41, 0x75, 0x74, 0x73):  # a A: ASCII, u t: UTF-8, s: bytes
            (size,) = _I32(data, pos)
            pos += 4
            if not 0 <= size <= end - pos:
                raise MarshalError(f"bad string size {size}")
            raw = data[pos:pos + size]
            pos += size
            value = (raw if kind == 0x73 else raw.decode("latin-1") if kind in (0x61, 0x41)
                     else raw.decode("utf-8", "surrogatepass"))
        elif kind == 0x6C:  # l: long, |size| 15-bit digits, the sign of size is the number's
            (size,) = _I32(data, pos)
            pos += 4
            digits = abs(size)
            if digits > MARSHAL_MAX_LONG_DIGITS or 2 * digits > end - pos:
                raise MarshalError(f"bad integer size {size}")
            value = 0
            for i in range(digits):
                digit = data[pos] | data[pos + 1] << 8
                pos += 2
                if digit > 0x7FFF:
                    raise MarshalError("bad integer digit")
                value |= digit << (15 * i)
            if size < 0:
                value = -value
        elif kind == 0x66:  # f: float as text
            size = data[pos]
            pos += 1 + size
            if pos > end:
                raise EOFError
            value = float(data[pos - size:pos].decode("ascii"))
        else:
            raise MarshalError(f"unexpected type code {code:#04x} at byte {pos - 1}")
        if slot >= 0:
            refs[slot] = value
        return value

    try:
        return read(0)
    except MarshalError:
        raise
    except (IndexError, EOFError, struct.error):
        raise MarshalError("truncated marshal data") from None
    except (TypeError, ValueError, UnicodeDecodeError) as exc:  # unhashable key, bad float text
        raise MarshalError(f"bad marshal data: {exc}") from None
