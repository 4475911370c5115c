"""PERF103 blocking_call_in_async: a synchronous network/disk/sleep call inside `async def`."""

from __future__ import annotations

from tools.codecheck.pyctx import CallSite, Module
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


def check(site: CallSite, mod: Module) -> Hit | None:
    if not site.scope.is_async:
        return None
    call = site.call
    qual = mod.qualname(call.func) or ""
    fix = BLOCKING.get(qual)
    what = qual
    severity = None
    if fix is None:
        name = method_name(call)
        kind = mod.client_kind(receiver(call)) if name else None
        if kind in SYNC_CLIENTS:
            fix, what = SYNC_CLIENTS[kind], f"{short(call.func)} (sync {kind.replace('_', ' ')} client)"
        elif qual == "open" or name in FILE_READS:
            fix, what, severity = "aiofiles or `await asyncio.to_thread(...)`", short(call.func), "warning"
        else:
            return None
    return Hit(
        call,
        f"blocking call {what} inside `async def {site.scope.function.name}` stalls the event loop "
        "for every request it serves",
        {"call": what, "function": site.scope.function.name, "async_alternative": fix},
        severity,
    )
