"""PERF101 query_in_loop: a database call inside a loop or comprehension (N+1 queries)."""

from __future__ import annotations

from tools.codecheck.pyctx import HTTP_CLIENTS, CallSite, Module
from tools.codecheck.rules._base import Hit, method_name, receiver, short

# Methods that always talk to the database, whatever the receiver (DB-API, asyncpg, SQLAlchemy).
DB_METHODS = {"execute", "fetch", "fetchrow", "fetchval", "fetchone", "fetchall", "fetchmany",
              "scalar", "scalars", "scalar_one", "scalar_one_or_none", "raw"}
# ORM lookups, only when the receiver chain goes through a manager/query (`dict.get` is not a query).
ORM_METHODS = {"get", "filter", "filter_by", "first", "one", "one_or_none", "count", "exists", "all"}
ORM_MARKERS = (".objects", ".query")


def check(site: CallSite, mod: Module) -> Hit | None:
    if not site.scope.loops:
        return None
    call = site.call
    name = method_name(call)
    if name is None:
        return None
    if mod.client_kind(receiver(call)) in HTTP_CLIENTS:
        return None  # an HTTP session's .get is a request, not a query
    chain = mod.qualname(receiver(call)) or ""
    session = "session" in chain.lower()
    if name in DB_METHODS:
        kind = "query"
    elif name == "query" and (session or chain.endswith("db")):
        kind = "ORM query"
    elif name in ORM_METHODS and any(marker in chain for marker in ORM_MARKERS):
        kind = "ORM lookup"
    elif name == "get" and session and len(call.args) >= 2:
        kind = "ORM lookup"  # SQLAlchemy session.get(Model, pk); an HTTP session.get(url) has one argument
    else:
        return None
    loop = site.scope.loops[-1]
    return Hit(
        call,
        f"{kind} `{short(call.func)}(...)` runs once per iteration of the loop at line {loop.lineno} (N+1)",
        {"call": short(call.func), "loop_line": loop.lineno},
    )
