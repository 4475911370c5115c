"""Measurements out of load-test and web-performance files, plus statistics over raw samples.

Formats, recognised by content (not by file name):

- k6 ``--summary-export`` JSON (a threshold value ``true`` there means *crossed*) and the
  ``handleSummary(data)`` shape (``values`` per metric, thresholds as ``{"ok": bool}``);
- Locust ``*_stats.csv`` (the Aggregated row and one row per endpoint);
- Lighthouse JSON reports, and PageSpeed Insights responses (CrUX field data at p75);
- vegeta ``report -type=json`` (latencies in nanoseconds);
- plain latency samples, one number a line with its unit and an optional status;
- a small YAML/JSON mapping of named metrics (numbers, "320ms"-style strings, or sample lists).

Values come out in canonical units (ms, ratio, req/s; see tools.metrics_text).
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import re
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.errors import InputError
from tools.metrics_text import (
    metric_key,
    metric_unit,
    parse_number,
    parse_quantity,
    percentile_key,
    quantity_pattern,
    unit_of,
)
from tools.numbers import TOO_MANY_DIGITS, finite

PercentileMethod = Literal["nearest-rank", "linear"]
SourceFormat = Literal[
    "k6-summary-export", "k6-handle-summary", "k6-json", "locust-csv", "lighthouse", "pagespeed", "vegeta",
    "samples", "named-metrics", "text",
]
# Core Web Vitals are judged at the 75th percentile of page loads (web.dev).
WEB_VITALS = ("lcp", "inp", "cls", "fcp", "ttfb", "fid")
_LATENCY_SAMPLE_KEYS = {"latency", "latencies", "samples", "response_times", "durations", "latency_ms",
                        "latencias", "tiempos"}


class Measurement(BaseModel):
    metric: str  # canonical key (tools.metrics_text.metric_key)
    value: float  # canonical unit
    unit: str
    source: str
    scope: str | None = None  # an endpoint or tag; None for the whole run
    before: float | None = None  # the earlier value, when the input states a change
    method: str = ""  # how the value was obtained
    note: str | None = None
    line: int | None = None


class HistogramBin(BaseModel):
    upper_ms: float
    count: int


class K6Threshold(BaseModel):
    metric: str
    expression: str
    ok: bool


class Source(BaseModel):
    path: str
    format: SourceFormat
    samples: int | None = None
    histogram: list[HistogramBin] | None = None
    k6_thresholds: list[K6Threshold] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


# --- statistics over samples ---------------------------------------------------------------------

def percentile(sorted_values: list[float], p: Fraction | float, method: PercentileMethod = "nearest-rank") -> float:
    """The p-th percentile of already sorted values.

    nearest-rank: the smallest value with at least p % of the samples at or below it, i.e. the
    value at rank ceil(p/100 * n) (exact arithmetic, so p95 of 100 samples is the 95th).
    linear: interpolation between closest ranks at (n-1)*p/100 (numpy's default).
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no samples")
    frac = Fraction(str(p)) if not isinstance(p, Fraction) else p
    if method == "nearest-rank":
        rank = math.ceil(frac * n / 100)
        return sorted_values[min(max(rank, 1), n) - 1]
    h = (n - 1) * frac / 100
    lo = math.floor(h)
    if lo + 1 >= n:
        return sorted_values[-1]
    return sorted_values[lo] + float(h - lo) * (sorted_values[lo + 1] - sorted_values[lo])


def apdex(sorted_ok_ms: list[float], total: int, t_ms: float) -> float:
    """Apdex_T = (satisfied + tolerating / 2) / total, per the Apdex specification.

    satisfied: response <= T; tolerating: T < response <= 4T; frustrated: > 4T. Failed requests
    count as frustrated, so they are in ``total`` but not in ``sorted_ok_ms``.
    """
    satisfied = bisect.bisect_right(sorted_ok_ms, t_ms)
    tolerating = bisect.bisect_right(sorted_ok_ms, 4 * t_ms) - satisfied
    return (satisfied + tolerating / 2) / total


def histogram(sorted_values: list[float], bins: int = 12) -> list[HistogramBin]:
    """Counts per bin; log-spaced when the samples span more than 20x (latency tails usually do)."""
    lo, hi = sorted_values[0], sorted_values[-1]
    if hi <= lo:
        return [HistogramBin(upper_ms=hi, count=len(sorted_values))]
    # Computed so that no step overflows for any finite samples: hi / lo can exceed the float range
    # (1e300 / 1e-10), so log spacing works on logarithms, linear spacing divides first, and the last
    # edge is hi itself (exp(log(hi)) can round past the largest float).
    if lo > 0 and hi / lo > 20:
        log_lo, step = math.log(lo), (math.log(hi) - math.log(lo)) / bins
        inner = [math.exp(log_lo + step * i) for i in range(1, bins)]
    else:
        inner = [lo + (hi - lo) / bins * i for i in range(1, bins)]
    edges = [*inner, hi]
    out, below = [], 0
    for edge in edges:
        upto = bisect.bisect_right(sorted_values, edge)
        out.append(HistogramBin(upper_ms=edge, count=upto - below))
        below = upto
    return out


def sample_measurements(latencies_ms: list[float], failed: list[bool] | None, *, source: str,
                        apdex_t_ms: float, method: PercentileMethod, scope: str | None = None) -> list[Measurement]:
    """Percentiles, mean, max, Apdex and (when statuses are known) error rate of raw samples."""
    ordered = sorted(latencies_ms)
    n = len(ordered)
    how = f"{method} over {n} samples"
    out = [
        Measurement(metric=percentile_key(p), value=percentile(ordered, p, method), unit="ms",
                    source=source, scope=scope, method=how)
        for p in (50, 90, 95, 99)
    ]
    try:
        mean = math.fsum(ordered) / n
    except OverflowError:  # samples near the float limit: halve them so that their sum is a float
        mean = min(2 * math.fsum(v / (2 * n) for v in ordered), ordered[-1])
    out.append(Measurement(metric="avg", value=mean, unit="ms", source=source,
                           scope=scope, method=f"mean over {n} samples"))
    out.append(Measurement(metric="max", value=ordered[-1], unit="ms", source=source, scope=scope,
                           method=f"max over {n} samples"))
    ok = ordered
    if failed is not None:
        errors = sum(failed)
        ok = sorted(v for v, bad in zip(latencies_ms, failed, strict=True) if not bad)
        out.append(Measurement(metric="error_rate", value=errors / n, unit="ratio", source=source, scope=scope,
                               method=f"{errors} failed of {n} samples"))
    out.append(Measurement(
        metric="apdex", value=apdex(ok, n, apdex_t_ms), unit="", source=source, scope=scope,
        method=f"Apdex, T = {apdex_t_ms:g} ms" + (", failures frustrated" if failed is not None else ""),
    ))
    return out


# --- file readers ----------------------------------------------------------------------------------

def read_metrics_file(path: str, text: str, *, apdex_t_ms: float,
                      method: PercentileMethod = "nearest-rank") -> tuple[list[Measurement], Source]:
    """Recognise the format of ``text`` (read from ``path``) and return its measurements."""
    stripped = text.lstrip()
    if not stripped:
        raise InputError("empty file", path=path)
    if stripped.startswith('{"') and _K6_NDJSON.match(stripped):
        return _read_k6_points(text, path, apdex_t_ms, method)
    if stripped[0] in "{[":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        except ValueError:  # int() refuses more than 4300 digits
            raise InputError(f"invalid JSON: {TOO_MANY_DIGITS}", path=path) from None
        return _read_json(doc, path, apdex_t_ms, method)
    first = stripped.splitlines()[0]
    if "Request Count" in first and "Name" in first:
        return _read_locust(text, path)
    if _looks_like_samples(text):
        return _read_samples(text, path, apdex_t_ms, method)
    return _read_yaml(text, path, apdex_t_ms, method)


def _read_json(doc: Any, path: str, apdex_t_ms: float, method: PercentileMethod):
    if isinstance(doc, list):
        return named_measurements({"latency": doc}, path, apdex_t_ms=apdex_t_ms, method=method)
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object", path=path, line=1)
    metrics = doc.get("metrics")
    if isinstance(metrics, dict) and metrics and all(isinstance(m, dict) for m in metrics.values()) and (
        "root_group" in doc or "http_reqs" in metrics or any(k.startswith("http_req") for k in metrics)
    ):
        handle = any(isinstance(m.get("values"), dict) for m in metrics.values())
        return _read_k6(metrics, path, handle)
    if "lighthouseVersion" in doc or "audits" in doc or "lighthouseResult" in doc or "loadingExperience" in doc:
        return _read_lighthouse(doc, path)
    if isinstance(doc.get("latencies"), dict) and ("success" in doc or "status_codes" in doc):
        return _read_vegeta(doc, path)
    return named_measurements(doc, path, apdex_t_ms=apdex_t_ms, method=method)


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


_LIGHTHOUSE_AUDITS = {
    "largest-contentful-paint": "lcp",
    "first-contentful-paint": "fcp",
    "cumulative-layout-shift": "cls",
    "server-response-time": "ttfb",
    "interaction-to-next-paint": "inp",
    "total-blocking-time": "tbt",
    "speed-index": "speed_index",
}
_CRUX_METRICS = {
    "LARGEST_CONTENTFUL_PAINT_MS": ("lcp", 1.0),
    "INTERACTION_TO_NEXT_PAINT": ("inp", 1.0),
    "CUMULATIVE_LAYOUT_SHIFT_SCORE": ("cls", 0.01),  # CrUX reports CLS x 100
    "FIRST_CONTENTFUL_PAINT_MS": ("fcp", 1.0),
    "EXPERIMENTAL_TIME_TO_FIRST_BYTE": ("ttfb", 1.0),
    "FIRST_INPUT_DELAY_MS": ("fid", 1.0),
}


def _read_lighthouse(doc: dict[str, Any], path: str):
    out: list[Measurement] = []
    field = _obj(doc.get("loadingExperience"))
    lhr = _obj(doc.get("lighthouseResult", doc))
    source = Source(path=path, format="pagespeed" if "lighthouseResult" in doc or field else "lighthouse")
    error = lhr.get("runtimeError")
    if isinstance(error, dict) and error.get("code") not in (None, "NO_ERROR"):
        raise InputError(f"Lighthouse run failed: {error.get('code')}: {error.get('message', '')}".rstrip(": "),
                         path=path)
    for name, (key, factor) in _CRUX_METRICS.items():
        entry = _obj(field.get("metrics")).get(name)
        if isinstance(entry, dict) and "percentile" in entry:
            out.append(Measurement(metric=key, value=_number(entry["percentile"], path, name) * factor,
                                   unit="" if key == "cls" else "ms", source=path,
                                   method="CrUX field data, p75 of real page loads (28 days)"))
    field_keys = {m.metric for m in out}
    for audit_id, key in _LIGHTHOUSE_AUDITS.items():
        audit = _obj(lhr.get("audits")).get(audit_id)
        if not isinstance(audit, dict) or audit.get("numericValue") is None or key in field_keys:
            continue
        out.append(Measurement(metric=key, value=_number(audit["numericValue"], path, audit_id),
                               unit="" if key == "cls" else "ms", source=path,
                               method="Lighthouse lab value (one page load, not the field p75)"))
    # The score is 0..1, and null when the run could not score; anything else is ignored like null.
    perf = finite(_obj(_obj(lhr.get("categories")).get("performance")).get("score"))
    if perf is not None and 0 <= perf <= 1:
        out.append(Measurement(metric="lighthouse_performance", value=perf * 100, unit="", source=path,
                               method="Lighthouse performance category score (0-100)"))
    if not out:
        raise InputError("Lighthouse report has no metric audits (numericValue) nor field data", path=path)
    return out, source


def _read_vegeta(doc: dict[str, Any], path: str):
    lat = doc["latencies"]
    how = "vegeta report -type=json"
    out: list[Measurement] = []
    for stat, key in (("50th", "p50"), ("90th", "p90"), ("95th", "p95"), ("99th", "p99"), ("mean", "avg"),
                      ("max", "max")):
        if stat in lat:
            out.append(Measurement(metric=key, value=_number(lat[stat], path, f"latencies.{stat}") / 1e6, unit="ms",
                                   source=path, method=f"{how} (latencies.{stat}, ns)"))
    if "success" in doc:
        out.append(Measurement(metric="error_rate", value=1 - _ratio(doc["success"], path, "success"),
                               unit="ratio", source=path, method=f"{how} (1 - success)"))
    if "throughput" in doc:
        out.append(Measurement(metric="throughput", value=_number(doc["throughput"], path, "throughput"),
                               unit="req/s", source=path, method=f"{how} (successful requests per second)"))
    requests = doc.get("requests")
    return out, Source(path=path, format="vegeta", samples=int(requests) if isinstance(requests, int) else None)


_COUNT = re.compile(r"[0-9]{1,18}")


def _read_locust(text: str, path: str):
    reader = csv.DictReader(io.StringIO(text))
    out: list[Measurement] = []
    source = Source(path=path, format="locust-csv")
    how = "Locust stats CSV (response times bucketed and rounded by Locust)"
    for lineno, row in enumerate(reader, start=2):
        name = (row.get("Name") or "").strip()
        counts = [(row.get(column) or "0").strip() for column in ("Request Count", "Failure Count")]
        # Locust writes plain ASCII counts; int() would also take '-5', '1_000' or 5000 digits (ValueError).
        if not all(_COUNT.fullmatch(c) for c in counts):
            raise InputError("Request Count / Failure Count are not integers", path=path, line=lineno)
        requests, failures = (int(c) for c in counts)
        scope = None if name == "Aggregated" else f"{(row.get('Type') or '').strip()} {name}".strip()
        if scope is None:
            source.samples = requests
        if requests == 0:
            continue
        out.append(Measurement(metric="error_rate", value=failures / requests, unit="ratio", source=path, scope=scope,
                               method=f"{failures} failures of {requests} requests", line=lineno))
        columns = {"Average Response Time": "avg", "Max Response Time": "max", "Requests/s": "throughput"}
        for column, raw in row.items():
            if column is None or raw in (None, "", "N/A"):
                continue
            pm = re.fullmatch(r"(\d{1,2}(?:\.\d+)?)%", column.strip())
            key = percentile_key(pm.group(1)) if pm else columns.get(column.strip())
            if not key:
                continue
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not 0 <= value < math.inf:  # float() also reads 'nan', 'inf', '1e400' and '-5'
                raise InputError(f"column {column!r} is not a number: {raw!r:.60}", path=path, line=lineno)
            out.append(Measurement(metric=key, value=value, unit=metric_unit(key), source=path, scope=scope,
                                   method=how, line=lineno))
    if not out:
        raise InputError("Locust stats CSV has no rows with requests", path=path)
    return out, source


# --- plain sample files ----------------------------------------------------------------------------

_SAMPLE_LINE = re.compile(
    rf"^\s*(?P<q>{quantity_pattern()})\s*(?:[,;\s]\s*(?P<status>\d{{3}}|ok|error|err|fail|failed|true|false))?\s*$",
    re.IGNORECASE,
)
_UNIT_HEADER = re.compile(r"^[ \t]*#[ \t]*unit[ \t]*[:=][ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def _content_lines(text: str):
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and stripped[0] != "#":
            yield lineno, stripped


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


# --- named metrics (YAML / JSON / the tool's `metrics` argument) -----------------------------------

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
