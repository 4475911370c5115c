"""PERF105 cache_set_without_ttl: a Redis write with no expiry: stale forever, memory grows forever."""

from __future__ import annotations

import ast

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules._base import (
    Hit,
    cache_pattern_command,
    key_template,
    keyword_names,
    method_name,
    receiver,
    short,
)

TTL_KWARGS = {"ex", "px", "exat", "pxat", "keepttl"}
WRITES = {"set", "hset", "hmset", "mset"}
EXPIRES = {"expire", "pexpire", "expireat", "pexpireat", "hexpire"}


def check(site: CallSite, mod: Module) -> Hit | None:
    call = site.call
    name = method_name(call)
    if name not in WRITES or not _is_redis(receiver(call), mod):
        return None
    if name == "set":
        if len(call.args) < 2 or len(call.args) >= 3 or keyword_names(call) & (TTL_KWARGS | {None}):
            return None
    elif not call.args and name != "mset":
        return None
    key = call.args[0] if call.args and name != "mset" else None
    if key is not None and _expired_later(key, site, mod):
        return None
    shown = short(key) if key is not None else "several keys"
    return Hit(
        call,
        f"Redis {name.upper()} {shown} without a TTL: the entry never expires, serves stale data "
        "after a write and keeps growing memory",
        {"command": name.upper(), "key": shown,
         "fix_command": cache_pattern_command("cache-aside", key_template(key) if key is not None else None)},
    )


def _is_redis(expr: ast.AST | None, mod: Module) -> bool:
    if expr is None:
        return False
    if mod.client_kind(expr) in ("redis", "async_redis"):
        return True
    name = (mod.qualname(expr) or "").split(".")[-1].lower()
    return "redis" in name or name in ("r", "rds", "rc")


def _expired_later(key: ast.AST, site: CallSite, mod: Module) -> bool:
    """An EXPIRE on the same key expression in the same function counts as a TTL."""
    expired = mod.memo.get(("expired_keys", 0))
    if expired is None:  # once per module: function -> key expressions given an expiry
        expired = {}
        for other in mod.sites:
            if method_name(other.call) in EXPIRES and other.call.args:
                expired.setdefault(id(other.scope.function), set()).add(ast.dump(other.call.args[0]))
        mod.memo[("expired_keys", 0)] = expired
    return ast.dump(key) in expired.get(id(site.scope.function), ())
