"""Find the bottleneck in distributed traces: OTLP JSON (collector file exporter, otlp/json) and Jaeger JSON.

Input is streamed: a line-delimited file (one ExportTraceServiceRequest per line, what the
collector's file exporter writes) is read line by line; a single JSON document larger than
``IN_MEMORY_BYTES`` is read with ijson's incremental parser. Spans are grouped by trace in a
bounded window of open spans; when the window is full the least recently touched traces are
analyzed and dropped, so memory stays bounded whatever the file size (spans of a trace arriving
after it was analyzed are counted as skipped, never silently merged).

Per trace: the critical path (the chain of work the end-to-end latency waits on), the slowest
spans, self time by service and by span kind. Across traces: duration percentiles per span name
(root spans also as ``{"metric", "value_ms"}`` rows for the threshold checker) and Findings:

* TRC001 n_plus_one          many sibling DB/HTTP/RPC spans with the same statement or route
* TRC002 sequential_calls    independent exit calls under one parent that run one after another
* TRC003 dominant_span       one span holds most of the critical path
* TRC004 error_span          spans with error status
* TRC005 slow_external_call  a DB/HTTP/RPC call slower than ``SLOW_EXTERNAL_MS``
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import math
import re
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any

from pydantic import BaseModel, Field, model_validator

from tools.errors import InputError
from tools.findings import Finding, Location, Report
from tools.numbers import TOO_MANY_DIGITS
from tools.readpath import ReadPath

N_PLUS_ONE_MIN = 5  # TRC001: sibling calls with one statement/route under one parent
SEQUENTIAL_MIN = 3  # TRC002: non-overlapping exit calls in a row ...
SEQUENTIAL_SAVING_SHARE = 0.20  # ... that would save this share of the trace if run concurrently
SEQUENTIAL_OVERLAP_NS = 100_000  # 0.1 ms of overlap still counts as "one after another"
DOMINANT_SHARE = 0.50  # TRC003: one span's share of the critical path
SLOW_EXTERNAL_MS = 500.0  # TRC005 (the seed's P95 critical latency)
ERROR_RATE_CRITICAL = 0.01  # TRC004 is an error at this share of a span name's spans (the seed's critical)
ERROR_RATE_TARGET = 0.001  # ... a warning from the seed's target, info below
DEFAULT_WINDOW = 100_000  # open spans held in memory while streaming
IN_MEMORY_BYTES = 16 * 1024 * 1024  # single documents above this are parsed incrementally
MAX_SPAN_NAMES = 10_000  # percentiles are kept per name up to this many names
MAX_INTERNED = 100_000  # distinct names, keys and example statements kept for sharing
SKIP_EXAMPLES = 3

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
EXIT_KINDS = {"client", "producer"}

# Attributes worth keeping (old and current semantic-convention names); everything else is dropped.
_DB_SYSTEM = ("db.system", "db.system.name")
_DB_STATEMENT = ("db.statement", "db.query.text")
_DB_OPERATION = ("db.operation", "db.operation.name")
_HTTP_METHOD = ("http.method", "http.request.method")
_HTTP_URL = ("url.full", "http.url")
_HTTP_TEMPLATE = ("url.template", "http.route")
_HTTP_PATH = ("url.path", "http.target")
_PEER = ("server.address", "net.peer.name", "peer.service")
_RPC = ("rpc.system", "rpc.service", "rpc.method")
_KEPT = frozenset(
    _DB_SYSTEM + _DB_STATEMENT + _DB_OPERATION + _HTTP_METHOD + _HTTP_URL + _HTTP_TEMPLATE + _HTTP_PATH + _PEER + _RPC
    + ("db.name", "db.namespace", "error", "otel.status_code", "otel.status_description", "span.kind")
)


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


_HEX_ID = re.compile(r"[0-9a-fA-F]{16}(?:[0-9a-fA-F]{16})?")


def _hex_id(value: Any) -> str | None:
    """OTLP/JSON ids are hex; protobuf's JSON mapping writes bytes as base64. Accept both."""
    if not isinstance(value, str) or not value:
        return None
    if _HEX_ID.fullmatch(value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value.lower()
    return raw.hex() if len(raw) in (8, 16) else value.lower()


_MAX_NANOS = 2**64  # OTLP timestamps are fixed64; Jaeger's int64 microseconds are far below


def _nanos(value: Any) -> int | None:
    """A timestamp or duration, or None (the span is skipped) when it is no unsigned 64-bit number:
    1e400 and 400-digit integers would overflow the float conversions of every report value, and
    int() refuses strings of more than 4300 digits."""
    if isinstance(value, bool):
        return None
    if (isinstance(value, float) and math.isfinite(value)) or (
            isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20):
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < _MAX_NANOS else None


def _otlp_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    for name in ("stringValue", "boolValue", "intValue", "doubleValue"):
        if name in value:
            return value[name]
    return None


def _otlp_attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and item.get("key") in _KEPT:
                out[item["key"]] = _otlp_value(item.get("value"))
    return out


def _first(attrs: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = attrs.get(name)
        if value not in (None, ""):
            return value
    return None


# Span names that say "database" when a hand-instrumented span carries no db.* attributes.
_DB_SPAN_NAME = re.compile(r"(?i)^(select|insert|update|delete)\b|(^|[^a-z])(db|sql|query)([^a-z]|$)")
_ID_SEGMENT = re.compile(r"/(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27,}|[0-9a-fA-F]{16,})(?=/|$)")
_URL_PARTS = re.compile(r"^(?:[a-zA-Z][\w+.-]*://)?([^/?#]*)([^?#]*)")


class _Classifier:
    """Turns a span's attributes into (category, key, label), fingerprinting SQL with the SQL tool."""

    def __init__(self, intern: _Interner) -> None:
        from tools.sql.fingerprinting import FingerprintCache  # sqlglot: loaded only when traces are read

        self._fingerprint = FingerprintCache()  # the SQL tool's pg_query-style fingerprint, memoized
        self._intern = intern
        self._examples: dict[str, str] = {}  # one example statement per fingerprint, shared by its spans

    def __call__(self, name: str, kind: str, attrs: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
        statement = _first(attrs, _DB_STATEMENT)
        if statement is not None or _first(attrs, _DB_SYSTEM) is not None:
            if isinstance(statement, str) and statement.strip():
                key = self._intern("db:" + self._fingerprint(statement))
                example = self._examples.get(key)
                if example is None:
                    example = _short(statement)
                    if len(self._examples) < MAX_INTERNED:
                        self._examples[key] = example
                return "db", key, example
            operation = _first(attrs, _DB_OPERATION) or name
            return "db", self._intern(f"db:{operation}"), self._intern(str(operation))
        method = _first(attrs, _HTTP_METHOD)
        if method is not None and kind in EXIT_KINDS:
            url = str(_first(attrs, _HTTP_URL) or "")
            host, path = _URL_PARTS.match(url).groups() if url else ("", "")
            host = str(_first(attrs, _PEER) or host)
            route = _first(attrs, _HTTP_TEMPLATE)
            if route is None:  # no template recorded: ids in the path become {id}
                route = _ID_SEGMENT.sub("/{id}", path or str(_first(attrs, _HTTP_PATH) or ""))
            label = self._intern(f"{method} {host}{route}")
            return "http", self._intern("http:" + label), label
        if _first(attrs, _RPC) is not None and kind in EXIT_KINDS:
            label = self._intern(f"{attrs.get('rpc.service') or ''}/{attrs.get('rpc.method') or name}")
            return "rpc", self._intern("rpc:" + label), label
        if kind in EXIT_KINDS:
            return "client", self._intern(f"client:{name}"), name
        if kind in ("internal", "unspecified") and _DB_SPAN_NAME.search(name):
            # hand-made spans like the seed's `db_query`, without attributes
            return "db", self._intern(f"db:{name}"), name
        return None, None, None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- input formats


Sink = Callable[[str, Span], None]  # (trace id, span)


class _Reader:
    """Converts OTLP and Jaeger documents into Spans and hands them to the sink."""

    def __init__(self, sink: Sink, notes: _Notes) -> None:
        self.sink = sink
        self.notes = notes
        self.intern = _Interner()
        self.classify = _Classifier(self.intern)
        self.format: str | None = None

    def document(self, doc: Any, where: str) -> None:
        if isinstance(doc, dict) and ("resourceSpans" in doc or "resource_spans" in doc):
            self.format = self.format or "otlp"
            for resource_spans in _list(doc.get("resourceSpans", doc.get("resource_spans"))):
                self.otlp_resource_spans(resource_spans)
        elif isinstance(doc, dict) and "data" in doc:
            self.format = self.format or "jaeger"
            for trace in _list(doc["data"]):
                self.jaeger_trace(trace)
        elif isinstance(doc, dict) and "spans" in doc and "traceID" in doc:
            self.format = self.format or "jaeger"
            self.jaeger_trace(doc)
        elif isinstance(doc, dict) and ("resourceMetrics" in doc or "resourceLogs" in doc):
            self.notes.add("documents with metrics or logs, not traces", example=where)
        else:
            raise InputError("not OTLP (resourceSpans) or Jaeger (data[].spans) trace JSON", path=where)

    def otlp_resource_spans(self, resource_spans: Any) -> None:
        if not isinstance(resource_spans, dict):
            return
        service = self.otlp_service(resource_spans.get("resource"))
        for scope in _list(resource_spans.get("scopeSpans", resource_spans.get("instrumentationLibrarySpans"))):
            if isinstance(scope, dict):
                for span in _list(scope.get("spans")):
                    self.otlp_span(span, service)

    def otlp_service(self, resource: Any) -> str:
        if isinstance(resource, dict):
            for item in _list(resource.get("attributes")):
                if isinstance(item, dict) and item.get("key") == "service.name":
                    return self.intern(str(_otlp_value(item.get("value"))))
        return "unknown"

    def otlp_span(self, raw: Any, service: str) -> None:
        if not isinstance(raw, dict):
            self.notes.add("span that is not a JSON object")
            return
        trace_id, span_id = _hex_id(raw.get("traceId")), _hex_id(raw.get("spanId"))
        start, end = _nanos(raw.get("startTimeUnixNano")), _nanos(raw.get("endTimeUnixNano"))
        if trace_id is None or span_id is None or start is None or end is None:
            self.notes.add("span without traceId, spanId or valid timestamps", example=str(raw.get("name"))[:80])
            return
        kind = raw.get("kind", 0)
        kind = KINDS.get(kind, "unspecified") if isinstance(kind, int) else str(kind).removeprefix("SPAN_KIND_").lower()
        status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
        error = status.get("code") in (2, "STATUS_CODE_ERROR")
        self.emit(trace_id, span_id, _hex_id(raw.get("parentSpanId")), str(raw.get("name", "")), service, kind,
                  start, end, _otlp_attributes(raw.get("attributes")), error,
                  status.get("message") or _exception_message(raw.get("events")))

    def jaeger_trace(self, trace: Any) -> None:
        if not isinstance(trace, dict):
            return
        processes = trace.get("processes") if isinstance(trace.get("processes"), dict) else {}
        for raw in _list(trace.get("spans")):
            self.jaeger_span(raw, processes)

    def jaeger_span(self, raw: Any, processes: dict) -> None:
        if not isinstance(raw, dict):
            self.notes.add("span that is not a JSON object")
            return
        trace_id, span_id = _hex_id(raw.get("traceID")), _hex_id(raw.get("spanID"))
        start, duration = _nanos(raw.get("startTime")), _nanos(raw.get("duration"))
        if trace_id is None or span_id is None or start is None or duration is None:
            self.notes.add("span without traceID, spanID or valid timestamps",
                           example=str(raw.get("operationName"))[:80])
            return
        parent = None
        for ref in _list(raw.get("references")):
            if isinstance(ref, dict) and ref.get("refType", "CHILD_OF") in ("CHILD_OF", "FOLLOWS_FROM"):
                parent = _hex_id(ref.get("spanID"))
                break
        attrs = {t.get("key"): t.get("value") for t in _list(raw.get("tags"))
                 if isinstance(t, dict) and t.get("key") in _KEPT}
        process = processes.get(raw.get("processID")) or raw.get("process") or {}
        service = self.intern(str(process.get("serviceName", "unknown"))) if isinstance(process, dict) else "unknown"
        error = attrs.get("error") in (True, "true") or attrs.get("otel.status_code") == "ERROR"
        self.emit(trace_id, span_id, parent, str(raw.get("operationName", "")), service,
                  str(attrs.get("span.kind") or "unspecified").lower(), start * 1000, (start + duration) * 1000,
                  attrs, error, attrs.get("otel.status_description"))

    def emit(self, trace_id: str, span_id: str, parent_id: str | None, name: str, service: str, kind: str,
             start: int, end: int, attrs: dict[str, Any], error: bool, status: Any) -> None:
        if end < start:
            self.notes.add("spans ending before they start (duration set to 0)", example=name[:80])
            end = start
        kind = self.intern(kind)
        category, key, label = self.classify(name, kind, attrs)
        self.sink(trace_id, Span(
            span_id, parent_id, self.intern(name),
            service, kind, start, end, error, _short(str(status)) if status else None, category, key, label,
        ))


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _exception_message(events: Any) -> str | None:
    for event in _list(events):
        if isinstance(event, dict) and event.get("name") == "exception":
            attrs = {a.get("key"): _otlp_value(a.get("value")) for a in _list(event.get("attributes"))
                     if isinstance(a, dict)}
            return attrs.get("exception.message") or attrs.get("exception.type")
    return None


def _read_stream(fh: IO[bytes], where: str, reader: _Reader, notes: _Notes, size: int | None) -> None:
    """Line-delimited documents line by line; one document in memory or incrementally."""
    first, first_no = _next_content(fh, 0, IN_MEMORY_BYTES)
    if not first:
        raise InputError("empty trace file: no spans", path=where)
    if not first.endswith(b"\n") and len(first) >= IN_MEMORY_BYTES:
        fh.seek(0)  # one huge line: a minified single document
        _read_incrementally(fh, where, reader)
        return
    second, second_no = _next_content(fh, first_no)
    try:
        first_doc = json.loads(first)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError, or int() refusing more than 4300 digits
        first_doc = None
    if first_doc is not None and not second:
        reader.document(first_doc, where)  # the whole file was one line
        return
    if first_doc is not None and second.lstrip()[:1] == b"{":
        reader.document(first_doc, where)
        _one_line(second, second_no, where, reader, notes)
        for lineno, line in enumerate(fh, second_no + 1):
            if line.strip():
                _one_line(line, lineno, where, reader, notes)
        return
    fh.seek(0)
    if size is not None and size > IN_MEMORY_BYTES:
        _read_incrementally(fh, where, reader)
        return
    raw = fh.read()
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=where, line=exc.lineno) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=where) from None
    except ValueError:  # int() refuses more than 4300 digits
        raise InputError(f"invalid JSON: {TOO_MANY_DIGITS}", path=where) from None
    reader.document(doc, where)


def _next_content(fh: IO[bytes], lineno: int, limit: int = -1) -> tuple[bytes, int]:
    """The next non-blank line and its number (b"" at the end)."""
    while True:
        line = fh.readline(limit)
        lineno += 1
        if not line or line.strip():
            return line, lineno


def _one_line(line: bytes, lineno: int, where: str, reader: _Reader, notes: _Notes) -> None:
    try:
        doc = json.loads(line)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError, or int() refusing more than 4300 digits
        notes.add("lines that are not valid JSON (a truncated write?)", example=f"{where}:{lineno}")
        return
    try:
        reader.document(doc, where)
    except InputError:
        notes.add("lines that are not trace JSON", example=f"{where}:{lineno}")


_OTLP_SPAN_PREFIXES = (
    "resourceSpans.item.scopeSpans.item.spans.item",
    "resourceSpans.item.instrumentationLibrarySpans.item.spans.item",  # before OTLP 0.15
)


def _read_incrementally(fh: IO[bytes], where: str, reader: _Reader) -> None:
    """A huge single document: ijson builds one span (or one Jaeger trace) at a time."""
    import ijson

    head = fh.read(1 << 16)
    fh.seek(0)
    try:
        if b'"resourceSpans"' not in head:
            if b'"data"' not in head:
                raise InputError("not OTLP (resourceSpans) or Jaeger (data[].spans) trace JSON", path=where)
            reader.format = "jaeger"
            for trace in ijson.items(fh, "data.item", use_float=True):
                reader.jaeger_trace(trace)
            return
        reader.format = "otlp"
        legacy = b'"instrumentationLibrarySpans"' in head and b'"scopeSpans"' not in head
        resource = _ResourceWatch()
        for span in ijson.items(resource.watch(ijson.parse(fh, use_float=True)), _OTLP_SPAN_PREFIXES[legacy]):
            reader.otlp_span(span, reader.intern(str(resource.service)))
    except ijson.JSONError as exc:  # yajl's message goes on to quote the input and point at it
        raise InputError(f"invalid JSON: {str(exc).splitlines()[0]}", path=where) from None


class _ResourceWatch:
    """Passes ijson events through, noting the service.name of the resource the stream is in.

    ijson's C item builder then assembles each span; a resource comes before its spans in OTLP
    exports, so ``service`` is current when a span is yielded.
    """

    _RESOURCE = "resourceSpans.item.resource.attributes.item"

    def __init__(self) -> None:
        self.service: Any = "unknown"

    def watch(self, events: Iterator) -> Iterator:
        is_name = False
        for event in events:
            prefix = event[0]
            if prefix.startswith(self._RESOURCE):
                if prefix == self._RESOURCE + ".key":
                    is_name = event[2] == "service.name"
                elif is_name and prefix == self._RESOURCE + ".value.stringValue":
                    self.service = event[2]
            elif prefix == "resourceSpans.item" and event[1] == "start_map":
                self.service = "unknown"
            yield event


# --------------------------------------------------------------------------- grouping into traces


class _Window:
    """Groups streamed spans by trace, holding at most ``limit`` spans; the oldest traces go first."""

    def __init__(self, limit: int, on_trace: Callable[[str, list[Span]], None], notes: _Notes) -> None:
        self.limit = limit
        self.on_trace = on_trace
        self.notes = notes
        self.open: OrderedDict[str, list[Span]] = OrderedDict()
        self.held = 0
        self.closed: OrderedDict[str, None] = OrderedDict()  # recently analyzed trace ids (bounded)

    def add(self, trace_id: str, span: Span) -> None:
        spans = self.open.get(trace_id)
        if spans is None:
            if trace_id in self.closed:
                self.notes.add("spans that arrived after their trace was analyzed (raise --window)",
                               example=trace_id)
                return
            spans = self.open[trace_id] = []
        else:
            self.open.move_to_end(trace_id)
        spans.append(span)
        self.held += 1
        if self.held > self.limit:
            while self.open and self.held > self.limit * 3 // 4:
                self._close(*self.open.popitem(last=False))

    def flush(self) -> None:
        while self.open:
            self._close(*self.open.popitem(last=False))

    def _close(self, trace_id: str, spans: list[Span]) -> None:
        self.held -= len(spans)
        self.closed[trace_id] = None
        if len(self.closed) > self.limit:
            self.closed.popitem(last=False)
        self.on_trace(trace_id, spans)


# --------------------------------------------------------------------------- one trace


@dataclass
class _Trace:
    trace_id: str
    spans: dict[str, Span]
    children: dict[str, list[Span]]
    roots: list[Span]
    missing_parents: int
    start: int
    end: int
    self_ns: dict[str, int] = field(default_factory=dict)

    @property
    def duration(self) -> int:
        return self.end - self.start


def _assemble(trace_id: str, spans: list[Span], notes: _Notes) -> _Trace | None:
    by_id: dict[str, Span] = {}
    for span in spans:
        if span.span_id in by_id:
            notes.add("duplicate span ids", example=f"{trace_id}/{span.span_id}")
        else:
            by_id[span.span_id] = span
    children: dict[str, list[Span]] = {}
    roots: list[Span] = []
    missing = 0
    for span in by_id.values():
        if span.parent_id is None:
            roots.append(span)
        elif span.parent_id == span.span_id:
            continue  # its own parent: a cycle of one, left unreachable below
        elif span.parent_id in by_id:
            children.setdefault(span.parent_id, []).append(span)
        else:
            missing += 1
            roots.append(span)
    reachable = _reachable(roots, children)
    if len(reachable) < len(by_id):
        notes.add("spans in a parent cycle (not reachable from a root)", len(by_id) - len(reachable), trace_id)
        by_id = {k: v for k, v in by_id.items() if k in reachable}
    if not roots:
        return None
    start = min(s.start for s in by_id.values())
    end = max(s.end for s in by_id.values())
    for siblings in children.values():
        siblings.sort(key=lambda s: s.start)
    trace = _Trace(trace_id, by_id, children, roots, missing, start, end)
    trace.self_ns = {sid: _self_time(span, children.get(sid, ())) for sid, span in by_id.items()}
    return trace


def _reachable(roots: list[Span], children: dict[str, list[Span]]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        span = todo.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        todo.extend(children.get(span.span_id, ()))
    return seen


def _self_time(span: Span, kids: Any) -> int:
    """Duration minus the union of the children's intervals (clipped to the span)."""
    covered = 0
    cursor = span.start
    for kid in kids:  # sorted by start
        lo, hi = max(kid.start, cursor), min(kid.end, span.end)
        if hi > lo:
            covered += hi - lo
            cursor = hi
    return span.duration - covered


def critical_path(trace: _Trace, root: Span) -> dict[str, int]:
    """Nanoseconds of each span's own work on the critical path.

    Walk back from the root's end: the last child to finish is what the parent waited for; before
    that child started, the next child that finished, and so on; gaps are the parent's own work.
    Children running past their parent's end (async work) are clipped to it.
    """
    critical: dict[str, int] = {}

    def add(span: Span, lo: int, hi: int) -> None:
        if hi > lo:
            critical[span.span_id] = critical.get(span.span_id, 0) + hi - lo

    # Frames of [span, cursor, children latest-finishing first, floor]: a child is clipped to the part
    # of its parent's interval that is still open, so the path never counts time twice.
    frames: list[list[Any]] = [[root, root.end, iter(_by_end(trace.children.get(root.span_id, ()))), root.start]]
    while frames:
        frame = frames[-1]
        span, cursor, kids, floor = frame
        for kid in kids:
            kid_start, kid_end = max(kid.start, floor), min(kid.end, cursor)
            if kid_start >= kid_end:
                continue  # outside what is left: ran concurrently with something later
            add(span, kid_end, cursor)
            frame[1] = kid_start
            frames.append([kid, kid_end, iter(_by_end(trace.children.get(kid.span_id, ()))), kid_start])
            break
        else:
            add(span, floor, cursor)
            frames.pop()
    return critical


def _by_end(spans: Any) -> list[Span]:
    return sorted(spans, key=lambda s: s.end, reverse=True)


# --------------------------------------------------------------------------- findings across traces


@dataclass
class _Hit:
    """One finding key seen in one or more traces; the worst occurrence is kept as the example."""

    finding: Finding
    traces: int = 1
    total_cost_ms: float = 0.0


class _Findings:
    def __init__(self) -> None:
        self.hits: dict[tuple, _Hit] = {}

    def add(self, key: tuple, cost_ms: float, make: Callable[[], Finding]) -> None:
        """Count one occurrence; build the Finding only when it is the worst so far (most are not)."""
        hit = self.hits.get(key)
        if hit is None:
            self.hits[key] = _Hit(make(), 1, cost_ms)
            return
        hit.traces += 1
        hit.total_cost_ms += cost_ms
        if cost_ms > (hit.finding.cost_ms or 0.0):
            hit.finding = make()

    def items(self) -> Iterator[tuple[tuple, Finding]]:
        for key, hit in self.hits.items():
            f = hit.finding
            if hit.traces > 1:  # cost_ms becomes what the problem costs in all traces: it ranks findings
                f = f.model_copy(update={
                    "message": f"{f.message} (in {hit.traces:,} traces; worst shown)",
                    "evidence": {**f.evidence, "traces": hit.traces, "worst_cost_ms": f.cost_ms},
                    "cost_ms": round(hit.total_cost_ms, 3),
                })
            yield key, f


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)


def _where(span: Span) -> Location:
    return Location(node=f"{span.service}: {span.name}")


def _handoff(category: str | None) -> str:
    return "data-engineer" if category == "db" else "backend-engineer"


def _trace_findings(trace: _Trace, critical: dict[str, int], out: _Findings) -> None:
    duration = max(trace.duration, 1)
    for parent_id, kids in trace.children.items():
        parent = trace.spans.get(parent_id)
        if parent is None:
            continue
        groups: dict[str, list[Span]] = {}
        for kid in kids:
            if kid.category in ("db", "http", "rpc") and kid.key is not None:
                groups.setdefault(kid.key, []).append(kid)
        repeated = {key for key, group in groups.items() if len(group) >= N_PLUS_ONE_MIN}
        for key in repeated:
            _n_plus_one(trace, parent, groups[key], duration, out)
        _sequential(trace, parent, [k for k in kids if k.category and k.key not in repeated], duration, out)
    for span in trace.spans.values():
        if span.error:
            out.add(("TRC004", span.service, span.name), _ms(span.duration), partial(_error_finding, trace, span))
        if span.category and span.duration >= SLOW_EXTERNAL_MS * 1e6:
            out.add(("TRC005", span.service, span.key), _ms(span.duration), partial(_slow_finding, trace, span))
    if len(trace.spans) > 1 and critical:
        span_id, ns = max(critical.items(), key=lambda kv: kv[1])
        path_total = max(sum(critical.values()), 1)
        if ns >= DOMINANT_SHARE * path_total:
            span = trace.spans[span_id]
            out.add(("TRC003", span.service, span.name), _ms(ns),
                    partial(_dominant_finding, trace, span, ns, path_total))


def _error_finding(trace: _Trace, span: Span) -> Finding:
    return Finding(
        code="TRC004", kind="error_span", severity="error",
        message=f"`{span.name}` ({span.service}) failed" + (f": {span.status}" if span.status else ""),
        location=_where(span),
        evidence={"trace_id": trace.trace_id, "span_id": span.span_id, "duration_ms": _ms(span.duration)},
        suggestion="Read the span's exception event and logs for this trace id; a failing call that is "
                   "retried also multiplies latency.",
        cost_ms=_ms(span.duration),
    )


def _slow_finding(trace: _Trace, span: Span) -> Finding:
    return Finding(
        code="TRC005", kind="slow_external_call", severity="warning",
        message=f"`{span.label or span.name}` took {_ms(span.duration):,.0f} ms "
                f"(over {SLOW_EXTERNAL_MS:.0f} ms) from {span.service}",
        location=_where(span),
        evidence={"trace_id": trace.trace_id, "span_id": span.span_id, "duration_ms": _ms(span.duration),
                  "category": span.category},
        suggestion="Set a timeout below the caller's budget, cache or precompute the answer, and look at "
                   "the callee's own trace or EXPLAIN.",
        handoff=_handoff(span.category),
        cost_ms=_ms(span.duration),
    )


def _dominant_finding(trace: _Trace, span: Span, ns: int, path_total: int) -> Finding:
    own_work = not trace.children.get(span.span_id)
    return Finding(
        code="TRC003", kind="dominant_span", severity="warning",
        message=f"`{span.name}` ({span.service}) holds {ns / path_total:.0%} of the critical path "
                f"({_ms(ns):,.1f} of {_ms(path_total):,.1f} ms)",
        location=_where(span),
        evidence={"trace_id": trace.trace_id, "span_id": span.span_id, "critical_ms": _ms(ns),
                  "trace_ms": _ms(trace.duration)},
        suggestion=("This is the bottleneck: profile it (lmagent profile) or look inside the callee."
                    if own_work else
                    "Time spent in this span outside any child span: add child spans or profile it to "
                    "see where it goes."),
        cost_ms=_ms(ns),
    )


def _n_plus_one(trace: _Trace, parent: Span, group: list[Span], duration: int, out: _Findings) -> None:
    first = group[0]
    total = sum(s.duration for s in group)
    saved = total - max(s.duration for s in group)
    what = "query" if first.category == "db" else "call"
    suggestion = (
        "Fetch them in one query (WHERE id = ANY($1), a JOIN, or the ORM's prefetch); confirm the pattern "
        "with `lmagent sql --log`."
        if first.category == "db"
        else "Use a batch endpoint, or issue the calls concurrently with bounded concurrency."
    )
    out.add(("TRC001", parent.service, parent.name, first.key), _ms(saved), lambda: Finding(
        code="TRC001", kind="n_plus_one", severity="error" if total >= duration / 2 else "warning",
        message=f"N+1: {len(group)} × {what} `{first.label}` under `{parent.name}` ({parent.service}): "
                f"{_ms(total):,.1f} ms of a {_ms(duration):,.1f} ms trace",
        location=_where(parent),
        evidence={"trace_id": trace.trace_id, "parent_span_id": parent.span_id, "count": len(group),
                  "total_ms": _ms(total), "statement": first.label, "category": first.category},
        suggestion=suggestion, handoff=_handoff(first.category), cost_ms=_ms(saved),
    ))


def _sequential(trace: _Trace, parent: Span, calls: list[Span], duration: int, out: _Findings) -> None:
    """Runs of exit calls that do not overlap: if independent, they could run at the same time."""
    run: list[Span] = []
    for call in [*calls, None]:  # sorted by start; None closes the last run
        if call is not None and (not run or call.start >= run[-1].end - SEQUENTIAL_OVERLAP_NS):
            run.append(call)
            continue
        if len(run) >= SEQUENTIAL_MIN and len({s.key for s in run}) > 1:
            saved = sum(s.duration for s in run) - max(s.duration for s in run)
            if saved >= SEQUENTIAL_SAVING_SHARE * duration:
                # One finding per parent operation, however many calls each of its traces made.
                out.add(("TRC002", parent.service, parent.name), _ms(saved),
                        partial(_sequential_finding, trace, parent, run))
        run = [call] if call is not None else []


def _sequential_finding(trace: _Trace, parent: Span, run: list[Span]) -> Finding:
    total = sum(s.duration for s in run)
    saved = total - max(s.duration for s in run)
    return Finding(
        code="TRC002", kind="sequential_calls", severity="warning",
        message=f"{len(run)} calls under `{parent.name}` ({parent.service}) run one after another: "
                f"{_ms(total):,.1f} ms in sequence, ~{_ms(total - saved):,.1f} ms if concurrent",
        location=_where(parent),
        evidence={"trace_id": trace.trace_id, "parent_span_id": parent.span_id,
                  "calls": [s.label or s.name for s in run],
                  "sequential_ms": _ms(total), "concurrent_ms": _ms(total - saved)},
        suggestion="If the calls do not depend on each other's results, issue them concurrently "
                   "(asyncio.gather, a thread pool, Promise.all): latency becomes the slowest call.",
        handoff="backend-engineer", cost_ms=_ms(saved),
    )


# --------------------------------------------------------------------------- the tool


class _Analysis:
    """Everything kept across traces: bounded by the number of distinct span names, not by spans."""

    def __init__(self, top: int, notes: _Notes) -> None:
        self.top = top
        self.notes = notes
        self.findings = _Findings()
        self.traces = 0
        self.spans = 0
        self.durations: dict[tuple[str, str], array] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.root_names: set[tuple[str, str]] = set()
        self.by_service: dict[str, list[int]] = {}
        self.by_kind: dict[str, list[int]] = {}
        self.slowest: list[tuple[int, str, TraceSummary]] = []  # min-heap on duration

    def on_trace(self, trace_id: str, spans: list[Span]) -> None:
        trace = _assemble(trace_id, spans, self.notes)
        if trace is None:
            return
        self.traces += 1
        self.spans += len(trace.spans)
        for span in trace.spans.values():
            key = (span.service, span.name)
            samples = self.durations.get(key)
            if samples is None:
                if len(self.durations) >= MAX_SPAN_NAMES:
                    key = (span.service, "(other names)")
                samples = self.durations.setdefault(key, array("d"))
            samples.append(span.duration / 1e6)
            if span.error:
                self.errors[key] += 1
            self_ns = trace.self_ns[span.span_id]
            _tally(self.by_service, span.service, self_ns)
            _tally(self.by_kind, span.kind, self_ns)
        for root in trace.roots:
            if root.parent_id is None:
                self.root_names.add((root.service, root.name))
        main_root = max(trace.roots, key=lambda s: s.duration)
        critical = critical_path(trace, main_root)
        _trace_findings(trace, critical, self.findings)
        if len(self.slowest) < self.top or trace.duration > self.slowest[0][0]:
            entry = (trace.duration, trace_id, _summary(trace, main_root, critical))
            if len(self.slowest) < self.top:
                heapq.heappush(self.slowest, entry)
            else:
                heapq.heapreplace(self.slowest, entry)

    def report_findings(self) -> list[Finding]:
        return [self._with_error_rate(key, f) if key[0] == "TRC004" else f for key, f in self.findings.items()]

    def _with_error_rate(self, key: tuple, finding: Finding) -> Finding:
        """Severity of failing spans by their error rate, against the seed's error-rate targets."""
        name = (key[1], key[2])
        total = len(self.durations.get(name, ()))
        if not total:
            return finding
        errors = self.errors[name]
        rate = errors / total
        severity = "error" if rate >= ERROR_RATE_CRITICAL else "warning" if rate >= ERROR_RATE_TARGET else "info"
        return finding.model_copy(update={
            "severity": severity,
            "message": f"{finding.message}; {errors:,} of {total:,} spans failed ({rate:.2%})",
            "evidence": {**finding.evidence, "errors": errors, "spans": total, "error_rate": round(rate, 6)},
        })

    def data(self, fmt: str, window: int) -> TracesData:
        stats = []
        for (service, name), samples in self.durations.items():
            ordered = sorted(samples)
            stats.append(SpanStat(
                service=service, name=name, count=len(ordered), p50_ms=_rank(ordered, 50),
                p95_ms=_rank(ordered, 95), p99_ms=_rank(ordered, 99), max_ms=_rank(ordered, 100),
                errors=self.errors.get((service, name), 0),
            ))
        stats.sort(key=lambda s: -s.p95_ms)
        metrics = [
            Metric(metric=p, value_ms=getattr(s, f"{p}_ms"), span=s.name, service=s.service, samples=s.count)
            for s in stats if (s.service, s.name) in self.root_names for p in ("p50", "p95", "p99")
        ]
        return TracesData(
            format=fmt, traces=self.traces, spans=self.spans, window=window,
            by_service=_shares(self.by_service), by_kind=_shares(self.by_kind),
            slowest_traces=[entry[2] for entry in sorted(self.slowest, reverse=True)],
            span_stats=stats[:200], metrics=metrics, skipped=self.notes.rows(),
        )


def _tally(table: dict[str, list[int]], name: str, self_ns: int) -> None:
    row = table.setdefault(name, [0, 0])
    row[0] += self_ns
    row[1] += 1


def _shares(table: dict[str, list[int]]) -> list[Share]:
    total = max(sum(ns for ns, _ in table.values()), 1)
    rows = [Share(name=k, self_ms=_ms(ns), pct=round(100 * ns / total, 2), spans=n) for k, (ns, n) in table.items()]
    return sorted(rows, key=lambda r: -r.self_ms)


def _rank(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    return round(ordered[max(math.ceil(pct / 100 * len(ordered)) - 1, 0)], 3)


def _summary(trace: _Trace, root: Span, critical: dict[str, int]) -> TraceSummary:
    on_path = _with_ancestors(trace, critical)
    steps: list[CriticalStep] = []
    todo: list[tuple[Span, int]] = [(root, 0)]
    while todo:
        span, depth = todo.pop()
        steps.append(CriticalStep(
            span_id=span.span_id, name=span.name, service=span.service, kind=span.kind, depth=depth,
            start_ms=_ms(span.start - trace.start), duration_ms=_ms(span.duration),
            critical_ms=_ms(critical.get(span.span_id, 0)),
        ))
        kids = [k for k in trace.children.get(span.span_id, ()) if k.span_id in on_path]
        todo.extend((k, depth + 1) for k in reversed(kids))
    slowest = sorted(trace.spans.values(), key=lambda s: -s.duration)[:5]
    services: dict[str, list[int]] = {}
    kinds: dict[str, list[int]] = {}
    for span in trace.spans.values():
        _tally(services, span.service, trace.self_ns[span.span_id])
        _tally(kinds, span.kind, trace.self_ns[span.span_id])
    return TraceSummary(
        trace_id=trace.trace_id, root=root.name, service=root.service, duration_ms=_ms(trace.duration),
        spans=len(trace.spans), errors=sum(s.error for s in trace.spans.values()),
        missing_parents=trace.missing_parents, critical_path=steps,
        slowest_spans=[SpanRow(span_id=s.span_id, name=s.name, service=s.service, kind=s.kind,
                               duration_ms=_ms(s.duration), self_ms=_ms(trace.self_ns[s.span_id]), error=s.error)
                       for s in slowest],
        by_service=_shares(services), by_kind=_shares(kinds),
    )


def _with_ancestors(trace: _Trace, critical: dict[str, int]) -> set[str]:
    """Spans on the critical path: those that contributed to it, and their ancestors."""
    marked: set[str] = set()
    for span_id, ns in critical.items():
        while ns and span_id is not None and span_id not in marked and span_id in trace.spans:
            marked.add(span_id)
            span_id = trace.spans[span_id].parent_id
    return marked


def detect_traces(data: str | bytes) -> str | None:
    """"otlp" or "jaeger" when pasted or attached content looks like trace JSON, else None."""
    head = data[:65536].decode("utf-8", "replace") if isinstance(data, bytes) else data[:65536]
    if not head.lstrip().startswith("{"):
        return None
    if '"resourceSpans"' in head and ('"spanId"' in head or '"scopeSpans"' in head):
        return "otlp"
    if '"traceID"' in head and '"spans"' in head:
        return "jaeger"
    return None


def traces_tool(inp: TracesInput, progress: Callable[[int], None] | None = None) -> Report:
    """Analyze a trace file or pasted trace JSON. ``progress`` gets bytes read (for a progress bar)."""
    import io
    import os

    notes = _Notes()
    analysis = _Analysis(inp.top, notes)
    window = _Window(inp.window, analysis.on_trace, notes)
    reader = _Reader(window.add, notes)
    if inp.path == "-":
        import sys

        where = "<stdin>"
        data = sys.stdin.buffer.read()
        size, fh = len(data), io.BytesIO(data)
    elif inp.path is not None:
        where = inp.path
        try:
            size = os.path.getsize(inp.path)
            fh: IO[bytes] = open(inp.path, "rb")  # noqa: SIM115 - closed below, wrapped for progress
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), path=inp.path) from None
    else:
        where = "<input>"
        data = (inp.text or "").encode()
        size, fh = len(data), io.BytesIO(data)
    with fh:
        _read_stream(_Progress(fh, progress) if progress else fh, where, reader, notes, size)
    window.flush()
    if analysis.traces == 0:
        reasons = "; ".join(f"{s.count} {s.reason}" for s in notes.rows())
        raise InputError("no spans to analyze" + (f" ({reasons})" if reasons else ""), path=where)
    data = analysis.data(reader.format or "otlp", inp.window)
    report = Report(tool="traces", findings=analysis.report_findings(), data=data)
    report.summary = _headline(data, report)
    return report


class _Progress:
    """A binary file wrapper that reports how many bytes were read."""

    def __init__(self, fh: IO[bytes], report: Callable[[int], None]) -> None:
        self._fh = fh
        self._report = report

    def read(self, n: int = -1) -> bytes:
        chunk = self._fh.read(n)
        self._report(self._fh.tell())
        return chunk

    def readline(self, limit: int = -1) -> bytes:
        line = self._fh.readline(limit)
        self._report(self._fh.tell())
        return line

    def __iter__(self) -> Iterator[bytes]:
        for n, line in enumerate(self._fh):
            if n % 64 == 0:
                self._report(self._fh.tell())
            yield line

    def seek(self, pos: int) -> int:
        return self._fh.seek(pos)


def _headline(data: TracesData, report: Report) -> str:
    parts = [f"{data.format} traces: {data.traces:,} traces, {data.spans:,} spans"]
    if data.slowest_traces:
        worst = data.slowest_traces[0]
        parts.append(f"slowest `{worst.root}` ({worst.service}) {worst.duration_ms:,.1f} ms")
    ranked = report.ranked()
    if ranked:
        parts.append(f"top finding: {ranked[0].code} {ranked[0].kind}")
    if data.skipped:
        parts.append("skipped " + ", ".join(f"{s.count:,} {s.reason}" for s in data.skipped))
    return "; ".join(parts)
