"""PERF107 sync_sleep_retry: a retry loop that sleeps a fixed delay (no backoff, no jitter).

A retry is a sleep on the failure path: in the `except` of a `try` inside the loop. A poll interval (a
sleep after the work, or in `finally`), a loop of a couple of attempts (`range(3)`, `MAX_TRIES = 2`, a
`while not retried` flag), and module-level scripts (a wait-for-database at start-up: one client) are
not the retry storm this is about.
"""

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
    if site.scope.function is None or not _in_except(call, loop) or _few_attempts(loop, mod):
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


MAX_QUIET_ATTEMPTS = 3


def _in_except(call: ast.Call, loop: ast.AST) -> bool:
    """The sleep is on the failure path: inside an `except` handler of a `try` in the loop."""
    return any(isinstance(h, ast.ExceptHandler) and any(n is call for stmt in h.body for n in ast.walk(stmt))
               for h in ast.walk(loop))


def _few_attempts(loop: ast.AST, mod: Module) -> bool:
    """`for _ in range(3)`, `range(MAX_TRIES)` with a small constant, `while not done` set in the loop."""
    if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.iter, ast.Call) and \
            getattr(loop.iter.func, "id", None) == "range" and loop.iter.args:
        limit = _constant(loop.iter.args[-1], mod)
        return limit is not None and limit <= MAX_QUIET_ATTEMPTS
    if isinstance(loop, ast.While) and isinstance(loop.test, ast.UnaryOp) and isinstance(loop.test.op, ast.Not) \
            and isinstance(loop.test.operand, ast.Name):
        flag = loop.test.operand.id
        return any(isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == flag for t in n.targets)
                   for stmt in loop.body for n in ast.walk(stmt))
    return False


def _constant(expr: ast.AST, mod: Module) -> int | None:
    """An int literal, or a NAME / self.NAME / Class.NAME assigned an int literal in this module."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int):
        return expr.value
    name = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", None)
    if not name:
        return None
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets) \
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
            return node.value.value
    return None


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
