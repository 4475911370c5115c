"""Collapsed stacks (`py-spy record -f raw`, `stackcollapse-*.pl`): `frame;frame;frame count` lines."""

from __future__ import annotations

import re

from tools.errors import InputError
from tools.profile.model import FuncKey, Profile, from_stacks

# a line with a count no float holds ('9' * 400 is inf) is skipped like any line without a count.
COLLAPSED_LINE = re.compile(r"^(\S.*?)\s+(\d{1,15}(?:\.\d+)?)\s*$")
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


def collapsed(text: str, where: str) -> Profile:
    stacks: dict[tuple[FuncKey, ...], float] = {}
    keys: dict[str, FuncKey] = {}
    skipped = 0
    first_bad = None
    for lineno, line in enumerate(text.split("\n"), 1):  # not splitlines(): \x1e etc. are not line ends here
        if not line.strip():
            continue
        m = COLLAPSED_LINE.match(line)
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
    return from_stacks("collapsed", "samples", stacks, notes)
