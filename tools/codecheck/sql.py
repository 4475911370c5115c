"""SQL rules, delegated to the SQL analyzer (tools.sql): in .sql files and SQL string literals in Python.

The analyzer is imported lazily and optionally: without it the Python rules still run and the
report says the SQL rules were skipped (no finding is invented for it).
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


def analyzer():
    """tools.sql.analyze_sql, or None while that module does not provide it."""
    try:
        from tools.sql import analyze_sql
    except ImportError:
        return None
    return analyze_sql


def check_sql(text: str, path: str, line_offset: int = 0) -> list[Finding]:
    """The analyzer's findings of the kinds this review keeps (empty when the analyzer is absent)."""
    analyze_sql = analyzer()
    if analyze_sql is None:
        return []
    findings = analyze_sql(text, path=path, dialect="postgres", line_offset=line_offset)
    return [f for f in findings if f.kind in SQL_KINDS]


def sql_literals(tree: ast.Module) -> Iterator[tuple[str, int, int]]:
    """(sql text, first line, last line) of every string literal that looks like a SQL statement.

    f-string holes become a placeholder name so the statement still parses.
    """
    inside_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstring.update(id(v) for v in node.values)
            text = "".join(v.value if isinstance(v, ast.Constant) else _PLACEHOLDER for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_fstring:
            text = node.value
        else:
            continue
        if _SQL_START.match(text):
            yield text, node.lineno, node.end_lineno or node.lineno
