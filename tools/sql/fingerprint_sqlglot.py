"""pg_query's fingerprint rules computed over sqlglot's tree: the path for dialects other than
PostgreSQL and for text libpg_query cannot parse (tools/sql/fingerprinting.py chooses).

Two statements get the same fingerprint when they differ only in what pg_query ignores:
- constants and placeholders of every kind ('x', 42, TRUE, NULL, $1, ?, %s, :name) and casts of them;
- aliases of tables and of select-list items; schema-less table-name segments that look generated
  (two or more digits, e.g. ``events_2024_01`` = ``events_2023_12``);
- the order and repetition of items in the select list, FROM list, INSERT column list, function
  arguments, AND/OR operands, IN lists and VALUES rows (so ``IN (1)`` = ``IN (1, 2, 3)``);
- ``x = ANY($1)`` and ``x IN (...)`` against ``x = $1``; the names of prepared statements,
  cursors, savepoints and LISTEN channels.

The hex values differ from pg_query's (the hash is over sqlglot's tree, not pg_query's).
"""

from __future__ import annotations

import hashlib
import re

from sqlglot import exp

from tools.sql.parse import SqlParseError, parse_statement
from tools.sql.split import split_statements
from tools.sql.tree import flatten, is_comma_join

# Statements whose operand is a name pg_query leaves out of the fingerprint.
_NAME_ONLY = {
    "DEALLOCATE", "EXECUTE", "CLOSE", "LISTEN", "UNLISTEN", "NOTIFY", "SAVEPOINT", "RELEASE",
    "DO", "FETCH", "MOVE", "DISCARD",
}
_TRANSACTION = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE TRANSACTION"}
_PREFIXED_QUERY = re.compile(
    r"^\s*(?:(PREPARE)\s+\w+(?:\s*\([^)]*\))?\s+AS|(DECLARE)\s+\w+\b.*?\bFOR|(EXPLAIN)(?:\s*\([^)]*\)|(?:\s+(?:ANALYZE|VERBOSE))*))\s+(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_IGNORED_ARGS = frozenset({"alias", "comments", "meta"})
_FIRST_WORDS = re.compile(r"^\s*([A-Za-z]+)(?:\s+([A-Za-z]+))?")
_RANDOMISH_SEGMENT = re.compile(r"\d.*\d")
# One pass of a small SQL lexer: what the fingerprint ignores (constants, placeholders, comments)
# goes, the rest (identifiers, quoted ones included, keywords, operators) stays.
_LEXEME = re.compile(r"""
   (?P<quoted>"(?:[^"]|"")*")
  |(?P<comment>--[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)
  |(?:(?<![\w$])[EeBbXxNn])?'(?:[^'\\]|''|\\.)*'
  |\$(?P<tag>[A-Za-z_]\w*)?\$.*?\$(?P=tag)?\$
  |\$\d+|%\(\w+\)s|%s|(?<![:\w]):[A-Za-z_]\w*|\?
  |(?<![\w$.])(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?
""", re.VERBOSE | re.DOTALL)
_VALUE_LIST = re.compile(r"\(\s*\x01(?:\s*,\s*\x01)*\s*\)")


def sqlglot_fingerprint(sql: str, dialect: str) -> str:
    """16 hex digits naming the query class of ``sql`` (all its statements)."""
    parts = [_statement_tokens(stmt.text, dialect) for stmt in split_statements(sql, dialect)]
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=8).hexdigest()


def _statement_tokens(text: str, dialect: str) -> str:
    words = _FIRST_WORDS.match(text)
    first = (words.group(1) or "").upper() if words else ""
    two = f"{first} {(words.group(2) or '').upper()}" if words else ""
    if first in _NAME_ONLY or two in _NAME_ONLY:
        return first
    if first in _TRANSACTION or two in _TRANSACTION:
        return f"TX {two if two in _TRANSACTION else first}"
    prefixed = _PREFIXED_QUERY.match(text)
    if prefixed:
        keyword = next(g for g in prefixed.groups()[:3] if g).upper()
        head = text[: prefixed.start(4)].upper().split() if keyword == "EXPLAIN" else [keyword]
        return " ".join(head) + " " + _statement_tokens(prefixed.group(4), dialect)
    try:
        return _tokens(parse_statement(text, dialect))
    except (SqlParseError, RecursionError):  # pg_query itself stops at 100 levels of nesting
        return "UNPARSED " + literal_blind_key(text)


def _tokens(node) -> str:
    """Canonical text of a sqlglot node with pg_query's normalizations applied."""
    if node is None or _is_constant(node):
        return ""
    if isinstance(node, list):
        return "[" + ",".join(_tokens(n) for n in node) + "]"
    if not isinstance(node, exp.Expression):
        return repr(node)
    if isinstance(node, (exp.Alias, exp.Paren)):
        return _tokens(node.this)
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    if isinstance(node, exp.Table):
        return _table_tokens(node)
    if isinstance(node, (exp.And, exp.Or)):
        return f"{node.key}{{{_unordered(flatten(node, type(node)))}}}"
    if isinstance(node, exp.In) and not node.args.get("query"):
        return _in_list_tokens(node)
    if isinstance(node, exp.Any) and not isinstance(node.this, (exp.Subquery, exp.Select)):
        return _tokens(node.this)
    if isinstance(node, exp.Select):
        return _select_tokens(node)
    if isinstance(node, exp.Insert):
        return _insert_tokens(node)
    if isinstance(node, exp.Update):
        return _generic(node, unordered=("expressions",))
    if isinstance(node, exp.Values):
        return "values{" + _unordered(node.expressions) + "}"
    if isinstance(node, exp.Tuple):
        return "{" + _unordered(node.expressions) + "}"
    if isinstance(node, exp.Func) and not isinstance(node, exp.Distinct):
        args = [v for k, v in node.args.items() if k != "distinct"]
        flat = [a for v in args for a in (v if isinstance(v, list) else [v])]
        return f"{node.key}:{_function_name(node)}({_unordered(flat)})"
    return _generic(node)


def _generic(node, unordered: tuple[str, ...] = ()) -> str:
    parts = [node.key]
    for key in sorted(node.args):
        if key in _IGNORED_ARGS:
            continue
        value = node.args[key]
        if value is None or value is False or value == []:
            continue
        text = _unordered(value) if key in unordered and isinstance(value, list) else _tokens(value)
        if text:
            parts.append(f"{key}={text}")
    return "(" + " ".join(parts) + ")"


def _in_list_tokens(node) -> str:
    """`x IN (a, b)` reads as `x = a` in pg_query's eyes: the right side is an unordered set."""
    items = sorted({t for t in (_tokens(i) for i in node.expressions) if t})
    right = f" expression={items[0] if len(items) == 1 else '{' + ','.join(items) + '}'}" if items else ""
    return f"(eq{right} this={_tokens(node.this)})"


def _select_tokens(node) -> str:
    joins = node.args.get("joins") or []
    explicit = [j for j in joins if not is_comma_join(j)]
    from_clause = node.args.get("from_") or node.args.get("from")
    sources = ([from_clause.this] if from_clause is not None else []) + [j.this for j in joins if is_comma_join(j)]
    head = f"select{{{_unordered(node.expressions)}}} from{{{_unordered(sources)}}} joins{_tokens(explicit)}"
    return f"({head} {_rest(node, ('expressions', 'joins', 'from_', 'from'))})"


def _insert_tokens(node) -> str:
    target = node.this
    if isinstance(target, exp.Schema):
        target_text = f"{_tokens(target.this)} cols{{{_unordered(target.expressions)}}}"
    else:
        target_text = _tokens(target)
    return f"(insert {target_text} {_rest(node, ('this',))})"


def _rest(node, skip: tuple[str, ...]) -> str:
    return " ".join(
        f"{k}={_tokens(v)}" for k, v in sorted(node.args.items())
        if k not in skip and k not in _IGNORED_ARGS and v not in (None, False, [])
    )


def _table_tokens(node) -> str:
    name = node.name
    if isinstance(node.this, exp.Identifier) and not node.this.quoted:
        name = name.lower()
    kept = [seg for seg in name.split("_") if not _RANDOMISH_SEGMENT.search(seg)]
    qualifier = ".".join(_tokens(node.args[k]) for k in ("catalog", "db") if node.args.get(k))
    extra = _rest(node, ("this", "db", "catalog", "alias"))
    return f"t:{qualifier}.{'_'.join(kept)}{(' ' + extra) if extra else ''}"


def _function_name(node) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name()


def _unordered(items) -> str:
    """pg_query sorts these lists by item hash and drops duplicates."""
    return ",".join(sorted({t for t in (_tokens(i) for i in items) if t}))


def _is_constant(node) -> bool:
    if isinstance(node, (exp.Literal, exp.Placeholder, exp.Parameter, exp.Null, exp.Boolean)):
        return True
    if isinstance(node, exp.Neg):
        return _is_constant(node.this)
    if isinstance(node, (exp.Cast, exp.Interval)):
        return node.this is None or _is_constant(node.this)
    if isinstance(node, exp.Paren):
        return _is_constant(node.this)
    if isinstance(node, exp.Var):  # DEFAULT in VALUES and similar bare keywords
        return node.name.upper() == "DEFAULT"
    return False


def literal_blind_key(sql: str) -> str:
    """``sql`` with constants, placeholders and comments out and whitespace collapsed: texts with
    equal keys have equal fingerprints on this path (the cache in fingerprinting.py relies on it)."""
    key = _LEXEME.sub(_blind, sql)
    if "\x01" in key:
        key = _VALUE_LIST.sub("(\x01)", key)
    return " ".join(key.split())


def _blind(match: re.Match) -> str:
    if match.group("quoted"):
        return match.group("quoted")
    return " " if match.group("comment") else "\x01"


def numbered_constants(sql: str) -> str:
    """Constants as ``$1``, ``$2``... by the lexer above (normalize's path outside PostgreSQL)."""
    number = 0

    def replace(match: re.Match) -> str:
        nonlocal number
        if match.group("quoted") or match.group("comment"):
            return match.group(0)
        if match.group(0).startswith(("$", "%", ":", "?")):
            return match.group(0)  # already a placeholder
        number += 1
        return f"${number}"

    return _LEXEME.sub(replace, sql)
