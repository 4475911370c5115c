"""Plain latency samples: one number a line with its unit and an optional status."""

from __future__ import annotations

import math
import re

from tools.errors import InputError
from tools.metrics_files.common import _content_lines
from tools.metrics_files.model import PercentileMethod, Source
from tools.metrics_files.stats import histogram, sample_measurements
from tools.metrics_text import parse_number, quantity_pattern, unit_of

_SAMPLE_LINE = re.compile(
    rf"^\s*(?P<q>{quantity_pattern()})\s*(?:[,;\s]\s*(?P<status>\d{{3}}|ok|error|err|fail|failed|true|false))?\s*$",
    re.IGNORECASE,
)


_UNIT_HEADER = re.compile(r"^[ \t]*#[ \t]*unit[ \t]*[:=][ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def _looks_like_samples(text: str) -> bool:
    first = next(_content_lines(text), None)
    return first is not None and (_bare_sample(first[1], 1.0) is not None or _SAMPLE_LINE.match(first[1]) is not None)


def _bare_sample(line: str, factor: float) -> float | None:
    """A line that is only a number, in ms; float() is 20x cheaper than the regex, and most sample
    files are bare numbers. float() also reads 'nan', 'inf' and '1e400' (inf), and 1e308 s is inf
    ms: None for those, and the regex (its numbers are bounded) refuses them too."""
    try:
        value = float(line) * factor
    except ValueError:
        return None
    return value if 0 <= value < math.inf else None


def _read_samples(text: str, path: str, apdex_t_ms: float, method: PercentileMethod):
    default_unit: tuple[str, float] | None = None
    for header in _UNIT_HEADER.finditer(text):
        default_unit = unit_of(header.group(1))
        if default_unit[0] != "ms":
            raise InputError(f"unit {header.group(1)!r} is not a time unit", path=path)
    bare_factor = default_unit[1] if default_unit else 1.0
    values: list[float] = []
    failed: list[bool] = []
    has_status = False
    unitless = 0
    for lineno, line in _content_lines(text):
        value = _bare_sample(line, bare_factor)
        if value is not None:
            values.append(value)
            failed.append(False)
            unitless += default_unit is None
            continue
        m = _SAMPLE_LINE.match(line)
        if not m:
            raise InputError(f"not a latency sample (expected e.g. '123ms' or '0.5 s 200'): {line.strip()[:60]!r}",
                             path=path, line=lineno)
        unit, factor = unit_of(m.group("unit")) if m.group("unit") else (default_unit or ("ms", 1.0))
        unitless += not m.group("unit") and default_unit is None
        if unit != "ms":
            raise InputError(f"{m.group('q')!r} is not a duration", path=path, line=lineno)
        values.append(parse_number(m.group("num")) * factor)
        status = (m.group("status") or "").lower()
        has_status = has_status or bool(status)
        failed.append(status in ("error", "err", "fail", "failed", "true") or (status.isdecimal() and int(status) >= 400))
    ordered = sorted(values)
    source = Source(path=path, format="samples", samples=len(values), histogram=histogram(ordered))
    if unitless:
        source.notes.append(f"{unitless} sample(s) without a unit read as ms (add '# unit: s' to change)")
    # Without statuses the order does not matter, and sorting sorted input again is linear.
    out = sample_measurements(values if has_status else ordered, failed if has_status else None, source=path,
                              apdex_t_ms=apdex_t_ms, method=method)
    return out, source
