"""`lmagent route "message"`: which persona answers, with how much confidence and why."""

from __future__ import annotations

import argparse

from agent.commands._common import add_json_arg, add_personas_arg, load_registry


def register(sub) -> None:
    p = sub.add_parser("route", help="show which persona a message goes to, and why",
                       description="Route a message to the persona whose triggers fit it (offline, deterministic).")
    p.add_argument("message", help="the user's message (Spanish or English)")
    add_personas_arg(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.render import print_json
    from agent.router import Router

    if not args.message.strip():
        import sys

        print("lmagent route: error: the message is empty", file=sys.stderr)
        return 2
    result = Router(list(load_registry(args))).route(args.message)
    if args.json:
        print_json({
            "persona": result.persona,
            "confidence": result.confidence,
            "matched": result.matched,
            "alternatives": [a.model_dump() for a in result.alternatives],
            "explicit": result.explicit,
            "fallback": result.fallback,
        })
        return 0
    from agent.render.personas import print_route

    print_route(result)
    return 0
