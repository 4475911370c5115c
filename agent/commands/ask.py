"""`lmagent ask "..."`: one turn of a conversation, answered by the persona team."""

from __future__ import annotations

import argparse

from agent.commands._common import add_json_arg, add_personas_arg


def usd(text: str) -> float:
    """--max-cost: float() also reads 'nan', and no spending is ever over nan: the limit vanished."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"not an amount of US dollars: {text!r}")
    return value


def add_runtime_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by `ask` and `chat`."""
    add_personas_arg(parser)
    parser.add_argument("--persona", metavar="SLUG", help="answer with this persona (skip the router)")
    parser.add_argument("--thread", metavar="ID", help="continue this conversation (default: a new thread)")
    parser.add_argument("--offline", action="store_true",
                        help="use the deterministic offline model even when OPENAI_API_KEY/OPENAI_BASE_URL are set")
    parser.add_argument("--max-cost", type=usd, metavar="USD",
                        help="stop before a model call would take the conversation over this many US dollars")
    parser.add_argument("--db", metavar="URL",
                        help="conversation store: SQLite path, postgres:// URL, 'memory' or 'none' "
                             "(default: $LMAGENT_CHECKPOINT_URL or a file in the user data dir)")


def register(sub) -> None:
    p = sub.add_parser("ask", help="ask the persona team one question (offline by default, LLM when configured)",
                       description="Route a message to a persona, run the tools it calls for, hand off when "
                                   "a partner owns the fix, and print the answer.")
    p.add_argument("message", help="the question; '-' reads it from stdin (paste a plan, a diff, metrics...)")
    p.add_argument("--attach", action="append", default=[], metavar="PATH",
                   help="a file (or directory) the team's tools may read: a profile, traces, a k6 summary... "
                        "(repeatable). Paths written in the message are not opened")
    add_runtime_args(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def open_runtime(args: argparse.Namespace):
    from agent.runtime import Runtime

    return Runtime.from_dir(args.personas, offline=True if args.offline else None, checkpoint=args.db)


def run(args: argparse.Namespace) -> int:
    import sys

    from agent.model import LLMError
    from tools.errors import read_text

    message = read_text("-") if args.message == "-" else args.message
    with open_runtime(args) as runtime:
        from agent.render.runtime import LiveTurn

        live = LiveTurn(runtime.names, stream_tokens=not runtime.model.offline)
        try:
            result = runtime.ask(message, thread_id=args.thread, persona=args.persona, max_cost=args.max_cost,
                                 on_event=live if not args.json and sys.stdout.isatty() else None,
                                 attachments=args.attach)
        except LLMError as exc:
            from agent.render import error_line

            print(error_line(f"lmagent ask: {exc}"), file=sys.stderr)
            return 1
        live.end_line()
        if args.json:
            from agent.render import print_json

            print_json(result.model_dump(mode="json", by_alias=True, exclude_none=True))
        else:
            from agent.language import detect_language
            from agent.render.runtime import print_turn

            print_turn(result, runtime.names, answer=not live.streamed, lang=detect_language(message))
    return 0
