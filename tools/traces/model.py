"""The traces tool's types: its input and output models, the Span every reader produces, and the
small bookkeeping helpers (skipped-item notes, string interning) the readers and the analysis share."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel, Field, model_validator

from tools.readpath import ReadPath

DEFAULT_WINDOW = 100_000  # open spans held in memory while streaming
MAX_INTERNED = 100_000  # distinct names, keys and example statements kept for sharing
SKIP_EXAMPLES = 3

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
EXIT_KINDS = {"client", "producer"}

# Attributes worth keeping (old and current semantic-convention names); everything else is dropped.


class TracesInput(BaseModel):
    """Traces to analyze: a file path or pasted JSON (OTLP or Jaeger)."""

    path: ReadPath | None = Field(None, description="path to an OTLP JSON (one request per line, or one document) or Jaeger JSON file")
    text: str | None = Field(None, description="pasted OTLP or Jaeger JSON")
    top: int = Field(3, ge=1, le=100, description="how many of the slowest traces to detail")
    window: int = Field(DEFAULT_WINDOW, ge=100, description="spans held in memory while grouping a stream into traces")

    @model_validator(mode="after")
    def _one_source(self) -> TracesInput:
        if (self.path is None) == (self.text is None):
            raise ValueError("give exactly one of path or text")
        return self


class CriticalStep(BaseModel):
    span_id: str
    name: str
    service: str
    kind: str
    depth: int
    start_ms: float  # from the start of the trace
    duration_ms: float
    critical_ms: float  # time of this span's own work the trace's latency waited on


class SpanRow(BaseModel):
    span_id: str
    name: str
    service: str
    kind: str
    duration_ms: float
    self_ms: float
    error: bool = False


class Share(BaseModel):
    name: str
    self_ms: float
    pct: float
    spans: int


class TraceSummary(BaseModel):
    trace_id: str
    root: str
    service: str
    duration_ms: float
    spans: int
    errors: int
    missing_parents: int = 0  # spans whose parent is not in the input (treated as roots)
    critical_path: list[CriticalStep]
    slowest_spans: list[SpanRow]
    by_service: list[Share]
    by_kind: list[Share]


class SpanStat(BaseModel):
    service: str
    name: str
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int = 0


class Metric(BaseModel):
    """A latency the threshold checker can read: root spans are requests."""

    metric: str  # p50 | p95 | p99
    value_ms: float
    span: str
    service: str
    samples: int


class Skipped(BaseModel):
    reason: str  # says what was counted: spans or lines
    count: int
    examples: list[str] = Field(default_factory=list)


class TracesData(BaseModel):
    format: str  # otlp | jaeger
    traces: int
    spans: int
    window: int
    by_service: list[Share]
    by_kind: list[Share]
    slowest_traces: list[TraceSummary]
    span_stats: list[SpanStat]
    metrics: list[Metric]
    skipped: list[Skipped] = Field(default_factory=list)


# --------------------------------------------------------------------------- spans


@dataclass(slots=True)
class Span:
    span_id: str
    parent_id: str | None
    name: str
    service: str
    kind: str
    start: int  # ns
    end: int  # ns
    error: bool = False
    status: str | None = None
    category: str | None = None  # db | http | rpc | client (an exit call), None otherwise
    key: str | None = None  # what N+1 groups by: statement fingerprint or method + route
    label: str | None = None  # the example a person reads: statement or "GET host/route"

    @property
    def duration(self) -> int:
        return self.end - self.start


class _Notes:
    """Counts of what was skipped, with a few examples each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def add(self, reason: str, count: int = 1, example: str | None = None) -> None:
        self.counts[reason] += count
        if example is not None:
            ex = self.examples.setdefault(reason, [])
            if len(ex) < SKIP_EXAMPLES:
                ex.append(example)

    def rows(self) -> list[Skipped]:
        return [Skipped(reason=r, count=n, examples=self.examples.get(r, [])) for r, n in self.counts.most_common()]


class _Interner:
    """One string object per distinct service/name/key: millions of spans share a few hundred.

    Bounded: past ``MAX_INTERNED`` distinct values (names with ids in them) new ones are not kept.
    """

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        seen = self._seen.get(value)
        if seen is not None:
            return seen
        if len(self._seen) < MAX_INTERNED:
            self._seen[value] = value
        return value


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)
