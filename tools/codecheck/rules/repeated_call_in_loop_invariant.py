"""PERF108 repeated_call_in_loop_invariant: a pure, costly call with the same arguments on every iteration."""

from __future__ import annotations

import ast

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules._base import Hit, short

# Calls that always return the same value for the same arguments and cost more than a lookup.
PURE = {"re.compile", "json.loads", "json.dumps", "yaml.safe_load", "datetime.datetime.strptime",
        "datetime.strptime", "os.getenv", "os.environ.get", "frozenset", "sorted",
        "hashlib.sha256", "hashlib.sha1", "hashlib.md5", "jinja2.Template", "string.Template",
        "zoneinfo.ZoneInfo"}
# Not here on purpose: copy.deepcopy (each iteration needs its own copy, to mutate it; hoisting would share one
# object) and decimal.Decimal (a cheap constructor).
# Builders that are only safe to hoist when the result is just tested (x in set(...)), never mutated.
MEMBERSHIP_ONLY = {"set", "list", "tuple", "dict"}


def check(site: CallSite, mod: Module) -> Hit | None:
    if not site.scope.loops or not site.call.args:
        return None
    call = site.call
    qual = mod.qualname(call.func) or ""
    if qual in MEMBERSHIP_ONLY:
        if not (isinstance(site.parent, ast.Compare) and site.parent.comparators
                and call in site.parent.comparators):
            return None
    elif qual not in PURE:
        return None
    loop = site.scope.loops[-1]
    bound = mod.loop_bound_names(loop)
    if not all(_invariant(a, bound) for a in [*call.args, *(k.value for k in call.keywords)]):
        return None
    return Hit(
        call,
        f"`{short(call)}` gives the same result on every iteration of the loop at line {loop.lineno}",
        {"call": short(call), "loop_line": loop.lineno},
    )


def _invariant(expr: ast.AST, bound: frozenset[str]) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        if isinstance(node, ast.Name) and node.id in bound:
            return False
    return True
