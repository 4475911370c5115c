"""Strip what clients wrap around a plan: psql frames and footers, pgAdmin/DBeaver quoting.

People paste plans straight from psql (``QUERY PLAN`` header, a dashed or box-drawn rule, borders in
ascii/unicode/old-ascii style, ``+``/``↵`` newline marks, ``(N rows)`` footer), from pgAdmin (each
line in double quotes) or DBeaver (a trailing ``|`` column). :func:`unframe` returns the bare plan
lines, keeping their indentation, which is what the text parser needs to rebuild the tree.
"""

from __future__ import annotations

import re

_LEFT_BORDERS = "|│║"
_RIGHT_BORDERS = "|│║"
# A rule line: only box-drawing/dash characters (and spaces, '+' joints), at least three dashes.
_RULE = re.compile(r"^[\s+|│║┌┐└┘├┤╞╡╔╗╚╝╟╢╠╣┬┴┼╪╫═─\-]*$")
_RULE_CHARS = re.compile(r"[-─═]{3}")
_RULE_START = frozenset("+|│║┌└├╞╔╚╟╠═─-")
_HEADER = re.compile(r"^\s*[|│║]?\s*QUERY PLAN\s*[|│║]?\s*$")
_FOOTER = re.compile(r"^\(\d+ [^\s()]+\)$")  # "(9 rows)", "(1 row)", "(8 lignes)"
_PSQL_TIMING = re.compile(r"^(Time|Temps|Zeit|Tiempo): [\d.,]+ ms")


def unframe(text: str) -> list[str]:
    """Plan lines without client decoration; indentation relative to the frame is preserved."""
    lines = text.split("\n")
    start = _header_index(lines)
    if start is None:
        # No psql header, so no borders: only drop rules, footers and psql timing lines. A cheap
        # look at each line's first two characters spares the per-line work below.
        if "\r" in text:
            lines = [line.rstrip("\r") for line in lines]
        return [line for line in lines if (head := line.lstrip()[:2])[:1] not in _NOISE_START or head == "->"
                or not _is_noise(line)]
    header = lines[start].rstrip("\r ")
    left = header.lstrip()[:1] in _LEFT_BORDERS and header.strip() != ""
    right = header[-1:] in _RIGHT_BORDERS
    out: list[str] = []
    for raw in lines[start + 1 :]:
        line = raw.rstrip("\r")
        if _is_noise(line):
            continue
        if left:
            line = line.lstrip()
            if line[:1] in _LEFT_BORDERS:
                line = line[2:] if line[1:2] == " " else line[1:]
        if right:
            trimmed = line.rstrip()
            if trimmed[-1:] in _RIGHT_BORDERS:
                line = trimmed[:-1]
        # psql pads cells with spaces and marks embedded newlines with '+' or '↵'.
        trimmed = line.rstrip()
        if trimmed.endswith(("+", "↵")):
            line = trimmed[:-1].rstrip()
        out.append(line)
    return out


_NOISE_START = _RULE_START | {"(", "T", "Z"}


def _is_noise(line: str) -> bool:
    """A rule, a ``(N rows)`` footer or psql's ``Time: ...`` line (the checks of the loop in unframe)."""
    stripped = line.strip()
    first = stripped[:1]
    if first in _RULE_START and stripped[1:2] != ">" and _is_rule(line):
        return True
    return (first == "(" and _FOOTER.match(stripped) is not None) or (
        first in "TZ" and _PSQL_TIMING.match(stripped) is not None
    )


def _header_index(lines: list[str]) -> int | None:
    """Index of the last line of psql's ``QUERY PLAN`` header (a terminal may wrap it), if any."""
    for i, line in enumerate(lines[:200]):
        line = line.rstrip("\r")
        if _HEADER.match(line):
            return i
        head = line.strip()
        wrapped = len(head) >= 5 and "QUERY PLAN".startswith(head) and i + 1 < len(lines)
        if wrapped and (head + lines[i + 1].strip()).startswith("QUERY PLAN"):
            return i + 1
    # A column named otherwise (e.g. the result of a function returning EXPLAIN output): one
    # short cell right above the first rule line.
    for i, line in enumerate(lines[:50]):
        if _is_rule(line.rstrip("\r")):
            cell = lines[i - 1].strip(" |│║\r") if i else ""
            if cell and " " not in cell and "(" not in cell:
                return i - 1
            break
    return None


def _is_rule(line: str) -> bool:
    return bool(line) and _RULE.match(line) is not None and _RULE_CHARS.search(line) is not None


def unquote_pgadmin(lines: list[str]) -> list[str]:
    """pgAdmin exports each plan line as a quoted cell: ``"  ->  Seq Scan ..."`` (the opening quote
    is sometimes lost, single quotes occur too)."""
    last = next((ln for ln in reversed(lines) if ln.strip()), "").strip()
    if last[-1:] not in ("\"", "'"):  # the usual case: decide from the last line, without a full pass
        return unquote_cells(lines)
    cells = [ln.strip() for ln in lines if ln.strip()]
    quote = cells[-1][-1]
    if not all(c[-1] == quote for c in cells):
        return unquote_cells(lines)
    out = []
    for ln in lines:
        ln = ln.rstrip()[:-1] if ln.strip() else ""
        if ln.lstrip().startswith(quote):
            ln = ln.lstrip()[1:]
        out.append(ln.replace(quote * 2, quote))
    return out


def unquote_cells(lines: list[str]) -> list[str]:
    """Single lines quoted as CSV cells among unquoted ones: DataGrip and some CSV exports quote only
    the lines that contain a comma or a quote (``"  Filter: ((a = 1) AND (b = 'x'))"``, with inner
    quotes doubled). Such a line never starts a plan line otherwise: a plan line starts with a node
    name, ``->`` or a property key."""
    out = lines
    for i, line in enumerate(lines):
        if line[:1] != '"':
            continue
        cell = line.rstrip()
        if len(cell) < 3 or cell[-1] != '"':
            continue
        inner = cell[1:-1].replace('""', '"')
        if not _PLAN_CELL.match(inner):
            continue
        if out is lines:
            out = list(lines)
        out[i] = inner
    return out


# What a quoted cell must look like to be a plan line: a node (arrow or estimates) or a property.
_PLAN_CELL = re.compile(r"^\s*(?:->|[A-Z][A-Za-z /-]{1,40}:(?:\s|$)|.*\((?:cost|actual)[= ])")
