"""The filters PostgreSQL prints in a plan, read as predicates, and the index that can serve them.

A plan shows each condition the way PostgreSQL deparses it: ``((sku)::text ~~ 'AB12%'::text)``,
``(tags @> '{postgres}'::text[])``, ``('x'::text = ANY (emails))``, ``(date_part('year'::text,
created_at) = '2021'::double precision)``. :func:`conjuncts` splits a filter on its top-level ANDs and
:func:`predicate_of` turns one conjunct into a :class:`tools.sql.indexes.Predicate` (the indexed side,
the operator, the other side's shape, the types the literals reveal). Which index PostgreSQL can use
for it is decided in one place for every tool, :func:`tools.sql.indexes.index_for`; :func:`advise`
combines its answers for a whole filter into one CREATE INDEX, or says why none can help and what can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# Operators as PostgreSQL prints them, longest first so that "!~~*" is not read as "~".
_OPERATORS = ("!~~*", "~~*", "!~~", "~~", "<->", "<>", "!=", "<=", ">=", "@>", "<@", "&&", "?|", "?&", "@@",
              "!~*", "~*", "!~", "=", "<", ">", "~", "?")
_OPERATOR_STARTS = frozenset(op[0] for op in _OPERATORS)
_SQL_OPERATOR = {"~~": "LIKE", "~~*": "ILIKE", "!~~": "NOT LIKE", "!~~*": "NOT ILIKE"}
_LITERAL = re.compile(r"""^(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|\$\d+|NULL|true|false)(?:::[\w ."\[\]]+)?$""",
                      re.IGNORECASE)
_CAST = re.compile(r"::([\w .\"]+(?:\[\])?)$")
_IDENTIFIER = re.compile(r"""'(?:[^']|'')*'|"[^"]+"|[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?\s*\(?""")
_NOT_COLUMNS = {"and", "or", "not", "any", "all", "null", "true", "false", "array", "is", "in", "like", "ilike",
                "between", "distinct", "from", "interval", "time", "zone", "at", "with", "without", "timestamp",
                "date", "text", "numeric", "integer", "bigint", "double", "precision", "character", "varying"}
_TEXT_CASTS = {"text", "character varying", "varchar", "bpchar", "name"}
# PostGIS functions as the plan prints them (the indexable wrappers are inlined to && plus these).
_POSTGIS_DISTANCE = re.compile(r"^_?st_distance(?:_?sphere|_?spheroid)?\s*\(", re.IGNORECASE)
_POSTGIS_PREDICATE = re.compile(r"^_?st_(?:dwithin|intersects|contains|within|covers|coveredby|overlaps|touches|"
                                r"crosses|equals|dfullywithin|containsproperly)\s*\(", re.IGNORECASE)


def strip_parens(text: str) -> str:
    """``((a = 1))`` → ``a = 1``: parentheses that enclose the whole text."""
    text = text.strip()
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start`` (quotes respected), or -1."""
    depth, i, quote = 0, start, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _top_level(text: str):
    """(index, char) of every character outside parentheses, brackets and quotes."""
    depth, quote = 0, None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0:
            yield i, ch


def _split_keyword(text: str, keyword: str) -> list[str]:
    parts, start = [], 0
    word = f" {keyword} "
    if word not in text:
        return [text.strip()] if text.strip() else []
    positions = {i for i, _ in _top_level(text)}
    i = text.find(word)
    while i != -1:
        if i in positions:
            parts.append(text[start:i])
            start = i + len(word)
        i = text.find(word, i + 1)
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def conjuncts(condition: str) -> list[str]:
    """The top-level AND terms of a printed condition, each without its enclosing parentheses. A
    condition a client cut short (pgAdmin ends long ones with ``(...)``) is closed first."""
    depth = 0
    if condition.count("(") > condition.count(")"):  # maybe cut short: count outside quotes
        depth = sum(1 if ch == "(" else -1 if ch == ")" else 0 for _, ch in _all_outside_quotes(condition))
    if depth > 0:
        condition += ")" * depth
    return [strip_parens(part) for part in _split_keyword(strip_parens(condition), "AND")]


def _all_outside_quotes(text: str):
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        else:
            yield i, ch


def _operator(text: str) -> tuple[int, str] | None:
    """The first operator outside parentheses and quotes (not the '::' of a cast, not '->' of JSON)."""
    depth, quote = 0, None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif not depth and ch in _OPERATOR_STARTS:
            for op in _OPERATORS:
                if not text.startswith(op, i):
                    continue
                if op in (">", ">=") and i and text[i - 1] in "-#":  # -> ->> #> #>> (JSON), not comparisons
                    continue
                return i, op
    return None


def _is_value(text: str) -> bool:
    """A constant, a parameter, or an expression of them (no column): ``now() - '1 day'::interval``."""
    text = strip_parens(text)
    if _LITERAL.match(text):
        return True
    if text.upper().startswith(("ANY (", "ALL (")):
        return _is_value(text[4:])
    if "SubPlan" in text or "InitPlan" in text:
        return True
    return not columns_in(text)


def columns_in(text: str) -> list[str]:
    """Column names an expression mentions (function names, keywords and type names left out)."""
    found: list[str] = []
    for match in _IDENTIFIER.finditer(text):
        token = match.group(0)
        if token.startswith("'") or token.rstrip().endswith("("):
            continue
        start = match.start()
        if text[max(0, start - 2):start] == "::":  # a type name
            continue
        name = token.strip().strip('"').split(".")[-1]
        if name.lower() not in _NOT_COLUMNS and not name[0].isdigit() and name not in found:
            found.append(name)
    return found


def _unqualify(text: str) -> str:
    """``s.sold_at`` → ``sold_at`` (the plan qualifies columns with the scan's alias)."""
    return re.sub(r'\b(?:[A-Za-z_][\w$]*|"[^"]+")\.(?=[A-Za-z_"])', "", text)


def _column_side(text: str) -> tuple[str, str | None]:
    """The indexed side as an expression, and the type a cast around a bare column reveals:
    ``(sku)::text`` is the column sku (a varchar compared as text)."""
    text = strip_parens(_unqualify(text))
    cast = _CAST.search(text)
    if cast:
        inner = strip_parens(text[: cast.start()])
        name = inner.strip('"')
        if re.fullmatch(r'[A-Za-z_][\w$]*|"[^"]+"', inner) and cast.group(1).strip() in _TEXT_CASTS:
            if name.lower() == "id" or name.lower().endswith("_id"):
                return text, None  # most likely a number cast to text: only the expression is indexable
            return name, "varchar"  # a varchar compared as text (PostgreSQL prints the implicit cast)
    return text, None


def _literal_type(text: str) -> str | None:
    cast = _CAST.search(strip_parens(text))
    return cast.group(1).strip().strip('"') if cast else None


def _pattern_shape(text: str) -> str:
    m = re.match(r"^'((?:[^']|'')*)'", strip_parens(text))
    if not m:
        return "pattern"
    pattern = m.group(1)
    wild = [i for i, ch in enumerate(pattern) if ch in "%_" and (i == 0 or pattern[i - 1] != "\\")]
    if not wild:
        return "exact"
    if wild[0] == 0:
        return "infix" if wild[-1] == len(pattern) - 1 and len(pattern) > 1 else "suffix"
    return "prefix"


@dataclass
class Term:
    """One conjunct of a filter: the predicate ``index_for`` judges, or why it is none."""

    text: str
    predicate: object | None = None  # tools.sql.indexes.Predicate
    note: str | None = None  # why no predicate: "subplan", "or", "boolean", "postgis", "distance", "join"


def predicate_of(term: str):
    """A :class:`Term` for one printed conjunct."""
    from tools.sql.indexes import Predicate

    text = strip_parens(term)
    if "SubPlan" in text or "InitPlan" in text or "$" in text and re.search(r"\$\d", text):
        return Term(text, note="subplan")
    if _split_keyword(text, "OR")[1:]:
        return Term(text, note="or")
    lowered = text.lower()
    if _POSTGIS_PREDICATE.match(lowered):
        return Term(text, note="postgis")
    for suffix, op in ((" IS NOT NULL", "IS NOT NULL"), (" IS NULL", "IS NULL")):
        if text.upper().endswith(suffix):
            expression, column_type = _column_side(text[: -len(suffix)])
            return Term(text, Predicate(expression, op, column_type=column_type))
    found = _operator(text)
    if found is None:
        return Term(text, note="boolean")
    i, op = found
    left, right = text[:i].strip(), text[i + len(op):].strip()
    if _POSTGIS_DISTANCE.match(strip_parens(left).lower()):
        return Term(text, note="distance")
    sql_op = _SQL_OPERATOR.get(op, op)
    if op == "=" and right.upper().startswith("ANY ("):
        if _is_value(left) and not _is_value(right[4:]):  # 'x' = ANY (tags): a value in an array column
            expression, _ = _column_side(right[4:])
            return Term(text, Predicate(expression, "= ANY"))
        sql_op, right = "IN", right[4:]
    if _is_value(left) and not _is_value(right):  # the constant on the left: swap the sides
        left, right = right, left
        sql_op = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "@>": "<@", "<@": "@>"}.get(sql_op, sql_op)
    operand = "value"
    if not _is_value(right):  # a join (or a SubPlan's outer reference): a B-tree serves the lookups
        operand = "column"
    if _is_value(left):
        return Term(text, note="constant")
    expression, column_type = _column_side(left)
    literal_type = _literal_type(right)
    if sql_op in ("@>", "<@", "&&", "?", "?|", "?&", "@?", "@@", "-|-", "<<", ">>", "<->"):
        column_type = literal_type or column_type
    elif sql_op in ("LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE", "~", "~*", "%"):
        column_type = column_type or "text"
    if sql_op in ("LIKE", "ILIKE"):
        operand = _pattern_shape(right)
    if re.fullmatch(r'[A-Za-z_][\w$]*', expression) is None:
        column_type = literal_type if sql_op in ("@>", "<@", "&&") else None
    return Term(text, Predicate(expression, sql_op, operand, column_type))


@dataclass
class Advice:
    """An index for a whole filter (``create``), or why none can help and what can (``instead``)."""

    create: str | None = None
    columns: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    instead: list[str] = field(default_factory=list)
    method: str | None = None
    expression: bool = False  # the key is an expression, not bare columns
    plain: bool = False  # a plain B-tree on columns: nothing about it needs explaining

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""

    @property
    def alternative(self) -> str:
        return "; ".join(dict.fromkeys(self.instead))


_EQUALITY = {"=", "IN", "IS NULL"}


def advise(table: str, condition: str, extra: list[str] | None = None) -> Advice | None:
    """The index that serves ``condition`` on ``table`` (``extra``: conjuncts the scan already
    uses, such as an Index Cond, to lead the key), or None when the filter has no term an index
    could be asked about at all (a SubPlan, an OR, a boolean column). Callers must not change the
    answer: the same filter on the same table (a plan repeats them) is judged once."""
    return _advise(table, condition, tuple(extra or ()))


@lru_cache(maxsize=1024)
def _advise(table: str, condition: str, extra: tuple[str, ...]) -> Advice | None:
    from tools.sql.indexes import IndexAdvice, index_for

    terms = [predicate_of(t) for t in list(extra) + conjuncts(condition)]
    advice = Advice()
    usable: list[tuple[object, IndexAdvice]] = []
    for term in terms:
        if term.note == "distance":
            advice.reasons.append("a distance compared in WHERE (ST_Distance) cannot use an index")
            advice.instead.append("write it as ST_DWithin(geom, point, distance), which a GiST index on the "
                                  "geometry (or on (geom::geography)) serves")
            continue
        if term.note == "postgis":
            columns = columns_in(_unqualify(term.text))
            if columns:
                usable.append((term, IndexAdvice(True, "a PostGIS predicate: a GiST index serves it", "gist",
                                                 columns[0])))
            continue
        if term.predicate is None:
            continue
        answer = index_for(term.predicate)
        if answer.usable:
            usable.append((term, answer))
        else:
            advice.reasons.append(answer.reason)
            if answer.instead:
                advice.instead.append(answer.instead)
    if not usable:
        return advice if advice.reasons else None
    special = [(t, a) for t, a in usable if a.method != "btree"]
    if special:
        term, answer = special[0]
        advice.method = answer.method
        advice.reasons = [answer.reason]
        advice.create = _with_extension(answer.create(table), answer.extension)
        advice.columns = _key_columns(answer.key or "")
        advice.expression = (answer.key or "").startswith("(")
        return advice
    ordered = sorted(usable, key=lambda ta: 0 if ta[0].predicate.operator in _EQUALITY else 1)
    keys: list[str] = []
    ranges = 0
    for term, answer in ordered:
        if term.predicate.operator not in _EQUALITY:
            ranges += 1
            if ranges > 1:  # a B-tree uses one range column; the rest would only be filtered
                continue
        if answer.key not in keys:
            keys.append(answer.key)
    composite = IndexAdvice(True, "", "btree", ", ".join(keys))
    advice.method = "btree"
    advice.reasons = [ordered[0][1].reason if len(keys) == 1 else "equality columns first, then one range"]
    advice.create = _with_extension(composite.create(table), None)
    advice.columns = [c for key in keys for c in _key_columns(key)]
    advice.expression = any(key.startswith("(") for key in keys)
    advice.plain = not advice.expression and all(re.fullmatch(r'[\w$]+|"[^"]+"', key) for key in keys)
    return advice


def _key_columns(key: str) -> list[str]:
    """The columns of an index key, without its operator classes and collations:
    ``sku text_pattern_ops`` → ``['sku']``."""
    return columns_in(re.sub(r'\bCOLLATE\s+(?:"[^"]+"|\w+)|\b\w+_ops\b', "", key, flags=re.IGNORECASE))


def _with_extension(statement: str | None, extension: str | None) -> str | None:
    """The statement(s) to run, without the final semicolon (it is quoted inside a sentence)."""
    if statement and extension:
        statement = f"CREATE EXTENSION IF NOT EXISTS {extension}; {statement}"
    return statement.rstrip(";") if statement else None
