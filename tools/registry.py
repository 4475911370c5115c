"""The one tool registry.

Entries are kept by import path, so listing tools imports nothing heavy. The same entry gives the
OpenAI function schema (from the input model's JSON schema), the offline composer's call and the
review bot's allow-list (only tools without side effects are reachable from untrusted input).

A tool is a plain function ``fn(inp: InputModel) -> tools.findings.Report``. File paths in an input
model are typed (``tools.readpath.ReadPath`` for what the tool opens, ``PathLabel`` for names it only
shows), so a model's call can be held to the files the user gave (:meth:`ToolSpec.call` with a grant).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from tools.findings import Report
from tools.readpath import READ_GRANT, ReadGrant


@dataclass(frozen=True)
class ToolSpec:
    name: str
    summary: str
    target: str  # "module:function"
    input_model: str  # "module:Class"
    side_effects: bool = False  # network, database or filesystem writes

    def load(self) -> tuple[type[BaseModel], Any]:
        mod_name, fn_name = self.target.split(":")
        model_mod, model_name = self.input_model.split(":")
        fn = getattr(importlib.import_module(mod_name), fn_name)
        model = getattr(importlib.import_module(model_mod), model_name)
        return model, fn

    def available(self) -> bool:
        try:
            self.load()
        except ImportError:
            return False
        return True

    def call(self, arguments: dict[str, Any] | BaseModel, *, read_grant: ReadGrant | None = None) -> Report:
        """Run the tool. ``read_grant``: the call comes from a model, so every ReadPath in the arguments
        must pass the grant (tools.readpath); a refusal is a ValidationError of type ``read_refused``."""
        model, fn = self.load()
        if read_grant is None and isinstance(arguments, BaseModel):
            return fn(arguments)
        if isinstance(arguments, BaseModel):
            arguments = arguments.model_dump()
        context = {READ_GRANT: read_grant} if read_grant is not None else None
        return fn(model.model_validate(arguments, context=context))

    def openai_schema(self) -> dict[str, Any]:
        model, _ = self.load()
        schema = model.model_json_schema()
        schema.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.summary, "parameters": schema},
        }


# One line per tool. Keep summaries short: they are the LLM's tool descriptions.
TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "explain",
            "Analyze a PostgreSQL EXPLAIN plan (text or JSON): plan tree, hot nodes, ranked findings.",
            "tools.explain:explain_tool",
            "tools.explain:ExplainInput",
        ),
        ToolSpec(
            "sql",
            "Analyze SQL statements for anti-patterns (SELECT *, OFFSET paging, missing WHERE...) and suggest indexes.",
            "tools.sql:sql_tool",
            "tools.sql:SqlInput",
        ),
        ToolSpec(
            "query_log",
            "Group a query log by fingerprint: N+1 suspects and the hottest queries by total time.",
            "tools.sql:query_log_tool",
            "tools.sql:QueryLogInput",
        ),
        ToolSpec(
            "cache_pattern",
            "Generate production-grade Redis caching code (cache-aside, write-through, stampede lock, xfetch...).",
            "tools.cache_patterns:cache_pattern_tool",
            "tools.cache_patterns:CachePatternInput",
        ),
        ToolSpec(
            "thresholds",
            "Check performance metrics (latency percentiles, error rate, Apdex, Core Web Vitals) against the persona's targets.",
            "tools.thresholds:thresholds_tool",
            "tools.thresholds:ThresholdsInput",
        ),
        ToolSpec(
            "codecheck",
            "Review source code or a diff for performance anti-patterns (N+1 in loops, blocking calls in async, KEYS...).",
            "tools.codecheck:codecheck_tool",
            "tools.codecheck:CodecheckInput",
        ),
        ToolSpec(
            "profile",
            "Analyze a cProfile/pstats, speedscope or collapsed-stack profile: hot path and findings.",
            "tools.profile:profile_tool",
            "tools.profile:ProfileInput",
        ),
        ToolSpec(
            "traces",
            "Analyze OpenTelemetry (OTLP JSON) or Jaeger traces: critical path, N+1 spans, sequential fan-out.",
            "tools.traces:traces_tool",
            "tools.traces:TracesInput",
        ),
        ToolSpec(
            "loadtest",
            "Write and run a k6 load test against a URL and check the results against the persona's targets.",
            "tools.loadtest:loadtest_tool",
            "tools.loadtest:LoadtestInput",
            side_effects=True,
        ),
        ToolSpec(
            "db_explain",
            "Run EXPLAIN (ANALYZE, BUFFERS) on a live PostgreSQL (read-only, rolled back) and analyze the plan.",
            "tools.db:db_explain_tool",
            "tools.db:DbExplainInput",
            side_effects=True,
        ),
        ToolSpec(
            "db_health",
            "Check a live PostgreSQL: seq-scan-heavy tables, unused/duplicate indexes, cache hit ratio, connections.",
            "tools.db:db_health_tool",
            "tools.db:DbHealthInput",
            side_effects=True,
        ),
    )
}


def available_tools(*, allow_side_effects: bool = True) -> list[ToolSpec]:
    """Tools whose modules exist and import; tools not built yet are simply not offered."""
    return [
        spec
        for spec in TOOLS.values()
        if (allow_side_effects or not spec.side_effects) and spec.available()
    ]


def get(name: str) -> ToolSpec:
    return TOOLS[name]
