"""Views of an analyzed EXPLAIN plan: a rich tree with exclusive-time bars and the hot path."""

from __future__ import annotations

from typing import Any

from agent.render import console, findings_table, sink, to_jsonable
from tools.explain import ExplainPlan, PlanNode
from tools.findings import Report

BAR_WIDTH = 12


@sink
def explain_json(report: Report) -> dict[str, Any]:
    """``{"plan": <tree>, "findings": [...], "stats": {...}}`` — the documented machine shape."""
    plan: ExplainPlan = report.data
    dumped = to_jsonable(plan)
    stats = dumped.pop("stats")
    tree = dumped.pop("plan")
    for key, value in dumped.items():  # statement-level facts: triggers, JIT, settings, planning
        stats[key] = value
    return {"plan": tree, "findings": to_jsonable(report.ranked()), "stats": stats}


def _bar(share: float | None) -> str:
    if share is None:
        return " " * BAR_WIDTH
    filled = round(share * BAR_WIDTH)
    return "█" * filled + "·" * (BAR_WIDTH - filled)


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value / 1000:,.2f} s" if value >= 10_000 else f"{value:,.2f} ms" if value >= 1 else f"{value:.3f} ms"


def node_line(node: PlanNode, flagged: set[int]) -> str:
    """One tree row: bar, exclusive time and share, name, rows (with the estimate when it is off)."""
    style = "bold red" if node.hot else ""
    parts = []
    if node.exclusive_ms is not None:
        share = f"{node.share:4.0%}" if node.share is not None else "    "
        parts.append(f"[{'red' if node.hot else 'blue'}]{_bar(node.share)}[/] {_ms(node.exclusive_ms):>10} {share}")
    name = f"[{style}]{node.label}[/]" if style else f"[bold]{node.label}[/]"
    if node.subplan_name:
        name = f"[magenta]{node.subplan_name}[/] {name}"
    if node.target:
        name += f" [cyan]{node.target}[/]"
    parts.append(name)
    if node.never_executed:
        parts.append("[dim](never executed)[/]")
    elif node.actual_rows is not None:
        rows = f"rows={node.total_rows:,.0f}"
        if (node.actual_loops or 0) > 1:
            rows += f" loops={node.actual_loops:,}"
        if node.estimate_factor is not None and node.estimate_factor >= 10:
            arrow = "▼" if node.estimate_direction == "over" else "▲"
            rows += f" [yellow]{arrow}{node.estimate_factor:,.0f}x est {node.plan_rows:,.0f}[/]"
        parts.append(f"[dim]{rows}[/]")
    elif node.plan_rows is not None:
        parts.append(f"[dim]est rows={node.plan_rows:,.0f} cost={node.total_cost or 0:,.2f}[/]")
    if node.id in flagged:
        parts.append("[yellow]⚑[/]")
    return "  ".join(parts)


_DETAIL_KEYS = ("Filter", "Index Cond", "Hash Cond", "Join Filter", "Recheck Cond", "Sort Key", "Group Key",
                "Rows Removed by Filter", "Sort Method", "Sort Space Used", "Hash Batches", "Heap Fetches",
                "Lossy Heap Blocks")


def plan_tree(plan: ExplainPlan, flagged: set[int], verbose: bool = False):
    from rich.tree import Tree

    def add(parent, node: PlanNode) -> None:
        branch = parent.add(node_line(node, flagged), guide_style="red" if node.hot else "dim")
        if verbose:
            for key in _DETAIL_KEYS:
                if key in node.extras:
                    value = node.extras[key]
                    value = ", ".join(map(str, value)) if isinstance(value, list) else value
                    branch.add(f"[dim]{key}: {value}[/]")
        for child in node.children:
            add(branch, child)

    title = "[bold]Plan[/]"
    if plan.stats.total_ms is not None:
        title += f" [dim]{_ms(plan.stats.total_ms)} total — bars show exclusive time, red is the hot path[/]"
    tree = Tree(title)
    add(tree, plan.plan)
    return tree


def _flagged_nodes(report: Report) -> set[int]:
    ids = set()
    for finding in report.findings:
        node = finding.location.node if finding.location else None
        if node and node.startswith("#"):
            head = node[1:].split(" ", 1)[0]
            if head.isdecimal():
                ids.add(int(head))
    return ids


@sink
def print_explain(report: Report, verbose: bool = False) -> None:
    con = console()
    plan: ExplainPlan = report.data
    con.print(plan_tree(plan, _flagged_nodes(report), verbose))
    if report.summary:
        con.print(report.summary)
    if report.findings:
        con.print(findings_table(report.ranked(), title="Findings (ranked by time cost)"))
    else:
        con.print("[green]✔ no findings[/]")
