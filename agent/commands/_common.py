"""Arguments and helpers shared by several subcommands."""

from __future__ import annotations

import argparse


def add_personas_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--personas", metavar="DIR", default=None,
        help="directory of persona files (default: $LMAGENT_PERSONAS or the shipped personas/)",
    )


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines instead of rich output")


def load_registry(args: argparse.Namespace):
    from agent.registry import Registry

    return Registry.from_dir(getattr(args, "personas", None))


def add_fail_on_arg(parser: argparse.ArgumentParser, default: str, why: str = "") -> None:
    """`--fail-on`: exit 1 when a finding reaches this severity (agent.render.exit_code reads it)."""
    parser.add_argument(
        "--fail-on", choices=("info", "warning", "error", "never"), default=default,
        help=f"exit 1 when a finding has at least this severity (default: {default}{why})",
    )


def add_force_arg(parser: argparse.ArgumentParser, option: str) -> None:
    """`--force`: the files a command writes (tools.safe_write) replace an existing file only with it."""
    parser.add_argument("--force", action="store_true",
                        help=f"overwrite the file {option} names if it exists (a symlink is refused even then)")
