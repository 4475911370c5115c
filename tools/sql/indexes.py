"""Index advisor: CREATE INDEX proposals from the predicates and ORDER BY of each query.

Key order per table: equality columns, then one range column, then the ORDER BY columns (only
when the index can deliver that order: no range column, or the range column is the first sort
key). Constant filters that B-trees serve badly as keys (``col IS NULL``, ``col IS NOT NULL``,
``flag = true``) become the WHERE of a partial index; a function of a column becomes an expression
key. With a schema (a schema.sql or a live database), a proposal whose key is already the leading
part of an existing index is dropped; without one, a lone ``id`` key is assumed to be the primary key.
"""

from __future__ import annotations

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


@dataclass
class Schema:
    columns: dict[str, set[str]] = field(default_factory=dict)  # table -> column names
    indexes: dict[str, list[ExistingIndex]] = field(default_factory=dict)

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
        words = [w for w in words if w != "desc"]
        stem = "_".join(words)[: MAX_INDEX_NAME - 8]
        return f"{stem}_{'part_' if self.predicate else ''}idx"

    @property
    def create(self) -> str:
        keys = ", ".join(k if re.fullmatch(r"[a-z_][a-z0-9_$]*( DESC)?", k) else f"({k})" for k in self.keys)
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
    for item in definition.expressions:
        if isinstance(item, exp.ColumnDef):
            columns.add(_ident(item.this))
            for constraint in item.args.get("constraints") or []:
                if isinstance(constraint.kind, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint)):
                    schema.indexes.setdefault(table, []).append(
                        ExistingIndex(f"{table}_{_ident(item.this)}_key", table, [_ident(item.this)]))
        elif isinstance(item, exp.PrimaryKey) or (
            isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema)
        ):
            idents = item.expressions if isinstance(item, exp.PrimaryKey) else item.this.expressions
            keys = [_ident(i) for i in idents]
            schema.indexes.setdefault(table, []).append(ExistingIndex(f"{table}_{'_'.join(keys)}_key", table, keys))


def _add_index(schema: Schema, index: exp.Index) -> None:
    table = index.args.get("table")
    params = index.args.get("params")
    if table is None or params is None:
        return
    table_key = _table_key(table)
    keys = [key_text(o.this if isinstance(o, exp.Ordered) else o) for o in params.args.get("columns") or []]
    where = params.args.get("where")
    schema.indexes.setdefault(table_key, []).append(
        ExistingIndex(index.name or "(unnamed)", table_key, keys, key_text(where.this) if where else None))


def schema_from_dsn(dsn: str) -> Schema:
    """Columns and index definitions of every table on the search path of a live PostgreSQL."""
    from tools.db import connect

    schema = Schema()
    with connect(dsn) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = ANY (current_schemas(false))"
        ).fetchall()
        for table, column in rows:
            schema.columns.setdefault(table.lower(), set()).add(column.lower())
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
        for select in _query_blocks(item.tree):
            for needs, node in _needs(select, item.tree, schema):
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


def _sources(block: exp.Expression, tree: exp.Expression) -> tuple[dict[str, exp.Table], list[str]]:
    """Alias -> real table for this block, and the tables joined in with JOIN (not the driving one)."""
    cte_names = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
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


def _needs(block: exp.Expression, tree: exp.Expression, schema: Schema | None):
    tables, joined = _sources(block, tree)
    if not tables:
        return
    needs = {alias: _TableNeeds(alias) for alias in tables}
    where = block.args.get("where")
    conjuncts = flatten(where.this, exp.And) if where is not None else []
    for conjunct in conjuncts:
        _classify(conjunct, tables, needs, schema)
    for join in block.args.get("joins") or []:
        on = join.args.get("on")
        for conjunct in flatten(on, exp.And) if on is not None else []:
            if isinstance(conjunct, exp.EQ) and all(isinstance(s, exp.Column) for s in (conjunct.this, conjunct.expression)):
                for side in (conjunct.this, conjunct.expression):
                    owner = _owner(side, tables, schema)
                    if owner in joined:
                        needs[owner].add(needs[owner].joins, key_text(side))
            else:
                _classify(conjunct, tables, needs, schema)
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


def _classify(conjunct: exp.Expression, tables, needs, schema) -> None:
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
            _key(target, "equality", tables, needs, schema)
        return
    if isinstance(conjunct, exp.Between):
        if _is_value(conjunct.args.get("low")) and _is_value(conjunct.args.get("high")):
            _key(conjunct.this, "ranges", tables, needs, schema)
        return
    if isinstance(conjunct, exp.Like) and isinstance(conjunct.expression, exp.Literal):
        if not conjunct.expression.this.startswith(("%", "_")):
            _key(conjunct.this, "ranges", tables, needs, schema)
        return
    bucket = {exp.EQ: "equality", exp.GT: "ranges", exp.GTE: "ranges", exp.LT: "ranges", exp.LTE: "ranges"}.get(type(conjunct))
    if bucket is None:
        return
    if _is_value(conjunct.expression):
        _key(conjunct.this, bucket, tables, needs, schema)
    elif _is_value(conjunct.this):
        _key(conjunct.expression, bucket, tables, needs, schema)


def _key(node: exp.Expression, bucket: str, tables, needs, schema) -> None:
    if node.find(exp.Column) is None or node.find(exp.AggFunc) is not None:
        return
    owner = _single_owner(node, tables, schema)
    if owner is not None:
        needs[owner].add(getattr(needs[owner], bucket), key_text(node))


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
    if order and (range_key is None or needs.order[0].split(" ")[0] == range_key):
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
