"""Split SQL text into statements without losing line numbers.

A hand-written scanner rather than sqlglot's tokenizer: it must survive text sqlglot cannot
tokenize (one broken statement must not hide the rest of the file), and it has to see comments
to pick up ``-- name: get_user`` labels (yesql/aiosql/sqlc style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME_COMMENT = re.compile(r"--\s*name\s*:\s*([^\s:]+)", re.IGNORECASE)
_INTERESTING = re.compile(r"[-/'\"`$;]")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
_COMMENT_DELIM = re.compile(r"/\*|\*/")
_INSERT_VALUES = re.compile(r"\s*INSERT\s+INTO\s[^;]*?\bVALUES\s*\(", re.IGNORECASE)
_COPY_FROM_STDIN = re.compile(r"COPY\b[^;]*\bFROM\s+STDIN\b", re.IGNORECASE)
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\u0080-\U0010ffff]")  # PostgreSQL: any non-ASCII char too
# Driver placeholders sqlglot reads in PostgreSQL but not elsewhere; strings are matched first so
# that a '%s' inside a literal is left alone.
_FOREIGN_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(%\(\w+\)s|%s|\$\d+)")

BACKSLASH_ESCAPE_DIALECTS = frozenset({"mysql", "bigquery", "spark", "databricks", "hive", "clickhouse", "doris", "starrocks"})


@dataclass(frozen=True)
class Statement:
    """One statement: its text (without the trailing ';'), where it starts and its `-- name:` label."""

    text: str
    line: int  # 1-based line of the statement's first character (after leading comments)
    offset: int  # character offset of that first character in the whole text
    name: str | None = None

    @property
    def end_line(self) -> int:
        return self.line + self.text.count("\n")


def split_statements(text: str, dialect: str = "postgres") -> list[Statement]:
    """Split on top-level ';', skipping quotes, comments and dollar-quoted bodies.

    Unterminated quotes or comments swallow the rest of the text into the current statement (which
    then fails to parse and is reported) rather than raising.
    """
    backslash_escapes = dialect in BACKSLASH_ESCAPE_DIALECTS
    statements: list[Statement] = []
    n = len(text)
    start: int | None = None  # offset of the current statement's first code character
    pending_name: str | None = None
    pos = 0
    line = 1
    line_pos = 0  # text[:line_pos] has been counted into `line`

    def line_at(offset: int) -> int:
        nonlocal line, line_pos
        line += text.count("\n", line_pos, offset)
        line_pos = offset
        return line

    def mark_code(offset: int) -> None:
        nonlocal start
        if start is None:
            start = offset

    def first_code(lo: int, hi: int) -> int | None:
        """Offset of the first non-blank character of text[lo:hi], if any."""
        stripped = len(text[lo:hi]) - len(text[lo:hi].lstrip())
        return lo + stripped if lo + stripped < hi else None

    while pos < n:
        m = _INTERESTING.search(text, pos)
        hit = m.start() if m else n
        if start is None:
            code = first_code(pos, hit)
            if code is not None:
                mark_code(code)
        if m is None:
            break
        ch = text[hit]
        nxt = text[hit + 1] if hit + 1 < n else ""
        if ch == "-" and nxt == "-":
            end = text.find("\n", hit)
            end = n if end == -1 else end
            if start is None:
                label = _NAME_COMMENT.match(text, hit, end)
                if label:
                    pending_name = label.group(1)
            pos = end
        elif ch == "/" and nxt == "*":
            pos = _skip_block_comment(text, hit)
        elif ch in "'\"`":
            mark_code(hit)
            escapes = ch == "'" and (backslash_escapes or _is_escape_string(text, hit))
            pos = _skip_quoted(text, hit, ch, escapes)
        elif ch == "$":
            tag = _DOLLAR_TAG.match(text, hit)
            if tag and not (hit > 0 and _IDENT_CHAR.match(text[hit - 1])):
                mark_code(hit)
                close = text.find(tag.group(0), tag.end())
                pos = n if close == -1 else close + len(tag.group(0))
            else:
                mark_code(hit)
                pos = hit + 1
        elif ch == ";":
            if start is not None:
                statements.append(Statement(text[start:hit].rstrip(), line_at(start), start, pending_name))
            pos = hit + 1
            if start is not None and _COPY_FROM_STDIN.match(text, start, hit):
                pos = _skip_copy_data(text, pos)  # pg_dump data rows end at a line holding only "\."
            start = None
            pending_name = None
        else:  # a lone '-' or '/'
            mark_code(hit)
            pos = hit + 1
    if start is not None and text[start:].strip():
        statements.append(Statement(text[start:].rstrip(), line_at(start), start, pending_name))
    return statements


def insert_head(sql: str, min_chars: int) -> str:
    """For a long INSERT ... VALUES, the statement cut after its first row of values.

    Rows of literals carry nothing to analyze, and sqlglot needs seconds per megabyte for them;
    the cut statement has the same shape, so it parses to the same findings and fingerprint.
    """
    if len(sql) < min_chars:
        return sql
    m = _INSERT_VALUES.match(sql)
    if not m:
        return sql
    depth, i, n = 0, m.end() - 1, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            i = _skip_quoted(sql, i, c, False)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return sql[: i + 1]
        i += 1
    return sql


def _is_escape_string(text: str, quote: int) -> bool:
    """PostgreSQL E'...' strings honour backslash escapes."""
    if quote == 0 or text[quote - 1] not in "eE":
        return False
    return quote < 2 or not _IDENT_CHAR.match(text[quote - 2])


def _skip_quoted(text: str, start: int, quote: str, backslash_escapes: bool) -> int:
    """Offset just past the closing quote (a doubled quote is an escaped quote)."""
    i = start + 1
    n = len(text)
    while i < n:
        close = text.find(quote, i)
        if close == -1:
            return n
        if backslash_escapes:
            slash = text.find("\\", i, close)
            if slash != -1:
                i = slash + 2
                continue
        if close + 1 < n and text[close + 1] == quote:
            i = close + 2
            continue
        return close + 1
    return n


def _skip_copy_data(text: str, pos: int) -> int:
    end = text.find("\n\\.", pos)
    if end == -1:
        return len(text)
    after = text.find("\n", end + 3)
    return len(text) if after == -1 else after + 1


def _skip_block_comment(text: str, start: int) -> int:
    """PostgreSQL block comments nest."""
    depth = 0
    for m in _COMMENT_DELIM.finditer(text, start):
        depth += 1 if m.group(0) == "/*" else -1
        if depth == 0:
            return m.end()
    return len(text)


def neutralize_placeholders(sql: str, dialect: str) -> str:
    """Rewrite %s, %(name)s and $1 to `?` for dialects whose sqlglot reader lacks them.

    Same line structure, so sqlglot's line numbers still point into the original text.
    """
    if dialect in ("postgres", "postgresql", "redshift"):
        return sql
    return _FOREIGN_PLACEHOLDER.sub(lambda m: "?" if m.group(1) else m.group(0), sql)
