"""Stream a query log, group statements by fingerprint, find N+1 bursts and the hottest queries.

Formats, detected line by line so mixed files work:
- PostgreSQL stderr logs: ``duration: 1.2 ms  statement: ...`` / ``execute <name>: ...``
  (parse/bind phases are skipped so extended-protocol queries count once), ``statement: ...``
  followed by a separate ``duration:`` line, tab-indented continuation lines, and auto_explain
  ``duration: ... plan:`` entries in text or JSON format (the ``Query Text`` is used).
- JSON lines: ``{"query": ..., "duration_ms": ..., "request_id": ..., "ts": ...}``.
- Plain text: one query per line.

Memory stays constant: lines are read one at a time (each capped at MAX_LINE_BYTES), and every
table kept (fingerprints, open requests, burst windows, fingerprint cache) is bounded.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from tools.errors import InputError
from tools.numbers import finite

MAX_LINE_BYTES = 1 << 20
BINARY_SNIFF_BYTES = 8192
MAX_FINGERPRINTS = 20_000
MAX_OPEN_SCOPES = 2_000  # in-flight requests (or sessions) tracked at once
MAX_EXAMPLE_CHARS = 1_000

_PG_LEVELS = frozenset({"LOG", "ERROR", "WARNING", "NOTICE", "DETAIL", "STATEMENT", "HINT", "CONTEXT", "FATAL",
                        "PANIC", "INFO", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5"})
_PG_PREFIX_MAX = 300  # log_line_prefix is short; a "LOG:  " further right is inside a query
# PostgreSQL writes "duration: 1.234 ms". A strict number: [\d.]+ took '.' and '1.2.3' (float()
# raised), and at most 15 integer digits keep every duration and their sums finite.
_PG_DURATION = re.compile(r"duration:\s*(\d{1,15}(?:\.\d+)?)\s*ms(?:\s+(.*))?$")
MAX_DURATION_MS = 1e15  # the same bound for JSON lines: a longer "query" (31,000 years) is no measurement
_PG_KIND = re.compile(r"(statement|execute\s[^:]*|parse\s[^:]*|bind\s[^:]*|plan):\s*(.*)$", re.DOTALL)
_PG_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)")
_PG_PID = re.compile(r"\[(\d+)\]")
_AUTO_EXPLAIN_TEXT = re.compile(r"^\s*Query Text:\s*(.*)$")
_AUTO_EXPLAIN_JSON = re.compile(r'^\s*"Query Text":\s*("(?:[^"\\]|\\.)*")')
_PLAN_LINE = re.compile(r"\((?:cost|actual)[ =]|^\s*->|^\s*(?:Planning|Execution|Buffers|Output|Filter|Index Cond|Sort Key)\b")
_PLAIN_QUERY = re.compile(r"^\s*\(*\s*[A-Za-z]{2,}\b")


@dataclass(slots=True)
class LogEntry:
    query: str
    line: int
    duration_ms: float | None = None
    ts_ms: float | None = None
    scope: str | None = None  # request id, or the backend pid of a PostgreSQL log
    from_request: bool = False


@dataclass
class LogOptions:
    dialect: str = "postgres"
    top: int = 10
    n_plus_one_min: int = 10
    window_ms: float = 1000.0
    window_statements: int = 100
    slow_ms: float = 1000.0


# --- reading -----------------------------------------------------------------------------


def iter_lines_from_file(path: str, progress: Callable[[int], None] | None = None) -> Iterator[str]:
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in finally, generator may be abandoned
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None
    try:
        yield from iter_lines(fh, path, progress)
    finally:
        fh.close()


def iter_lines(fh: BinaryIO, path: str, progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """Lines of a binary stream (constant memory); over-long lines are cut at MAX_LINE_BYTES.

    NUL bytes in the first 8 KiB mean a binary file: InputError. ``progress(n_bytes)`` is called
    about once per MiB read.
    """
    seen = number = unreported = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES)
        if not raw:
            break
        number += 1
        if seen < BINARY_SNIFF_BYTES and b"\x00" in raw:
            raise InputError("binary data, not a text query log", path=path, line=number)
        seen += len(raw)
        unreported += len(raw)
        if not raw.endswith(b"\n") and len(raw) == MAX_LINE_BYTES:
            while (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                unreported += len(rest)
        if progress and unreported >= 1 << 20:
            progress(unreported)
            unreported = 0
        yield raw.decode("utf-8", errors="replace")
    if progress and unreported:
        progress(unreported)


class LogReader:
    """Turns log lines into LogEntry objects; counts the lines it could not use."""

    def __init__(self) -> None:
        self.lines = 0
        self.unparsed = 0
        self.first_unparsed_line: int | None = None
        self._pending: dict | None = None  # a multi-line PostgreSQL entry being collected
        self._awaiting_duration: dict[str, LogEntry] = {}  # `statement:` lines waiting for `duration:`

    def read(self, lines: Iterable[str]) -> Iterator[LogEntry]:
        for text in lines:
            self.lines += 1
            yield from self._line(text.rstrip("\r\n"), self.lines)
        yield from self._flush()
        yield from self._awaiting_duration.values()
        self._awaiting_duration.clear()

    def _skip(self, number: int) -> None:
        self.unparsed += 1
        if self.first_unparsed_line is None:
            self.first_unparsed_line = number

    def _line(self, text: str, number: int) -> Iterator[LogEntry]:
        if self._pending is not None and text.startswith(("\t", " ")) and not pg_head(text):
            self._continue(text)
            return
        yield from self._flush()
        stripped = text.strip()
        if not stripped or stripped.startswith(("--", "#")):
            return
        if "\ufffd" in text:
            self._skip(number)
            return
        if stripped[0] == "{":
            entry = _json_entry(stripped, number)
            if entry is None:
                self._skip(number)
            else:
                yield entry
            return
        head = pg_head(text)
        if head:
            yield from self._pg_entry(text, head, number)
            return
        if _PLAIN_QUERY.match(stripped):
            yield LogEntry(stripped, number)
        else:
            self._skip(number)

    def _pg_entry(self, text: str, head: tuple[str, int, str], number: int) -> Iterator[LogEntry]:
        level, level_start, message = head
        if level != "LOG":
            return  # errors, details, STATEMENT: echoes of failed queries
        prefix = text[:level_start]
        ts = _PG_TIMESTAMP.search(prefix)
        pid = _PG_PID.search(prefix)
        scope = pid.group(1) if pid else None
        ts_ms = _pg_timestamp_ms(ts.group(1)) if ts else None
        duration = _PG_DURATION.match(message)
        rest = message
        duration_ms = None
        if duration:
            duration_ms = float(duration.group(1))
            rest = duration.group(2) or ""
            if not rest:
                waiting = self._awaiting_duration.pop(scope or "", None)
                if waiting is not None:
                    waiting.duration_ms = duration_ms
                    yield waiting
                return
        elif message.startswith("duration:"):
            self._skip(number)  # a duration PostgreSQL does not write ('.', 400 digits)
            return
        kind = _PG_KIND.match(rest)
        if not kind:
            return  # checkpoints, connections and other server chatter
        label = kind.group(1)
        if label.startswith(("parse", "bind")):
            return
        entry = LogEntry(kind.group(2), number, duration_ms, ts_ms, scope)
        self._pending = {"entry": entry, "plan": label == "plan", "query_lines": [] if label == "plan" else None}
        if label == "plan":
            entry.query = ""

    def _continue(self, text: str) -> None:
        pending = self._pending
        entry: LogEntry = pending["entry"]
        if not pending["plan"]:
            if len(entry.query) < MAX_LINE_BYTES:
                entry.query += "\n" + text.lstrip("\t")
            return
        if pending["query_lines"] is None:
            return  # query text already complete; the rest is the plan
        json_text = _AUTO_EXPLAIN_JSON.match(text)
        if json_text:
            try:
                entry.query = json.loads(json_text.group(1))
            except ValueError:
                entry.query = ""
            pending["query_lines"] = None
            return
        started = _AUTO_EXPLAIN_TEXT.match(text)
        if started:
            pending["query_lines"].append(started.group(1))
        elif pending["query_lines"] and not _PLAN_LINE.search(text):
            pending["query_lines"].append(text.strip())
        elif pending["query_lines"]:
            entry.query = "\n".join(pending["query_lines"])
            pending["query_lines"] = None

    def _flush(self) -> Iterator[LogEntry]:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        entry: LogEntry = pending["entry"]
        if pending["plan"] and pending["query_lines"]:
            entry.query = "\n".join(pending["query_lines"])
        if not entry.query.strip():
            return
        if entry.duration_ms is None and not pending["plan"]:
            # log_statement=all writes the text first and the duration on a later line.
            previous = self._awaiting_duration.pop(entry.scope or "", None)
            self._awaiting_duration[entry.scope or ""] = entry
            if previous is not None:
                yield previous
            if len(self._awaiting_duration) > MAX_OPEN_SCOPES:
                yield self._awaiting_duration.pop(next(iter(self._awaiting_duration)))
            return
        yield entry


def pg_head(text: str) -> tuple[str, int, str] | None:
    """(level, where the level starts, message) of a PostgreSQL stderr line: `prefix LEVEL:  message`.

    str.find instead of a regex search: this runs on every line of logs that can be gigabytes.
    """
    colon = text.find(":  ", 0, _PG_PREFIX_MAX)
    while colon != -1:
        start = colon
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        if text[start:colon] in _PG_LEVELS:
            return text[start:colon], start, text[colon + 3:].lstrip(" ")
        colon = text.find(":  ", colon + 1, _PG_PREFIX_MAX)
    return None


def _json_entry(text: str, number: int) -> LogEntry | None:
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    query = record.get("query") or record.get("sql") or record.get("statement")
    if not isinstance(query, str) or not query.strip():
        return None
    duration = finite(record.get("duration_ms", record.get("duration")))
    request = record.get("request_id") or record.get("trace_id")
    ts = record.get("ts", record.get("timestamp", record.get("time")))
    return LogEntry(
        query=query.strip(),
        line=number,
        # A duration that is no number, or not one a query takes (Infinity, -5, 1e300), leaves it untimed.
        duration_ms=duration if duration is not None and 0 <= duration < MAX_DURATION_MS else None,
        ts_ms=_json_time_ms(ts),
        scope=str(request) if request not in (None, "") else None,
        from_request=request not in (None, ""),
    )


def _json_time_ms(value) -> float | None:
    number = finite(value)  # 1e400, NaN and 400-digit integers are no time
    if number is not None:
        return number * (1000.0 if number < 1e11 else 1.0)  # seconds or milliseconds since epoch
    if isinstance(value, str):
        return _timestamp_ms(value)
    return None


def _pg_timestamp_ms(text: str) -> float | None:
    """`2024-05-01 10:00:00.123`: the whole-second part repeats line after line, so it is memoized."""
    seconds, _, fraction = text.partition(".")
    base = _second_ms(seconds)
    if base is None or not fraction:
        return base
    return base + float("0." + fraction) * 1000.0


@functools.lru_cache(maxsize=256)
def _second_ms(text: str) -> float | None:
    return _timestamp_ms(text)


def _timestamp_ms(text: str) -> float | None:
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp() * 1000.0


# --- grouping ------------------------------------------------------------------------------


@dataclass
class FingerprintStats:
    fingerprint: str
    example: str
    first_line: int
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    timed: int = 0  # executions that carried a duration


@dataclass
class Suspect:
    """An N+1 suspect: one fingerprint repeated in a request or a short burst."""

    fingerprint: str
    groups: int = 0  # requests (or bursts) where it repeated
    max_repeats: int = 0
    executions: int = 0
    total_ms: float = 0.0
    example_scope: str | None = None
    example_line: int = 0
    by_request: bool = False


@dataclass
class _Burst:
    """The last n executions of one fingerprint in one session, and the burst they belong to."""

    window: deque  # (position, duration_ms, line), maxlen = n_plus_one_min
    repeats: int = 0  # executions in the current burst; 0 when none is running
    first_line: int = 0  # where the current burst started


class LogAggregator:
    def __init__(self, options: LogOptions) -> None:
        from tools.sql.fingerprinting import FingerprintCache

        self.options = options
        self.fingerprint = FingerprintCache(options.dialect)
        self.stats: dict[str, FingerprintStats] = {}
        self.overflow_count = 0  # entries whose fingerprint did not fit in MAX_FINGERPRINTS
        self.entries = 0
        self.total_ms = 0.0
        self.suspects: dict[str, Suspect] = {}
        self._requests: OrderedDict[str, dict[str, list]] = OrderedDict()
        self._bursts: OrderedDict[tuple[str, str], _Burst] = OrderedDict()
        self._sequence = 0

    def add(self, entry: LogEntry) -> None:
        self.entries += 1
        self._sequence += 1
        fp = self.fingerprint(entry.query)
        duration = entry.duration_ms or 0.0
        self.total_ms += duration
        stats = self.stats.get(fp)
        if stats is None:
            if len(self.stats) >= MAX_FINGERPRINTS:
                self.overflow_count += 1
                return
            stats = self.stats[fp] = FingerprintStats(fp, entry.query[:MAX_EXAMPLE_CHARS], entry.line)
        stats.count += 1
        stats.total_ms += duration
        if entry.duration_ms is not None:
            stats.timed += 1
            stats.max_ms = max(stats.max_ms, entry.duration_ms)
        if entry.from_request:
            self._add_to_request(entry, fp, duration)
        else:
            self._add_to_burst(entry, fp, duration)

    def _add_to_request(self, entry: LogEntry, fp: str, duration: float) -> None:
        request = self._requests.get(entry.scope)
        if request is None:
            request = self._requests[entry.scope] = {}
            if len(self._requests) > MAX_OPEN_SCOPES:
                self._close_request(*self._requests.popitem(last=False))
        else:
            self._requests.move_to_end(entry.scope)
        counts = request.setdefault(fp, [0, 0.0, entry.line])
        counts[0] += 1
        counts[1] += duration

    def _close_request(self, request_id: str, counts: dict[str, list]) -> None:
        for fp, (count, total, line) in counts.items():
            if count < self.options.n_plus_one_min:
                continue
            suspect = self.suspects.setdefault(fp, Suspect(fp, by_request=True))
            suspect.groups += 1
            suspect.executions += count
            suspect.total_ms += total
            if count > suspect.max_repeats:
                suspect.max_repeats, suspect.example_scope, suspect.example_line = count, request_id, line

    def _add_to_burst(self, entry: LogEntry, fp: str, duration: float) -> None:
        """A burst: n executions within the window (by time when known, else by statement count)."""
        if entry.ts_ms is not None:
            position, width = entry.ts_ms, self.options.window_ms
        else:
            position, width = float(self._sequence), float(self.options.window_statements)
        key = (entry.scope or "", fp)
        burst = self._bursts.get(key)
        if burst is None:
            burst = self._bursts[key] = _Burst(deque(maxlen=self.options.n_plus_one_min))
            if len(self._bursts) > MAX_OPEN_SCOPES:
                self._bursts.popitem(last=False)
        else:
            self._bursts.move_to_end(key)
        window = burst.window
        window.append((position, duration, entry.line))
        if len(window) < window.maxlen or abs(position - window[0][0]) > width:
            burst.repeats = 0
            return
        suspect = self.suspects.setdefault(fp, Suspect(fp))
        if burst.repeats == 0:
            burst.repeats, burst.first_line = len(window), window[0][2]
            suspect.groups += 1
            suspect.executions += len(window)
            suspect.total_ms += sum(d for _, d, _ in window)
        else:
            burst.repeats += 1
            suspect.executions += 1
            suspect.total_ms += duration
        if burst.repeats > suspect.max_repeats:
            suspect.max_repeats, suspect.example_scope, suspect.example_line = burst.repeats, entry.scope, burst.first_line

    def finish(self) -> None:
        while self._requests:
            self._close_request(*self._requests.popitem(last=False))


# --- report --------------------------------------------------------------------------------


def analyze_log(lines: Iterable[str], options: LogOptions, path: str | None = None):
    """Read, group and judge a log; returns a Report (tool "query_log")."""
    from tools.findings import Report

    reader = LogReader()
    aggregator = LogAggregator(options)
    for entry in reader.read(lines):
        aggregator.add(entry)
    aggregator.finish()
    findings = _n_plus_one_findings(aggregator, path) + _hot_query_findings(aggregator, path)
    if reader.unparsed:
        findings.append(_finding(
            "LOG004", "unparsed_lines", "info",
            f"{reader.unparsed} of {reader.lines} lines were not recognized as queries (first at line {reader.first_unparsed_line})",
            path, reader.first_unparsed_line, evidence={"unparsed": reader.unparsed, "lines": reader.lines},
        ))
    ranked = sorted(aggregator.stats.values(), key=lambda s: (-s.total_ms, -s.count, s.first_line))
    data = {
        "lines": reader.lines,
        "queries": aggregator.entries,
        "fingerprints": len(aggregator.stats),
        "unparsed_lines": reader.unparsed,
        "total_ms": round(aggregator.total_ms, 3),
        "top": [_stats_json(s, aggregator.total_ms) for s in ranked[: options.top]],
        "n_plus_one": [_suspect_json(s, aggregator) for s in _ranked_suspects(aggregator)],
    }
    if aggregator.overflow_count:
        data["overflow_queries"] = aggregator.overflow_count
    summary = (
        f"{aggregator.entries} queries in {reader.lines} lines, {len(aggregator.stats)} fingerprints, "
        f"{aggregator.total_ms:,.1f} ms total; {len(data['n_plus_one'])} N+1 suspect(s)"
    )
    return Report(tool="query_log", findings=findings, data=data, summary=summary)


def _finding(code, kind, severity, message, path, line, **extra):
    from tools.findings import Finding, Location

    return Finding(code=code, kind=kind, severity=severity, message=message,
                   location=Location(path=path or "<log>", line=line), **extra)


def _short(query: str, limit: int = 120) -> str:
    flat = " ".join(query.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ranked_suspects(aggregator: LogAggregator) -> list[Suspect]:
    return sorted(aggregator.suspects.values(), key=lambda s: (-s.total_ms, -s.executions))


def _n_plus_one_findings(aggregator: LogAggregator, path: str | None) -> list:
    findings = []
    for suspect in _ranked_suspects(aggregator):
        example = aggregator.stats[suspect.fingerprint].example if suspect.fingerprint in aggregator.stats else ""
        where = f"request {suspect.example_scope}" if suspect.by_request else (
            f"session {suspect.example_scope}" if suspect.example_scope else "one burst")
        groups = "requests" if suspect.by_request else "bursts"
        findings.append(_finding(
            "LOG001", "n_plus_one", "error" if suspect.max_repeats >= 100 else "warning",
            f"same query ran {suspect.max_repeats}× in {where} ({suspect.groups} {groups}, "
            f"{suspect.executions} executions, {suspect.total_ms:,.1f} ms): {_short(example)}",
            path, suspect.example_line,
            evidence={"fingerprint": suspect.fingerprint, "max_repeats": suspect.max_repeats, "groups": suspect.groups,
                      "executions": suspect.executions, "total_ms": round(suspect.total_ms, 3), "example": example},
            suggestion="load the rows in one query (JOIN, or WHERE id = ANY($1)) or eager-load the relation "
                       "(select_related/prefetch_related, selectinload) instead of one query per item",
            handoff="backend-engineer",
            cost_ms=round(suspect.total_ms, 3),
        ))
    return findings


# A fingerprint is "hot" when it takes at least this share of the logged time; above the second
# share it is a warning (one query shape dominating the database is the first thing to fix).
HOT_SHARE = 0.10
HOT_WARNING_SHARE = 0.30


def _hot_query_findings(aggregator: LogAggregator, path: str | None) -> list:
    findings = []
    total = aggregator.total_ms
    ranked = sorted(aggregator.stats.values(), key=lambda s: -s.total_ms)
    for stats in ranked[: aggregator.options.top]:
        share = stats.total_ms / total if total else 0.0
        mean = stats.total_ms / stats.timed if stats.timed else 0.0
        if share >= HOT_SHARE:
            findings.append(_finding(
                "LOG002", "hot_query", "warning" if share >= HOT_WARNING_SHARE else "info",
                f"{share:.0%} of logged query time ({stats.total_ms:,.1f} ms over {stats.count} calls, "
                f"mean {mean:,.2f} ms): {_short(stats.example)}",
                path, stats.first_line,
                evidence={"fingerprint": stats.fingerprint, "share": round(share, 4), "calls": stats.count,
                          "total_ms": round(stats.total_ms, 3), "mean_ms": round(mean, 3)},
                suggestion="EXPLAIN (ANALYZE, BUFFERS) this query (`lmagent db explain`) and check its indexes "
                           "(`lmagent sql --suggest-indexes`); cache it if the result is reused",
                handoff="data-engineer",
                cost_ms=round(stats.total_ms, 3),
            ))
    for stats in ranked:
        if stats.max_ms >= aggregator.options.slow_ms:
            findings.append(_finding(
                "LOG003", "slow_query", "warning",
                f"slowest execution {stats.max_ms:,.1f} ms (threshold {aggregator.options.slow_ms:,.0f} ms): "
                f"{_short(stats.example)}",
                path, stats.first_line,
                evidence={"fingerprint": stats.fingerprint, "max_ms": stats.max_ms, "calls": stats.count},
                suggestion="EXPLAIN (ANALYZE, BUFFERS) it with the slow parameters; look for sequential scans and sorts",
                handoff="data-engineer",
                cost_ms=stats.max_ms,
            ))
    return findings


def _stats_json(stats: FingerprintStats, total_ms: float) -> dict:
    return {
        "fingerprint": stats.fingerprint,
        "calls": stats.count,
        "total_ms": round(stats.total_ms, 3),
        "mean_ms": round(stats.total_ms / stats.timed, 3) if stats.timed else None,
        "max_ms": round(stats.max_ms, 3) if stats.timed else None,
        "share": round(stats.total_ms / total_ms, 4) if total_ms else None,
        "first_line": stats.first_line,
        "example": stats.example,
    }


def _suspect_json(suspect: Suspect, aggregator: LogAggregator) -> dict:
    stats = aggregator.stats.get(suspect.fingerprint)
    return {
        "fingerprint": suspect.fingerprint,
        "scope": "request" if suspect.by_request else "window",
        "max_repeats": suspect.max_repeats,
        "groups": suspect.groups,
        "executions": suspect.executions,
        "total_ms": round(suspect.total_ms, 3),
        "example_scope": suspect.example_scope,
        "example_line": suspect.example_line,
        "example": stats.example if stats else None,
    }
