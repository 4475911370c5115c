"""One trace: its span tree, each span's self time, and the critical path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.traces.model import Span, _Notes


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
