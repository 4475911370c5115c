"""The one place that turns Reports and Findings into output.

Tools never print or colour anything; commands call these functions. Tool-specific views (a plan
tree, a metrics table, a hot path) live in ``agent/render/<tool>.py`` and reuse the helpers here.

Every view that emits text is a :func:`sink`: what it is given is masked (tools.secrets) before it
reads it, so no output format — terminal, JSON, Markdown, SARIF, rdjsonl, a GitHub review, a chat
turn — shows a secret its input held. Error lines are masked by :func:`error_line`.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from tools.findings import Finding, Report

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SEVERITY_ICON = {"error": "✖", "warning": "▲", "info": "●"}

_console = None
_View = TypeVar("_View", bound=Callable[..., Any])


def sink(view: _View) -> _View:
    """Mark a view as an output: its arguments are masked before it sees them (a copy: the caller's
    objects are left as they are)."""

    @functools.wraps(view)
    def masked_view(*args: Any, **kwargs: Any) -> Any:
        from tools.secrets import mask_value

        return view(*mask_value(args), **mask_value(kwargs))

    return masked_view  # type: ignore[return-value]


def error_line(text: str) -> str:
    """A message for stderr, masked: errors quote input (a DSN, a statement, a server's answer)."""
    from tools.secrets import mask_secrets

    return mask_secrets(text)


class _MaskingFilter:
    """A logging filter that masks each record's final message (libraries log the SQL they choke on)."""

    def filter(self, record) -> bool:
        record.msg, record.args = error_line(record.getMessage()), None
        return True


def mask_logs() -> None:
    """Route log records and Python warnings to stderr through the masking filter (once)."""
    import logging

    class StderrHandler(logging.StreamHandler):
        @property
        def stream(self):  # whatever sys.stderr is now (tests and the chat REPL replace it)
            return sys.stderr

        @stream.setter
        def stream(self, value) -> None:
            pass

    root = logging.getLogger()
    if any(isinstance(f, _MaskingFilter) for h in root.handlers for f in h.filters):
        return
    handler = StderrHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(_MaskingFilter())
    root.addHandler(handler)
    logging.captureWarnings(True)


def console(stderr: bool = False):
    """The shared rich Console (created on first use: rich costs import time)."""
    global _console
    from rich.console import Console

    if stderr:
        return Console(stderr=True)
    if _console is None:
        _console = Console()
    return _console


def to_jsonable(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


@sink
def print_json(value: Any) -> None:
    """Machine output: plain JSON on stdout, no colour, stable key order from the models."""
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


@sink
def finding_line(f: Finding) -> str:
    """One plain-text line: `location: CODE [severity] message`."""
    where = f"{f.location}: " if f.location and str(f.location) else ""
    return f"{where}{f.code} [{f.severity}] {f.message}"


@sink
def findings_table(findings: list[Finding], title: str | None = None):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("where", overflow="fold")
    table.add_column("finding", overflow="fold")
    table.add_column("fix", overflow="fold")
    for f in findings:
        sev = SEVERITY_STYLE[f.severity]
        # Messages quote user input ("[masked:...]", SQL arrays): never read them as rich markup.
        fix = escape(f.suggestion or "")
        if f.handoff:
            fix = f"{fix}\n→ {f.handoff}" if fix else f"→ {f.handoff}"
        table.add_row(
            f"[{sev}]{SEVERITY_ICON[f.severity]}[/]",
            f"[{sev}]{escape(f.code)}[/]\n[dim]{escape(f.kind)}[/]",
            escape(str(f.location or "")),
            escape(f.message),
            fix,
        )
    return table


@sink
def print_report(report: Report, title: str | None = None) -> None:
    """Default human view of a Report: summary line, then the ranked findings."""
    from rich.markup import escape

    con = console()
    if report.summary:
        con.print(escape(report.summary))
    if report.findings:
        con.print(findings_table(report.ranked(), title=title))
    else:
        con.print("[green]✔ no findings[/]")


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_MARKDOWN_SPECIAL = re.compile(r"[\\`*<\[\]]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def markdown_text(text: str) -> str:
    """Tool text as literal Markdown, its `code spans` kept: '<module>' or '<built-in method
    time.sleep>' would be an HTML tag that terminals and GitHub drop, '__init__' bold, '[x](y)' a
    link (pull-request text must not become the bot's links); intraword underscores (seq_scan) stay."""
    parts = _CODE_SPAN.split(text)
    for i in range(0, len(parts), 2):  # even pieces are outside code spans
        parts[i] = _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), parts[i])
    return "".join(parts)


@sink
def findings_markdown(findings: list[Finding], heading: str | None = None) -> str:
    lines = [f"### {heading}", ""] if heading else []
    if not findings:
        lines.append("No findings.")
        return "\n".join(lines)
    lines += ["| | code | where | finding | fix |", "|---|---|---|---|---|"]
    for f in findings:
        fix = markdown_text(f.suggestion or "")
        if f.handoff:
            fix = f"{fix} (→ {f.handoff})".strip()
        cells = [SEVERITY_ICON[f.severity], f"`{f.code}` {f.kind}", markdown_text(str(f.location or "")),
                 markdown_text(f.message), fix]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)


def exit_code(report: Report, fail_on: str = "error") -> int:
    """1 when a finding reaches the --fail-on severity, else 0."""
    from tools.findings import SEVERITY_RANK

    if fail_on == "never":
        return 0
    floor = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] >= floor for f in report.findings) else 0
