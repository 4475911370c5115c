"""Lighthouse JSON reports and PageSpeed Insights responses (CrUX field data at p75)."""

from __future__ import annotations

from typing import Any

from tools.errors import InputError
from tools.metrics_files.common import _number, _obj
from tools.metrics_files.model import Measurement, Source
from tools.numbers import finite

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
