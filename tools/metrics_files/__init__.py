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

Modules: ``model`` (Measurement, Source), ``stats`` (percentiles, Apdex, histograms over samples),
one reader per format (``k6``, ``lighthouse``, ``vegeta``, ``locust``, ``samples``, ``named``) and
``common`` (checks they share); this module recognises the format and dispatches.
"""

from __future__ import annotations

import json
from typing import Any

from tools.errors import InputError
from tools.metrics_files.k6 import _K6_NDJSON, _read_k6, _read_k6_points
from tools.metrics_files.lighthouse import _read_lighthouse
from tools.metrics_files.locust import _read_locust
from tools.metrics_files.model import (
    WEB_VITALS,
    HistogramBin,
    K6Threshold,
    Measurement,
    PercentileMethod,
    Source,
    SourceFormat,
)
from tools.metrics_files.named import _read_yaml, named_measurements
from tools.metrics_files.samples import _looks_like_samples, _read_samples
from tools.metrics_files.stats import apdex, histogram, percentile, sample_measurements
from tools.metrics_files.vegeta import _read_vegeta
from tools.numbers import TOO_MANY_DIGITS

__all__ = [
    "HistogramBin",
    "K6Threshold",
    "Measurement",
    "PercentileMethod",
    "Source",
    "SourceFormat",
    "WEB_VITALS",
    "apdex",
    "histogram",
    "named_measurements",
    "percentile",
    "read_metrics_file",
    "sample_measurements",
]


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
