"""PERF107 sync_sleep_retry: a retry loop that sleeps a fixed delay (no backoff, no jitter)."""

from __future__ import annotations

import ast

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules._base import Hit, short


def check(site: CallSite, mod: Module) -> Hit | None:
    call = site.call
    if site.scope.is_async or not site.scope.loops or mod.qualname(call.func) != "time.sleep" or not call.args:
        return None
    loop = site.scope.loops[-1]
    if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) or not _has_try(loop, mod):
        return None
    delay = call.args[0]
    if not _is_fixed(delay, mod.loop_bound_names(loop)):
        return None
    return Hit(
        call,
        f"retry loop at line {loop.lineno} sleeps a fixed {short(delay)} s with time.sleep: clients retry "
        "in lockstep and hammer a recovering service",
        {"delay": short(delay), "loop_line": loop.lineno},
    )


def _has_try(loop: ast.AST, mod: Module) -> bool:
    key = ("has_try", id(loop))
    if key not in mod.memo:
        mod.memo[key] = any(isinstance(n, ast.Try | ast.TryStar) for stmt in loop.body for n in ast.walk(stmt))
    return bool(mod.memo[key])


def _is_fixed(expr: ast.AST, bound: frozenset[str]) -> bool:
    """A constant, or names/attributes none of which change inside the loop."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            return False  # random.uniform(...), backoff(attempt) ...
        if isinstance(node, ast.Name) and node.id in bound:
            return False
    return True
