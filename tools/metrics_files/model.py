"""What a metrics file yields: measurements in canonical units and a description of the source."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

PercentileMethod = Literal["nearest-rank", "linear"]


SourceFormat = Literal[
    "k6-summary-export", "k6-handle-summary", "k6-json", "locust-csv", "lighthouse", "pagespeed", "vegeta",
    "samples", "named-metrics", "text",
]


# Core Web Vitals are judged at the 75th percentile of page loads (web.dev).
WEB_VITALS = ("lcp", "inp", "cls", "fcp", "ttfb", "fid")


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
