"""`lmagent chat`: a REPL with the persona team. The prompt appears at once; LangGraph, the openai
client and the team load in a background thread while the user types the first message."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from agent.commands.ask import add_runtime_args

HELP = """commands:
  /<persona>         answer with that persona from now on (e.g. /perf, /data); /auto to route again
  /<persona> TEXT    ask that persona once
  /reset             start a new conversation      /history   show this conversation
  /personas          list the team                 /cost      cost of this conversation
  /attach PATH       let the team's tools read this file (a profile, traces, a k6 summary...)
  /help              this help                     /exit      leave (also Ctrl-D)
  ```                a line of three backticks starts and ends a multi-line paste (plans, diffs)"""


def register(sub) -> None:
    p = sub.add_parser("chat", help="talk with the persona team (streamed answers, handoffs, /persona commands)",
                       description="Interactive conversation with the persona team. " + HELP.replace("\n", " "),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_runtime_args(p)
    p.set_defaults(func=run)


class _Background:
    """Builds the Runtime off the main thread; ``get()`` waits for it (and re-raises its error)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.value = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._load, name="lmagent-load", daemon=True)
        self.thread.start()

    def _load(self) -> None:
        try:
            from agent.commands.ask import open_runtime

            self.value = open_runtime(self.args)
        except BaseException as exc:  # surfaced on the main thread by get()
            self.error = exc

    def get(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value


def run(args: argparse.Namespace) -> int:
    import uuid

    loader = _Background(args)
    sys.stdout.write("lmagent chat — /help for commands, /exit to leave\n")
    sys.stdout.flush()
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    thread_id = args.thread or uuid.uuid4().hex[:12]
    forced: str | None = args.persona
    active: str | None = None
    attached: list[str] = []  # given with the next message (then kept by the thread)
    try:
        while True:
            try:
                line = input(f"[{forced or active or 'auto'}] › ").strip()
            except EOFError:
                sys.stdout.write("\n")
                break
            if not line:
                continue
            if line == "```":  # a pasted plan, diff or trace spans lines
                block = []
                while (more := input()).strip() != "```":
                    block.append(more)
                pasted = "\n".join(block).strip()
                if not pasted:
                    continue
                from agent.fence import paste_block

                line = paste_block(pasted)  # kept a code block: the model gets it fenced as data
            message, once = line, None
            if line.startswith("/"):
                head, _, rest = line[1:].partition(" ")
                head = head.lower()
                if head in ("exit", "quit", "q"):
                    break
                if head == "help":
                    print(HELP)
                    continue
                runtime = loader.get()
                if head == "reset":
                    thread_id, forced, active = uuid.uuid4().hex[:12], args.persona, None
                    print(f"new conversation {thread_id}")
                    continue
                if head == "history":
                    _print_history(runtime, thread_id)
                    continue
                if head == "personas":
                    print("  ".join(f"/{slug}" for slug in runtime.names))
                    continue
                if head == "cost":
                    _print_cost(runtime, thread_id)
                    continue
                if head == "auto":
                    forced = None
                    continue
                if head == "attach":
                    attached += _attach(rest.strip())
                    continue
                slug = runtime.router.resolve_mention(head)
                if slug is None:
                    print(f"unknown command or persona '/{head}' (/help, /personas)")
                    continue
                if not rest.strip():
                    forced = slug
                    print(f"now talking to {runtime.names[slug]}")
                    continue
                message, once = rest.strip(), slug
            runtime = loader.get()
            answered = _turn(runtime, message, thread_id, once or forced, args.max_cost, attached)
            if answered:
                active, attached = answered, []
    except KeyboardInterrupt:
        sys.stdout.write("\n")
    finally:
        # A failed background load was already reported (or never needed): nothing to close then.
        with contextlib.suppress(Exception):
            loader.get().close()
    return 0


def _attach(path: str) -> list[str]:
    """/attach PATH: checked now (it must exist and be no key, credentials or .env file); [] when refused."""
    from agent.render import error_line
    from agent.runtime import attach
    from tools.errors import InputError

    if not path:
        print("usage: /attach PATH")
        return []
    try:
        resolved = attach(path)
    except InputError as exc:
        print(error_line(str(exc)))
        return []
    print(f"attached {resolved}: the team's tools may read it from your next message on")
    return [resolved]


def _turn(runtime, message: str, thread_id: str, persona: str | None, max_cost: float | None,
          attachments: list[str]) -> str | None:
    from rich.markup import escape

    from agent.language import detect_language
    from agent.model import LLMError
    from agent.render import console, error_line
    from agent.render.runtime import LiveTurn, print_turn

    con = console()
    on_event = LiveTurn(runtime.names, stream_tokens=not runtime.model.offline)
    try:
        result = runtime.ask(message, thread_id=thread_id, persona=persona, max_cost=max_cost, on_event=on_event,
                             attachments=attachments)
    except LLMError as exc:
        con.print(f"[red]{escape(error_line(str(exc)))}[/]")
        return None
    except KeyboardInterrupt:
        con.print("\n[yellow]interrupted: this turn is not saved[/]")
        return None
    on_event.end_line()
    print_turn(result, runtime.names, answer=not on_event.streamed, lang=detect_language(message))
    return result.persona


def _print_history(runtime, thread_id: str) -> None:
    from rich.markup import escape

    from agent.render import console
    from tools.secrets import mask_secrets

    con = console()
    messages = runtime.history(thread_id)
    if not messages:
        con.print("[dim](empty)[/]")
    for m in messages:
        who = "you" if m["role"] == "user" else runtime.names.get(m.get("name", ""), m.get("name", "assistant"))
        con.print(f"[bold]{escape(who)}:[/] {escape(mask_secrets(m['content']))}")


def _print_cost(runtime, thread_id: str) -> None:
    usage = runtime.thread_usage(thread_id)
    usd = "unpriced" if usage["usd"] is None else f"${usage['usd']:.4f}"
    print(f"{usage['prompt_tokens']} in / {usage['completion_tokens']} out tokens, {usd} over {usage['calls']} model call(s)")
