"""Findings across traces (TRC001-TRC005): per trace, then merged by what they are about, the worst
occurrence kept as the example."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from tools.catalogue import BACKEND, DATA, trc
from tools.findings import Finding, Location
from tools.traces.critical import _Trace
from tools.traces.model import Span, _ms

N_PLUS_ONE_MIN = 5  # TRC001: sibling calls with one statement/route under one parent
SEQUENTIAL_MIN = 3  # TRC002: non-overlapping exit calls in a row ...
SEQUENTIAL_SAVING_SHARE = 0.20  # ... that would save this share of the trace if run concurrently
SEQUENTIAL_OVERLAP_NS = 100_000  # 0.1 ms of overlap still counts as "one after another"
DOMINANT_SHARE = 0.50  # TRC003: one span's share of the critical path
SLOW_EXTERNAL_MS = 500.0  # TRC005 (the seed's P95 critical latency)
ERROR_RATE_CRITICAL = 0.01  # TRC004 is an error at this share of a span name's spans (the seed's critical)
ERROR_RATE_TARGET = 0.001  # ... a warning from the seed's target, info below


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


def _where(span: Span) -> Location:
    return Location(node=f"{span.service}: {span.name}")


def _handoff(category: str | None) -> str:
    """A database call is the data engineer's to fix; an HTTP or RPC call, the backend engineer's."""
    return DATA if category == "db" else BACKEND


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
    return trc.ERROR_SPAN.finding(
        f"`{span.name}` ({span.service}) failed" + (f": {span.status}" if span.status else ""),
        location=_where(span),
        evidence={"trace_id": trace.trace_id, "span_id": span.span_id, "duration_ms": _ms(span.duration)},
        cost_ms=_ms(span.duration),
    )


def _slow_finding(trace: _Trace, span: Span) -> Finding:
    return trc.SLOW_EXTERNAL_CALL.finding(
        f"`{span.label or span.name}` took {_ms(span.duration):,.0f} ms (over {SLOW_EXTERNAL_MS:.0f} ms) "
        f"from {span.service}",
        location=_where(span),
        evidence={"trace_id": trace.trace_id, "span_id": span.span_id, "duration_ms": _ms(span.duration),
                  "category": span.category},
        handoff=_handoff(span.category),
        cost_ms=_ms(span.duration),
    )


def _dominant_finding(trace: _Trace, span: Span, ns: int, path_total: int) -> Finding:
    return trc.DOMINANT_SPAN.finding(
        f"`{span.name}` ({span.service}) holds {ns / path_total:.0%} of the critical path "
        f"({_ms(ns):,.1f} of {_ms(path_total):,.1f} ms)",
        location=_where(span),
        evidence={"trace_id": trace.trace_id, "span_id": span.span_id, "critical_ms": _ms(ns),
                  "trace_ms": _ms(trace.duration)},
        cost_ms=_ms(ns),
    )


def _n_plus_one(trace: _Trace, parent: Span, group: list[Span], duration: int, out: _Findings) -> None:
    first = group[0]
    total = sum(s.duration for s in group)
    saved = total - max(s.duration for s in group)
    what = "query" if first.category == "db" else "call"
    out.add(("TRC001", parent.service, parent.name, first.key), _ms(saved), lambda: trc.N_PLUS_ONE_SPANS.finding(
        f"N+1: {len(group)} × {what} `{first.label}` under `{parent.name}` ({parent.service}): "
        f"{_ms(total):,.1f} ms of a {_ms(duration):,.1f} ms trace",
        location=_where(parent),
        evidence={"trace_id": trace.trace_id, "parent_span_id": parent.span_id, "count": len(group),
                  "total_ms": _ms(total), "statement": first.label, "category": first.category},
        severity="error" if total >= duration / 2 else "warning",
        handoff=_handoff(first.category), cost_ms=_ms(saved),
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
    return trc.SEQUENTIAL_CALLS.finding(
        f"{len(run)} calls under `{parent.name}` ({parent.service}) run one after another: "
        f"{_ms(total):,.1f} ms in sequence, ~{_ms(total - saved):,.1f} ms if concurrent",
        location=_where(parent),
        evidence={"trace_id": trace.trace_id, "parent_span_id": parent.span_id,
                  "calls": [s.label or s.name for s in run], "call_count": len(run),
                  "sequential_ms": _ms(total), "concurrent_ms": _ms(total - saved)},
        cost_ms=_ms(saved),
    )
