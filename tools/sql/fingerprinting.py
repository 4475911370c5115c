"""Query fingerprints: pg_query's own for PostgreSQL, an imitation of its rules for other dialects.

PostgreSQL (the default dialect): the fingerprint *is* libpg_query's (pg_query's C library, through
the ``pglast`` package), so the hex values join with pganalyze, pg_query.rb/.go/.rs and other tools
keyed on them. pglast 6 bundles libpg_query 16-5.x, whose fingerprints equal every expected hash in
libpg_query's own ``testdata/fingerprint.json`` (tests/test_sql_fingerprint.py); pglast 7 (17-6.x)
hashes ``DEALLOCATE ALL`` and ``MERGE`` differently, hence the pin in pyproject.toml.
Client-side placeholders (``%s``, ``%(name)s``, ``?``, ``:name``) are read as ``$n`` first.

Other dialects, and text libpg_query cannot parse: the same rules computed over sqlglot's tree
(constants, placeholders, aliases and generated name segments ignored; select/FROM/IN lists as
sets...). Those hex values are ours, not pg_query's; ``fingerprint_source`` says which path was used.

``normalize`` writes a statement the way pg_query's normalize does: constants become ``$n``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict

from pglast.parser import ParseError, parse_sql_json, scan
from pglast.parser import fingerprint as libpg_fingerprint

LIBPG_QUERY = "libpg_query"
SQLGLOT = "sqlglot"

# Client-side placeholder styles, outside strings, quoted names and comments; ``::type`` casts and
# ``a[1:2]`` slices are no ``:name``.
_CLIENT_PLACEHOLDER = re.compile(r"""
   (?P<keep>"(?:[^"]|"")*"|'(?:[^']|'')*'|--[^\n]*|/\*(?:[^*]|\*(?!/))*\*/|::)
  |%\(\w+\)s|%s|(?<![\w:\]])\?(?![|&-])|(?<![\w:]):[A-Za-z_]\w*
""", re.VERBOSE | re.DOTALL)


def fingerprint(sql: str, dialect: str = "postgres") -> str:
    """16 hex digits naming the query class of ``sql`` (all its statements)."""
    return fingerprint_source(sql, dialect)[0]


def fingerprint_source(sql: str, dialect: str = "postgres") -> tuple[str, str]:
    """(fingerprint, which path computed it: ``"libpg_query"`` or ``"sqlglot"``)."""
    if dialect == "postgres":
        value = pg_fingerprint(sql)
        if value is not None:
            return value, LIBPG_QUERY
    from tools.sql.fingerprint_sqlglot import sqlglot_fingerprint

    return sqlglot_fingerprint(sql, dialect), SQLGLOT


def pg_fingerprint(sql: str) -> str | None:
    """libpg_query's fingerprint, or None when PostgreSQL's parser rejects the text."""
    try:
        return libpg_fingerprint(sql)
    except ParseError:
        pass
    except (RecursionError, ValueError):  # NUL bytes, stack depth: no statement PostgreSQL runs
        return None
    converted = _dollar_placeholders(sql)
    if converted == sql:
        return None
    try:
        return libpg_fingerprint(converted)
    except (ParseError, RecursionError, ValueError):
        return None


def _dollar_placeholders(sql: str) -> str:
    """``%s``, ``%(name)s``, ``?`` and ``:name`` as ``$1``, ``$2``...: what the server would see."""
    number = 0

    def replace(match: re.Match) -> str:
        nonlocal number
        if match.group("keep"):
            return match.group("keep")
        number += 1
        return f"${number}"

    return _CLIENT_PLACEHOLDER.sub(replace, sql)


def normalize(sql: str, dialect: str = "postgres") -> str:
    """``sql`` with its constants as ``$1``, ``$2``... (pg_query's normalize: typmods such as
    ``varchar(10)`` stay; numbering goes on after the highest ``$n`` already there)."""
    if dialect == "postgres":
        normalized = _pg_normalize(sql)
        if normalized is not None:
            return normalized
    from tools.sql.fingerprint_sqlglot import numbered_constants

    return numbered_constants(sql)


def _pg_normalize(sql: str) -> str | None:
    try:
        tree = json.loads(parse_sql_json(sql))
        tokens = scan(sql)
    except (ParseError, RecursionError, ValueError):
        return None
    constants: list[int] = []  # byte offsets
    highest = _collect_constants(tree, constants)
    if not constants:
        return sql
    encoded = sql.encode()
    if len(encoded) != len(sql):  # parse locations count bytes, scanner tokens count characters
        char_at = {}
        offset = 0
        for index, char in enumerate(sql):
            char_at[offset] = index
            offset += len(char.encode())
        constants = [char_at[c] for c in constants if c in char_at]
    by_start = {t.start: i for i, t in enumerate(tokens)}
    spans = []
    for start in sorted(set(constants)):
        index = by_start.get(start)
        if index is None:
            continue
        end = tokens[index].end
        if tokens[index].name == "ASCII_45" and index + 1 < len(tokens):  # -5 is one constant
            end = tokens[index + 1].end
        spans.append((start, end + 1))
    out, last = [], 0
    for number, (start, end) in enumerate(spans, start=highest + 1):
        if start < last:
            continue
        out.append(sql[last:start])
        out.append(f"${number}")
        last = end
    out.append(sql[last:])
    return "".join(out)


def _collect_constants(node, found: list[int]) -> int:
    """Byte offsets of the A_Const nodes in a parse tree (not inside type names); returns the
    highest ``$n`` seen."""
    highest = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "A_Const" and isinstance(value, dict) and "location" in value:
                found.append(value["location"])
            elif key == "ParamRef" and isinstance(value, dict):
                highest = max(highest, value.get("number", 0))
            elif key in ("TypeName", "typeName"):
                continue
            else:
                highest = max(highest, _collect_constants(value, found))
    elif isinstance(node, list):
        for item in node:
            highest = max(highest, _collect_constants(item, found))
    return highest


EXACT_ENTRIES = 4_000  # verbatim texts remembered (at most EXACT_MAX_CHARS each: ~8 MB)
EXACT_MAX_CHARS = 2_000


class FingerprintCache:
    """Memoizes ``fingerprint_source``: logs repeat a few shapes millions of times.

    Verbatim texts (parameterized queries repeat exactly) are remembered as they are. libpg_query
    fingerprints anything else faster than Python could compute a literal-blind key, so only the
    sqlglot path (milliseconds a parse) is memoized by such a key (bounded LRU). Never changes a
    result, only saves work; memory is bounded.
    """

    def __init__(self, dialect: str = "postgres", max_entries: int = 20_000) -> None:
        self.dialect = dialect
        self.max_entries = max_entries
        self._by_key: OrderedDict[bytes, tuple[str, str]] = OrderedDict()
        self._exact: dict[str, tuple[str, str]] = {}

    def __call__(self, sql: str) -> str:
        return self.with_source(sql)[0]

    def with_source(self, sql: str) -> tuple[str, str]:
        """(fingerprint, ``"libpg_query"`` or ``"sqlglot"``), as ``fingerprint_source``."""
        value = self._exact.get(sql)
        if value is not None:
            return value
        value = None
        if self.dialect == "postgres":
            pg = pg_fingerprint(sql)
            if pg is not None:
                value = (pg, LIBPG_QUERY)
        if value is None:
            value = self._sqlglot(sql)
        if len(sql) <= EXACT_MAX_CHARS:
            if len(self._exact) >= EXACT_ENTRIES:
                self._exact.clear()
            self._exact[sql] = value
        return value

    def _sqlglot(self, sql: str) -> tuple[str, str]:
        from tools.sql.fingerprint_sqlglot import literal_blind_key, sqlglot_fingerprint

        # A digest, not the key itself: keys of huge statements would make the bound meaningless.
        key = hashlib.blake2b(literal_blind_key(sql).encode(), digest_size=16).digest()
        value = self._by_key.get(key)
        if value is not None:
            self._by_key.move_to_end(key)
            return value
        value = (sqlglot_fingerprint(sql, self.dialect), SQLGLOT)
        self._by_key[key] = value
        if len(self._by_key) > self.max_entries:
            self._by_key.popitem(last=False)
        return value
