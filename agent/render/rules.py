"""Views of the rule catalogue: the table of every code, and one rule with its docs page."""

from __future__ import annotations

from agent.render import SEVERITY_STYLE, console


def print_rules(entries) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(entries)} rules (`lmagent rules CODE` shows one)", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("code", style="bold", no_wrap=True)
    table.add_column("kind · title (tool)", overflow="fold", ratio=1)
    table.add_column("severity", no_wrap=True)
    table.add_column("hands off to", no_wrap=True)
    for r in entries:
        style = SEVERITY_STYLE.get(r.severity, "")
        table.add_row(r.code, f"{r.kind}\n[dim]{escape(r.title)} ({r.tool})[/]", f"[{style}]{r.severity}[/]",
                      r.handoff or "—")
    console().print(table)


def print_rule(entry) -> None:
    """The rule's header from the catalogue, then its docs page as written (Markdown, as `ruff rule` does)."""
    import sys

    from tools.paths import docs_dir

    handoff = entry.handoff or "— (the persona that ran the tool)"
    out = [f"{entry.code} {entry.kind}: {entry.title}",
           f"severity: {entry.severity} · tool: {entry.tool} · hands off to: {handoff} · docs: {entry.docs}", ""]
    page = docs_dir() / "rules" / f"{entry.code}.md"
    if page.is_file():
        out.append(page.read_text(encoding="utf-8").rstrip())
    else:
        out += ["## Why it matters", "", entry.why.en, "", "## Fix", "", entry.fix_text("en")]
    sys.stdout.write("\n".join(out) + "\n")
