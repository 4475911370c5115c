"""Index advisor: CREATE INDEX proposals from the predicates and ORDER BY of each query.

Key order per table: equality columns, then one range column, then the ORDER BY columns (only
when the index can deliver that order: no range column, or the range column is the first sort
key). Constant filters that B-trees serve badly as keys (``col IS NULL``, ``col IS NOT NULL``,
``flag = true``) become the WHERE of a partial index; a function of a column becomes an expression
key. With a schema (a schema.sql or a live database), a proposal whose key is already the leading
part of an existing index is dropped; without one, a lone ``id`` key is assumed to be the primary key.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from sqlglot import exp

from tools.findings import Finding
from tools.sql.rules import INDEX_SUGGESTION, ParsedStatement, make_finding, node_line, parse_file
from tools.sql.tree import flatten

MAX_INDEX_NAME = 63  # PostgreSQL's NAMEDATALEN - 1


@dataclass
class ExistingIndex:
    name: str
    table: str
    keys: list[str]
    predicate: str | None = None
    method: str = "btree"


@dataclass
class Schema:
    columns: dict[str, set[str]] = field(default_factory=dict)  # table -> column names
    indexes: dict[str, list[ExistingIndex]] = field(default_factory=dict)
    types: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> type as declared
    collations: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> collation, when known
    single_row: set[str] = field(default_factory=set)  # a UNIQUE column pinned by CHECK (col = constant)
    row_estimates: dict[str, float] = field(default_factory=dict)  # pg_class.reltuples (live catalog only)

    def is_single_row(self, table: str) -> bool:
        return table.lower() in self.single_row

    def rows(self, table: str) -> float | None:
        return self.row_estimates.get(table.lower())

    def leads_an_index(self, key: str) -> bool:
        """Whether some index of any table starts with ``key`` (a column or an expression key)."""
        return any(index.keys[:1] == [key] for indexes in self.indexes.values() for index in indexes)

    def column_type_anywhere(self, column: str) -> tuple[str | None, str | None]:
        """(table, type) of the one table that has ``column``; (None, None) if none or several do."""
        owners = [(t, cols[column.lower()]) for t, cols in self.types.items() if column.lower() in cols]
        return owners[0] if len(owners) == 1 else (None, None)

    def has_index_on(self, table: str, column: str, method: str | None) -> bool:
        return any(index.keys[:1] == [column.lower()] and (method is None or index.method == method)
                   for index in self.indexes.get(table.lower(), []))

    def covers(self, table: str, keys: list[str], predicate: str | None) -> ExistingIndex | None:
        for index in self.indexes.get(table, []):
            if index.keys[: len(keys)] == keys and index.predicate in (None, predicate):
                return index
        return None

    def table_with_column(self, candidates: list[str], column: str) -> str | None:
        owners = [t for t in candidates if column in self.columns.get(t, set())]
        return owners[0] if len(owners) == 1 else None


@dataclass
class Suggestion:
    table: str  # as written in the query (may be schema-qualified)
    keys: list[str]
    predicate: str | None
    statement_lines: list[int]
    reason: str

    @property
    def name(self) -> str:
        words = re.findall(r"[a-z0-9]+", " ".join([self.table.split(".")[-1], *self.keys]).lower())
        words = [w for w in words if w not in ("desc", "text", "bpchar", "pattern", "ops")]
        stem = "_".join(words)[: MAX_INDEX_NAME - 8]
        return f"{stem}_{'part_' if self.predicate else ''}idx"

    @property
    def create(self) -> str:
        keys = ", ".join(k if re.fullmatch(r"[a-z_][a-z0-9_$]*( DESC| [a-z_]+_ops)?", k) else f"({k})"
                         for k in self.keys)
        where = f" WHERE {self.predicate}" if self.predicate else ""
        return f"CREATE INDEX {self.name} ON {self.table} ({keys}){where};"


# --- schema ----------------------------------------------------------------------------------


def schema_from_sql(text: str, dialect: str = "postgres") -> Schema:
    """Tables, columns, keys and indexes declared in DDL (unparseable statements are ignored)."""
    schema = Schema()
    for item in parse_file(text, dialect):
        tree = item.tree
        if not isinstance(tree, exp.Create):
            continue
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "TABLE" and isinstance(tree.this, exp.Schema):
            _add_table(schema, tree.this)
        elif kind == "INDEX" and isinstance(tree.this, exp.Index):
            _add_index(schema, tree.this)
    return schema


def _add_table(schema: Schema, definition: exp.Schema) -> None:
    table = _table_key(definition.this)
    columns = schema.columns.setdefault(table, set())
    unique, pinned = set(), set()
    for item in definition.expressions:
        if isinstance(item, exp.ColumnDef):
            columns.add(_ident(item.this))
            if item.args.get("kind") is not None:
                schema.types.setdefault(table, {})[_ident(item.this)] = item.args["kind"].sql(dialect="postgres")
            for constraint in item.args.get("constraints") or []:
                if isinstance(constraint.kind, exp.CollateColumnConstraint):
                    schema.collations.setdefault(table, {})[_ident(item.this)] = constraint.kind.this.name
                if isinstance(constraint.kind, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint)):
                    unique.add(_ident(item.this))
                    schema.indexes.setdefault(table, []).append(
                        ExistingIndex(f"{table}_{_ident(item.this)}_key", table, [_ident(item.this)]))
        elif isinstance(item, exp.CheckColumnConstraint) and isinstance(item.this, exp.EQ):
            sides = (item.this.this, item.this.expression)
            if any(isinstance(c, exp.Column) for c in sides) and any(isinstance(v, exp.Literal) for v in sides):
                pinned.add(next(_ident(c.this) for c in sides if isinstance(c, exp.Column)))
        elif isinstance(item, exp.PrimaryKey) or (
            isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema)
        ):
            idents = item.expressions if isinstance(item, exp.PrimaryKey) else item.this.expressions
            keys = [_ident(i) for i in idents]
            if len(keys) == 1:
                unique.add(keys[0])
            schema.indexes.setdefault(table, []).append(ExistingIndex(f"{table}_{'_'.join(keys)}_key", table, keys))
    if unique & pinned:
        schema.single_row.add(table)


def _add_index(schema: Schema, index: exp.Index) -> None:
    table = index.args.get("table")
    params = index.args.get("params")
    if table is None or params is None:
        return
    table_key = _table_key(table)
    keys = [key_text(o.this if isinstance(o, exp.Ordered) else o) for o in params.args.get("columns") or []]
    where = params.args.get("where")
    using = params.args.get("using")
    method = (using.name if isinstance(using, exp.Expression) else str(using or "btree")).lower()
    schema.indexes.setdefault(table_key, []).append(
        ExistingIndex(index.name or "(unnamed)", table_key, keys, key_text(where.this) if where else None, method))


def schema_from_dsn(dsn: str) -> Schema:
    """Columns and index definitions of every table on the search path of a live PostgreSQL."""
    from tools.db import connect

    schema = Schema()
    with connect(dsn) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, format_type(a.atttypid, a.atttypmod), "
            "coalesce(c.collation_name, (SELECT datcollate FROM pg_database WHERE datname = current_database())) "
            "FROM information_schema.columns c "
            "JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass "
            "AND a.attname = c.column_name WHERE table_schema = ANY (current_schemas(false))"
        ).fetchall()
        for table, column, type_name, collation in rows:
            schema.columns.setdefault(table.lower(), set()).add(column.lower())
            schema.types.setdefault(table.lower(), {})[column.lower()] = type_name
            schema.collations.setdefault(table.lower(), {})[column.lower()] = collation
        for table, reltuples in conn.execute(
            "SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relkind IN ('r', 'p') "
            "AND c.relnamespace = ANY (SELECT oid FROM pg_namespace WHERE nspname = ANY (current_schemas(false)))"
        ).fetchall():
            if reltuples >= 0:  # -1: never analyzed
                schema.row_estimates[table.lower()] = reltuples
        ddl = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = ANY (current_schemas(false))").fetchall()]
    indexes = schema_from_sql(";\n".join(ddl))
    schema.indexes = indexes.indexes
    return schema


def _table_key(table: exp.Table) -> str:
    return table.name.lower() if not table.this.args.get("quoted") else table.name


def _ident(node: exp.Expression) -> str:
    return node.name if node.args.get("quoted") else node.name.lower()


def key_text(node: exp.Expression) -> str:
    """Canonical text of an index key: bare column names, lower case, no redundant parentheses."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        return _ident(node.this)
    stripped = node.copy()
    for column in stripped.find_all(exp.Column):
        column.set("table", None)
    for ident in stripped.find_all(exp.Identifier):
        if not ident.quoted:
            ident.set("this", ident.this.lower())
    return stripped.sql(dialect="postgres", normalize_functions="lower")


# --- advisor ---------------------------------------------------------------------------------


@dataclass
class _TableNeeds:
    table: str
    equality: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)

    def add(self, bucket: list[str], key: str) -> None:
        if key not in bucket:
            bucket.append(key)


def suggest_indexes(parsed: list[ParsedStatement], schema: Schema | None, path: str | None,
                    line_offset: int = 0) -> tuple[list[Finding], list[dict]]:
    by_key: dict[tuple, Suggestion] = {}
    first_node: dict[tuple, tuple] = {}
    for item in parsed:
        if item.tree is None:
            continue
        ctes = frozenset(c.alias_or_name.lower() for c in item.tree.find_all(exp.CTE))
        for select in _query_blocks(item.tree):
            for needs, node in _needs(select, ctes, schema, item.statement.text):
                suggestion = _design(needs, schema)
                if suggestion is None:
                    continue
                ident = (suggestion.table.lower(), tuple(suggestion.keys), suggestion.predicate)
                line = node_line(node, item.statement) + line_offset
                if ident in by_key:
                    by_key[ident].statement_lines.append(line)
                else:
                    suggestion.statement_lines.append(line)
                    by_key[ident] = suggestion
                    first_node[ident] = (item.statement, line)
    kept = _drop_prefixes(list(by_key.values()))
    findings, data = [], []
    for suggestion in kept:
        statement, line = first_node[(suggestion.table.lower(), tuple(suggestion.keys), suggestion.predicate)]
        lines = sorted(set(suggestion.statement_lines))
        findings.append(make_finding(
            INDEX_SUGGESTION, statement, path, line,
            f"{suggestion.create} ({suggestion.reason}; used by {len(lines)} statement(s))",
            {"create": suggestion.create, "table": suggestion.table, "keys": suggestion.keys,
             "where": suggestion.predicate, "lines": lines},
        ))
        data.append({"create": suggestion.create, "name": suggestion.name, "table": suggestion.table,
                     "keys": suggestion.keys, "where": suggestion.predicate, "lines": lines,
                     "reason": suggestion.reason})
    return findings, data


def _query_blocks(tree: exp.Expression):
    yield from tree.find_all(exp.Select, exp.Update, exp.Delete)


def _sources(block: exp.Expression, cte_names: frozenset[str]) -> tuple[dict[str, exp.Table], list[str]]:
    """Alias -> real table for this block, and the tables joined in with JOIN (not the driving one)."""
    tables: dict[str, exp.Table] = {}
    joined: list[str] = []
    items = []
    source = block.args.get("from_") or block.args.get("from")
    if isinstance(block, (exp.Update, exp.Delete)):
        items.append((block.this, False))
    if source is not None:
        items.append((source.this, False))
    for join in block.args.get("joins") or []:
        items.append((join.this, bool(join.args.get("on"))))
    for node, is_join in items:
        if isinstance(node, exp.Table) and node.name and node.name.lower() not in cte_names:
            alias = (node.alias or node.name).lower()
            tables[alias] = node
            if is_join:
                joined.append(alias)
    return tables, joined


def _needs(block: exp.Expression, ctes: frozenset[str], schema: Schema | None, source: str = ""):
    tables, joined = _sources(block, ctes)
    if not tables:
        return
    needs = {alias: _TableNeeds(alias) for alias in tables}
    where = block.args.get("where")
    conjuncts = flatten(where.this, exp.And) if where is not None else []
    for conjunct in conjuncts:
        _classify(conjunct, tables, needs, schema, source)
    for join in block.args.get("joins") or []:
        on = join.args.get("on")
        for conjunct in flatten(on, exp.And) if on is not None else []:
            if isinstance(conjunct, exp.EQ) and all(isinstance(s, exp.Column) for s in (conjunct.this, conjunct.expression)):
                for side in (conjunct.this, conjunct.expression):
                    owner = _owner(side, tables, schema)
                    if owner in joined:
                        needs[owner].add(needs[owner].joins, key_text(side))
            else:
                _classify(conjunct, tables, needs, schema, source)
    order = block.args.get("order")
    if order is not None and isinstance(block, exp.Select) and (block.args.get("limit") or block.args.get("fetch")):
        # Without LIMIT the planner reads everything anyway and a sort is usually cheaper.
        _order_keys(order, tables, needs, schema)
    for alias, table_needs in needs.items():
        table_needs.table = tables[alias].sql(dialect="postgres").split(" AS ")[0]
        yield table_needs, where if where is not None else block


def _owner(column: exp.Column, tables: dict[str, exp.Table], schema: Schema | None) -> str | None:
    if column.table:
        alias = column.table.lower()
        return alias if alias in tables else None
    if len(tables) == 1:
        return next(iter(tables))
    if schema is not None:
        by_name = {t.name.lower(): alias for alias, t in tables.items()}
        owner = schema.table_with_column(list(by_name), _ident(column.this))
        return by_name.get(owner) if owner else None
    return None


def _single_owner(node: exp.Expression, tables, schema) -> str | None:
    owners = {_owner(c, tables, schema) for c in node.find_all(exp.Column)}
    return owners.pop() if len(owners) == 1 and None not in owners else None


def _is_value(node: exp.Expression | None) -> bool:
    """A constant or parameter: something the index is probed with."""
    return node is not None and node.find(exp.Column) is None and node.find(exp.Select) is None


def _classify(conjunct: exp.Expression, tables, needs, schema, source: str = "") -> None:
    if isinstance(conjunct, exp.Is) and isinstance(conjunct.expression, exp.Null) and isinstance(conjunct.this, exp.Column):
        _partial(conjunct, conjunct.this, tables, needs, schema)
        return
    if isinstance(conjunct, exp.Not) and isinstance(conjunct.this, exp.Is) and isinstance(conjunct.this.this, exp.Column):
        _partial(conjunct, conjunct.this.this, tables, needs, schema)
        return
    if isinstance(conjunct, exp.EQ) and isinstance(conjunct.expression, exp.Boolean) and isinstance(conjunct.this, exp.Column):
        _partial(conjunct, conjunct.this, tables, needs, schema)
        return
    if isinstance(conjunct, exp.In) and conjunct.args.get("query") is None:
        target, values = conjunct.this, conjunct.expressions
        if all(_is_value(v) for v in values):
            _key(target, "equality", tables, needs, schema, source)
        return
    if isinstance(conjunct, exp.Between):
        if _is_value(conjunct.args.get("low")) and _is_value(conjunct.args.get("high")):
            _key(conjunct.this, "ranges", tables, needs, schema, source)
        return
    if isinstance(conjunct, exp.Like) and isinstance(conjunct.expression, exp.Literal):
        if not conjunct.expression.this.startswith(("%", "_")):
            _key(conjunct.this, "ranges", tables, needs, schema, source, like_prefix=True)
        return
    bucket = {exp.EQ: "equality", exp.GT: "ranges", exp.GTE: "ranges", exp.LT: "ranges", exp.LTE: "ranges"}.get(type(conjunct))
    if bucket is None:
        return
    if _is_value(conjunct.expression):
        _key(conjunct.this, bucket, tables, needs, schema, source)
    elif _is_value(conjunct.this):
        _key(conjunct.expression, bucket, tables, needs, schema, source)


def _key(node: exp.Expression, bucket: str, tables, needs, schema, source: str = "", like_prefix: bool = False) -> None:
    """Add the index key for ``node``, as index_for says PostgreSQL can use it, or nothing."""
    if node.find(exp.Column) is None or node.find(exp.AggFunc) is not None:
        return
    owner = _single_owner(node, tables, schema)
    if owner is None:
        return
    key = key_text(node)
    table = tables[owner].name.lower()
    types = schema.types.get(table, {}) if schema is not None else {}
    if not isinstance(node, exp.Column):
        # An expression key must be IMMUTABLE for the known types, and written with the query's own
        # constants (the planner matches the expression tree: date_trunc('DAY', …) is not date_trunc('day', …)).
        if expression_volatility(key, types)[0] != "i":
            return
        if any(f"'{literal}'" not in source for literal in re.findall(r"'((?:[^']|'')*)'", key)):
            return
    if like_prefix:
        collation = schema.collations.get(table, {}).get(key) if schema is not None else None
        advice = index_for(Predicate(key, "LIKE", "prefix", types.get(key), collation,
                                     column_types=types or None))
        if not advice.usable:
            return
        key = advice.key.removeprefix("(").replace(") ", " ", 1) if advice.key.startswith("(") else advice.key
        if not isinstance(node, exp.Column):
            key = advice.key
    needs[owner].add(getattr(needs[owner], bucket), key)


def _partial(conjunct: exp.Expression, column: exp.Column, tables, needs, schema) -> None:
    owner = _owner(column, tables, schema)
    if owner is not None:
        needs[owner].add(needs[owner].partial, key_text(conjunct))


def _order_keys(order: exp.Order, tables, needs, schema) -> None:
    keys, owners = [], set()
    for ordered in order.expressions:
        if not isinstance(ordered.this, exp.Column):
            return  # ORDER BY an expression or position: an index rarely matches
        owners.add(_owner(ordered.this, tables, schema))
        keys.append((key_text(ordered.this), bool(ordered.args.get("desc"))))
    if len(owners) != 1 or None in owners:
        return
    owner = owners.pop()
    mixed = len({desc for _, desc in keys}) > 1
    needs[owner].order = [f"{k} DESC" if mixed and desc else k for k, desc in keys]


def _design(needs: _TableNeeds, schema: Schema | None) -> Suggestion | None:
    keys = list(needs.equality)
    reasons = [f"equality on {', '.join(needs.equality)}"] if needs.equality else []
    range_key = next((r for r in needs.ranges if r not in keys), None)
    if range_key:
        keys.append(range_key)
        reasons.append(f"range on {range_key}")
    order = [k for k in needs.order if k.split(" ")[0] not in keys]
    if order and (range_key is None or needs.order[0].split(" ")[0] == range_key) \
            and not (range_key or "").endswith("_ops"):
        keys += order
        reasons.append(f"ORDER BY {', '.join(needs.order)}")
    if not keys:
        keys = list(needs.joins)
        if keys:
            reasons.append(f"join on {', '.join(keys)}")
    if not keys:
        return None
    predicate = " AND ".join(needs.partial) if needs.partial else None
    if predicate:
        reasons.append(f"partial: {predicate}")
    bare = needs.table.split(".")[-1].strip('"').lower()
    if schema is not None:
        if schema.covers(bare, keys, predicate):
            return None
    elif keys == ["id"]:
        return None
    return Suggestion(needs.table, keys, predicate, [], "; ".join(reasons))


def _drop_prefixes(suggestions: list[Suggestion]) -> list[Suggestion]:
    """An index on (a) is redundant next to one on (a, b) for the same table and predicate."""
    kept = []
    for s in suggestions:
        wider = next((
            o for o in suggestions
            if o is not s and o.table.lower() == s.table.lower() and o.predicate == s.predicate
            and len(o.keys) > len(s.keys) and o.keys[: len(s.keys)] == s.keys
        ), None)
        if wider is None:
            kept.append(s)
        else:
            wider.statement_lines.extend(s.statement_lines)
    return kept


# --- index DDL validity: which index PostgreSQL can use for one predicate ---------------------


@dataclass(frozen=True)
class Predicate:
    """One predicate on one table, as far as the caller knows it.

    - ``expression``: the indexed side as SQL: a column (``email``) or an expression over the
      table's columns (``lower(email)``, ``(created_at AT TIME ZONE 'UTC')::date``, ``payload ->> 'k'``).
    - ``operator``: ``=``, ``<``, ``<=``, ``>``, ``>=``, ``BETWEEN``, ``IN``, ``IS NULL``,
      ``IS NOT NULL``, ``<>``/``!=``, ``LIKE``, ``ILIKE``, ``NOT LIKE``, ``~``, ``~*``, ``%`` (trigram
      similarity), ``<->`` (distance, for ORDER BY), ``@>``, ``<@``, ``&&``, ``?``, ``?|``, ``?&``,
      ``@?``, ``@@``, ``-|-``, ``<<``, ``>>``, ``= ANY`` (a value equal to an element of an array column).
    - ``operand``: the other side's shape: ``value`` (a constant or parameter), ``column`` (another
      table's column: a join), and for LIKE/ILIKE the pattern: ``prefix`` ('abc%'), ``exact`` (no
      wildcard), ``infix`` ('%abc%'), ``suffix`` ('%abc') or ``pattern`` (a parameter: unknown).
    - ``column_type``: PostgreSQL type of ``expression`` when it is a bare column (``text``,
      ``varchar``, ``timestamptz``, ``jsonb``, ``text[]``, ``tsvector``, ``tstzrange``, ``geometry``…);
      None when unknown.
    - ``column_types``: types of the columns inside an expression (``{"created_at": "timestamptz"}``),
      needed to know whether the expression is IMMUTABLE; defaults to ``{expression: column_type}``.
    - ``collation``: the column's collation (``C``, ``POSIX``, ``en_US.utf8``, ``C.UTF-8``); None when
      unknown. Only "C" and "POSIX" let a default B-tree serve LIKE 'abc%' (PostgreSQL 15).
    """

    expression: str
    operator: str
    operand: str = "value"
    column_type: str | None = None
    collation: str | None = None
    column_types: dict[str, str] | None = None


@dataclass(frozen=True)
class IndexAdvice:
    """What ``index_for`` answers.

    ``usable``: an index can serve the predicate. Then ``method`` (btree, gin, gist), ``key`` (the
    text between the parentheses of CREATE INDEX: ``email text_pattern_ops``, ``(lower(email))``,
    ``payload jsonb_path_ops``) and ``extension`` (``pg_trgm`` when the operator class needs it) say
    which; ``create(table)`` writes the statement. When not usable, ``instead`` says what can help (a
    rewrite, a partial index, a summary table). ``reason`` explains either answer in one sentence.
    """

    usable: bool
    reason: str
    method: str | None = None
    key: str | None = None
    extension: str | None = None
    instead: str | None = None

    def create(self, table: str, name: str | None = None, where: str | None = None) -> str | None:
        if not self.usable:
            return None
        name = name or _index_name(table, self.key or "", self.method)
        using = "" if self.method == "btree" else f" USING {self.method}"
        tail = f" WHERE {where}" if where else ""
        return f"CREATE INDEX {name} ON {table}{using} ({self.key}){tail};"


_B_TREE_OPS = {"=", "<", "<=", ">", ">=", "BETWEEN", "IN", "IS NULL", "IS NOT NULL"}
_NEGATIONS = {"<>", "!=", "NOT LIKE", "NOT ILIKE", "!~", "!~*", "NOT IN", "IS DISTINCT FROM"}
_RANGE_TYPES = ("int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange", "multirange")
_GEOMETRIC_TYPES = ("point", "box", "polygon", "circle", "line", "lseg", "path", "geometry", "geography")
_TEXT_TYPES = {"text", "varchar", "bpchar", "citext", "name"}
_C_COLLATIONS = {"c", "posix"}


def index_for(predicate: Predicate) -> IndexAdvice:
    """The index PostgreSQL (15) can use for ``predicate``, or why none can and what can help.

    Contract (shared by the SQL index advisor and the EXPLAIN analyzer; keep answers creatable):
    - B-tree for equality, ranges, IN, IS [NOT] NULL and joins on scalar types;
    - LIKE with a prefix: a plain B-tree only under the "C"/"POSIX" collation, otherwise
      ``text_pattern_ops`` (``bpchar_pattern_ops`` for char(n)); an unknown collation is treated as
      not C; LIKE/ILIKE with a leading wildcard or an unknown pattern, ILIKE, regular expressions and
      ``%`` similarity: a pg_trgm GIN index (``gin_trgm_ops``); ``<->`` ordering: pg_trgm GiST;
    - arrays (``@>``, ``<@``, ``&&``): GIN; ``x = ANY(array_col)``: no index, rewrite as
      ``array_col @> ARRAY[x]`` (then GIN); jsonb ``@>``: GIN ``jsonb_path_ops``; ``?``, ``?|``,
      ``?&``, ``@?``, ``@@`` on jsonb: GIN (default ``jsonb_ops``); ``@@`` on tsvector: GIN;
      ranges and geometry (``&&``, ``@>``, ``<@``, ``-|-``, ``<<``, ``>>``, ``<->``): GiST;
    - an expression key only when the expression is IMMUTABLE for the known column types
      (``expression_volatility``); a STABLE one (``timestamptz::date``, ``date_trunc('day',
      timestamptz)``, ``to_char(...)``) is refused with an immutable form or a range rewrite;
      an unknown type is refused too (a wrong proposal costs more than a missing one);
    - never an index on an aggregate, a window function or a subquery;
    - negations (``<>``, NOT LIKE, NOT IN) match most rows: no index; a partial index that leaves
      out the common value is the alternative.
    """
    op = predicate.operator.strip().upper()
    expression = predicate.expression.strip()
    column_type = _norm_type(predicate.column_type)
    types = {k.lower(): _norm_type(v) for k, v in (predicate.column_types or {}).items()}
    bare = _bare_column(expression)
    if bare is not None and column_type and bare not in types:
        types[bare] = column_type
    if bare is None:
        volatility, result_type, why = expression_volatility(expression, types)
        if volatility == "aggregate":
            return IndexAdvice(False, f"{expression} is an aggregate, window function or subquery: no index stores it",
                               instead="a summary table or materialized view kept up to date, or filter before aggregating")
        if volatility != "i":
            return IndexAdvice(False, f"{expression} cannot be an index key: {why}", instead=_immutable_instead(expression, types))
        column_type = column_type or result_type
        # The caller's own text: an expression index is used only when the query's expression is the
        # same tree, and re-rendering can change constants (sqlglot writes date_trunc('DAY', ...)).
        key = f"({' '.join(expression.split())})"
    else:
        key = _quote_ident(bare)
    if op in _NEGATIONS:
        return IndexAdvice(False, f"{op} matches most rows: an index would not be used",
                           instead="if the excluded value is the common one, a partial index WHERE the column "
                                   "is not that value")
    if op in ("LIKE", "ILIKE", "~", "~*", "%", "<->") and (column_type is None or column_type in _TEXT_TYPES):
        return _text_search(op, predicate.operand, key, column_type, predicate.collation)
    if op == "= ANY":
        return IndexAdvice(False, "value = ANY(array column) cannot use an index",
                           instead="rewrite as array_col @> ARRAY[value] and index the column with GIN")
    if op in ("@>", "<@", "&&", "?", "?|", "?&", "@?", "@@", "-|-", "<<", ">>", "<->", "~=", "&<", "&>"):
        return _containment(op, key, column_type)
    if op in _B_TREE_OPS:
        if predicate.operand == "column" and op != "=":
            return IndexAdvice(True, "a join or comparison with another column: a B-tree on it serves nested loops",
                               "btree", key)
        return IndexAdvice(True, f"{op} on a scalar: a B-tree serves it", "btree", key)
    return IndexAdvice(False, f"no index operator class is known for {op}", instead="rewrite the predicate")


def _text_search(op: str, operand: str, key: str, column_type: str | None, collation: str | None) -> IndexAdvice:
    c_collation = (collation or "").lower() in _C_COLLATIONS
    if op == "LIKE" and operand in ("prefix", "exact"):
        if c_collation:
            return IndexAdvice(True, "LIKE 'prefix%' under the C collation: a plain B-tree serves it", "btree", key)
        ops = "bpchar_pattern_ops" if column_type == "bpchar" else "text_pattern_ops"
        return IndexAdvice(True, f"LIKE 'prefix%' under a non-C (or unknown) collation needs {ops} "
                                 "(or the column declared COLLATE \"C\")", "btree", f"{key} {ops}")
    if op == "<->":
        return IndexAdvice(True, "ORDER BY similarity distance: a pg_trgm GiST index returns nearest first",
                           "gist", f"{key} gist_trgm_ops", "pg_trgm")
    what = {"LIKE": "LIKE with a leading wildcard or an unknown pattern", "ILIKE": "ILIKE",
            "~": "a regular expression", "~*": "a regular expression", "%": "similarity"}[op]
    return IndexAdvice(True, f"{what}: no B-tree serves it; a pg_trgm GIN index does (patterns of 3+ characters)",
                       "gin", f"{key} gin_trgm_ops", "pg_trgm",
                       instead="full-text search (tsvector + GIN) when users search words, not substrings")


def _containment(op: str, key: str, column_type: str | None) -> IndexAdvice:
    t = column_type or ""
    if t.endswith("[]"):
        if op in ("@>", "<@", "&&"):
            return IndexAdvice(True, f"array {op}: a GIN index serves it", "gin", key)
    elif t == "jsonb":
        if op == "@>":
            return IndexAdvice(True, "jsonb @>: a GIN index with jsonb_path_ops serves it (smaller than jsonb_ops)",
                               "gin", f"{key} jsonb_path_ops")
        if op in ("?", "?|", "?&", "@?", "@@"):
            return IndexAdvice(True, f"jsonb {op}: a GIN index (jsonb_ops) serves it", "gin", key)
    elif t == "tsvector":
        if op == "@@":
            return IndexAdvice(True, "full-text @@ on a tsvector: a GIN index serves it", "gin", key)
    elif t.startswith(_RANGE_TYPES) or t in _GEOMETRIC_TYPES or t in ("inet", "cidr"):
        ops = " inet_ops" if t in ("inet", "cidr") else ""
        return IndexAdvice(True, f"{t} {op}: a GiST index serves it", "gist", key + ops)
    elif not t:
        return IndexAdvice(False, f"{op} needs GIN or GiST, which depends on the column's type (unknown here)",
                           instead="give the schema (--schema/--dsn) so the type is known")
    return IndexAdvice(False, f"no index serves {op} on {t}", instead="rewrite the predicate")


# Functions whose every overload is IMMUTABLE (pg_proc.provolatile = 'i' on PostgreSQL 15).
_IMMUTABLE_FUNCS = {
    "lower", "upper", "initcap", "trim", "btrim", "ltrim", "rtrim", "substring", "substr", "left", "right",
    "length", "char_length", "md5", "replace", "reverse", "lpad", "rpad", "split_part", "translate", "strpos",
    "starts_with", "regexp_replace", "abs", "round", "floor", "ceil", "ceiling", "trunc", "coalesce", "nullif",
    "greatest", "least", "hashtext", "jsonb_extract_path_text", "jsonb_extract_path", "jsonb_array_length",
    "array_length", "cardinality", "make_date", "date_bin", "array_position",
}
# Functions that are IMMUTABLE unless an argument is a timestamptz (then STABLE: the session time zone).
_TZ_DEPENDENT_FUNCS = {"date_trunc", "timestamp_trunc", "extract", "date_part", "date", "age"}
_STABLE_FUNCS = {"concat", "concat_ws", "to_char", "format", "to_date", "array_to_string", "now",
                 "current_timestamp", "current_date", "current_time", "localtime", "localtimestamp", "unaccent",
                 "time_to_str", "timestamp_to_str"}
_VOLATILE_FUNCS = {"random", "rand", "clock_timestamp", "gen_random_uuid", "uuid_generate_v4", "nextval"}
# (source, target) casts that are STABLE (they depend on TimeZone or DateStyle); the rest are IMMUTABLE.
_STABLE_CASTS = {("timestamptz", "date"), ("timestamptz", "timestamp"), ("timestamptz", "time"),
                 ("timestamp", "timestamptz"), ("date", "timestamptz"), ("timestamptz", "text"),
                 ("timestamp", "text"), ("date", "text"), ("text", "date"), ("text", "timestamp"),
                 ("text", "timestamptz"), ("varchar", "date"), ("varchar", "timestamp"), ("varchar", "timestamptz")}
_DATETIME_TYPES = {"timestamptz", "timestamp", "date", "time"}


def expression_volatility(expression: str, column_types: dict[str, str] | None = None) -> tuple[str, str | None, str]:
    """("i" | "s" | "v" | "?" | "aggregate", result type or None, reason) for an index expression.

    Only "i" (IMMUTABLE) may be an index key. "?" means the answer depends on a type not given in
    ``column_types`` (e.g. ``ts::date`` is IMMUTABLE for a timestamp, STABLE for a timestamptz).
    """
    types = tuple(sorted((k.lower(), _norm_type(v)) for k, v in (column_types or {}).items()))
    return _cached_volatility(expression, types)


@functools.lru_cache(maxsize=4096)
def _cached_volatility(expression: str, types: tuple) -> tuple[str, str | None, str]:
    """An advisor sees the same few expressions in thousands of statements: parse each once."""
    import sqlglot

    try:
        node = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return "?", None, f"cannot parse {expression!r}"
    return _volatility(node, dict(types))


def _volatility(node: exp.Expression, types: dict[str, str | None]) -> tuple[str, str | None, str]:
    rank = {"i": 0, "?": 1, "s": 2, "v": 3, "aggregate": 4}
    if isinstance(node, (exp.AggFunc, exp.Window, exp.Subquery, exp.Select)):
        return "aggregate", None, "aggregates, window functions and subqueries are not row values"
    if isinstance(node, exp.Paren):
        return _volatility(node.this, types)
    if isinstance(node, exp.Column):
        name = _ident(node.this)
        return "i", types.get(name), ""
    if isinstance(node, exp.Literal):
        return "i", "text" if node.is_string else "numeric", ""
    if isinstance(node, (exp.Placeholder, exp.Parameter)):
        return "?", None, "a parameter cannot be part of an index key"
    children = [c for c in node.iter_expressions() if not isinstance(c, (exp.DataType, exp.Var, exp.JSONPath))]
    results = [_volatility(c, types) for c in children]
    worst = max([r[0] for r in results] or ["i"], key=rank.__getitem__)
    if worst != "i":
        return worst, None, next(r[2] for r in results if r[0] == worst)
    child_types = [r[1] for r in results]
    if isinstance(node, exp.Cast):
        source, target = child_types[0] if child_types else None, _norm_type(node.to.sql(dialect="postgres"))
        if (source, target) in _STABLE_CASTS:
            return "s", target, f"the cast {source} -> {target} is STABLE (it depends on the session's TimeZone/DateStyle)"
        if source is None and target in _DATETIME_TYPES | {"text", "varchar"} and not isinstance(node.this, exp.Literal):
            return "?", target, f"a cast to {target} is IMMUTABLE or STABLE depending on the column's type (unknown)"
        return "i", target, ""
    if isinstance(node, exp.AtTimeZone):
        source = child_types[0] if child_types else None
        swapped = {"timestamptz": "timestamp", "timestamp": "timestamptz"}.get(source or "")
        return "i", swapped, ""
    if isinstance(node, (exp.JSONExtractScalar, exp.JSONBExtractScalar)):
        return "i", "text", ""
    if isinstance(node, (exp.JSONExtract, exp.JSONBExtract)):
        return "i", "jsonb", ""
    if isinstance(node, (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime)):
        return "s", "timestamptz", f"{node.sql(dialect='postgres')} is STABLE"
    if isinstance(node, exp.Rand):
        return "v", None, "random() is VOLATILE"
    if isinstance(node, exp.DPipe):
        # text || x is inlined to text || x::text: as immutable as that cast.
        if any((t, "text") in _STABLE_CASTS for t in child_types):
            return "s", "text", "|| of a date/time value casts it to text, which is STABLE; format it explicitly"
        if any(t is None for t in child_types):
            return "?", "text", "|| is IMMUTABLE unless a side is a date/time value (a type is unknown)"
        return "i", "text", ""
    if isinstance(node, (exp.Add, exp.Sub)):
        operands = [t for t, c in zip(child_types, children, strict=True) if not isinstance(c, exp.Interval)]
        if "timestamptz" in operands:
            return "s", "timestamptz", "timestamptz ± interval is STABLE (daylight-saving time)"
        if None in operands and any(isinstance(c, exp.Interval) for c in children):
            return "?", None, "± interval is STABLE on a timestamptz (the column's type is unknown)"
        return "i", next((t for t in operands if t), None), ""
    if isinstance(node, (exp.Binary, exp.Unary, exp.Case, exp.If, exp.Coalesce, exp.Interval, exp.Boolean, exp.Null)):
        return "i", None, ""
    if isinstance(node, exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        text = node.sql(dialect="postgres")
        if name in _VOLATILE_FUNCS:
            return "v", None, f"{name}() is VOLATILE"
        if name in _STABLE_FUNCS:
            return "s", "text", f"{name}() is STABLE"
        if name in _TZ_DEPENDENT_FUNCS:
            if "timestamptz" in child_types:
                fix = "date_trunc('day', col AT TIME ZONE 'UTC')" if "trunc" in name else "(col AT TIME ZONE 'UTC')"
                return "s", None, f"{text} is STABLE on a timestamptz (the session's TimeZone); use {fix} instead"
            if any(t is None for t, c in zip(child_types, children, strict=True) if not isinstance(c, exp.Literal)):
                return "?", None, f"{text} is IMMUTABLE on a timestamp, STABLE on a timestamptz (the type is unknown)"
            result = {"date": "date", "extract": "numeric", "date_part": "numeric"}.get(name, child_types[-1])
            return "i", result, ""
        if name == "to_tsvector":
            if len(children) >= 2:
                return "i", "tsvector", ""
            return "s", "tsvector", "to_tsvector(text) is STABLE; name the configuration: to_tsvector('english', col)"
        if name in _IMMUTABLE_FUNCS:
            return "i", "text" if name in ("lower", "upper", "trim", "btrim", "substring", "left", "right", "md5") else None, ""
        return "?", None, f"{name}() is not known to be IMMUTABLE"
    return "?", None, f"{type(node).__name__} is not known to be IMMUTABLE"


def _immutable_instead(expression: str, types: dict[str, str | None]) -> str:
    text = expression.lower()
    if "::date" in text or "date(" in text or "as date" in text:
        return ("compare the bare column with a range (col >= $day AND col < $day + 1 day), or on a timestamptz "
                "index ((col AT TIME ZONE 'UTC')::date) and write the predicate the same way")
    if "date_trunc" in text or "extract" in text or "date_part" in text:
        return "on a timestamptz, apply it to (col AT TIME ZONE 'UTC'), which is IMMUTABLE, or compare a range"
    if "concat" in text:
        return "use || between text values (IMMUTABLE) instead of concat()"
    return "rewrite the predicate so that the bare column is compared, or give the column types (--schema/--dsn)"


_TYPE_ALIASES = {
    "timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
    "character varying": "varchar", "character": "bpchar", "char": "bpchar", "int": "int4", "integer": "int4",
    "int4": "int4", "bigint": "int8", "smallint": "int2", "decimal": "numeric", "double precision": "float8",
    "real": "float4", "boolean": "bool", "time without time zone": "time", "string": "text",
}


def _norm_type(name: str | None) -> str | None:
    if not name:
        return None
    t = re.sub(r"\s*\(.*?\)", "", name.strip().lower()).strip('"')
    array = t.endswith("[]") or t.startswith("_")
    t = t.removesuffix("[]").removeprefix("_") if array else t
    t = _TYPE_ALIASES.get(t, t)
    return f"{t}[]" if array else t


def _bare_column(expression: str) -> str | None:
    m = re.fullmatch(r'\s*(?:[A-Za-z_][\w$]*\.)?("?)([A-Za-z_][\w$]*)\1\s*', expression)
    if not m:
        return None
    return m.group(2) if m.group(1) else m.group(2).lower()


def _quote_ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def _index_name(table: str, key: str, method: str | None) -> str:
    words = re.findall(r"[a-z0-9]+", f"{table.split('.')[-1]} {key}".lower())
    words = [w for w in words if w not in ("ops", "text", "pattern", "gin", "trgm", "jsonb", "path", "as")]
    suffix = "idx" if method in (None, "btree") else f"{method}_idx"
    return "_".join(words)[: MAX_INDEX_NAME - len(suffix) - 1] + "_" + suffix
