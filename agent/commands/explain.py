"""`lmagent explain [FILE|-]`: analyze a PostgreSQL EXPLAIN plan (TEXT or JSON) offline."""

from __future__ import annotations

import argparse

from agent.commands._common import add_fail_on_arg, add_json_arg


def register(sub) -> None:
    p = sub.add_parser(
        "explain",
        help="analyze a PostgreSQL EXPLAIN plan: tree, hot path, ranked findings",
        description=(
            "Analyze EXPLAIN output (TEXT or FORMAT JSON; psql, pgAdmin and DBeaver pastes accepted). "
            "Shows the plan tree with exclusive-time bars and the hot path, then findings ranked by the "
            "time they cost. Exit 0 when analyzed, 1 when a finding reaches --fail-on, 2 on unreadable input."
        ),
    )
    p.add_argument("file", nargs="?", default="-", metavar="FILE", help="plan file, or - for stdin (default)")
    p.add_argument("--verbose", action="store_true", help="also show informational findings and node details")
    add_fail_on_arg(p, "never")
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.render import exit_code, print_json
    from tools.errors import read_text
    from tools.explain import ExplainInput, explain_tool

    path = "<stdin>" if args.file == "-" else args.file
    text = read_text(args.file)
    report = explain_tool(ExplainInput(plan=text, verbose=args.verbose, path=path))
    if args.json:
        from agent.render.explain import explain_json

        print_json(explain_json(report))
    else:
        from agent.render.explain import print_explain

        print_explain(report, verbose=args.verbose)
    return exit_code(report, args.fail_on)
