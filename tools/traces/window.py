"""Grouping a stream of spans into traces in bounded memory."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from tools.traces.model import Span, _Notes


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
