"""Find the bottleneck in distributed traces: OTLP JSON (collector file exporter, otlp/json) and Jaeger JSON.

Input is streamed: a line-delimited file (one ExportTraceServiceRequest per line, what the
collector's file exporter writes) is read line by line; a single JSON document larger than
``readers.IN_MEMORY_BYTES`` is read with ijson's incremental parser. Spans are grouped by trace in a
bounded window of open spans; when the window is full the least recently touched traces are
analyzed and dropped, so memory stays bounded whatever the file size (spans of a trace arriving
after it was analyzed are counted as skipped, never silently merged).

Per trace: the critical path (the chain of work the end-to-end latency waits on), the slowest
spans, self time by service and by span kind. Across traces: duration percentiles per span name
(root spans also as ``{"metric", "value_ms"}`` rows for the threshold checker) and Findings:

* TRC001 n_plus_one_spans    many sibling DB/HTTP/RPC spans with the same statement or route
* TRC002 sequential_calls    independent exit calls under one parent that run one after another
* TRC003 dominant_span       one span holds most of the critical path
* TRC004 error_span          spans with error status
* TRC005 slow_external_call  a DB/HTTP/RPC call slower than ``SLOW_EXTERNAL_MS``

Modules: ``model`` (input/output models, Span), ``readers`` (OTLP and Jaeger, streamed),
``window`` (grouping spans into traces), ``critical`` (one trace's tree, self time, critical path),
``rules`` (the findings), ``summary`` (what is kept across traces); this module runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

from tools.errors import InputError
from tools.findings import Report
from tools.traces.critical import critical_path
from tools.traces.model import (
    DEFAULT_WINDOW,
    CriticalStep,
    Metric,
    Share,
    Skipped,
    Span,
    SpanRow,
    SpanStat,
    TracesData,
    TracesInput,
    TraceSummary,
    _Notes,
)
from tools.traces.readers import _read_stream, _Reader, detect_traces
from tools.traces.rules import (
    DOMINANT_SHARE,
    ERROR_RATE_CRITICAL,
    ERROR_RATE_TARGET,
    N_PLUS_ONE_MIN,
    SEQUENTIAL_MIN,
    SEQUENTIAL_OVERLAP_NS,
    SEQUENTIAL_SAVING_SHARE,
    SLOW_EXTERNAL_MS,
)
from tools.traces.summary import _Analysis
from tools.traces.window import _Window

__all__ = [
    "CriticalStep",
    "DEFAULT_WINDOW",
    "DOMINANT_SHARE",
    "ERROR_RATE_CRITICAL",
    "ERROR_RATE_TARGET",
    "Metric",
    "N_PLUS_ONE_MIN",
    "SEQUENTIAL_MIN",
    "SEQUENTIAL_OVERLAP_NS",
    "SEQUENTIAL_SAVING_SHARE",
    "SLOW_EXTERNAL_MS",
    "Share",
    "Skipped",
    "Span",
    "SpanRow",
    "SpanStat",
    "TraceSummary",
    "TracesData",
    "TracesInput",
    "critical_path",
    "detect_traces",
    "traces_tool",
]


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
