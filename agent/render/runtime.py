"""Views of a conversation turn: the persona trail, the answer, tool calls and the cost ledger."""

from __future__ import annotations

import sys

from agent.render import console, findings_table, sink


def trail_text(result, names: dict[str, str]) -> str:
    steps = []
    for step in result.trail:
        name = names.get(step.persona, step.persona)
        steps.append(name if step.from_persona is None else f"→ {name} [dim]({step.by})[/]")
    return " ".join(steps)


_OFFLINE_USAGE = {"es": "modelo offline · sin tokens ni coste", "en": "offline model · no tokens, no cost"}


def usage_text(usage, lang: str = "en") -> str:
    if usage.calls and all(call.model == "offline" for call in usage.calls):
        return _OFFLINE_USAGE.get(lang, _OFFLINE_USAGE["en"])
    usd = "unpriced" if usage.usd is None else f"${usage.usd:.4f}"
    thread = "" if usage.thread_usd is None else f", conversation ${usage.thread_usd:.4f}"
    per = ", ".join(f"{p} {'?' if v is None else f'${v:.4f}'}" for p, v in usage.by_persona.items())
    return (f"{usage.prompt_tokens} in / {usage.completion_tokens} out tokens, {usd}{thread}"
            + (f" ({per})" if per and len(usage.by_persona) > 1 else ""))


@sink
def print_turn(result, names: dict[str, str], *, answer: bool = True, lang: str = "en") -> None:
    """Rich view of a turn; ``answer=False`` when the answer was already streamed; ``lang`` of the message."""
    from rich.markdown import Markdown
    from rich.rule import Rule

    con = console()
    con.print(Rule(trail_text(result, names), style="cyan", align="left"))
    if answer:
        for seg in result.segments:
            if len(result.segments) > 1:
                con.print(f"[bold cyan]{names.get(seg.persona, seg.persona)}[/]")
            con.print(Markdown(seg.text))
    for notice in result.notices:
        con.print(f"[yellow]{notice}[/]")
    if result.findings:
        con.print(findings_table(result.findings, title="findings"))
    if result.tool_calls:
        con.print("[dim]tools: " + ", ".join(f"{c.tool} ({c.persona}, {c.findings} findings)"
                                              for c in result.tool_calls) + "[/]")
    con.print(f"[dim]thread {result.thread_id} · {usage_text(result.usage, lang)}[/]")


class LiveTurn:
    """Prints a turn's events as they happen: each persona's streamed tokens under its name,
    handoffs and tool calls as one dim line. Offline answers arrive whole, so their tokens are
    skipped and ``print_turn`` renders them as Markdown afterwards."""

    def __init__(self, names: dict[str, str], stream_tokens: bool) -> None:
        self.names = names
        self.stream_tokens = stream_tokens
        self.speaker: str | None = None
        self.streamed = False  # some answer text is already on screen

    @sink
    def __call__(self, event: dict) -> None:
        con = console()
        kind = event.get("type")
        if kind == "token" and self.stream_tokens:
            if self.speaker != event["persona"]:
                self.end_line()
                con.print(f"[bold cyan]{self.names.get(event['persona'], event['persona'])}[/]")
                self.speaker = event["persona"]
            sys.stdout.write(event["text"])
            sys.stdout.flush()
            self.streamed = True
        elif kind == "handoff":
            self.end_line()
            con.print(f"[magenta]→ {self.names.get(event['to'], event['to'])}[/] [dim]({event['by']}: {event['reason']})[/]")
        elif kind == "tools":
            self.end_line()
            con.print(f"[dim]… {', '.join(event['calls'])}[/]")

    def end_line(self) -> None:
        if self.speaker is not None:
            sys.stdout.write("\n")
            self.speaker = None
