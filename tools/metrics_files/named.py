"""Named metrics: a small YAML/JSON mapping (numbers, "320ms"-style strings, or sample lists)."""

from __future__ import annotations

import math
import re
from typing import Any

from tools.errors import InputError
from tools.metrics_files.model import WEB_VITALS, Measurement, PercentileMethod, Source
from tools.metrics_files.stats import histogram, percentile, sample_measurements
from tools.metrics_text import metric_key, metric_unit, parse_quantity, unit_of
from tools.numbers import finite

_LATENCY_SAMPLE_KEYS = {"latency", "latencies", "samples", "response_times", "durations", "latency_ms",
                        "latencias", "tiempos"}


_KEY_UNIT_SUFFIX = re.compile(r"[_ ](ms|s|sec|seconds|pct|percent|rps)$", re.IGNORECASE)


def named_measurements(mapping: dict[str, Any], path: str, *, apdex_t_ms: float,
                       method: PercentileMethod = "nearest-rank",
                       lines: dict[str, int] | None = None) -> tuple[list[Measurement], Source]:
    """Measurements from {name: value}; values are numbers in canonical units, '320ms'-style strings
    or lists of samples (latency lists give percentiles and Apdex, Web Vitals lists give the p75)."""
    if isinstance(mapping.get("metrics"), dict):
        mapping = mapping["metrics"]
    source = Source(path=path, format="named-metrics")
    out: list[Measurement] = []
    for raw_name, raw in mapping.items():
        line = (lines or {}).get(str(raw_name))
        name = str(raw_name)
        suffix = _KEY_UNIT_SUFFIX.search(name)
        suffix_unit, suffix_factor = unit_of(suffix.group(1)) if suffix else ("", 1.0)
        key = metric_key(name[: suffix.start()] if suffix else name)
        if isinstance(raw, list):
            out += _named_samples(key, name, raw, path, line, suffix_factor, apdex_t_ms, method, source)
            continue
        value, unit = _named_value(name, raw, path, line)
        if not unit:
            value, unit = _times(value, suffix_factor, name, raw, path, line), suffix_unit
        expected = metric_unit(key)
        if not unit:
            if expected == "ratio" and value > 1:
                raise InputError(f"{name}: {value:g} is not a ratio; write {value / 100:g} or '{value:g}%'",
                                 path=path, line=line)
            unit = expected
        elif expected and unit != expected:
            raise InputError(f"{name}: {raw!r} is in {unit}, expected {expected}", path=path, line=line)
        out.append(Measurement(metric=key, value=value, unit=unit, source=path, method="stated", line=line))
    if not out:
        raise InputError("no metrics found (expected name: value pairs)", path=path)
    return out, source


def _named_value(name: str, raw: Any, path: str, line: int | None) -> tuple[float, str]:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = finite(raw)
        if value is None or value < 0:
            raise InputError(f"{name}: {raw!r:.60} is not a measurement", path=path, line=line)
        return value, ""
    if isinstance(raw, str):
        quantity = parse_quantity(raw)
        if quantity is not None:
            return quantity.value, quantity.unit
    raise InputError(f"{name}: {raw!r} is not a number or a quantity like '320ms' / '0.2%'", path=path, line=line)


def _times(value: float, factor: float, name: str, raw: Any, path: str, line: int | None) -> float:
    """value in the unit its key's suffix names (p95_s: 1e306 is inf ms: not a measurement)."""
    if value * factor == math.inf:
        raise InputError(f"{name}: {raw!r:.60} is not a measurement", path=path, line=line)
    return value * factor


def _named_samples(key: str, name: str, raw: list, path: str, line: int | None, factor: float,
                   apdex_t_ms: float, method: PercentileMethod, source: Source) -> list[Measurement]:
    if not raw:
        raise InputError(f"{name}: empty list of samples", path=path, line=line)
    values = []
    for item in raw:
        value, unit = _named_value(name, item, path, line)
        values.append(value if unit else _times(value, factor, name, item, path, line))
    if key in _LATENCY_SAMPLE_KEYS:
        ordered = sorted(values)
        source.samples = len(values)
        source.histogram = histogram(ordered)
        return sample_measurements(values, None, source=path, apdex_t_ms=apdex_t_ms, method=method)
    if key in WEB_VITALS:
        value = percentile(sorted(values), 75, method)
        return [Measurement(metric=key, value=value, unit=metric_unit(key), source=path, line=line,
                            method=f"p75 ({method}) of {len(values)} page loads")]
    raise InputError(f"{name}: a list must be latency samples (key 'latency') or a Core Web Vital", path=path,
                     line=line)


def _read_yaml(text: str, path: str, apdex_t_ms: float, method: PercentileMethod):
    import yaml

    from tools.safe_yaml import safe_load

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        doc = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not a recognised metrics file (YAML: {getattr(exc, 'problem', exc)})", path=path,
                         line=mark.line + 1 if mark else None) from None
    if isinstance(doc, list):
        return named_measurements({"latency": doc}, path, apdex_t_ms=apdex_t_ms, method=method)
    if not isinstance(doc, dict):
        raise InputError("not a recognised metrics file: expected k6/Locust/Lighthouse/vegeta output, "
                         "latency samples (one a line) or 'name: value' metrics", path=path, line=1)
    return named_measurements(doc, path, apdex_t_ms=apdex_t_ms, method=method, lines=_key_lines(node))


def _key_lines(node: Any) -> dict[str, int]:
    """1-based line of every top-level key (and of keys under `metrics:`) for error messages."""
    import yaml

    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, value_node in node.value:
        lines[str(key_node.value)] = key_node.start_mark.line + 1
        if key_node.value == "metrics":
            lines.update(_key_lines(value_node))
    return lines
