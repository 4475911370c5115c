"""Views of threshold checks and load tests: the metric table, latency histograms, k6 results."""

from __future__ import annotations

from agent.render import console, findings_table, sink

VERDICT_STYLE = {
    "pass": ("green", "✔ pass"), "warn": ("yellow", "▲ warn"), "fail": ("bold red", "✖ fail"),
    "no-bound": ("dim", "· no bound"), "unchecked": ("dim", "· no target"), "unit-mismatch": ("yellow", "? unit"),
}
OVERALL_STYLE = {"pass": "bold green", "warn": "bold yellow", "fail": "bold red", "none": "dim"}


def metrics_table(data):
    from rich.table import Table

    table = Table(title=f"targets from {data.persona}", title_justify="left")
    many_sources = len({c.source for c in data.checks}) > 1
    scoped = any(c.scope for c in data.checks)
    if many_sources:
        table.add_column("source", overflow="fold", style="dim")
    if scoped:
        table.add_column("scope", overflow="fold")
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("critical / poor", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("how", overflow="fold", style="dim")
    for c in data.checks:
        style, label = VERDICT_STYLE[c.verdict]
        value = c.display + (f" [dim](was {_was(c)})[/]" if c.before is not None else "")
        row = ([c.source] if many_sources else []) + ([c.scope or "all"] if scoped else [])
        row += [c.label, value, c.target or "", c.critical or "", f"[{style}]{label}[/]", c.method]
        table.add_row(*row)
    return table


def _was(check) -> str:
    from tools.metrics_text import format_value

    return format_value(check.before, check.unit)


def histogram_lines(source, width: int = 40) -> list[str]:
    """One bar per bin: upper edge, bar, count (rich markup)."""
    from tools.metrics_text import format_value

    bins = source.histogram or []
    peak = max((b.count for b in bins), default=0) or 1
    lines = [f"[bold]latency histogram[/] {source.path} ({source.samples} samples)"]
    for b in bins:
        bar = "█" * max(1 if b.count else 0, round(b.count / peak * width))
        lines.append(f"  ≤ {format_value(b.upper_ms, 'ms'):>9} │[cyan]{bar:<{width}}[/] {b.count}")
    return lines


@sink
def print_thresholds(report) -> None:
    con = console()
    data = report.data
    con.print(f"[{OVERALL_STYLE[data.verdict]}]{report.summary}[/]")
    if data.checks:
        con.print(metrics_table(data))
    for source in data.sources:
        if source.histogram:
            con.print("\n".join(histogram_lines(source)))
        for t in source.k6_thresholds:
            mark = "[green]✔[/]" if t.ok else "[red]✖ crossed[/]"
            con.print(f"k6 threshold {t.metric} {t.expression}: {mark}")
        for note in source.notes:
            con.print(f"[yellow]▲[/] {source.path}: {note}")
    con.print(f"[dim]percentiles of raw samples: {data.percentile_method}; "
              f"Apdex T = {data.apdex_t_ms:g} ms ({data.apdex_t_source})[/]")
    notes = {f"{c.label}: {n}" for c in data.checks for n in c.notes}
    for note in sorted(notes):
        con.print(f"[yellow]▲[/] {note}")
    if data.unmeasured:
        con.print(f"[dim]not measured: {', '.join(data.unmeasured)}[/]")
    for note in data.notes:
        con.print(f"[yellow]▲[/] {note}")
    if report.findings:
        con.print(findings_table(report.ranked(), title="findings"))


@sink
def print_loadtest(report) -> None:
    con = console()
    data = report.data
    if data.command:
        con.print(f"[dim]$ {' '.join(data.command)}  (exit {data.k6_exit_code})[/]")
    if data.thresholds is not None:
        from tools.findings import Report

        print_thresholds(Report(tool=report.tool, findings=report.findings, data=data.thresholds,
                                summary=report.summary))
