"""`lmagent rules [CODE]`: the rule catalogue, or one rule with its docs page (like `ruff rule`)."""

from __future__ import annotations

import argparse

from agent.commands._common import add_json_arg


def register(sub) -> None:
    p = sub.add_parser(
        "rules", help="list every finding code, or show one with its docs page",
        description="List the rule catalogue (every finding code a tool can emit: PLAN, SQL, LOG, DB, THR, "
                    "CACHE, PERF, PROF, TRC), or show one rule by code or kind with its docs page. "
                    "docs/tools/rules.md says how to add a rule.",
    )
    p.add_argument("code", nargs="?", metavar="CODE", help="a code (PLAN002) or kind (disk_sort) to show")
    p.add_argument("--tool", metavar="NAME", help="list only the rules of this tool (explain, sql, codecheck...)")
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tools import catalogue
    from tools.errors import InputError

    if args.code:
        entry = catalogue.get(args.code) or catalogue.by_kind(args.code)
        if entry is None:
            raise InputError(f"unknown rule {args.code!r} (`lmagent rules` lists them)", path="lmagent rules")
        if args.json:
            from agent.render import print_json

            print_json(entry.as_json())
        else:
            from agent.render.rules import print_rule

            print_rule(entry)
        return 0
    entries = [r for r in catalogue.all_rules() if args.tool is None or r.tool == args.tool]
    if not entries:
        raise InputError(f"no rule comes from tool {args.tool!r}", path="lmagent rules")
    if args.json:
        from agent.render import print_json

        print_json([r.as_json() for r in entries])
    else:
        from agent.render.rules import print_rules

        print_rules(entries)
    return 0
