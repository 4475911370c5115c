"""What is kept across traces (durations per span name, self time by service and kind, the slowest
traces) and the summary of one trace."""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter

from tools.findings import Finding
from tools.traces.critical import _assemble, _Trace, critical_path
from tools.traces.model import (
    CriticalStep,
    Metric,
    Share,
    Span,
    SpanRow,
    SpanStat,
    TracesData,
    TraceSummary,
    _ms,
    _Notes,
)
from tools.traces.rules import ERROR_RATE_CRITICAL, ERROR_RATE_TARGET, _Findings, _trace_findings

MAX_SPAN_NAMES = 10_000  # percentiles are kept per name up to this many names


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
