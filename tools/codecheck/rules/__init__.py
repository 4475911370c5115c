"""The rule catalogue: one module per Python rule, plus the SQL and secret rules' metadata.

Codes are stable and never reused. ``description`` is the why (docs, SARIF fullDescription);
each code has docs/rules/<CODE>.md with a bad and a good example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules import (
    blocking_call_in_async,
    cache_set_without_ttl,
    http_without_timeout,
    query_in_loop,
    redis_keys,
    repeated_call_in_loop_invariant,
    sync_sleep_retry,
    unbounded_query_in_handler,
)
from tools.codecheck.rules._base import Hit
from tools.findings import Severity


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    severity: Severity
    title: str  # one line (SARIF shortDescription)
    description: str  # why it matters (SARIF fullDescription)
    check: Callable[[CallSite, Module], Hit | None] | None = None  # None: not a Python call rule


PYTHON_RULES: tuple[Rule, ...] = (
    Rule("PERF101", "query_in_loop", "error", "Database query inside a loop (N+1)",
         "A query per iteration turns one page view into N round trips; latency grows with the data.",
         query_in_loop.check),
    Rule("PERF102", "redis_keys", "error", "Redis KEYS command",
         "KEYS is O(number of keys) and single-threaded Redis serves nobody else while it runs.",
         redis_keys.check),
    Rule("PERF103", "blocking_call_in_async", "error", "Blocking call inside async def",
         "A synchronous network, database, subprocess or sleep call freezes the event loop and every "
         "request on it.", blocking_call_in_async.check),
    Rule("PERF104", "http_without_timeout", "warning", "HTTP call without a timeout",
         "Without a timeout a stuck upstream holds a worker (and its connection) indefinitely; "
         "under load the pool runs dry.", http_without_timeout.check),
    Rule("PERF105", "cache_set_without_ttl", "warning", "Cache write without a TTL",
         "An entry without expiry is never refreshed and never evicted by TTL: stale reads and "
         "unbounded memory.", cache_set_without_ttl.check),
    Rule("PERF106", "unbounded_query_in_handler", "warning", "Unbounded query in a request handler",
         "Loading every row in a request makes latency and memory proportional to table size.",
         unbounded_query_in_handler.check),
    Rule("PERF107", "sync_sleep_retry", "warning", "Fixed-delay retry with time.sleep",
         "Fixed delays synchronize retries across clients (thundering herd) and block the thread.",
         sync_sleep_retry.check),
    Rule("PERF108", "repeated_call_in_loop_invariant", "info", "Loop-invariant call inside a loop",
         "A pure call with the same arguments on every iteration repeats work that can be done once.",
         repeated_call_in_loop_invariant.check),
)
SECRET_RULE = Rule("PERF190", "secret_in_diff", "error", "Secret added in the change",
                   "A credential committed to the repository is exposed to everyone with read access "
                   "and to every tool that reads the diff.")
# Kinds kept from tools.sql's analyzer (its codes are its own).
SQL_KINDS = ("select_star", "leading_wildcard_like", "offset_pagination", "delete_without_where",
             "update_without_where", "function_on_column")

RULES: dict[str, Rule] = {r.code: r for r in (*PYTHON_RULES, SECRET_RULE)}
