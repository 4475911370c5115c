"""Reading traces: OTLP JSON (one document, or one request per line) and Jaeger JSON, streamed into
Spans; a document larger than ``IN_MEMORY_BYTES`` goes through ijson's incremental parser."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from tools.errors import InputError
from tools.numbers import TOO_MANY_DIGITS
from tools.traces.model import EXIT_KINDS, KINDS, MAX_INTERNED, Span, _Interner, _Notes

IN_MEMORY_BYTES = 16 * 1024 * 1024  # single documents above this are parsed incrementally

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
