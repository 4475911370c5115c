"""Small checks every reader shares: numbers that are measurements, ratios, JSON objects, content lines."""

from __future__ import annotations

from typing import Any

from tools.errors import InputError
from tools.numbers import finite


def _number(value: Any, path: str, what: str) -> float:
    number = finite(value)
    if number is None or number < 0:
        raise InputError(f"{what} is not a measurement: {value!r:.60}", path=path)
    return number


def _ratio(value: Any, path: str, what: str) -> float:
    number = _number(value, path, what)
    if number > 1:
        raise InputError(f"{what} is not a ratio from 0 to 1: {value!r:.60}", path=path)
    return number


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one when the report has something else (null, a list) there."""
    return value if isinstance(value, dict) else {}


def _content_lines(text: str):
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and stripped[0] != "#":
            yield lineno, stripped
