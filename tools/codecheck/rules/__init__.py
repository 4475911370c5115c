"""The Python rules' matchers: one module per rule, paired with its catalogue entry.

What a finding is (code, kind, severity, title, why, fix) lives in tools/catalogue/perf.py; each
code has docs/rules/<CODE>.md with a bad and a good example. This table pairs each Python entry with
the function that finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tools import catalogue
from tools.catalogue import perf
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
    """A Python rule: its catalogue entry and the matcher that finds it at a call site."""

    entry: catalogue.Rule
    check: Callable[[CallSite, Module], Hit | None]
    scan: Callable[[Module], Iterable[Hit]] | None = None  # findings not at a call (attribute reads)

    @property
    def code(self) -> str:
        return self.entry.code

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def severity(self) -> Severity:
        return self.entry.severity


PYTHON_RULES: tuple[Rule, ...] = (
    Rule(perf.QUERY_IN_LOOP, query_in_loop.check, query_in_loop.scan),
    Rule(perf.REDIS_KEYS, redis_keys.check),
    Rule(perf.BLOCKING_CALL_IN_ASYNC, blocking_call_in_async.check),
    Rule(perf.HTTP_WITHOUT_TIMEOUT, http_without_timeout.check),
    Rule(perf.CACHE_SET_WITHOUT_TTL, cache_set_without_ttl.check),
    Rule(perf.UNBOUNDED_QUERY_IN_HANDLER, unbounded_query_in_handler.check),
    Rule(perf.SYNC_SLEEP_RETRY, sync_sleep_retry.check),
    Rule(perf.REPEATED_CALL_IN_LOOP_INVARIANT, repeated_call_in_loop_invariant.check),
)
SECRET_RULE = perf.SECRET_IN_DIFF
# Kinds kept from tools.sql's analyzer (its codes are its own).
SQL_KINDS = ("select_star", "leading_wildcard_like", "offset_pagination", "delete_without_where",
             "update_without_where", "function_on_column")

# Every code the review emits on its own (the SQL codes are tools.sql's): code -> catalogue entry.
RULES: dict[str, catalogue.Rule] = {r.code: r for r in (*(p.entry for p in PYTHON_RULES), SECRET_RULE)}
