"""SQL rules, delegated to the SQL analyzer (tools.sql): in .sql files and SQL string literals in Python.

The analyzer (and sqlglot behind it) is imported only when a text may hold a kept anti-pattern.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tools.codecheck.rules import SQL_KINDS
from tools.findings import Finding

# A literal is SQL when it starts with a statement keyword and has that statement's second keyword.
_SQL_START = re.compile(
    r"^\s*(?:(?:select|with)\b[\s\S]*\bfrom\b|insert\s+into\b|update\b[\s\S]*\bset\b|delete\s+from\b)", re.I)
_PLACEHOLDER = "__param__"
# Text that any kept kind needs: SELECT *, LIKE/ILIKE, OFFSET, a function call (function_on_column).
_CANDIDATE = re.compile(r"\*|\b(?:i?like|offset)\b|\w\s*\(", re.I)
_DML = re.compile(r"\b(?:delete|update)\b", re.I)
_WHERE = re.compile(r"\bwhere\b", re.I)


def check_sql(text: str, path: str, line_offset: int = 0) -> list[Finding]:
    """The analyzer's findings of the kinds this review keeps."""
    if not may_have_findings(text):
        return []
    from tools.sql import analyze_sql

    findings = analyze_sql(text, path=path, dialect="postgres", line_offset=line_offset)
    return [f for f in findings if f.kind in SQL_KINDS]


def sql_literals(strings: list[ast.Constant | ast.JoinedStr]) -> Iterator[tuple[str, int, int]]:
    """(sql text, first line, last line) of every string literal that looks like a SQL statement
    and could hold one of the kept anti-patterns (the analyzer's parse is the expensive part).

    f-string holes become a placeholder name so the statement still parses.
    """
    for node in strings:
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else _PLACEHOLDER for v in node.values)
        else:
            text = node.value
        if _SQL_START.match(text) and may_have_findings(text):
            yield text, node.lineno, node.end_lineno or node.lineno


def may_have_findings(text: str) -> bool:
    """False only when none of the kept kinds can apply (no *, LIKE, OFFSET, call, or a bounded DML)."""
    if _CANDIDATE.search(text):
        return True
    return bool(_DML.search(text)) and not _WHERE.search(text)
