"""PERF105 cache_set_without_ttl: a Redis write with no expiry: stale forever, memory grows forever.

Redis is a cache and a state store at once: a pause flag, a scheduler's last-run hash, a buffer drained
by a job must not expire (a TTL there silently loses state). Only a write that reads as a cache entry
(the key, the function or the client says "cache", or the same function reads that key first: the
cache-aside pattern) is a warning; any other write without a TTL is info.
"""

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
    if _reads_as_cache(call, key, site, mod):
        return Hit(
            call,
            f"Redis {name.upper()} {shown} without a TTL: the entry never expires, serves stale data "
            "after a write and keeps growing memory",
            {"command": name.upper(), "key": shown,
             "fix_command": cache_pattern_command("cache-aside", key_template(key) if key is not None else None)},
        )
    return Hit(
        call,
        f"Redis {name.upper()} {shown} without a TTL: fine for state (flags, queues, schedules), but a cache "
        "entry written like this never expires",
        {"command": name.upper(), "key": shown}, "info")


def _reads_as_cache(call: ast.Call, key: ast.AST | None, site: CallSite, mod: Module) -> bool:
    """The write is a cache entry: "cache" in the key, the function or the client's name, or the same
    function GETs the same key (cache-aside)."""
    names = [short(key, 200) if key is not None else "", short(call.func, 200),
             getattr(site.scope.function, "name", "") or ""]
    if any("cache" in n.lower() for n in names):
        return True
    if key is None or site.scope.function is None:
        return False
    reads = ("get", "hget", "hgetall", "mget", "exists")
    return any(method_name(other.call) in reads and other.call.args and other.scope.function is site.scope.function
               and ast.dump(other.call.args[0]) == ast.dump(key) for other in mod.sites)


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
