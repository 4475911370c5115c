"""Stream a query log, group statements by fingerprint, find N+1 queries and the hottest shapes.

Formats, detected line by line:
- PostgreSQL **stderr** logs with any ``log_line_prefix`` (given, or recognized among common ones;
  otherwise the level is found and the timestamp and pid picked out), **csvlog** (records may span
  lines) and **jsonlog**. ``log_min_duration_statement`` lines, ``log_statement`` + ``log_duration``
  pairs, the extended protocol (``parse``/``bind``/``execute``: one execution, its parse and bind
  time added to it, ``DETAIL:  parameters:`` attached), tab-indented continuation lines kept with
  their message (whatever the message: ERROR and STATEMENT lines swallow theirs too), and
  auto_explain ``plan:`` entries (counted only when no statement line logs the same execution).
- JSON lines from applications: ``{"query": ..., "duration_ms": ..., "request_id": ..., "ts": ...}``.
- Plain text: one query per line (not inside a PostgreSQL log).

N+1 grouping uses what the log carries, most specific first: a request id (JSON ``request_id`` /
``trace_id``, or the sqlcommenter ``traceparent`` / request-id tag in the statement's comment); a
transaction (``BEGIN`` ... ``COMMIT``/``ROLLBACK`` in the session, or a shared virtual transaction id
``%v``); otherwise the session (``%c``, csv/json ``session_id``, else the pid), cut where its
application_name or sqlcommenter route/controller changes, after an idle gap, and where the unit's
first statement comes again (the next request of the same endpoint). Transaction control,
SET/SHOW/RESET/DISCARD and the like are never counted in a group.

Memory stays constant: lines are read one at a time (each capped at MAX_LINE_BYTES), and every
table kept (fingerprints, sessions, open requests, fingerprint cache) is bounded.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote

from tools.errors import InputError
from tools.numbers import finite

MAX_LINE_BYTES = 1 << 20
BINARY_SNIFF_BYTES = 8192
MAX_FINGERPRINTS = 20_000
MAX_OPEN_SCOPES = 2_000  # sessions and in-flight requests tracked at once
MAX_EXAMPLE_CHARS = 1_000
MAX_DURATION_MS = 1e15  # longer (31,000 years) is no measurement

_PG_LEVELS = frozenset({"LOG", "ERROR", "WARNING", "NOTICE", "DETAIL", "STATEMENT", "HINT", "CONTEXT", "FATAL",
                        "PANIC", "INFO", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "QUERY",
                        "LOCATION"})
_PG_PREFIX_MAX = 300  # log_line_prefix is short; a "LOG:  " further right is inside a query
# PostgreSQL writes "duration: 1.234 ms". A strict number: at most 15 integer digits keep every
# duration and their sums finite.
_PG_DURATION = re.compile(r"duration:\s*(\d{1,15}(?:\.\d+)?)\s*ms(?:\s+(.*))?$", re.DOTALL)
_PG_KIND = re.compile(r"(statement|execute\s[^:]*|parse\s[^:]*|bind\s[^:]*|plan):\s*(.*)$", re.DOTALL)
_PG_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)")
_PG_PID = re.compile(r"\[(\d+)\]")
_PG_SESSION = re.compile(r"\b([0-9a-f]{6,8}\.[0-9a-f]{1,8})\b")
_CSV_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Za-z0-9+:-]+)?,")
_AUTO_EXPLAIN_TEXT = re.compile(r"^\s*Query Text:\s*(.*)$")
_AUTO_EXPLAIN_JSON = re.compile(r'"Query Text":\s*("(?:[^"\\]|\\.)*")')
_PLAN_LINE = re.compile(r"\((?:cost|actual)[ =]|^\s*->|^\s*(?:Planning|Execution|Buffers|Output|Filter|Index Cond|Sort Key)\b")
_PLAIN_QUERY = re.compile(r"^\s*\(*\s*[A-Za-z]{2,}\b")
# sqlcommenter: /*key='url-encoded value',...*/ at the end (or start) of the statement.
_SQLCOMMENTER = re.compile(r"/\*\s*((?:[\w.%-]+\s*=\s*'[^']*'\s*,?\s*)+)\*/")
_TAG = re.compile(r"([\w.%-]+)\s*=\s*'([^']*)'")
_REQUEST_TAGS = ("request_id", "requestid", "request-id", "x-request-id", "x_request_id", "req_id")
_ENDPOINT_TAGS = ("route", "controller", "action", "path", "endpoint", "application", "app")

# csvlog columns (PostgreSQL 13-17 share the first 23).
_CSV_TIME, _CSV_PID, _CSV_SESSION, _CSV_VXID, _CSV_LEVEL, _CSV_MESSAGE, _CSV_DETAIL, _CSV_APP = 0, 3, 5, 9, 11, 13, 14, 22


@dataclass(slots=True)
class LogEntry:
    query: str
    line: int
    duration_ms: float | None = None
    ts_ms: float | None = None
    session: str | None = None  # session id (%c), else the backend pid
    request: str | None = None  # request id: JSON request_id/trace_id, sqlcommenter traceparent
    vxid: str | None = None  # virtual transaction id (%v, csv/json)
    app: str | None = None  # application_name
    endpoint: str | None = None  # sqlcommenter route/controller/action
    parameters: str | None = None  # DETAIL:  parameters: of an extended-protocol execution

    @property
    def scope(self) -> str | None:
        return self.request or self.session

    @property
    def from_request(self) -> bool:
        return self.request is not None


@dataclass
class LogOptions:
    dialect: str = "postgres"
    top: int = 10
    n_plus_one_min: int = 10
    window_ms: float = 1000.0  # idle gap that ends a unit of work in a session with no other boundary
    slow_ms: float = 1000.0
    prefix: str | None = None  # log_line_prefix of a stderr log


# --- log_line_prefix -----------------------------------------------------------------------

_TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
_ZONE = r"(?: [A-Za-z0-9+:-]+)?"
_ESCAPES = {
    "m": rf"(?P<ts>{_TS}\.\d+){_ZONE}",
    "t": rf"(?P<ts>{_TS}){_ZONE}",
    "n": r"(?P<epoch>\d+(?:\.\d+)?)",
    "s": rf"{_TS}{_ZONE}",
    "p": r"(?P<pid>\d+)",
    "P": r"\d*",
    "c": r"(?P<session>[0-9a-f]+\.[0-9a-f]+)",
    "l": r"\d+",
    "u": r".*?",
    "d": r".*?",
    "a": r"(?P<app>.*?)",
    "h": r"[^\s]*?",
    "r": r"[^\s]*?",
    "x": r"\d*",
    "v": r"(?P<vxid>[\d/-]*)",
    "e": r"[0-9A-Z]{5}",
    "i": r".*?",
    "b": r".*?",
    "Q": r"-?\d*",
}
_LEVEL_AFTER_PREFIX = r"(?P<level>[A-Z][A-Z0-9]*):  "

# Prefixes recognized without --prefix: PostgreSQL's and Debian's defaults, pgBadger's advice, RDS, ...
COMMON_PREFIXES = (
    "%m [%p] %q%u@%d ",
    "%m [%p] ",
    "%t [%p] %q%u@%d ",
    "%t [%p] ",
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p] %q[user=%u,db=%d,app=%a] ",
    "%m [%p] %c %v %a ",
    "%t:%r:%u@%d:[%p]:",
    "%m:%r:%u@%d:[%p]:",
    "%m %p %c %l %v %x %a ",
)


@functools.lru_cache(maxsize=64)
def compile_prefix(prefix: str) -> re.Pattern:
    """A regex for the lines a ``log_line_prefix`` produces, up to and including ``LEVEL:  ``.

    ``%q`` ends what processes without a session print, so the rest becomes optional; padding
    (``%-10u``) adds spaces; ``%%`` is a percent sign. Unknown escapes match anything short.
    """
    parts: list[str] = []
    optional_from = None
    seen: set[str] = set()
    i = 0
    while i < len(prefix):
        char = prefix[i]
        if char != "%" or i + 1 >= len(prefix):
            parts.append(re.escape(char))
            i += 1
            continue
        match = re.match(r"%(-?\d+)?(.)", prefix[i:])
        padding, escape = match.groups()
        i += match.end()
        if escape == "%":
            parts.append("%")
        elif escape == "q":
            optional_from = len(parts)
        else:
            pattern = _ESCAPES.get(escape, r".*?")
            names = re.findall(r"\?P<(\w+)>", pattern)
            if any(name in seen for name in names):  # a name twice: only the first one captures
                pattern = re.sub(r"\?P<\w+>", "?:", pattern)
            seen.update(names)
            parts.append(rf"\s*{pattern}\s*" if padding else pattern)
    if optional_from is not None:
        parts[optional_from:] = ["(?:" + "".join(parts[optional_from:]) + ")?"]
    body = "".join(parts)
    while body.endswith(r"\ "):  # trailing spaces: any amount before the level
        body = body[:-2]
    return re.compile(body + r"\s*" + _LEVEL_AFTER_PREFIX)


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


@dataclass(slots=True)
class _Fields:
    """What a PostgreSQL line says besides its message (the time as text: parsed for entries only)."""

    ts: str | None = None
    session: str | None = None
    vxid: str | None = None
    app: str | None = None

    @property
    def ts_ms(self) -> float | None:
        if not self.ts:
            return None
        if self.ts[0] == "@":  # %n: epoch seconds
            return float(self.ts[1:]) * 1000.0
        return _pg_timestamp_ms(self.ts)


@dataclass
class _Session:
    """Per-backend reading state: the extended protocol and log_statement + log_duration pairs."""

    awaiting: LogEntry | None = None  # logged by log_statement, waiting for its `duration:` line
    prelude_ms: float = 0.0  # parse + bind time of the execution to come
    held_plan: LogEntry | None = None  # auto_explain entry, unless a statement line logs it too


@dataclass
class _Message:
    """A stderr message being collected with its tab-indented continuation lines."""

    level: str
    lines: list[str]
    fields: _Fields
    line: int
    size: int = 0


class LogReader:
    """Turns log lines into LogEntry objects; counts the lines it could not use."""

    def __init__(self, prefix: str | None = None) -> None:
        self.lines = 0
        self.unparsed = 0
        self.first_unparsed_line: int | None = None
        self.formats: Counter[str] = Counter()  # lines (records) read per format
        self.prefix = prefix  # log_line_prefix in use (given, or recognized)
        self._prefix_re = compile_prefix(prefix) if prefix else None
        self._prefix_given = prefix is not None
        self._prefix_tries = 0  # lines tried against COMMON_PREFIXES (an unknown prefix stops it)
        self._message: _Message | None = None
        self._csv: list[str] | None = None
        self._csv_quotes = 0
        self._csv_line = 0
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._last: LogEntry | None = None  # emitted next, once its DETAIL line (if any) is read
        self._pg = False  # PostgreSQL lines seen: plain text lines are no queries any more
        self._evicted: list[LogEntry] = []  # entries of sessions dropped from the bounded table

    def read(self, lines: Iterable[str]) -> Iterator[LogEntry]:
        for text in lines:
            self.lines += 1
            yield from self._line(text.rstrip("\r\n"), self.lines)
        yield from self._close_message()
        if self._csv is not None:
            yield from self._csv_record("\n".join(self._csv), self._csv_line)
            self._csv = None
        yield from self._release()
        for session in self._sessions.values():
            yield from self._flush_session(session)
        self._sessions.clear()

    def _skip(self, number: int) -> None:
        self.unparsed += 1
        if self.first_unparsed_line is None:
            self.first_unparsed_line = number

    def _line(self, text: str, number: int) -> Iterator[LogEntry]:
        if self._csv is not None:
            self._csv.append(text)
            self._csv_quotes += text.count('"')
            if self._csv_quotes % 2 == 0:
                record, self._csv = "\n".join(self._csv), None
                yield from self._csv_record(record, self._csv_line)
            elif sum(len(part) for part in self._csv) > MAX_LINE_BYTES:
                self._csv = None
                self._skip(self._csv_line)
            return
        message = self._message
        if message is not None and text.startswith("\t"):
            if message.size < MAX_LINE_BYTES:
                message.lines.append(text[1:])
                message.size += len(text)
            return
        yield from self._close_message()
        stripped = text.strip()
        if not stripped:
            return
        if "\ufffd" in text:
            self._skip(number)
            return
        if stripped[0] == "{":
            yield from self._json_line(stripped, number)
            return
        head = self._stderr_head(text)
        if head is not None:
            level, start, fields = head
            self._pg = True
            self.formats["stderr"] += 1
            self._message = _Message(level, [text[start:]], fields, number)
            return
        if text[0].isdigit() and _CSV_START.match(text):
            self._pg = True
            self.formats["csvlog"] += 1
            quotes = text.count('"')
            if quotes % 2 == 0:
                yield from self._csv_record(text, number)
            else:
                self._csv, self._csv_quotes, self._csv_line = [text], quotes, number
            return
        if not self._pg and not stripped.startswith(("--", "#")) and _PLAIN_QUERY.match(stripped):
            self.formats["plain"] += 1
            yield from self._release()
            yield LogEntry(stripped, number)
        elif not stripped.startswith(("--", "#")):
            self._skip(number)

    # stderr --------------------------------------------------------------------------------

    def _stderr_head(self, text: str) -> tuple[str, int, _Fields] | None:
        """(level, where the message starts, fields) of a stderr line, or None."""
        if self._prefix_re is not None:
            match = self._prefix_re.match(text)
            if match is not None:
                return match.group("level"), match.end(), _prefix_fields(match)
            if self._prefix_given:
                return None
        head = pg_head(text)
        if head is None:
            return None
        level, level_start, message_start = head
        if not self._prefix_given and self._prefix_tries < 1000:
            self._prefix_tries += 1
            for prefix in COMMON_PREFIXES:  # a recognized prefix gives session, vxid and app too
                match = compile_prefix(prefix).match(text)
                if match is not None and match.end() == message_start:
                    self.prefix, self._prefix_re = prefix, compile_prefix(prefix)
                    return match.group("level"), match.end(), _prefix_fields(match)
        prefix_text = text[:level_start]
        fields = _Fields()
        ts = _PG_TIMESTAMP.search(prefix_text)
        if ts:
            fields.ts = ts.group(1)
        session = _PG_SESSION.search(prefix_text)
        pid = _PG_PID.search(prefix_text)
        fields.session = session.group(1) if session else (pid.group(1) if pid else None)
        return level, message_start, fields

    def _close_message(self) -> Iterator[LogEntry]:
        message, self._message = self._message, None
        if message is not None:
            lines = message.lines
            text = lines[0] if len(lines) == 1 else "\n".join(lines)
            yield from self._pg_message(message.level, text, None, message.fields, message.line)

    # csvlog and jsonlog ------------------------------------------------------------------------

    def _csv_record(self, record: str, number: int) -> Iterator[LogEntry]:
        try:
            row = next(csv.reader([record]))
        except (csv.Error, StopIteration):
            row = []
        if len(row) <= _CSV_APP:
            self._skip(number)
            return
        fields = _Fields(
            ts=row[_CSV_TIME],
            session=row[_CSV_SESSION] or row[_CSV_PID] or None,
            vxid=row[_CSV_VXID] or None,
            app=row[_CSV_APP],
        )
        yield from self._pg_message(row[_CSV_LEVEL], row[_CSV_MESSAGE], row[_CSV_DETAIL] or None, fields, number)

    def _json_line(self, text: str, number: int) -> Iterator[LogEntry]:
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            self._skip(number)
            return
        if "error_severity" in record and "message" in record:
            self._pg = True
            self.formats["jsonlog"] += 1
            session = record.get("session_id") or record.get("pid")
            fields = _Fields(
                ts=str(record.get("timestamp", "")),
                session=str(session) if session not in (None, "") else None,
                vxid=str(record["vxid"]) if record.get("vxid") else None,
                app=str(record.get("application_name", "")),
            )
            detail = record.get("detail")
            yield from self._pg_message(str(record["error_severity"]), str(record["message"]),
                                        detail if isinstance(detail, str) else None, fields, number)
            return
        entry = _json_entry(record, number)
        if entry is None:
            self._skip(number)
            return
        self.formats["json"] += 1
        yield from self._release()
        yield entry

    # one PostgreSQL message, whatever the format -----------------------------------------------

    def _pg_message(self, level: str, message: str, detail: str | None, fields: _Fields,
                    number: int) -> Iterator[LogEntry]:
        if level == "DETAIL":
            self._attach_parameters(message, fields)
            return
        yield from self._release()
        if level == "LOG":
            yield from self._log_message(message, fields, number)
            if detail is not None:
                self._attach_parameters(detail, fields)
        # errors, STATEMENT: echoes of failed queries, hints: no execution to count

    def _attach_parameters(self, detail: str, fields: _Fields) -> None:
        if not detail.startswith("parameters: "):
            return
        last = self._last
        if last is None or last.session != fields.session:
            session = self._sessions.get(fields.session or "")
            last = session.awaiting if session is not None else None
        if last is not None:
            last.parameters = detail[len("parameters: "):][:MAX_EXAMPLE_CHARS]

    def _release(self) -> Iterator[LogEntry]:
        last, self._last = self._last, None
        if last is not None:
            yield last

    def _log_message(self, message: str, fields: _Fields, number: int) -> Iterator[LogEntry]:
        duration = _PG_DURATION.match(message)
        duration_ms = None
        rest = message
        if duration:
            duration_ms = float(duration.group(1))
            rest = duration.group(2) or ""
        elif message.startswith("duration:"):
            self._skip(number)  # a duration PostgreSQL does not write ('.', 400 digits)
            return
        session = self._session(fields.session or "")
        if self._evicted:
            yield from self._evicted
            self._evicted.clear()
        if not rest:  # log_duration: the time of the statement logged before (or of parse/bind)
            waiting, session.awaiting = session.awaiting, None
            if waiting is None:
                session.prelude_ms += duration_ms
                return
            waiting.duration_ms = duration_ms + session.prelude_ms
            session.prelude_ms = 0.0
            self._last = waiting
            return
        kind = _PG_KIND.match(rest)
        if not kind:
            return  # checkpoints, connections and other server chatter
        label, text = kind.group(1), kind.group(2)
        if label.startswith(("parse", "bind")):
            if duration_ms is not None:
                session.prelude_ms += duration_ms
            return
        if label == "plan":
            yield from self._plan(session, _plan_query(text), duration_ms, fields, number)
            return
        if not text.strip():
            return
        entry = _entry(text, number, fields)
        if session.held_plan is not None:
            held, session.held_plan = session.held_plan, None
            if " ".join(held.query.split()) != " ".join(entry.query.split()):
                yield held
        if session.awaiting is not None:  # never got its duration line
            yield session.awaiting
            session.awaiting = None
        if duration_ms is None:
            session.awaiting = entry
            return
        entry.duration_ms = duration_ms + session.prelude_ms
        session.prelude_ms = 0.0
        self._last = entry

    def _plan(self, session: _Session, query: str, duration_ms: float | None, fields: _Fields,
              number: int) -> Iterator[LogEntry]:
        """auto_explain: the same execution as a statement line of the session, or one of its nested
        statements, unless the session logs no statements (then the plan is the only record)."""
        if not query.strip() or session.awaiting is not None:
            return
        if session.held_plan is not None:
            yield session.held_plan
        session.held_plan = _entry(query, number, fields, duration_ms)

    def _session(self, key: str) -> _Session:
        session = self._sessions.get(key)
        if session is None:
            session = self._sessions[key] = _Session()
            if len(self._sessions) > MAX_OPEN_SCOPES:
                self._evicted.extend(self._flush_session(self._sessions.popitem(last=False)[1]))
        else:
            self._sessions.move_to_end(key)
        return session

    def _flush_session(self, session: _Session) -> Iterator[LogEntry]:
        if session.held_plan is not None:
            yield session.held_plan
        if session.awaiting is not None:
            yield session.awaiting
        session.held_plan = session.awaiting = None


def _prefix_fields(match: re.Match) -> _Fields:
    groups = match.groupdict()
    epoch = groups.get("epoch")
    return _Fields(groups.get("ts") or ("@" + epoch if epoch else None), groups.get("session") or groups.get("pid"),
                   groups.get("vxid") or None, groups.get("app"))


def _entry(text: str, number: int, fields: _Fields, duration_ms: float | None = None) -> LogEntry:
    entry = LogEntry(text, number, duration_ms, fields.ts_ms, fields.session, None, fields.vxid, fields.app)
    if "*/" in text:
        _read_sqlcommenter(entry)
    return entry


def _plan_query(text: str) -> str:
    """The query text of an auto_explain entry (text, JSON or YAML format)."""
    json_text = _AUTO_EXPLAIN_JSON.search(text)
    if json_text:
        try:
            return json.loads(json_text.group(1))
        except ValueError:
            return ""
    lines: list[str] = []
    for line in text.split("\n"):
        started = _AUTO_EXPLAIN_TEXT.match(line)
        if started and not lines:
            first = started.group(1)
            if first.startswith('"') and first.endswith('"'):  # YAML
                try:
                    return json.loads(first)
                except ValueError:
                    return first.strip('"')
            lines.append(first)
        elif lines and not _PLAN_LINE.search(line):
            lines.append(line.strip())
        elif lines:
            break
    return "\n".join(lines)


def _read_sqlcommenter(entry: LogEntry) -> None:
    """Request id and endpoint from sqlcommenter tags (``/*route='%2Fposts',traceparent='00-...'*/``)."""
    match = _SQLCOMMENTER.search(entry.query)
    if match is None:
        return
    tags = {key.lower(): unquote(value) for key, value in _TAG.findall(match.group(1))}
    traceparent = tags.get("traceparent", "")
    parts = traceparent.split("-")
    if len(parts) >= 3 and len(parts[1]) == 32:
        entry.request = parts[1]  # the W3C trace id: one per request
    else:
        for name in _REQUEST_TAGS:
            if tags.get(name):
                entry.request = tags[name]
                break
    endpoint = [f"{name}={tags[name]}" for name in _ENDPOINT_TAGS if tags.get(name)]
    if endpoint:
        entry.endpoint = ",".join(endpoint)


def pg_head(text: str) -> tuple[str, int, int] | None:
    """(level, where the level starts, where the message starts) of a stderr line: `prefix LEVEL:  message`.

    str.find instead of a regex search: this runs on lines of logs that can be gigabytes.
    """
    colon = text.find(":  ", 0, _PG_PREFIX_MAX)
    while colon != -1:
        start = colon
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        if text[start:colon] in _PG_LEVELS:
            message = colon + 3
            while message < len(text) and text[message] == " ":
                message += 1
            return text[start:colon], start, message
        colon = text.find(":  ", colon + 1, _PG_PREFIX_MAX)
    return None


def _json_entry(record: dict, number: int) -> LogEntry | None:
    query = record.get("query") or record.get("sql") or record.get("statement")
    if not isinstance(query, str) or not query.strip():
        return None
    duration = finite(record.get("duration_ms", record.get("duration")))
    request = record.get("request_id") or record.get("trace_id")
    session = record.get("session_id") or record.get("connection_id") or record.get("pid")
    ts = record.get("ts", record.get("timestamp", record.get("time")))
    app = record.get("application_name")
    entry = LogEntry(
        query=query.strip(),
        line=number,
        # A duration that is no number, or not one a query takes (Infinity, -5, 1e300), leaves it untimed.
        duration_ms=duration if duration is not None and 0 <= duration < MAX_DURATION_MS else None,
        ts_ms=_json_time_ms(ts),
        session=str(session) if session not in (None, "") else None,
        app=app if isinstance(app, str) else None,
    )
    if "*/" in entry.query:
        _read_sqlcommenter(entry)
    if request not in (None, ""):
        entry.request = str(request)
    return entry


def _json_time_ms(value) -> float | None:
    number = finite(value)  # 1e400, NaN and 400-digit integers are no time
    if number is not None:
        return number * (1000.0 if number < 1e11 else 1.0)  # seconds or milliseconds since epoch
    if isinstance(value, str):
        return _timestamp_ms(value)
    return None


def _pg_timestamp_ms(text: str) -> float | None:
    """`2024-05-01 10:00:00.123 UTC`: the whole-second part repeats line after line, so it is memoized.
    The zone is left out: only differences between lines of one log matter."""
    seconds, _, fraction = text[:26].partition(".")
    base = _second_ms(seconds[:19])
    if base is None or not fraction:
        return base
    digits = fraction.split(" ", 1)[0]
    return base + float("0." + digits) * 1000.0 if digits.isdigit() else base


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

# First words of statements that never form an N+1 group: transaction control and session set-up.
_BEGIN = frozenset({"BEGIN", "START"})
_END = frozenset({"COMMIT", "END", "ROLLBACK", "ABORT"})
_UTILITY = frozenset({"SET", "SHOW", "RESET", "DISCARD", "SAVEPOINT", "RELEASE", "DEALLOCATE", "PREPARE",
                      "LISTEN", "UNLISTEN", "NOTIFY", "LOAD", "CHECKPOINT", "VACUUM", "ANALYZE"})
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*([A-Za-z]+)(?:\s+([A-Za-z]+))?", re.DOTALL)
# Connection set-up drivers and ORMs send as SELECTs (Django's time zone, SQLAlchemy's first connect).
_SETUP_SELECT = re.compile(
    r"\s*select\s+(?:pg_catalog\.)?(?:set_config|version|current_schema|current_setting|current_database|"
    r"current_user|session_user|pg_backend_pid)\s*\([^;]*?\)(?:\s+as\s+\w+)?\s*;?\s*$", re.IGNORECASE)


def statement_kind(query: str) -> str:
    """``begin``, ``end`` (COMMIT/ROLLBACK), ``utility`` (SET, SHOW, SAVEPOINT...) or ``query``."""
    match = _FIRST_WORD.match(query)
    if not match:
        return "query"
    word = match.group(1).upper()
    if word in _BEGIN:
        return "begin"
    if word in _END:
        second = (match.group(2) or "").upper()
        if word == "ROLLBACK" and second == "TO":  # ROLLBACK TO SAVEPOINT: the transaction goes on
            return "utility"
        if word == "COMMIT" and second == "PREPARED" or word == "ROLLBACK" and second == "PREPARED":
            return "utility"
        return "end"
    if word in _UTILITY:
        return "utility"
    if word == "SELECT" and _SETUP_SELECT.match(query):
        return "utility"
    return "query"


@dataclass
class FingerprintStats:
    fingerprint: str
    example: str
    first_line: int
    source: str = "libpg_query"
    parameters: str | None = None
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    timed: int = 0  # executions that carried a duration


@dataclass
class Suspect:
    """An N+1 suspect: one fingerprint repeated within one unit of work."""

    fingerprint: str
    groups: int = 0  # units of work (requests, transactions, session stretches) where it repeated
    max_repeats: int = 0
    executions: int = 0
    total_ms: float = 0.0
    scope: str = "request"  # request | transaction | session: of the example
    example_scope: str | None = None
    example_line: int = 0
    endpoint: str | None = None

    @property
    def by_request(self) -> bool:
        return self.scope == "request"


@dataclass
class _Unit:
    """One unit of work: a request, a transaction, or a stretch of a session."""

    scope: str
    label: str | None
    first_line: int
    counts: dict[str, list] = field(default_factory=dict)  # fingerprint -> [count, total ms, first line]
    root: str | None = None  # first fingerprint: when it comes again, the next request has begun
    app: str | None = None
    endpoint: str | None = None
    vxid: str | None = None
    vxid_statements: int = 0
    last_ts: float | None = None


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
        self.scopes: Counter[str] = Counter()  # units of work closed, per scope
        self._kinds: dict[str, str] = {}  # fingerprint -> statement_kind (one fingerprint, one kind)
        self._requests: OrderedDict[str, _Unit] = OrderedDict()
        self._sessions: OrderedDict[str, _Unit] = OrderedDict()

    def add(self, entry: LogEntry) -> None:
        self.entries += 1
        fp, source = self.fingerprint.with_source(entry.query)
        duration = entry.duration_ms or 0.0
        self.total_ms += duration
        stats = self.stats.get(fp)
        if stats is None:
            if len(self.stats) >= MAX_FINGERPRINTS:
                self.overflow_count += 1
                return
            stats = self.stats[fp] = FingerprintStats(fp, entry.query[:MAX_EXAMPLE_CHARS], entry.line, source,
                                                      entry.parameters)
        stats.count += 1
        stats.total_ms += duration
        if entry.duration_ms is not None:
            stats.timed += 1
            if entry.duration_ms > stats.max_ms:
                stats.max_ms = entry.duration_ms
        kind = self._kinds.get(fp)
        if kind is None:
            kind = self._kinds[fp] = statement_kind(entry.query)
        if entry.request is not None:
            if kind in ("query",):
                self._add_to_request(entry, fp, duration)
        else:
            self._add_to_session(entry, fp, kind, duration)

    def _add_to_request(self, entry: LogEntry, fp: str, duration: float) -> None:
        unit = self._requests.get(entry.request)
        if unit is None:
            unit = self._requests[entry.request] = _Unit("request", entry.request, entry.line, endpoint=entry.endpoint)
            if len(self._requests) > MAX_OPEN_SCOPES:
                self._close(self._requests.popitem(last=False)[1])
        else:
            self._requests.move_to_end(entry.request)
        _count(unit, fp, duration, entry.line)

    def _add_to_session(self, entry: LogEntry, fp: str, kind: str, duration: float) -> None:
        key = entry.session or ""
        unit = self._sessions.get(key)
        if unit is not None:
            self._sessions.move_to_end(key)
            if kind in ("begin", "end") or self._boundary(unit, entry, fp, kind):
                self._close(self._sessions.pop(key))
                unit = None
        if kind == "end":
            return
        if unit is None:
            scope = "transaction" if kind == "begin" else "session"
            unit = self._sessions[key] = _Unit(scope, entry.session, entry.line, app=entry.app,
                                               endpoint=entry.endpoint)
            if len(self._sessions) > MAX_OPEN_SCOPES:
                self._close(self._sessions.popitem(last=False)[1])
        if entry.vxid is not None:
            if entry.vxid == unit.vxid:
                unit.vxid_statements += 1
            else:
                unit.vxid, unit.vxid_statements = entry.vxid, 1
        if entry.ts_ms is not None:
            unit.last_ts = entry.ts_ms
        if kind != "query":
            return
        if unit.root is None:
            unit.root = fp
        _count(unit, fp, duration, entry.line)

    def _boundary(self, unit: _Unit, entry: LogEntry, fp: str, kind: str) -> bool:
        """Does ``entry`` start a new unit of work in its session?"""
        if entry.app != unit.app:
            return True
        if entry.endpoint is not None and unit.endpoint != entry.endpoint:
            if unit.endpoint is not None:
                return True  # another route or controller: another request
            unit.endpoint = entry.endpoint  # untagged statements (BEGIN, SET) opened the unit
        if entry.vxid is not None and unit.vxid is not None and entry.vxid != unit.vxid and unit.vxid_statements > 1:
            return True  # a transaction of several statements ended (BEGIN/COMMIT not logged)
        if entry.ts_ms is not None and unit.last_ts is not None and entry.ts_ms - unit.last_ts > self.options.window_ms:
            return True
        # Outside an explicit transaction, the unit's first statement coming again is the next
        # request (of the same endpoint) on this connection: a loop needs another query around it.
        return unit.scope == "session" and kind == "query" and fp == unit.root

    def _close(self, unit: _Unit) -> None:
        if not unit.counts:
            return
        self.scopes[unit.scope] += 1
        for fp, (count, total, line) in unit.counts.items():
            if count < self.options.n_plus_one_min:
                continue
            suspect = self.suspects.get(fp)
            if suspect is None:
                suspect = self.suspects[fp] = Suspect(fp, scope=unit.scope)
            suspect.groups += 1
            suspect.executions += count
            suspect.total_ms += total
            if count > suspect.max_repeats:
                suspect.max_repeats, suspect.example_line = count, line
                suspect.scope, suspect.example_scope, suspect.endpoint = unit.scope, unit.label, unit.endpoint

    def finish(self) -> None:
        for table in (self._requests, self._sessions):
            while table:
                self._close(table.popitem(last=False)[1])


def _count(unit: _Unit, fp: str, duration: float, line: int) -> None:
    counts = unit.counts.get(fp)
    if counts is None:
        unit.counts[fp] = [1, duration, line]
    else:
        counts[0] += 1
        counts[1] += duration


# --- report --------------------------------------------------------------------------------


def analyze_log(lines: Iterable[str], options: LogOptions, path: str | None = None):
    """Read, group and judge a log; returns a Report (tool "query_log")."""
    from tools.catalogue import log
    from tools.findings import Report

    reader = LogReader(options.prefix)
    aggregator = LogAggregator(options)
    for entry in reader.read(lines):
        aggregator.add(entry)
    aggregator.finish()
    normalized: dict[str, str] = {}
    findings = _n_plus_one_findings(aggregator, path, normalized) + _hot_query_findings(aggregator, path, normalized)
    if reader.unparsed:
        findings.append(log.UNPARSED_LINES.finding(
            f"{reader.unparsed} of {reader.lines} lines were not recognized as queries (first at line {reader.first_unparsed_line})",
            location=_location(path, reader.first_unparsed_line),
            evidence={"unparsed": reader.unparsed, "lines": reader.lines},
        ))
    ranked = sorted(aggregator.stats.values(), key=lambda s: (-s.total_ms, -s.count, s.first_line))
    data = {
        "lines": reader.lines,
        "queries": aggregator.entries,
        "fingerprints": len(aggregator.stats),
        "unparsed_lines": reader.unparsed,
        "total_ms": round(aggregator.total_ms, 3),
        "formats": dict(reader.formats),
        "prefix": reader.prefix,
        "units": dict(aggregator.scopes),
        "top": [_stats_json(s, aggregator, normalized) for s in ranked[: options.top]],
        "n_plus_one": [_suspect_json(s, aggregator, normalized) for s in _ranked_suspects(aggregator)],
    }
    if aggregator.overflow_count:
        data["overflow_queries"] = aggregator.overflow_count
    summary = (
        f"{aggregator.entries} queries in {reader.lines} lines, {len(aggregator.stats)} fingerprints, "
        f"{aggregator.total_ms:,.1f} ms total; {len(data['n_plus_one'])} N+1 suspect(s)"
    )
    return Report(tool="query_log", findings=findings, data=data, summary=summary)


def _normalized(fp: str, aggregator: LogAggregator, cache: dict[str, str]) -> str:
    """pg_query's normalize of the fingerprint's example (once per fingerprint in the report)."""
    from tools.sql.fingerprinting import normalize

    if fp not in cache:
        stats = aggregator.stats.get(fp)
        cache[fp] = normalize(stats.example, aggregator.options.dialect) if stats else ""
    return cache[fp]


def _location(path: str | None, line: int | None):
    from tools.findings import Location

    return Location(path=path or "<log>", line=line)


def _short(query: str, limit: int = 120) -> str:
    flat = " ".join(query.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ranked_suspects(aggregator: LogAggregator) -> list[Suspect]:
    return sorted(aggregator.suspects.values(), key=lambda s: (-s.total_ms, -s.executions, s.example_line))


_SCOPE_WORDS = {"request": ("request", "requests"), "transaction": ("one transaction", "transactions"),
                "session": ("one stretch of a session", "session stretches")}


def _n_plus_one_findings(aggregator: LogAggregator, path: str | None, normalized: dict[str, str]) -> list:
    from tools.catalogue import log

    findings = []
    for suspect in _ranked_suspects(aggregator):
        query = _normalized(suspect.fingerprint, aggregator, normalized)
        where, groups = _SCOPE_WORDS[suspect.scope]
        if suspect.scope == "request":
            where = f"request {suspect.example_scope}"
        elif suspect.example_scope:
            where += f" (session {suspect.example_scope})"
        if suspect.endpoint:
            where += f" [{suspect.endpoint}]"
        findings.append(log.N_PLUS_ONE.finding(
            f"same query ran {suspect.max_repeats}× in {where} ({suspect.groups} {groups}, "
            f"{suspect.executions} executions, {suspect.total_ms:,.1f} ms): {_short(query)}",
            severity="error" if suspect.max_repeats >= 100 else "warning",
            location=_location(path, suspect.example_line),
            evidence={"fingerprint": suspect.fingerprint, "scope": suspect.scope, "max_repeats": suspect.max_repeats,
                      "groups": suspect.groups, "executions": suspect.executions,
                      "total_ms": round(suspect.total_ms, 3), "normalized": query,
                      "example": aggregator.stats[suspect.fingerprint].example
                      if suspect.fingerprint in aggregator.stats else ""},
            cost_ms=round(suspect.total_ms, 3),
        ))
    return findings


# A fingerprint is "hot" when it takes at least this share of the logged time; above the second
# share it is a warning (one query shape dominating the database is the first thing to fix).
HOT_SHARE = 0.10
HOT_WARNING_SHARE = 0.30


def _hot_query_findings(aggregator: LogAggregator, path: str | None, normalized: dict[str, str]) -> list:
    from tools.catalogue import log

    findings = []
    total = aggregator.total_ms
    ranked = sorted(aggregator.stats.values(), key=lambda s: -s.total_ms)
    for stats in ranked[: aggregator.options.top]:
        share = stats.total_ms / total if total else 0.0
        mean = stats.total_ms / stats.timed if stats.timed else 0.0
        if share >= HOT_SHARE:
            query = _normalized(stats.fingerprint, aggregator, normalized)
            findings.append(log.HOT_QUERY.finding(
                f"{share:.0%} of logged query time ({stats.total_ms:,.1f} ms over {stats.count} calls, "
                f"mean {mean:,.2f} ms): {_short(query)}",
                severity="warning" if share >= HOT_WARNING_SHARE else "info",
                location=_location(path, stats.first_line),
                evidence={"fingerprint": stats.fingerprint, "share": round(share, 4), "calls": stats.count,
                          "total_ms": round(stats.total_ms, 3), "mean_ms": round(mean, 3), "normalized": query},
                cost_ms=round(stats.total_ms, 3),
            ))
    for stats in ranked:
        if stats.max_ms >= aggregator.options.slow_ms:
            query = _normalized(stats.fingerprint, aggregator, normalized)
            findings.append(log.SLOW_QUERY.finding(
                f"slowest execution {stats.max_ms:,.1f} ms (threshold {aggregator.options.slow_ms:,.0f} ms): "
                f"{_short(query)}",
                location=_location(path, stats.first_line),
                evidence={"fingerprint": stats.fingerprint, "max_ms": stats.max_ms, "calls": stats.count,
                          "normalized": query},
                cost_ms=stats.max_ms,
            ))
    return findings


def _stats_json(stats: FingerprintStats, aggregator: LogAggregator, normalized: dict[str, str]) -> dict:
    total_ms = aggregator.total_ms
    return {
        "fingerprint": stats.fingerprint,
        "fingerprint_source": stats.source,
        "normalized": _normalized(stats.fingerprint, aggregator, normalized),
        "calls": stats.count,
        "total_ms": round(stats.total_ms, 3),
        "mean_ms": round(stats.total_ms / stats.timed, 3) if stats.timed else None,
        "max_ms": round(stats.max_ms, 3) if stats.timed else None,
        "share": round(stats.total_ms / total_ms, 4) if total_ms else None,
        "first_line": stats.first_line,
        "example": stats.example,
        "parameters": stats.parameters,
    }


def _suspect_json(suspect: Suspect, aggregator: LogAggregator, normalized: dict[str, str]) -> dict:
    stats = aggregator.stats.get(suspect.fingerprint)
    return {
        "fingerprint": suspect.fingerprint,
        "normalized": _normalized(suspect.fingerprint, aggregator, normalized),
        "scope": suspect.scope,
        "max_repeats": suspect.max_repeats,
        "groups": suspect.groups,
        "executions": suspect.executions,
        "total_ms": round(suspect.total_ms, 3),
        "example_scope": suspect.example_scope,
        "endpoint": suspect.endpoint,
        "example_line": suspect.example_line,
        "example": stats.example if stats else None,
    }
