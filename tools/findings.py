"""The currency of every tool: one Finding type and one Report type.

EXPLAIN, SQL, thresholds, code review, profiles and traces all speak these, so every renderer
(terminal, JSON, Markdown, SARIF, review comments) and every face (CLI, LLM tool result, offline
answer) works for every tool.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["info", "warning", "error"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


class Location(BaseModel):
    """Where a finding points: a file line for code, a plan node for EXPLAIN, a metric name."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    column: int | None = None
    node: str | None = None  # plan node id/path, span id, function name...
    metric: str | None = None

    def __str__(self) -> str:
        if self.path:
            return f"{self.path}:{self.line}" if self.line else self.path
        return self.node or self.metric or ""


class Finding(BaseModel):
    """One problem found by a deterministic tool."""

    code: str  # stable, never reused, e.g. "PLAN003", "SQL001", "PERF101"
    kind: str  # snake_case name of the problem, e.g. "disk_sort"
    severity: Severity
    message: str  # one line, with the numbers
    location: Location | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    suggestion: str | None = None
    handoff: str | None = None  # persona slug that owns the fix
    cost_ms: float | None = None  # time this problem costs, when known (used for ranking)


class Report(BaseModel):
    """What every tool returns: findings plus the tool's own typed result in ``data``."""

    tool: str
    findings: list[Finding] = Field(default_factory=list)
    data: Any = None  # a pydantic model or plain JSON-able value owned by the tool
    summary: str | None = None  # one line a person reads first

    def worst(self) -> str | None:
        if not self.findings:
            return None
        return max(self.findings, key=lambda f: SEVERITY_RANK[f.severity]).severity

    def ranked(self) -> list[Finding]:
        """Findings ordered by severity, then by the time they cost."""
        return sorted(
            self.findings,
            key=lambda f: (-SEVERITY_RANK[f.severity], -(f.cost_ms or 0.0)),
        )

    def handoffs(self) -> list[str]:
        seen: list[str] = []
        for f in self.ranked():
            if f.handoff and f.handoff not in seen:
                seen.append(f.handoff)
        return seen
