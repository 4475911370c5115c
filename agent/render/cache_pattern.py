"""Views of the cache-pattern generator: the pattern list and the generated module."""

from __future__ import annotations

import textwrap

from agent.render import console, sink


@sink
def print_pattern_list(patterns: dict[str, str]) -> None:
    from rich.table import Table

    table = Table(title="cache patterns")
    table.add_column("pattern", style="bold", no_wrap=True)
    table.add_column("what it does", overflow="fold")
    for name, summary in patterns.items():
        table.add_row(name, summary)
    console().print(table)


@sink
def print_generated(report, written_to: str | None = None) -> None:
    """The explanation and usage, then the code with syntax highlighting (or where it was written)."""
    from rich.markup import escape
    from rich.panel import Panel
    from rich.syntax import Syntax

    from agent.render import finding_line
    from tools.cache_patterns.generator import install_command_args

    data = report.data
    con = console()
    if not con.is_terminal and not written_to:
        # Piped or redirected (`> cache.py`): exactly the module, never wrapped or decorated.
        import sys

        sys.stdout.write(data.code)
        return
    con.print(Panel(f"{data.explanation}\n\n[dim]{data.doc}[/]", title=f"[bold]{data.pattern}[/]", expand=False))
    for finding in report.ranked():
        con.print(f"[yellow]▲ {escape(finding_line(finding))}[/]")
    if written_to:
        con.print(f"[green]✔[/] wrote {written_to} ({data.code.count(chr(10))} lines); "
                  f"install: pip install {install_command_args(data.serializer)}")
        con.print(Syntax(textwrap.dedent(data.usage).rstrip(), "python", theme="ansi_dark",
                         background_color="default", word_wrap=True))
        return
    con.print(Syntax(data.code, "python", theme="ansi_dark", background_color="default", word_wrap=True))
