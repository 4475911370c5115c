"""Trace views: the critical path of the slowest traces as a tree, time by service/kind, span percentiles."""

from __future__ import annotations

from rich.markup import escape

from agent.render import console, findings_table, sink
from tools.findings import Report


@sink
def print_traces(report: Report, span_rows: int = 10) -> None:
    from rich.table import Table
    from rich.tree import Tree

    data = report.data
    con = console()
    if report.summary:
        con.print(report.summary)
    for trace in data.slowest_traces:
        tree = Tree(f"[bold]critical path[/] of trace {trace.trace_id} — {escape(trace.root)} "
                    f"({escape(trace.service)}) {trace.duration_ms:,.1f} ms, {trace.spans} spans"
                    + (f", [red]{trace.errors} errors[/]" if trace.errors else ""))
        parents = {-1: tree}
        for steps in _runs(trace.critical_path):
            step = steps[0]
            critical = sum(s.critical_ms for s in steps)
            share = critical / trace.duration_ms if trace.duration_ms else 0.0
            style = "bold red" if share >= 0.5 else "yellow" if share >= 0.2 else "dim" if share < 0.01 else "default"
            times = f"{len(steps)} × " if len(steps) > 1 else ""
            label = (f"{times}{escape(step.name)} [dim]({escape(step.service)}, {step.kind})[/] "
                     f"{sum(s.duration_ms for s in steps):,.1f} ms · [{style}]{critical:,.1f} ms on the path[/]")
            parents[step.depth] = parents[step.depth - 1].add(label)
        con.print(tree)
    shares = Table(title="Self time by service and span kind (all traces)", expand=False)
    for col in ("", "name", "self ms", "%", "spans"):
        shares.add_column(col, justify="right" if col in ("self ms", "%", "spans") else "left")
    for group, rows in (("service", data.by_service), ("kind", data.by_kind)):
        for row in rows[:8]:
            shares.add_row(group, escape(row.name), f"{row.self_ms:,.1f}", f"{row.pct:.1f}", f"{row.spans:,}")
    con.print(shares)
    stats = Table(title="Span durations (nearest-rank percentiles)", expand=False)
    for col in ("service", "span", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"):
        stats.add_column(col, justify="left" if col in ("service", "span") else "right", overflow="fold")
    for s in data.span_stats[:span_rows]:
        stats.add_row(escape(s.service), escape(s.name), f"{s.count:,}", f"{s.p50_ms:,.1f}", f"{s.p95_ms:,.1f}",
                      f"{s.p99_ms:,.1f}", f"{s.max_ms:,.1f}", str(s.errors or ""))
    con.print(stats)
    for skipped in data.skipped:
        examples = f" (e.g. {', '.join(skipped.examples)})" if skipped.examples else ""
        con.print(f"[yellow]skipped:[/] {skipped.count:,} {escape(skipped.reason)}{escape(examples)}")
    if report.findings:
        con.print(findings_table(report.ranked(), title="Findings"))
    else:
        con.print("[green]✔ no findings[/]")


def _runs(steps):
    """Consecutive leaf siblings with the same name and service, shown as one `N ×` line."""
    runs: list[list] = []
    prev_leaf = False
    for i, step in enumerate(steps):
        is_leaf = i + 1 == len(steps) or steps[i + 1].depth <= step.depth
        first = runs[-1][0] if runs else None
        if (first is not None and prev_leaf and is_leaf and first.depth == step.depth
                and first.name == step.name and first.service == step.service):
            runs[-1].append(step)
        else:
            runs.append([step])
        prev_leaf = is_leaf
    return runs
