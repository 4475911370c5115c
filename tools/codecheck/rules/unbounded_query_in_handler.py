"""PERF106 unbounded_query_in_handler: a web handler loads every row of a query (no LIMIT/pagination)."""

from __future__ import annotations

import ast
import re

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules._base import Hit, method_name, receiver, short

ORM_MARKERS = (".objects", ".query", "session", "Session", ".scalars", ".execute", "select(", ".filter")
BOUNDING = {"limit", "paginate", "first", "get", "one", "one_or_none", "scalar", "slice", "fetchmany"}
_LIMIT_SQL = re.compile(r"\b(limit|fetch\s+first|top)\b", re.I)


def check(site: CallSite, mod: Module) -> Hit | None:
    if not site.scope.is_handler:
        return None
    call = site.call
    name = method_name(call)
    if name == "all" and not call.args:
        chain = mod.qualname(receiver(call)) or ""
        if not any(m in chain for m in ORM_MARKERS) or _chain_is_bounded(call):
            return None
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


def _chain_is_bounded(call: ast.Call) -> bool:
    expr = receiver(call)
    while isinstance(expr, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(expr, ast.Call) and method_name(expr) in BOUNDING:
            return True
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
            return True
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return False


def _function_sql_has_limit(fn: ast.AST, mod: Module) -> bool:
    key = ("sql_limit", id(fn))
    if key not in mod.memo:
        mod.memo[key] = any(isinstance(n, ast.Constant) and isinstance(n.value, str)
                            and _LIMIT_SQL.search(n.value) for n in ast.walk(fn))
    return bool(mod.memo[key])
