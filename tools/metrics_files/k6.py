"""k6: `--summary-export` and `handleSummary` JSON, and the `--out json` stream of points."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from tools.errors import InputError
from tools.metrics_files.common import _content_lines, _number, _obj, _ratio
from tools.metrics_files.model import K6Threshold, Measurement, PercentileMethod, Source, SourceFormat
from tools.metrics_files.stats import histogram, sample_measurements
from tools.metrics_text import percentile_key
from tools.numbers import TOO_MANY_DIGITS


def _read_k6(metrics: dict[str, Any], path: str, handle_summary: bool):
    fmt: SourceFormat = "k6-handle-summary" if handle_summary else "k6-summary-export"
    source = Source(path=path, format=fmt)
    out: list[Measurement] = []
    apdex_counts: dict[str, float] = {}
    custom_errors: Measurement | None = None
    has_failed_metric = False
    for full_name, metric in metrics.items():
        base, _, tags = full_name.partition("{")
        tags = tags.rstrip("}")
        values = metric.get("values", {}) if handle_summary else metric
        if not isinstance(values, dict):
            raise InputError(f"k6 metric {full_name!r} has no values", path=path)
        for expression, state in _obj(metric.get("thresholds")).items():
            # summary-export records `true` for a crossed threshold; handleSummary records ok.
            ok = bool(state.get("ok")) if isinstance(state, dict) else not bool(state)
            source.k6_thresholds.append(K6Threshold(metric=full_name, expression=expression, ok=ok))
        if tags == "expected_response:true":
            continue  # the same requests minus failures; the untagged metric is the one to judge
        scope = tags or None
        how = f"k6 {'handleSummary' if handle_summary else 'summary-export'}"
        if base == "http_req_duration":
            for stat, raw in values.items():
                key = {"med": "p50", "avg": "avg", "max": "max"}.get(stat)
                pm = re.fullmatch(r"p\((\d{1,2}(?:\.\d+)?)\)", stat)
                if pm:
                    key = percentile_key(pm.group(1))
                if key:
                    out.append(Measurement(metric=key, value=_number(raw, path, f"{full_name} {stat}"), unit="ms",
                                           source=path, scope=scope, method=f"{how} {stat}"))
        elif base == "http_req_failed":
            has_failed_metric = True
            out.append(Measurement(metric="error_rate", value=_k6_rate(values, path, full_name), unit="ratio",
                                   source=path, scope=scope, method=f"{how} (http_req_failed rate)"))
        elif base == "errors" and not scope:
            custom_errors = Measurement(metric="error_rate", value=_k6_rate(values, path, full_name),
                                        unit="ratio", source=path, method=f"{how} (the script's 'errors' Rate)")
        elif base == "http_reqs" and not scope:
            if "rate" in values:
                out.append(Measurement(metric="throughput", value=_number(values["rate"], path, "http_reqs rate"),
                                       unit="req/s", source=path, method=f"{how} (http_reqs rate)"))
            if "count" in values:
                source.samples = int(_number(values["count"], path, "http_reqs count"))
        elif base in ("apdex_satisfied", "apdex_tolerating", "apdex_frustrated") and not scope:
            apdex_counts[base] = _number(values.get("count", 0), path, f"{base} count")
        elif base.startswith("browser_web_vital_") and not scope:
            vital = base.removeprefix("browser_web_vital_")
            if "p(75)" in values:
                unit = "" if vital == "cls" else "ms"
                out.append(Measurement(metric=vital, value=_number(values["p(75)"], path, base), unit=unit,
                                       source=path, method=f"{how} (p75 of {base})"))
            else:
                source.notes.append(f"{base}: no p(75) in summaryTrendStats; add it to judge Core Web Vitals")
    if custom_errors and not has_failed_metric:
        out.append(custom_errors)
    total = sum(apdex_counts.values())
    if total == math.inf:
        raise InputError("the apdex_* counts add up to more than a float holds", path=path)
    if total:
        score = (apdex_counts.get("apdex_satisfied", 0) + apdex_counts.get("apdex_tolerating", 0) / 2) / total
        out.append(Measurement(metric="apdex", value=score, unit="", source=path,
                               method=f"Apdex spec from the script's apdex_* counters ({total:g} requests)"))
    if not out:
        raise InputError("k6 summary has no http_req_duration, http_req_failed or web-vital metrics", path=path)
    return out, source


def _k6_rate(values: dict[str, Any], path: str, name: str) -> float:
    raw = values.get("rate", values.get("value"))
    if raw is None and "passes" in values and "fails" in values:
        passes = _number(values["passes"], path, f"{name} passes")
        total = passes + _number(values["fails"], path, f"{name} fails")
        raw = passes / total if total else 0.0
    return _ratio(raw, path, f"{name} rate")


_K6_NDJSON = re.compile(r'\{"(?:type|metric)":"(?:Metric|Point|[\w.]+)",')


def _read_k6_points(text: str, path: str, apdex_t_ms: float, method: PercentileMethod):
    """k6 `--out json`: one JSON object a line; every http_req_duration Point is a raw sample."""
    by_name: dict[str, tuple[list[float], list[bool]]] = {}
    for lineno, line in _content_lines(text):
        try:
            entry = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or int() refusing more than 4300 digits
            raise InputError(f"invalid JSON line in k6 output: {getattr(exc, 'msg', TOO_MANY_DIGITS)}", path=path,
                             line=lineno) from None
        if not isinstance(entry, dict) or entry.get("type") != "Point" or entry.get("metric") != "http_req_duration":
            continue
        data = _obj(entry.get("data"))
        tags = _obj(data.get("tags"))
        values, failed = by_name.setdefault(str(tags.get("name", "")), ([], []))
        values.append(_number(data.get("value"), path, f"line {lineno} value"))
        # k6 marks a response outside the expected statuses (by default >= 400) with expected_response=false.
        failed.append(tags.get("expected_response") == "false")
    if not by_name:
        raise InputError("k6 JSON output has no http_req_duration points", path=path)
    all_values = [v for values, _ in by_name.values() for v in values]
    all_failed = [f for _, failed in by_name.values() for f in failed]
    ordered = sorted(all_values)
    source = Source(path=path, format="k6-json", samples=len(ordered), histogram=histogram(ordered))
    out = sample_measurements(all_values, all_failed, source=path, apdex_t_ms=apdex_t_ms, method=method)
    if len(by_name) > 1:
        for name, (values, failed) in sorted(by_name.items()):
            out += sample_measurements(values, failed, source=path, apdex_t_ms=apdex_t_ms, method=method,
                                       scope=name or None)
    return out, source
