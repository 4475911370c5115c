"""`lmagent thresholds FILE...`: check measurements against the persona's target tables."""

from __future__ import annotations

import argparse

from agent.commands._common import add_json_arg, add_personas_arg

FORMATS_HELP = (
    "k6 --summary-export or handleSummary JSON, Locust *_stats.csv, Lighthouse/PageSpeed JSON, "
    "vegeta `report -type=json`, latency samples (one a line with unit, optional status), "
    "or YAML/JSON 'name: value' metrics; '-' reads stdin"
)


def add_persona_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--persona", metavar="SLUG|FILE", default=None,
                        help="persona whose tables give the targets (default: performance-engineer)")
    add_personas_arg(parser)
    parser.add_argument("--apdex-t", metavar="MS", type=float, default=None,
                        help="Apdex threshold T in ms (default: the persona's, else 500)")


def register(sub) -> None:
    p = sub.add_parser(
        "thresholds", help="check load-test and web-vitals results against the persona's targets",
        description="Check measurements against the Target/Critical and Good/Needs Improvement/Poor tables "
                    "of a persona. Exit 0 when nothing fails, 1 when a critical bound is broken, "
                    "2 on unreadable input.")
    p.add_argument("files", nargs="*", metavar="FILE", help=FORMATS_HELP)
    p.add_argument("--text", metavar="MESSAGE", default=None,
                   help="check the metrics stated in a message, e.g. 'P95 de 1.8 segundos, error rate 2%%'")
    add_persona_args(p)
    p.add_argument("--percentile-method", choices=["nearest-rank", "linear"], default="nearest-rank",
                   help="how percentiles of raw samples are computed (default: nearest-rank)")
    add_json_arg(p)
    p.set_defaults(func=run)


def persona_path(args: argparse.Namespace) -> str | None:
    """A persona file path from --persona (a slug resolved through the registry, or a .md path)."""
    choice = args.persona
    if choice and (choice.endswith(".md") or "/" in choice):
        return choice
    if choice is None and args.personas is None:
        return None  # the tool's default: the shipped Performance Engineer
    from agent.commands._common import load_registry

    return load_registry(args).get(choice or "performance-engineer").path


def validated(model, **fields):
    """The tool's input model, with a bad value reported as one usage line instead of a traceback."""
    from pydantic import ValidationError

    from tools.errors import InputError

    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: {first['msg']}") from None


def run(args: argparse.Namespace) -> int:
    from tools.errors import InputError
    from tools.thresholds import ThresholdsInput, thresholds_tool

    if not args.files and args.text is None:
        raise InputError("give at least one FILE or --text MESSAGE")
    report = thresholds_tool(validated(
        ThresholdsInput, paths=args.files, text=args.text, persona_path=persona_path(args),
        apdex_t_ms=args.apdex_t, percentile_method=args.percentile_method))
    if args.json:
        from agent.render import print_json

        print_json(report)
    else:
        from agent.render.thresholds import print_thresholds

        print_thresholds(report)
    return 1 if report.data.verdict == "fail" else 0
