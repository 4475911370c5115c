"""PostgreSQL EXPLAIN analyzer: TEXT or JSON plans in, a typed tree and ranked findings out.

Library use::

    from tools.explain import parse_plan, analyze
    plan = parse_plan(open("plan.txt").read())       # ExplainPlan (typed tree + stats)
    report = analyze(plan)                            # Report(findings=..., data=plan)

Tool use (registry entry "explain"): ``explain_tool(ExplainInput(plan=text))``.
"""

from __future__ import annotations

import gc
import re

from pydantic import BaseModel, Field

from tools.errors import InputError
from tools.explain.model import Buffers, ExplainPlan, PlanNode, PlanStats, build_plan, finish_plan
from tools.findings import Report
from tools.readpath import PathLabel

__all__ = [
    "Buffers",
    "ExplainInput",
    "ExplainPlan",
    "PlanNode",
    "PlanStats",
    "analyze",
    "explain_tool",
    "parse_plan",
]

MAX_PLAN_BYTES = 256 * 1024 * 1024
_FIRST_CHAR = re.compile(r"\S")


class ExplainInput(BaseModel):
    plan: str = Field(description="EXPLAIN output: TEXT (psql, pgAdmin, DBeaver pastes accepted) or FORMAT JSON.")
    verbose: bool = Field(False, description="Also report informational findings.")
    path: PathLabel | None = Field(None, description="File name used in error messages.")


def parse_plan(text: str, path: str | None = None) -> ExplainPlan:
    """Parse a plan in any supported format into the typed, measured tree. Raises InputError."""
    # Building the tree allocates tens of thousands of acyclic objects; the cyclic collector would
    # re-scan them over and over (a fifth of the parse time on a 10,000-node plan) and free nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_plan(text, path)
    except RecursionError:
        raise InputError("plan is nested too deeply to analyze", path=path) from None
    except InputError as exc:
        exc.path = exc.path or path
        raise
    finally:
        if was_enabled:
            gc.enable()


def _parse_plan(text: str, path: str | None) -> ExplainPlan:
    from tools.explain.frames import unframe, unquote_pgadmin
    from tools.explain.json_ import looks_like_json, parse_json
    from tools.explain.text import parse_text

    first = _FIRST_CHAR.search(text)  # no strip(): plans can be tens of megabytes
    if first is None:
        raise InputError("empty input: expected EXPLAIN output", path=path)
    if len(text) > MAX_PLAN_BYTES:
        raise InputError(f"plan larger than {MAX_PLAN_BYTES // 2**20} MB", path=path)
    if first[0] in "[{":
        # Fast path for JSON straight from PostgreSQL; fall back to unframing when it fails.
        try:
            return build_plan(parse_json(text, path))
        except InputError:
            pass
    lines = unframe(text)
    if looks_like_json(lines):
        return build_plan(parse_json("\n".join(lines), path))
    return finish_plan(*parse_text(unquote_pgadmin(lines), path), "text")


def analyze(plan: ExplainPlan, *, verbose: bool = False) -> Report:
    """Findings for a parsed plan, ranked by the time they cost; ``data`` is the plan itself."""
    from tools.explain.rules import find_problems

    findings = find_problems(plan)
    if not verbose:
        findings = [f for f in findings if f.severity != "info"]
    return Report(tool="explain", findings=findings, data=plan, summary=_summary(plan, findings))


def explain_tool(inp: ExplainInput) -> Report:
    return analyze(parse_plan(inp.plan, inp.path), verbose=inp.verbose)


def _summary(plan: ExplainPlan, findings: list) -> str:
    stats = plan.stats
    parts = [f"{stats.nodes} node{'s' if stats.nodes != 1 else ''}"]
    if stats.execution_ms is not None:
        parts.append(f"execution {stats.execution_ms:,.3f} ms")
    if stats.planning_ms is not None:
        parts.append(f"planning {stats.planning_ms:,.3f} ms")
    if not stats.analyzed:
        parts.append("no ANALYZE: estimates only")
    unplaced = (plan.extras or {}).get("Unplaced Lines") or []
    if unplaced:
        first = unplaced[0]
        more = f" and {len(unplaced) - 1} more" if len(unplaced) > 1 else ""
        parts.append(f"line {first['Line']} is not part of the plan and was left out ({first['Text'][:40]!r}{more})")
    hot = plan.plan  # the hot path ends at the node with the largest exclusive time
    while (child := next((c for c in hot.children if c.hot), None)) is not None:
        hot = child
    if hot.exclusive_ms:
        parts.append(f"slowest node #{hot.id} {hot.label} ({hot.exclusive_ms:,.1f} ms)")
    parts.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}")
    return ", ".join(parts)
