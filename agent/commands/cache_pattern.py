"""`lmagent cache-pattern PATTERN --key TEMPLATE --ttl SECONDS`: generate Redis caching code."""

from __future__ import annotations

import argparse

from agent.commands._common import add_force_arg, add_json_arg

_EPILOG = """\
patterns: cache-aside, write-through, write-behind, invalidation, stampede-lock, stampede-xfetch,
negative-cache (`--list` describes them; docs/cache-patterns/<pattern>.md explains the trade-offs).

example: lmagent cache-pattern stampede-lock --key 'user:{user_id}' --ttl 600 --async --out user_cache.py
"""


def register(sub) -> None:
    p = sub.add_parser(
        "cache-pattern",
        help="generate production-grade Redis caching code (cache-aside, stampede lock, xfetch...)",
        description="Generate a self-contained Python module for redis-py (or redis.asyncio) that "
        "implements a caching pattern with key templates, TTL jitter, safe locks and graceful "
        "fallback to the source when Redis is down.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pattern", nargs="?", metavar="PATTERN", help="the caching pattern to generate")
    p.add_argument("--key", metavar="TEMPLATE",
                   help="key template over the cached function's parameters, e.g. 'user:{user_id}'")
    p.add_argument("--ttl", metavar="SECONDS", type=int, help="time to live in seconds, jittered +/-10%%")
    p.add_argument("--async", dest="use_async", action="store_true",
                   help="generate for redis.asyncio and async def functions")
    p.add_argument("--serializer", choices=["json", "pickle", "msgpack"], default="json",
                   help="value encoding (default: %(default)s)")
    p.add_argument("--out", metavar="FILE", help="write the module to FILE instead of printing it")
    add_force_arg(p, "--out")
    p.add_argument("--list", action="store_true", help="list the patterns with a one-line summary")
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.render import print_json
    from tools.cache_patterns import PATTERN_NAMES, PATTERNS
    from tools.errors import InputError
    from tools.safe_write import check_target, write_file

    if args.list:
        if args.json:
            print_json(PATTERNS)
        else:
            from agent.render.cache_pattern import print_pattern_list

            print_pattern_list(PATTERNS)
        return 0
    if args.pattern is None:
        raise InputError(f"give a PATTERN: one of {', '.join(PATTERN_NAMES)}", path="cache-pattern")
    if args.out:
        check_target(args.out, force=args.force)
    report = _generate(args)
    if args.out:
        write_file(args.out, report.data.code, force=args.force)
    if args.json:
        print_json(report)
        return 0
    from agent.render.cache_pattern import print_generated

    print_generated(report, written_to=args.out)
    return 0


def _generate(args: argparse.Namespace):
    from pydantic import ValidationError

    from tools.cache_patterns import CachePatternInput, cache_pattern_tool
    from tools.errors import InputError

    try:
        given = {"key": args.key, "ttl": args.ttl}  # omitted ones take the model's defaults
        inp = CachePatternInput(
            pattern=args.pattern, use_async=args.use_async, serializer=args.serializer,
            **{name: value for name, value in given.items() if value is not None},
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = {"pattern": "PATTERN", "key": "--key", "ttl": "--ttl"}.get(str(error["loc"][0]), "cache-pattern")
        message = error["msg"].removeprefix("Value error, ")
        raise InputError(message, path=where) from None
    return cache_pattern_tool(inp)

