"""`lmagent loadtest URL`: a k6 load test from the persona's targets, run on loopback and checked."""

from __future__ import annotations

import argparse

from agent.commands._common import add_json_arg
from agent.commands.thresholds import add_persona_args, persona_path, validated


def register(sub) -> None:
    p = sub.add_parser(
        "loadtest", help="write and run a k6 load test, then check it against the persona's targets",
        description="Write a k6 script in the seed persona's style (thresholds from the persona's Critical "
                    "column), run it with k6 (optional extra `load`) and check the summary. Only loopback "
                    "targets unless --allow-remote. Exit 0 pass, 1 a critical bound broken, 2 bad input "
                    "or k6 missing.")
    p.add_argument("url", metavar="URL", help="URL to GET under load, e.g. http://127.0.0.1:8000/users")
    p.add_argument("--vus", type=int, default=10, help="virtual users; the base for --scenario (default 10)")
    p.add_argument("--duration", default="30s", help="run time in k6 syntax (default 30s)")
    p.add_argument("--stages", metavar="D:N,...", default=None,
                   help="ramp stages instead of constant VUs, e.g. 10s:20,30s:20,10s:0")
    p.add_argument("--scenario", choices=["average", "spike", "stress"], default=None,
                   help="the seed's scenarios, shortened to --duration: average (ramp + hold), spike "
                        "(10x VUs), stress (arrival rate up to 10x)")
    p.add_argument("--sleep", type=float, default=1.0, metavar="S",
                   help="think time between iterations in seconds (the seed's sleep(1))")
    p.add_argument("--script-only", action="store_true", help="print the k6 script and do not run it")
    p.add_argument("--allow-remote", action="store_true", help="allow a target that is not a loopback address")
    add_persona_args(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tools.loadtest import LoadtestInput, loadtest_tool, parse_stages

    inp = validated(
        LoadtestInput, url=args.url, vus=args.vus, duration=args.duration, scenario=args.scenario, sleep_s=args.sleep,
        stages=parse_stages(args.stages) if args.stages else None, script_only=args.script_only,
        persona_path=persona_path(args), apdex_t_ms=args.apdex_t, allow_remote=args.allow_remote)
    if args.script_only:
        report = loadtest_tool(inp)
    else:
        from agent.render import console

        with console(stderr=True).status(f"k6: load-testing {args.url} ..."):
            report = loadtest_tool(inp)
    if args.json:
        from agent.render import print_json

        print_json(report)
    elif args.script_only:
        print(report.data.script, end="")
    else:
        from agent.render.thresholds import print_loadtest

        print_loadtest(report)
    thresholds = report.data.thresholds
    return 1 if thresholds is not None and thresholds.verdict == "fail" else 0
