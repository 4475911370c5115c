"""PERF103 blocking_call_in_async: a synchronous network/disk/sleep/database call inside `async def`.

Besides the well-known blocking calls (requests, time.sleep, subprocess, sync Redis/DB clients made in
the same file), names are resolved through the repository: a client imported from another module
(`from app.cache import redis_client`, where app/cache.py says `redis_client = redis.Redis(...)`), a
database session typed with a synchronous `Session` (also through an alias such as FastAPI's
`SessionDep = Annotated[Session, Depends(get_db)]` in another file), a Django or Flask-SQLAlchemy
query, and a function of another module every query of which is synchronous (a repository/service).
"""

from __future__ import annotations

import ast

from tools.codecheck import orm
from tools.codecheck.pyctx import CallSite, Module, dotted_name
from tools.codecheck.rules._base import Hit, method_name, receiver, short

BLOCKING = {
    **{f"requests.{m}": "aiohttp or httpx.AsyncClient" for m in
       ("get", "post", "put", "patch", "delete", "head", "options", "request")},
    **{f"httpx.{m}": "httpx.AsyncClient" for m in
       ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")},
    "urllib.request.urlopen": "aiohttp or httpx.AsyncClient",
    "time.sleep": "await asyncio.sleep(...)",
    **{f"subprocess.{m}": "asyncio.create_subprocess_exec" for m in
       ("run", "call", "check_call", "check_output")},
    **dict.fromkeys(("psycopg.connect", "psycopg2.connect", "sqlite3.connect", "pymysql.connect"),
                    "an async driver (psycopg AsyncConnection, asyncpg, aiosqlite)"),
    **dict.fromkeys(("redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url"),
                    "redis.asyncio"),
}
# Sync client kinds (see pyctx.CLIENT_CONSTRUCTORS) and the async replacement for each.
SYNC_CLIENTS = {"redis": "redis.asyncio", "sync_db": "an async driver (psycopg AsyncConnection, asyncpg)",
                "requests_session": "httpx.AsyncClient", "httpx_client": "httpx.AsyncClient"}
FILE_READS = {"read_text", "read_bytes", "write_text", "write_bytes"}
# Methods of a synchronous SQLAlchemy/SQLModel session that talk to the database.
SESSION_IO = frozenset({"execute", "exec", "get", "scalars", "scalar", "query", "commit", "flush", "refresh", "merge",
                        "get_one", "connection", "rollback"})
ASYNC_SESSION_FIX = "an AsyncSession (`await session.execute(...)`) or `await asyncio.to_thread(...)`"


def check(site: CallSite, mod: Module) -> Hit | None:
    if not site.scope.is_async or isinstance(site.parent, ast.Await):
        return None
    call = site.call
    qual = mod.qualname(call.func) or ""
    fix = BLOCKING.get(qual)
    what = qual
    severity = None
    if fix is None:
        name = method_name(call)
        recv = receiver(call)
        kind = (mod.client_kind(recv) or imported_client_kind(recv, mod)) if name else None
        if kind in SYNC_CLIENTS:
            fix, what = SYNC_CLIENTS[kind], f"{short(call.func)} (sync {kind.replace('_', ' ')} client)"
        elif qual == "open" or name in FILE_READS:
            fix, what, severity = "aiofiles or `await asyncio.to_thread(...)`", short(call.func), "warning"
        elif name in SESSION_IO and _sync_session(recv, mod, site.scope.function):
            fix, what = ASYNC_SESSION_FIX, f"{short(call.func)} (synchronous database session)"
        elif _sync_orm_query(call, mod, site.scope.function):
            fix, what = "the ORM's async API (Django `aget`/`acount`..., SQLAlchemy AsyncSession) or " \
                        "`await asyncio.to_thread(...)`", f"{short(call.func)} (synchronous ORM query)"
        elif (repository := _sync_querying_function(call, mod)) is not None:
            fix, what = "an async version of it, or `await asyncio.to_thread(...)`", \
                f"{short(call.func)} (synchronous function that queries the database: {repository})"
        else:
            return None
    return Hit(
        call,
        f"blocking call {what} inside `async def {site.scope.function.name}` stalls the event loop "
        "for every request it serves",
        {"call": what, "function": site.scope.function.name, "async_alternative": fix},
        severity,
    )


def imported_client_kind(expr: ast.AST | None, mod: Module) -> str | None:
    """The client kind of a name imported from another module of the repository (a module-level client)."""
    name = dotted_name(expr) if expr is not None else None
    project = mod.project
    if not name or project is None:
        return None
    head, _, rest = name.partition(".")
    qual = mod.aliases.get(head)
    if qual is None:
        return None
    resolved = project.resolve(qual + (f".{rest}" if rest else ""))
    other = project.module(resolved[0]) if resolved else None
    if other is None or other is mod:
        return None
    if resolved[1] in other.clients:
        return other.clients[resolved[1]]
    value = other.globals.get(resolved[1])
    return other.client_kind(value) if value is not None else None


def _sync_session(expr: ast.AST | None, mod: Module, fn: ast.AST | None) -> bool:
    """A parameter annotated with a synchronous SQLAlchemy/SQLModel Session (directly or through an alias)."""
    name = dotted_name(expr) if expr is not None else None
    if not name or "." in name:
        return False
    return orm.session_annotation(mod, name, fn) in ("Session", "scoped_session", "Connection", "Engine")


def _sync_orm_query(call: ast.Call, mod: Module, fn: ast.AST | None) -> bool:
    """A Django/Flask-SQLAlchemy query on a model class that runs now (Django raises SynchronousOnlyOperation
    for these inside async code; Flask-SQLAlchemy blocks)."""
    how = orm.query_call(call, mod, mod.project)
    return how is not None and how.what == "ORM query" and not how.method.startswith("a") and \
        not _sync_session_is_async(how.root, mod, fn)


def _sync_session_is_async(root: ast.AST | None, mod: Module, fn: ast.AST | None) -> bool:
    name = dotted_name(root) if root is not None else None
    return bool(name) and orm.session_annotation(mod, name, fn) in ("AsyncSession", "AsyncConnection")


def _sync_querying_function(call: ast.Call, mod: Module) -> str | None:
    """``module.function`` when the call resolves (through imports) to a plain `def` of the repository that
    runs a query."""
    project = mod.project
    qual = mod.qualname(call.func) or ""
    if project is None or "." not in qual or "()" in qual:
        return None
    resolved = project.resolve(qual)
    other = project.module(resolved[0]) if resolved else None
    if other is None:
        return None
    for fn in other.tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name == resolved[1]:
            evaluated = orm.evaluated_calls(fn)
            if any(isinstance(n, ast.Call) and orm.query_call(n, other, project, evaluated=id(n) in evaluated)
                   for n in ast.walk(fn)):
                return f"{resolved[0]}:{fn.lineno}"
    return None
