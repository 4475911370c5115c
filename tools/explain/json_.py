"""EXPLAIN (FORMAT JSON) → the top-level plan dict, tolerant of what clients wrap around it."""

from __future__ import annotations

import json
from typing import Any

from tools.errors import InputError
from tools.numbers import TOO_MANY_DIGITS


def looks_like_json(lines: list[str]) -> bool:
    for line in lines:
        stripped = line.strip()
        if stripped:
            return stripped[0] in "[{" or stripped[:2] in ('"[', '"{')
    return False


def parse_json(text: str, path: str | None = None) -> dict[str, Any]:
    """The first statement's ``{"Plan": ..., "Planning Time": ...}`` object."""
    try:
        document = json.loads(text, parse_constant=_not_a_number)
    except RecursionError:
        raise InputError("JSON nested too deeply to be a plan", path=path) from None
    except ValueError as exc:
        document = _retry_pgadmin(text)
        if document is None:
            line = getattr(exc, "lineno", None)
            # json raises a plain ValueError, not a JSONDecodeError, for integers of > 4300 digits
            message = getattr(exc, "msg", TOO_MANY_DIGITS)
            raise InputError(f"invalid JSON plan: {message}", path=path, line=line) from None
    if isinstance(document, list):
        document = document[0] if document else None
    if isinstance(document, dict) and "Plan" not in document and "Node Type" in document:
        document = {"Plan": document}  # a bare node, as some tools export
    if not isinstance(document, dict) or not isinstance(document.get("Plan"), dict):
        raise InputError('JSON is not an EXPLAIN plan: expected [{"Plan": {...}}]', path=path, line=1)
    return document


class _NotANumber(ValueError):
    def __init__(self, constant: str):
        super().__init__(constant)
        self.msg = f"{constant} is not a number a plan can hold"


def _not_a_number(constant: str) -> None:
    """Infinity and NaN: JSON that Python reads, PostgreSQL never writes, and no measurement is."""
    raise _NotANumber(constant)


def _retry_pgadmin(text: str) -> Any:
    """pgAdmin/CSV exports quote the whole cell and double the inner quotes."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        try:
            return json.loads(stripped[1:-1].replace('""', '"'), parse_constant=_not_a_number)
        except ValueError:
            return None
    return None
