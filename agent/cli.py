"""lmagent command line: parse arguments, call the library, render.

Each subcommand lives in ``agent/commands/<name>.py`` and exposes ``register(subparsers)``; its
heavy imports happen inside its run function, so ``lmagent route`` never pays for LangGraph or the
openai client. Exit status: 0 success, 1 a check failed, 2 usage or unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from tools.errors import InputError

# Module names under agent.commands, in --help order.
COMMANDS = (
    "personas",
    "route",
    "ask",
    "chat",
    "explain",
    "cache_pattern",
    "sql",
    "db",
    "thresholds",
    "loadtest",
    "profile",
    "traces",
    "review",
    "rules",
)


class _Parser(argparse.ArgumentParser):
    """Usage errors quote the argument (`--max-cost: not an amount: '<what was typed>'`): masked."""

    def error(self, message: str):
        from agent.render import error_line

        super().error(error_line(message))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lmagent",
        description="Performance-engineering personas with deterministic tools, in chat, CI and code review.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"agent.commands.{name}").register(sub)
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("lmagent")
    except PackageNotFoundError:
        return "0+unknown"


class _VersionAction(argparse.Action):
    """Looks the version up only when asked: importlib.metadata costs ~0.1 s on every start."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"lmagent {version()}")
        parser.exit()


def _load_env() -> None:
    """Settings come from the environment; a .env in the working directory fills the gaps."""
    if os.path.exists(".env"):
        from dotenv import load_dotenv

        load_dotenv(".env", override=False)


def main(argv: list[str] | None = None) -> int:
    _load_env()
    args = build_parser().parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Run a parsed command, turning every failure into one stderr line (masked) and an exit code."""
    from agent.render import error_line, mask_logs

    mask_logs()
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(error_line(str(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error worth a traceback.
        sys.stderr.close()
        return 0
    except Exception as exc:  # a bug: still one line and exit 2 (as ruff does), the traceback on request
        if os.environ.get("LMAGENT_DEBUG"):
            raise
        print(error_line(f"lmagent: internal error: {type(exc).__name__}: {exc} (set LMAGENT_DEBUG=1 for the "
                         "traceback; please report it with the input)"), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
