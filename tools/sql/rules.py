"""Anti-pattern rules over sqlglot trees: one small function per finding kind.

Every rule gets the parsed statement and yields (kind, node, message, evidence); `analyze_sql`
turns those into Findings from the kind's catalogue entry (RULES below: code, severity, advice, handoff),
and with the exact line of the node that triggered it.
"""

from __future__ import annotations

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
)}
# The advisor's kind (tools/sql/indexes.py) shares the family so codes stay unique across the package.
INDEX_SUGGESTION = sql.INDEX_SUGGESTION

Hit = tuple[str, exp.Expression | None, str, dict]


class NodeIndex:
    """Every node of a tree bucketed by type, so a dozen rules share one walk instead of a dozen."""

    def __init__(self, tree: exp.Expression) -> None:
        self.by_type: dict[type, list[exp.Expression]] = {}
        for node in tree.walk():
            self.by_type.setdefault(type(node), []).append(node)

    def of(self, *types: type) -> list[exp.Expression]:
        return [n for t, nodes in self.by_type.items() if issubclass(t, types) for n in nodes]


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


def analyze_sql(text: str, path: str | None = None, dialect: str = "postgres", line_offset: int = 0) -> list[Finding]:
    """Findings for every statement of ``text``.

    A finding on line k of ``text`` is reported at line ``k + line_offset`` (for a string literal
    that starts on line L of a Python file, pass ``L - 1``).
    """
    return findings_for(parse_file(text, dialect), path, line_offset)


def findings_for(parsed: list[ParsedStatement], path: str | None, line_offset: int = 0) -> list[Finding]:
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
            findings += _statement_findings(item.tree, stmt, path, line_offset)
        except RecursionError:
            findings.append(make_finding(RULES["parse_error"], stmt, path, stmt.line + line_offset,
                                         "statement nested too deeply to analyze", {}))
    return findings


def _statement_findings(tree: exp.Expression, stmt: Statement, path: str | None, line_offset: int) -> list[Finding]:
    nodes = NodeIndex(tree)
    return [
        make_finding(RULES[kind], stmt, path, node_line(node, stmt) + line_offset, message, evidence)
        for rule_fn in STATEMENT_RULES
        for kind, node, message, evidence in rule_fn(tree, nodes)
    ]


def make_finding(rule: Rule, stmt: Statement, path: str | None, line: int, message: str, evidence: dict) -> Finding:
    label = f"{stmt.name}: " if stmt.name else ""
    evidence = {**evidence, "statement_line": stmt.line}
    if stmt.name:
        evidence["statement"] = stmt.name
    return rule.finding(label + message, location=Location(path=path or "<sql>", line=line), evidence=evidence)


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


def has_column(node: exp.Expression | None) -> bool:
    return node is not None and node.find(exp.Column) is not None


def wrapped_column(node: exp.Expression) -> bool:
    """A function or cast applied to a column: lower(email), date(created_at), ts::date."""
    if isinstance(node, (exp.AggFunc, exp.Subquery, exp.Column)):
        return False
    return isinstance(node, (exp.Func, exp.Cast)) and has_column(node)


def _function_on_column(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for cmp in predicates(nodes):
        sides = [cmp.this] + ([cmp.expression] if cmp.args.get("expression") is not None else [])
        others = cmp.expressions if isinstance(cmp, exp.In) else sides[1:]
        if wrapped_column(cmp.this) and not any(has_column(o) for o in others):
            yield ("function_on_column", cmp, f"{snippet(cmp.this)} in a predicate cannot use a plain index on the column",
                   {"expression": cmp.this.sql(dialect="postgres")})
        elif len(sides) == 2 and wrapped_column(sides[1]) and not has_column(sides[0]):
            yield ("function_on_column", cmp, f"{snippet(sides[1])} in a predicate cannot use a plain index on the column",
                   {"expression": sides[1].sql(dialect="postgres")})


def _offset_pagination(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for offset in nodes.of(exp.Offset):
        value = offset.expression
        if isinstance(value, exp.Literal) and value.is_int and int(value.this) == 0:
            continue
        yield "offset_pagination", offset, f"OFFSET {value.sql() if value is not None else ''} pagination", {}


def _delete_without_where(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for delete in nodes.of(exp.Delete):
        if not delete.args.get("where"):
            yield "delete_without_where", delete, f"DELETE FROM {delete.this.sql() if delete.this else '?'} without WHERE removes every row", {}


def _update_without_where(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for update in nodes.of(exp.Update):
        if not update.args.get("where"):
            yield "update_without_where", update, f"UPDATE {update.this.sql() if update.this else '?'} without WHERE rewrites every row", {}


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
        if isinstance(inner, exp.In) and inner.args.get("query") is not None:
            yield "not_in_subquery", neg, f"{snippet(inner.this)} NOT IN (subquery)", {}


def _or_across_columns(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for where in nodes.of(exp.Where):
        for top in where.find_all(exp.Or):
            if isinstance(top.parent, exp.Or):
                continue  # report each OR chain once, at its top
            branches = flatten(top, exp.Or)
            column_sets = [frozenset(c.sql() for c in b.find_all(exp.Column)) for b in branches]
            if all(column_sets) and len(set(column_sets)) > 1:
                columns = sorted(set().union(*column_sets))
                yield ("or_across_columns", top, f"OR across columns {', '.join(columns)}", {"columns": columns})


def _implicit_cross_join(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for select in nodes.of(exp.Select):
        comma = [j for j in select.args.get("joins") or [] if is_comma_join(j) and isinstance(j.this, exp.Table)]
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
    if not isinstance(tree, exp.Select) or not tree.args.get("order"):
        return
    if any(tree.args.get(k) for k in ("limit", "fetch", "where", "group", "having")):
        return
    if any(p.find(exp.AggFunc) for p in tree.expressions):
        return
    source = tree.args.get("from_") or tree.args.get("from")
    if source is None or not isinstance(source.this, exp.Table):
        return
    yield ("missing_limit", tree.args["order"], f"ORDER BY over all of {source.this.sql()} without LIMIT", {})


# (operator, constant) pairs that only ask "is there a row?", written as count <op> constant.
_EXISTENCE_TESTS = {(exp.GT, 0), (exp.GTE, 1), (exp.EQ, 0), (exp.NEQ, 0), (exp.LT, 1), (exp.LTE, 0)}
_MIRRORED = {exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE, exp.LTE: exp.GTE, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}


def _count_star_for_existence(tree: exp.Expression, nodes: NodeIndex) -> Iterator[Hit]:
    for cmp in nodes.of(*_MIRRORED):
        for counted, other, op in ((cmp.this, cmp.expression, type(cmp)), (cmp.expression, cmp.this, _MIRRORED[type(cmp)])):
            if not (isinstance(other, exp.Literal) and other.is_int and (op, int(other.this)) in _EXISTENCE_TESTS):
                continue
            if _is_count(counted) and not _per_group(counted):
                yield ("count_star_for_existence", cmp, f"{snippet(cmp)} counts rows only to test whether one exists", {})
                break


def _per_group(count: exp.Expression) -> bool:
    """count(*) in HAVING or in a grouped select counts per group: a legitimate use."""
    if isinstance(count, exp.Subquery):
        return False
    select = count.find_ancestor(exp.Select)
    return count.find_ancestor(exp.Having) is not None or (select is not None and select.args.get("group") is not None)


STATEMENT_RULES: tuple[Callable[[exp.Expression, NodeIndex], Iterator[Hit]], ...] = (
    _select_star, _leading_wildcard_like, _function_on_column, _offset_pagination, _delete_without_where,
    _update_without_where, _order_by_random, _not_in_subquery, _or_across_columns, _implicit_cross_join,
    _missing_limit, _count_star_for_existence,
)


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
