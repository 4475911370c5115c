"""PERF106 unbounded_query_in_handler: a web handler loads every row of a query (no LIMIT/pagination).

A statement bounded elsewhere counts as bounded: `stmt = select(...).limit(n)` then `session.exec(stmt).all()`,
`session.scalars(select(...).limit(n)).all()`, a handler that paginates (Django's Paginator, Flask-SQLAlchemy's
paginate, DRF's paginate_queryset). A Django `.all()` is a lazy queryset: it is only flagged when the handler
evaluates it (`list(...)`, a for loop, `len(...)`). Whether a table grows with use or holds a few
configuration rows is beyond the code, so findings are info (see docs/rules/PERF106.md).
"""

from __future__ import annotations

import ast
import re

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules._base import Hit, method_name, receiver, short

ORM_MARKERS = (".objects", ".query", "session", "Session", ".scalars", ".execute", "select(", ".filter")
BOUNDING = {"limit", "paginate", "first", "get", "one", "one_or_none", "scalar", "slice", "fetchmany"}
_LIMIT_SQL = re.compile(r"\b(limit|fetch\s+first|top)\b", re.I)


PAGINATORS = {"Paginator", "paginate", "paginate_queryset", "get_paginated_response", "paginate_query"}


def check(site: CallSite, mod: Module) -> Hit | None:
    if not site.scope.is_handler:
        return None
    call = site.call
    name = method_name(call)
    if name == "all" and not call.args:
        chain = mod.qualname(receiver(call)) or ""
        if not any(m in chain for m in ORM_MARKERS) or _chain_is_bounded(call, site, mod) \
                or _paginates(site.scope.function, mod):
            return None
        if (".objects" in chain or chain.endswith("objects")) and not _evaluated(site):
            return None  # a lazy Django queryset: filtered, sliced or paginated later
    elif name == "fetchall":
        if _function_sql_has_limit(site.scope.function, mod):
            return None
    else:
        return None
    if isinstance(site.parent, ast.Subscript) and isinstance(site.parent.slice, ast.Slice):
        return None  # qs.all()[:50]
    fn = site.scope.function.name
    return Hit(
        call,
        f"`{short(call.func)}()` in handler `{fn}` loads every matching row: response time and memory "
        "grow with the table",
        {"call": short(call.func), "handler": fn},
    )


def _chain_is_bounded(call: ast.Call, site: CallSite, mod: Module) -> bool:
    """A bounding call in the chain, or in a statement it executes (directly or through a variable)."""
    assigned = mod.assignments(site.scope.function)
    pending: list[ast.AST] = [receiver(call)]
    seen = 0
    while pending and seen < 12:
        expr = pending.pop()
        seen += 1
        for node in ast.walk(expr):
            if isinstance(node, ast.Call) and method_name(node) in BOUNDING:
                return True
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
                return True
            if isinstance(node, ast.Name) and node.id in assigned:  # stmt = select(...).limit(n)
                pending += assigned[node.id]
    return False


def _paginates(fn: ast.AST | None, mod: Module) -> bool:
    key = ("paginates", id(fn))
    if key not in mod.memo:
        mod.memo[key] = fn is not None and any(
            isinstance(n, ast.Call) and ((mod.qualname(n.func) or "").rsplit(".", 1)[-1] in PAGINATORS)
            for n in ast.walk(fn))
    return bool(mod.memo[key])


def _evaluated(site: CallSite) -> bool:
    parent = site.parent
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is site.call:
        return True
    if isinstance(parent, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) and \
            any(g.iter is site.call for g in parent.generators):
        return True
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and \
        parent.func.id in ("list", "len", "sorted", "tuple", "set")


def _function_sql_has_limit(fn: ast.AST, mod: Module) -> bool:
    key = ("sql_limit", id(fn))
    if key not in mod.memo:
        mod.memo[key] = any(isinstance(n, ast.Constant) and isinstance(n.value, str)
                            and _LIMIT_SQL.search(n.value) for n in ast.walk(fn))
    return bool(mod.memo[key])
