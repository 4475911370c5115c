"""Anti-pattern rules over sqlglot trees: one small function per finding kind.

Every rule gets the parsed statement and yields (kind, node, message, evidence); `analyze_sql`
turns those into Findings from the kind's catalogue entry (RULES below: code, severity, advice, handoff),
and with the exact line of the node that triggered it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlglot import exp

from tools.catalogue import Rule, sql
from tools.findings import Finding, Location
from tools.sql.parse import SqlParseError, parse_statement
from tools.sql.split import Statement, insert_head, split_statements
from tools.sql.tree import flatten, is_comma_join

# INSERT statements longer than this are analyzed on their first VALUES row only (see insert_head).
LONG_INSERT_CHARS = 4096


# The catalogue entry of each kind a rule yields (tools/catalogue/sql.py holds codes, severities and advice).
RULES: dict[str, Rule] = {r.kind: r for r in (
    sql.PARSE_ERROR, sql.SELECT_STAR, sql.LEADING_WILDCARD_LIKE, sql.FUNCTION_ON_COLUMN, sql.OFFSET_PAGINATION,
    sql.DELETE_WITHOUT_WHERE, sql.UPDATE_WITHOUT_WHERE, sql.ORDER_BY_RANDOM, sql.NOT_IN_SUBQUERY,
    sql.OR_ACROSS_COLUMNS, sql.IMPLICIT_CROSS_JOIN, sql.MISSING_LIMIT, sql.COUNT_STAR_FOR_EXISTENCE,
    sql.CORRELATED_SUBQUERY, sql.CATCH_ALL_FILTER, sql.LIMIT_WITHOUT_ORDER, sql.GIN_GIST_PREDICATE,
)}
# The advisor's kind (tools/sql/indexes.py) shares the family so codes stay unique across the package.
INDEX_SUGGESTION = sql.INDEX_SUGGESTION

Hit = tuple[str, exp.Expression | None, str, dict]  # kind, node, message, evidence ("severity" overrides)

# Path conventions of migration tools: Django/Alembic/Rails/Flyway/golang-migrate/dbmate/sqlx.
_MIGRATION_DIRS = {"migrations", "migration", "migrate", "versions", "post_migrate"}
_MIGRATION_FILE = re.compile(r"(\.(up|down)\.sql$)|(^V\d+(_\d+)*__.+\.sql$)|(^\d{8,}_.+\.sql$)", re.IGNORECASE)


def is_migration_path(path: str | None) -> bool:
    """A file the usual migration tools would run: under migrations/, db/migrate/, alembic/versions/,
    or named *.up.sql/*.down.sql, V1__name.sql (Flyway), 20240101120000_name.sql."""
    if not path:
        return False
    parts = [p.lower() for p in re.split(r"[\\/]", path) if p]
    return bool(set(parts[:-1]) & _MIGRATION_DIRS) or bool(_MIGRATION_FILE.search(parts[-1] if parts else ""))


@dataclass(frozen=True)
class Context:
    """What the rules know beyond the statement: whether it is a migration, and the schema if given."""

    migration: bool = False
    schema: object | None = None  # tools.sql.indexes.Schema


class NodeIndex:
    """Every node of a tree bucketed by type, so a dozen rules share one walk instead of a dozen."""

    def __init__(self, tree: exp.Expression) -> None:
        self.context = Context()
        self._cache: dict[tuple, list[exp.Expression]] = {}
        self.by_type: dict[type, list[exp.Expression]] = {}
        for node in tree.walk():
            self.by_type.setdefault(type(node), []).append(node)

    def of(self, *types: type) -> list[exp.Expression]:
        found = self._cache.get(types)
        if found is None:
            found = self._cache[types] = [n for t, nodes in self.by_type.items() if _is_a(t, types) for n in nodes]
        return found

    @functools.cached_property
    def ctes(self) -> set[str]:
        return {c.alias_or_name.lower() for c in self.of(exp.CTE)}


@functools.cache
def _is_a(node_type: type, types: tuple[type, ...]) -> bool:
    return issubclass(node_type, types)


@dataclass
class ParsedStatement:
    statement: Statement
    tree: exp.Expression | None
    error: SqlParseError | None = None


def parse_file(text: str, dialect: str = "postgres",
               progress: Callable[[int, int], None] | None = None) -> list[ParsedStatement]:
    """Split and parse; ``progress(done, total)`` is called every 100 statements (the CLI's bar)."""
    out = []
    statements = split_statements(text, dialect)
    for done, stmt in enumerate(statements):
        if progress and done % 100 == 0:
            progress(done, len(statements))
        try:
            out.append(ParsedStatement(stmt, parse_statement(insert_head(stmt.text, LONG_INSERT_CHARS), dialect)))
        except SqlParseError as err:
            out.append(ParsedStatement(stmt, None, err))
    return out


def analyze_sql(text: str, path: str | None = None, dialect: str = "postgres", line_offset: int = 0,
                migration: bool | None = None) -> list[Finding]:
    """Findings for every statement of ``text``.

    A finding on line k of ``text`` is reported at line ``k + line_offset`` (for a string literal
    that starts on line L of a Python file, pass ``L - 1``). ``migration`` None: decided by ``path``.
    """
    context = Context(is_migration_path(path) if migration is None else migration)
    return findings_for(parse_file(text, dialect), path, line_offset, context)


def findings_for(parsed: list[ParsedStatement], path: str | None, line_offset: int = 0,
                 context: Context | None = None) -> list[Finding]:
    context = context or Context(is_migration_path(path))
    findings: list[Finding] = []
    for item in parsed:
        stmt = item.statement
        if item.tree is None:
            findings.append(make_finding(
                RULES["parse_error"], stmt, path, stmt.line + item.error.line - 1 + line_offset,
                f"cannot parse statement: {item.error.message}", {},
            ))
            continue
        try:
            findings += _statement_findings(item.tree, stmt, path, line_offset, context)
        except RecursionError:
            findings.append(make_finding(RULES["parse_error"], stmt, path, stmt.line + line_offset,
                                         "statement nested too deeply to analyze", {}))
    return findings


def _statement_findings(tree: exp.Expression, stmt: Statement, path: str | None, line_offset: int,
                        context: Context) -> list[Finding]:
    nodes = NodeIndex(tree)
    nodes.context = context
    return [
        make_finding(RULES[kind], stmt, path, node_line(node, stmt) + line_offset, message, evidence)
        for rule_fn in STATEMENT_RULES
        for kind, node, message, evidence in rule_fn(tree, nodes)
    ]


def make_finding(rule: Rule, stmt: Statement, path: str | None, line: int, message: str, evidence: dict) -> Finding:
    label = f"{stmt.name}: " if stmt.name else ""
    severity = evidence.get("severity", rule.severity)
    evidence = {k: v for k, v in evidence.items() if k != "severity"} | {"statement_line": stmt.line}
    if stmt.name:
        evidence["statement"] = stmt.name
    # A rule passes evidence["severity"] when this finding differs from the entry's default.
    return rule.finding(label + message, location=Location(path=path or "<sql>", line=line), evidence=evidence,
                        severity=None if severity == rule.severity else severity)


def node_line(node: exp.Expression | None, stmt: Statement) -> int:
    """Line of the first token under ``node`` that sqlglot recorded; else the statement's line."""
    if node is not None:
        for sub in node.walk():
            line = sub.meta.get("line") if sub._meta else None
            if line:
                return stmt.line + int(line) - 1
    return stmt.line


def snippet(node: exp.Expression, limit: int = 80) -> str:
    text = node.sql(dialect="postgres")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- rules -----------------------------------------------------------------------------------


def _select_star(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for select in nodes.of(exp.Select):
        if select.find_ancestor(exp.Exists):
            continue
        for projection in select.expressions:
            if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
                yield "select_star", projection, f"SELECT {projection.sql()} fetches every column", {}
                return


def _leading_wildcard_like(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for like in nodes.of(exp.Like, exp.ILike):
        if not in_filter(like):
            continue  # a LIKE that classifies rows (SELECT-list CASE) does not choose them
        pattern = like.expression
        first = pattern
        while isinstance(first, exp.DPipe):  # '%' || :term
            first = first.this
        if isinstance(first, exp.Literal) and first.is_string and first.this[:1] in ("%", "_"):
            yield ("leading_wildcard_like", like, f"{snippet(like)} starts with a wildcard: no B-tree index can serve it",
                   {"pattern": first.this})


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.In, exp.Between)


def predicates(nodes: NodeIndex) -> Iterator[exp.Expression]:
    """Comparisons in WHERE and JOIN ON clauses (not in the select list or HAVING)."""
    for clause in nodes.of(exp.Where) + [j.args["on"] for j in nodes.of(exp.Join) if j.args.get("on")]:
        yield from clause.find_all(*_COMPARISONS)


def in_filter(node: exp.Expression) -> bool:
    """Whether ``node`` chooses rows: under a WHERE or JOIN ON of its own query block, not inside a
    CASE (a CASE arm cannot use an index whatever it holds) nor an ON CONFLICT ... WHERE (one row)."""
    cur = node.parent
    while cur is not None:
        if isinstance(cur, (exp.Case, exp.If, exp.OnConflict)):
            return False
        if isinstance(cur, exp.Where) or (isinstance(cur.parent, exp.Join) and cur.arg_key == "on"):
            return True
        if isinstance(cur, (exp.Select, exp.Update, exp.Delete, exp.Subquery)):
            return False
        cur = cur.parent
    return False


def has_column(node: exp.Expression | None) -> bool:
    return node is not None and node.find(exp.Column) is not None


_TEXT_TYPES = {exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.NVARCHAR}


def wrapped_column(node: exp.Expression) -> bool:
    """A function or cast applied to a column: lower(email), date(created_at), ts::date.

    A bare column cast to text (``name::text``, what Django writes for a varchar) is a
    binary-coercible relabel: an index on the column still serves it."""
    if isinstance(node, (exp.AggFunc, exp.Subquery, exp.Column)):
        return False
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Column) and node.to.this in _TEXT_TYPES:
        return False
    return isinstance(node, (exp.Func, exp.Cast)) and has_column(node)


def _function_on_column(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    schema = nodes.context.schema
    for cmp in predicates(nodes):
        if isinstance(cmp, exp.NEQ):
            continue  # a negation cannot use an index anyway
        sides = [cmp.this] + ([cmp.expression] if cmp.args.get("expression") is not None else [])
        others = cmp.expressions if isinstance(cmp, exp.In) else sides[1:]
        wrapped = None
        if wrapped_column(cmp.this) and not any(has_column(o) for o in others):
            wrapped = cmp.this
        elif len(sides) == 2 and wrapped_column(sides[1]) and not has_column(sides[0]):
            wrapped = sides[1]
        if wrapped is None or not in_filter(cmp) or _residual(cmp, schema) or _indexed_expression(wrapped, schema):
            continue  # a residual filters rows a key already found
        yield ("function_on_column", cmp, f"{snippet(wrapped)} in a predicate cannot use a plain index on the column",
               {"expression": wrapped.sql(dialect="postgres")})


def _offset_pagination(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for offset in nodes.of(exp.Offset):
        value = offset.expression
        if isinstance(value, exp.Literal) and value.is_int and int(value.this) == 0:
            continue
        limit = offset.parent.args.get("limit") if offset.parent is not None else None
        if limit is not None and _literal_int(limit.expression) == 1:
            continue  # LIMIT 1 OFFSET n: a batch-boundary probe through the index, not a page
        yield "offset_pagination", offset, f"OFFSET {value.sql() if value is not None else ''} pagination", {}


def _whole_table_write(statement: exp.Expression, verb: str, kind: str, nodes: NodeIndex) -> Iterator[Hit]:
    table = statement.this.sql() if statement.this else "?"
    schema = nodes.context.schema
    if schema is not None and isinstance(statement.this, exp.Table) and schema.is_single_row(statement.this.name):
        return  # a one-row table (a position, a lock, settings): nothing to filter
    what = "removes" if verb == "DELETE" else "rewrites"
    if nodes.context.migration:
        message = (f"{verb} {table} without WHERE in a migration {what} every row: a backfill holds its locks and "
                   "writes the whole table in one transaction; batch it on a big table")
    else:
        message = f"{verb} {table} without WHERE {what} every row (intended? then TRUNCATE or batches on a big table)"
    yield kind, statement, message, {"migration": nodes.context.migration}


def _delete_without_where(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for delete in nodes.of(exp.Delete):
        if not delete.args.get("where"):
            yield from _whole_table_write(delete, "DELETE", "delete_without_where", nodes)


def _update_without_where(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for update in nodes.of(exp.Update):
        if not update.args.get("where"):
            yield from _whole_table_write(update, "UPDATE", "update_without_where", nodes)


def _order_by_random(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for order in nodes.of(exp.Order):
        for ordered in order.expressions:
            if ordered.find(exp.Rand) or (
                isinstance(ordered.this, exp.Anonymous) and str(ordered.this.this).lower() in ("newid", "random")
            ):
                yield "order_by_random", ordered, f"ORDER BY {snippet(ordered.this)} sorts every row to pick a few", {}


def _not_in_subquery(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for neg in nodes.of(exp.Not):
        inner = neg.this
        if isinstance(inner, exp.In) and inner.args.get("query") is not None and has_column(inner.this):
            yield "not_in_subquery", neg, f"{snippet(inner.this)} NOT IN (subquery)", {}


def _or_across_columns(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    if not nodes.of(exp.Or):
        return
    schema = nodes.context.schema
    for where in nodes.of(exp.Where):
        if where.find_ancestor(exp.OnConflict):
            continue  # DO UPDATE ... WHERE tests the one conflicting row
        conjuncts = flatten(where.this, exp.And)
        block = where.parent
        for top in conjuncts:
            if not isinstance(top, exp.Or):
                continue
            if any(c is not top and _drives_scan(c, block, schema) for c in conjuncts):
                continue  # residual: another conjunct finds the rows through an index
            branches = flatten(top, exp.Or)
            if not all(_sargable_columns(b) for b in branches):
                continue  # a branch no index serves (parameters, column vs column): the OR is not the problem
            column_sets = [frozenset(c.sql() for c in _own_columns(b)) for b in branches]
            if frozenset.intersection(*column_sets):
                continue  # every branch tests one column: one index on it serves them all
            columns = sorted(set().union(*column_sets))
            yield ("or_across_columns", top, f"OR across columns {', '.join(columns)}", {"columns": columns})


def _implicit_cross_join(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    ctes = nodes.ctes
    for select in nodes.of(exp.Select):
        comma = [j for j in select.args.get("joins") or []
                 if is_comma_join(j) and isinstance(j.this, exp.Table) and j.this.name.lower() not in ctes]
        source = select.args.get("from_") or select.args.get("from")
        if not comma or source is None or not isinstance(source.this, exp.Table):
            continue
        names = [_source_name(source.this)] + [_source_name(j.this) for j in comma]
        linked = _linked_sources(select, set(names))
        if linked is None:
            continue
        for join in comma:
            name = _source_name(join.this)
            if not linked.get(name, set()) & (set(names) - {name}):
                yield ("implicit_cross_join", join, f"{join.this.sql()} is comma-joined without a join condition",
                       {"table": name})


def _missing_limit(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    if not isinstance(tree, exp.Select) or not tree.args.get("order") or tree.args.get("distinct"):
        return
    if any(tree.args.get(k) for k in ("limit", "fetch", "where", "group", "having")):
        return
    if any(p.find(exp.AggFunc) for p in tree.expressions):
        return
    source = tree.args.get("from_") or tree.args.get("from")
    if source is None or not isinstance(source.this, exp.Table) or source.this.name.lower() in nodes.ctes:
        return
    # Whether the table is big is not in the SQL: a warning only when a live catalog says so.
    schema = nodes.context.schema
    rows = schema.rows(source.this.name) if schema is not None else None
    evidence = {"severity": "warning"} if rows is not None and rows >= BIG_TABLE_ROWS else {}
    if rows is not None:
        evidence["rows"] = int(rows)
    yield ("missing_limit", tree.args["order"], f"ORDER BY over all of {source.this.sql()} without LIMIT", evidence)


# (operator, constant) pairs that only ask "is there a row?", written as count <op> constant.
_EXISTENCE_TESTS = {(exp.GT, 0), (exp.GTE, 1), (exp.EQ, 0), (exp.NEQ, 0), (exp.LT, 1), (exp.LTE, 0)}
_MIRRORED = {exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE, exp.LTE: exp.GTE, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}


def _count_star_for_existence(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for cmp in nodes.of(*_MIRRORED):
        for counted, other, op in ((cmp.this, cmp.expression, type(cmp)), (cmp.expression, cmp.this, _MIRRORED[type(cmp)])):
            if not (isinstance(other, exp.Literal) and other.is_int and (op, int(other.this)) in _EXISTENCE_TESTS):
                continue
            if _is_count(counted) and not _per_group(counted) and not _counts_only_ctes(counted, nodes.ctes):
                yield ("count_star_for_existence", cmp, f"{snippet(cmp)} counts rows only to test whether one exists", {})
                break


def _per_group(count: exp.Expression) -> bool:
    """count(*) in HAVING or in a grouped select counts per group: a legitimate use."""
    if isinstance(count, exp.Subquery):
        return False
    select = count.find_ancestor(exp.Select)
    return count.find_ancestor(exp.Having) is not None or (select is not None and select.args.get("group") is not None)


def _counts_only_ctes(count: exp.Expression, ctes: set[str]) -> bool:
    """(SELECT count(*) FROM cte): the CTE is computed anyway, counting it reads no table."""
    if not isinstance(count, exp.Subquery):
        return False
    tables = [t.name.lower() for t in count.this.find_all(exp.Table)]
    return bool(tables) and all(t in ctes for t in tables)


def _correlated_subquery(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    """A scalar subquery in the SELECT list that reads the outer row runs once per output row."""
    if not nodes.of(exp.Subquery):
        return
    for select in nodes.of(exp.Select):
        outer = _block_aliases(select)
        if not outer:
            continue
        for projection in select.expressions:
            for sub in projection.find_all(exp.Subquery):
                if sub.find_ancestor(exp.Select) is not select or not isinstance(sub.this, exp.Select):
                    continue
                if not _references(sub.this, outer):
                    continue
                # An aggregate per outer row (count, sum) is one pass as a grouped join; a top-1 per row
                # (ORDER BY ... LIMIT 1) is an index probe either way, and a bounded outer query (LIMIT, a key
                # lookup, groups) runs it a few times: advice only.
                bounded = any(select.args.get(k) is not None for k in ("limit", "fetch", "group")) \
                    or _key_lookup(select, nodes.context.schema)
                aggregate = sub.this.find(exp.AggFunc) is not None and sub.this.args.get("limit") is None
                evidence = {} if aggregate and not bounded else {"severity": "info"}
                yield ("correlated_subquery", sub,
                       f"({snippet(sub.this, 60)}) runs once per row of the outer query", evidence)


def _catch_all_filter(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    """(col = $1 OR $1 IS NULL): one plan for every call; a generic plan cannot use the index."""
    if not nodes.of(exp.Or):
        return
    for where in nodes.of(exp.Where):
        for top in flatten(where.this, exp.And):
            if not isinstance(top, exp.Or):
                continue
            branches = flatten(top, exp.Or)
            switches = [b for b in branches if _is_parameter_switch(b)]
            filters = [b for b in branches if b not in switches and _own_columns(b) and _sargable_columns(b)]
            if not switches or not filters or _residual(top, nodes.context.schema):
                continue
            # PostgreSQL re-plans such a query per call (custom plans) as long as a generic plan looks
            # costlier, so the index is usually still used: a warning only for a table known to be big.
            schema, table = nodes.context.schema, _single_table(where.parent)
            rows = schema.rows(table) if schema is not None and table else None
            evidence = {"filter": filters[0].sql(dialect="postgres")}
            if rows is None or rows < BIG_TABLE_ROWS:
                evidence["severity"] = "info"
            yield ("catch_all_filter", top, f"{snippet(top)}: an optional filter switched on and off by a parameter",
                   evidence)


def _limit_without_order(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    """OFFSET without ORDER BY: which rows each page holds is up to the plan."""
    if not nodes.of(exp.Offset):
        return
    for select in nodes.of(exp.Select):
        limit, offset = select.args.get("limit"), select.args.get("offset")
        if (limit is None and offset is None) or select.args.get("order") is not None:
            continue
        if select.find_ancestor(exp.In, exp.Exists) is not None or isinstance(select.parent, exp.Subquery) and \
                isinstance(select.parent.parent, (exp.In, exp.Any, exp.EQ)):
            continue  # a batch of ids for IN/ANY/EXISTS: any rows will do
        if all(not has_column(p) for p in select.expressions) or any(p.find(exp.AggFunc) for p in select.expressions):
            continue  # SELECT 1/true ... LIMIT 1 asks whether a row exists; an aggregate has one row
        # A LIMIT alone takes "any n rows", often on purpose; an OFFSET means pages, and pages need an order.
        if offset is not None and _literal_int(offset.expression) != 0:
            yield ("limit_without_order", offset, "OFFSET without ORDER BY: pages can repeat or skip rows", {})


# Operators only a GIN or GiST index can serve, by sqlglot node type.
_GIN_GIST_OPS: dict[type, str] = {exp.ArrayContainsAll: "@>", exp.ArrayContainedBy: "<@", exp.ArrayOverlaps: "&&",
                                  exp.JSONBContainsTopKey: "?", exp.JSONBContainsAnyTopKeys: "?|",
                                  exp.JSONBContainsAllTopKeys: "?&", exp.ILike: "ILIKE", exp.RegexpLike: "~",
                                  exp.RegexpILike: "~*"}


def _gin_gist_predicate(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    """A predicate only GIN/GiST can serve: arrays, jsonb, full text, trigram."""
    candidates = nodes.of(*_GIN_GIST_OPS, exp.MatchAgainst)
    if not candidates:
        return
    from tools.sql.indexes import Predicate, index_for

    schema = nodes.context.schema
    for node in candidates:
        op = "@@" if not isinstance(node, tuple(_GIN_GIST_OPS)) else _GIN_GIST_OPS[type(node)]
        column = node.this if isinstance(node.this, exp.Column) else None
        if column is None or not in_filter(node) or _residual(node, schema):
            continue
        if op == "ILIKE" and isinstance(node.expression, exp.Literal) and node.expression.this[:1] in ("%", "_"):
            continue  # SQL003 reports a leading wildcard
        table, column_type = (schema.column_type_anywhere(column.name) if schema is not None else (None, None))
        advice = index_for(Predicate(column.name, op, "pattern" if "LIKE" in op else "value", column_type))
        has_index = schema is not None and table is not None and schema.has_index_on(table, column.name,
                                                                                     advice.method)
        if has_index:
            continue
        evidence = {"operator": op, "column": column.name}
        if advice.usable:
            evidence["index"] = advice.create(table or "<table>")
        # Without the schema nobody knows whether the GIN/GiST index exists: advice, not a warning.
        if schema is None or table is None:
            evidence["severity"] = "info"
        yield ("gin_gist_predicate", node, f"{snippet(node)}: only a {advice.method or 'GIN/GiST'} index can serve {op}",
               evidence)


STATEMENT_RULES: tuple[Callable[[exp.Expression, NodeIndex], Iterator[Hit]], ...] = (
    _select_star, _leading_wildcard_like, _function_on_column, _offset_pagination, _delete_without_where,
    _update_without_where, _order_by_random, _not_in_subquery, _or_across_columns, _implicit_cross_join,
    _missing_limit, _count_star_for_existence, _correlated_subquery, _catch_all_filter, _limit_without_order,
    _gin_gist_predicate,
)

# A table with at least this many rows (pg_class.reltuples through --dsn) is big enough that reading
# all of it is a problem worth a warning.
BIG_TABLE_ROWS = 10_000


# --- helpers ---------------------------------------------------------------------------------


def _source_name(table: exp.Table) -> str:
    return (table.alias or table.name).lower()


def _linked_sources(select: exp.Select, names: set[str]) -> dict[str, set[str]] | None:
    """Which FROM items each item is compared with in WHERE; None when unqualified columns blur it."""
    links: dict[str, set[str]] = {}
    where = select.args.get("where")
    if where is None:
        return links
    for conjunct in flatten(where.this, exp.And):
        columns = list(conjunct.find_all(exp.Column))
        if len(columns) >= 2 and any(not c.table for c in columns):
            return None
        tables = {c.table.lower() for c in columns if c.table and c.table.lower() in names}
        for name in tables:
            links.setdefault(name, set()).update(tables - {name})
    return links


def _is_count(node: exp.Expression | None) -> bool:
    if isinstance(node, exp.Count):
        return True
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
        projections = node.this.expressions
        return len(projections) == 1 and isinstance(projections[0].unalias(), exp.Count)
    return False


def _literal_int(node: exp.Expression | None) -> int | None:
    return int(node.this) if isinstance(node, exp.Literal) and node.is_int else None


def _own_columns(node: exp.Expression) -> list[exp.Column]:
    """Columns of ``node`` outside any subquery inside it."""
    return [c for c in node.find_all(exp.Column)
            if not any(isinstance(a, (exp.Subquery, exp.Select)) and a is not node for a in _ancestors(c, node))]


def _ancestors(node: exp.Expression, stop: exp.Expression) -> Iterator[exp.Expression]:
    cur = node.parent
    while cur is not None and cur is not stop:
        yield cur
        cur = cur.parent


def _is_value(node: exp.Expression | None) -> bool:
    return node is not None and node.find(exp.Column) is None and node.find(exp.Select) is None


def _sargable_columns(branch: exp.Expression) -> bool:
    """A branch with a comparison of a table column with a value (what an index can be probed with)."""
    for cmp in [branch] + list(branch.find_all(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Like, exp.Is,
                                               exp.Between)):
        if not isinstance(cmp, (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Like, exp.Is, exp.Between)):
            continue
        if cmp.find_ancestor(exp.Subquery) is not None and cmp.find_ancestor(exp.Subquery) is not branch.find_ancestor(exp.Subquery):
            continue
        column, value = cmp.this, cmp.expression if not isinstance(cmp, exp.In) else None
        if not isinstance(column, exp.Column):
            column, value = cmp.args.get("expression"), cmp.this
        if not isinstance(column, exp.Column):
            continue
        if isinstance(cmp, exp.In):
            if all(_is_value(v) for v in cmp.expressions) and cmp.expressions:
                return True
        elif isinstance(cmp, exp.Between) or _is_value(value) or isinstance(cmp, exp.Is):
            return True
    return False


def _is_parameter_switch(branch: exp.Expression) -> bool:
    """`$1 IS NULL`, `$1 = ''`, `$1 = 0`, `NOT $1`, `$1 = false`: a condition on parameters only."""
    if has_column(branch) or branch.find(exp.Select):
        return False
    return branch.find(exp.Placeholder, exp.Parameter) is not None


def _keyish(column: exp.Column, schema) -> bool:
    """A column that is (or very likely is) the leading column of an index: a key or a foreign key."""
    name = column.name.lower()
    if schema is not None and schema.leads_an_index(name):
        return True
    return name == "id" or name.endswith("_id") or name == "uuid"


def _drives_scan(conjunct: exp.Expression, block: exp.Expression | None, schema) -> bool:
    """An equality on a key-ish column, or a keyset range on the first ORDER BY column under LIMIT."""
    if isinstance(conjunct, (exp.EQ, exp.In)):
        column = conjunct.this if isinstance(conjunct.this, exp.Column) else conjunct.args.get("expression")
        value = conjunct.expression if column is conjunct.this else conjunct.this
        values = conjunct.expressions if isinstance(conjunct, exp.In) else [value]
        if isinstance(column, exp.Column) and values and all(_is_value(v) or isinstance(v, exp.Subquery) for v in values):
            return _keyish(column, schema)
    if isinstance(conjunct, (exp.GT, exp.GTE, exp.LT, exp.LTE)) and block is not None:
        order = block.args.get("order")
        if order is not None and block.args.get("limit") is not None and order.expressions:
            first = order.expressions[0].this
            sides = (conjunct.this, conjunct.expression)
            return isinstance(first, exp.Column) and any(isinstance(s, exp.Column) and s.name == first.name for s in sides)
    return False


def _residual(node: exp.Expression, schema) -> bool:
    """``node`` sits in a WHERE whose other top-level conjunct drives the scan (a key lookup)."""
    where = node.find_ancestor(exp.Where)
    if where is None:
        return False
    conjuncts = flatten(where.this, exp.And)
    ancestry = {id(node)} | {id(a) for a in _ancestors(node, where)}
    mine = next((c for c in conjuncts if id(c) in ancestry), None)
    return any(c is not mine and _drives_scan(c, where.parent, schema) for c in conjuncts)


def _indexed_expression(expression: exp.Expression, schema) -> bool:
    if schema is None:
        return False
    from tools.sql.indexes import key_text

    return schema.leads_an_index(key_text(expression))


def _block_aliases(select: exp.Select) -> set[str]:
    names = set()
    source = select.args.get("from_") or select.args.get("from")
    items = ([source.this] if source is not None else []) + [j.this for j in select.args.get("joins") or []]
    for item in items:
        if isinstance(item, (exp.Table, exp.Subquery)) and item.alias_or_name:
            names.add(item.alias_or_name.lower())
    return names


def _references(sub: exp.Select, outer: set[str]) -> bool:
    inner = {t.alias_or_name.lower() for t in sub.find_all(exp.Table)}
    return any(c.table and c.table.lower() in outer - inner for c in sub.find_all(exp.Column))


def _key_lookup(select: exp.Select, schema) -> bool:
    where = select.args.get("where")
    return where is not None and any(_drives_scan(c, select, schema) for c in flatten(where.this, exp.And))



def _single_table(block: exp.Expression | None) -> str | None:
    if block is None:
        return None
    source = block.this if isinstance(block, (exp.Update, exp.Delete)) else (
        (block.args.get("from_") or block.args.get("from")).this if (block.args.get("from_") or block.args.get("from"))
        else None)
    if not isinstance(source, exp.Table) or block.args.get("joins"):
        return None
    return source.name
