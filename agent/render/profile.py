"""Profile views: top functions, the hot path as a tree, and a self-contained flame graph (SVG/HTML)."""

from __future__ import annotations

import zlib
from xml.sax.saxutils import escape, quoteattr

from rich.markup import escape as escape_markup

from agent.render import console, findings_table, sink
from tools.findings import Report

FLAME_WIDTH = 1200
FLAME_ROW = 17
FLAME_MIN_PX = 0.5  # frames narrower than this are not drawn
FLAME_CHAR_PX = 6.6  # width of one character at 11 px monospace, to clip labels


def _amount(value: float, unit: str) -> str:
    if unit != "seconds":
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


@sink
def print_profile(report: Report) -> None:
    from rich.table import Table
    from rich.tree import Tree

    data = report.data
    con = console()
    if report.summary:
        con.print(report.summary)
    table = Table(title=f"Top functions by self time ({data.unit})", expand=False)
    for col in ("function", "calls", "self", "self %", "cumulative", "cum %"):
        table.add_column(col, justify="left" if col == "function" else "right", overflow="fold")
    for row in data.top_self:
        calls = f"{row.calls:,}" if row.calls is not None else "–"
        if row.calls is not None and row.primitive_calls not in (None, row.calls):
            calls = f"{row.calls:,}/{row.primitive_calls:,}"
        table.add_row(row.name, calls, _amount(row.self_time, data.unit), f"{row.self_pct:.1f}",
                      _amount(row.cum_time, data.unit), f"{row.cum_pct:.1f}")
    con.print(table)
    if data.hot_path:
        tree = Tree("[bold]hot path[/] (inclusive share of the profile)")
        node = tree
        for frame in data.hot_path:
            style = "bold red" if frame.pct >= 50 else "yellow" if frame.pct >= 20 else "default"
            calls = f", {frame.calls:,} calls" if frame.calls is not None else ""
            label = (f"[{style}]{frame.pct:5.1f}%[/] {escape_markup(frame.name)} "
                     f"[dim]({_amount(frame.total, data.unit)}, self {_amount(frame.self_time, data.unit)}{calls})[/]")
            node = node.add(label)
        con.print(tree)
    for note in data.skipped:
        con.print(f"[yellow]skipped:[/] {escape_markup(note)}")
    if report.findings:
        con.print(findings_table(report.ranked(), title="Findings"))
    else:
        con.print("[green]✔ no findings[/]")


@sink
def flamegraph_svg(root, title: str, unit: str) -> str:
    """A flame graph of a call tree (``tools.profile.Node``): root at the bottom, width = share of time."""
    from tools.profile import display_name

    total = root.total or 1.0
    rows: list[tuple[int, float, float, str, float]] = []  # depth, x, width, name, value
    todo = [(root, 0, 0.0)]
    while todo:
        node, depth, x = todo.pop()
        width = node.total / total * FLAME_WIDTH
        if width < FLAME_MIN_PX:
            continue
        name = "all" if depth == 0 else display_name(node.key)
        rows.append((depth, x, width, name, node.total))
        child_x = x
        for child in sorted(node.children.values(), key=lambda n: display_name(n.key)):
            todo.append((child, depth + 1, child_x))
            child_x += child.total / total * FLAME_WIDTH
    depth_max = max((r[0] for r in rows), default=0)
    height = (depth_max + 1) * FLAME_ROW + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{FLAME_WIDTH}" height="{height}" '
        f'viewBox="0 0 {FLAME_WIDTH} {height}" font-family="monospace" font-size="11">',
        f'<text x="{FLAME_WIDTH / 2}" y="18" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    for depth, x, width, name, value in rows:
        y = height - (depth + 1) * FLAME_ROW
        tip = f"{name} — {_amount(value, unit)} ({100 * value / total:.1f}%)"
        chars = int((width - 6) / FLAME_CHAR_PX)
        label = name if len(name) <= chars else (name[: chars - 2] + ".." if chars > 3 else "")
        parts.append(
            f'<g><title>{escape(tip)}</title><rect x="{x:.2f}" y="{y}" width="{width:.2f}" '
            f'height="{FLAME_ROW - 1}" fill={quoteattr(_colour(name))} rx="2"/>'
            + (f'<text x="{x + 3:.2f}" y="{y + 12}">{escape(label)}</text>' if label else "")
            + "</g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


@sink
def flamegraph_html(root, title: str, unit: str) -> str:
    svg = flamegraph_svg(root, title, unit)
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:1em}svg g:hover rect{stroke:#000;stroke-width:.8}</style>"
        f"</head><body><p>Hover a frame for its time; width is the share of the profile.</p>\n{svg}\n</body></html>\n"
    )


def _colour(name: str) -> str:
    """Warm flame colours, stable per function name."""
    h = zlib.crc32(name.encode())
    return f"rgb({205 + h % 50},{80 + (h >> 8) % 120},{30 + (h >> 16) % 40})"
