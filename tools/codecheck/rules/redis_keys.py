"""PERF102 redis_keys: KEYS walks the whole keyspace and blocks Redis while it does."""

from __future__ import annotations

import ast

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules._base import Hit, cache_pattern_command, key_template, method_name, receiver, short


def check(site: CallSite, mod: Module) -> Hit | None:
    call = site.call
    name = method_name(call)
    pattern_arg: ast.AST | None = None
    if name == "keys":
        # dict.keys() takes no argument; a pattern argument means Redis (or django-redis) KEYS.
        if call.args:
            pattern_arg = call.args[0]
        elif not (mod.client_kind(receiver(call)) or "redis" in (mod.qualname(receiver(call)) or "").lower()):
            return None
    elif name == "execute_command" and call.args and _is_keys_literal(call.args[0]):
        pattern_arg = call.args[1] if len(call.args) > 1 else None
    else:
        return None
    pattern = short(pattern_arg) if pattern_arg is not None else "'*'"
    key = key_template(pattern_arg) if pattern_arg is not None else None
    return Hit(
        call,
        f"Redis KEYS {pattern} scans every key and blocks the server: O(keyspace) on each call",
        {"pattern": pattern, "fix_command": cache_pattern_command("invalidation", key)},
    )


def _is_keys_literal(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str) and expr.value.upper() == "KEYS"
