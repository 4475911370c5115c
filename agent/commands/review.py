"""`lmagent review`: review a diff or a git range for performance problems (CI and pull request bots)."""

from __future__ import annotations

import argparse
import os

from agent.commands._common import add_fail_on_arg, add_force_arg, add_json_arg, add_personas_arg

FORMATS = ("text", "json", "markdown", "sarif", "rdjsonl", "github")


def register(sub) -> None:
    p = sub.add_parser(
        "review", help="review a diff or git range: line-anchored performance findings (+ optional LLM review)",
        description="Review a change with the deterministic rules (N+1 queries, blocking calls in async, "
                    "KEYS, missing timeouts/TTLs, SQL anti-patterns, secrets). With OPENAI_API_KEY or "
                    "OPENAI_BASE_URL set (and no --offline), the routed persona adds a short written review.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--diff", metavar="FILE|-", help="unified or git diff to review ('-' reads stdin)")
    source.add_argument("--base", metavar="REF", help="review `git diff BASE...HEAD` of the current checkout")
    p.add_argument("--head", metavar="REF", help="head of the range with --base (default: HEAD)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), json, markdown (PR comment), sarif (code scanning), "
                        "rdjsonl (reviewdog), github (PR review JSON body)")
    p.add_argument("--output", action="append", default=[], metavar="FORMAT=FILE",
                   help="also write FORMAT (json, markdown, sarif, rdjsonl, github) to FILE, from the same run "
                        "(one LLM call for every format); repeatable")
    add_force_arg(p, "--output")
    add_fail_on_arg(p, "error")
    p.add_argument("--offline", action="store_true", help="never call an LLM, even when one is configured")
    p.add_argument("--config", metavar="FILE",
                   help="pyproject.toml with [tool.lmagent.review] (default: pyproject.toml of the base ref "
                        "with --base, so a change cannot switch its own review off; else ./pyproject.toml)")
    p.add_argument("--budget", type=int, metavar="TOKENS",
                   help="token budget of the diff excerpt sent to the LLM (default: 6000)")
    add_personas_arg(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.render import exit_code
    from agent.review import DEFAULT_BUDGET, GitSource, git_change, git_file, review, working_tree_files
    from tools.codecheck.config import config_from_toml, load_config, parse_config
    from tools.codecheck.diff import decode_diff, parse_diff
    from tools.errors import InputError, read_bytes
    from tools.safe_write import check_target, write_file

    if args.head and not args.base:
        raise InputError("--head needs --base")
    if args.budget is not None and args.budget < 0:
        raise InputError("--budget must be zero or more tokens")
    outputs = [_parse_output(spec) for spec in args.output]
    if len({path for _, path in outputs}) < len(outputs):
        raise InputError("two --output options name the same file")
    for _, path in outputs:  # before the review (and its LLM call), not after
        check_target(path, force=args.force)
    raw_config: dict = {}
    repository = None
    if args.base:
        head = args.head or "HEAD"
        diff_text, diffs, files, root = git_change(args.base, head)
        source = {"base": args.base, "head": head}
        repository = GitSource(root, head)
        if not args.config:
            base_pyproject = git_file(args.base, "pyproject.toml", root)
            if base_pyproject is not None:
                raw_config = config_from_toml(base_pyproject, f"{args.base}:pyproject.toml")
    else:
        # Bytes that are not UTF-8 fail only the file they are in (reported as skipped), not the review.
        diff_text = decode_diff(read_bytes(args.diff))
        diffs = parse_diff(diff_text, source=args.diff)
        diff_text = "\n".join(fd.text for fd in diffs) if any(fd.undecodable for fd in diffs) else diff_text
        files = working_tree_files(diffs)
        source = {"diff": args.diff}
        if not args.config and os.path.isfile("pyproject.toml"):
            raw_config = load_config("pyproject.toml")
    if args.config:
        raw_config = load_config(args.config)
    result = review(diff_text, files, parse_config(raw_config, args.config or "pyproject.toml"),
                    personas_dir=args.personas, offline=args.offline,
                    budget=DEFAULT_BUDGET if args.budget is None else args.budget, source=source, diffs=diffs,
                    repository=repository)
    for fmt, path in outputs:
        write_file(path, _serialize(result, fmt), force=args.force)
    fmt = "json" if args.json else args.format
    if fmt == "text":
        from agent.render.review import print_review

        print_review(result)
    else:
        import sys

        sys.stdout.write(_serialize(result, fmt))
    return exit_code(result.report, args.fail_on)


def _parse_output(spec: str) -> tuple[str, str]:
    from tools.errors import InputError

    fmt, sep, path = spec.partition("=")
    if not sep or not path or fmt not in FORMATS or fmt == "text":
        raise InputError(f"--output wants FORMAT=FILE with FORMAT one of {', '.join(FORMATS[1:])}: {spec!r}")
    return fmt, path


def _serialize(result, fmt: str) -> str:
    import json

    from agent.render import review as views
    from agent.render import to_jsonable
    from tools.secrets import mask_value

    if fmt == "markdown":
        return views.review_markdown(result)
    if fmt == "rdjsonl":
        return views.review_rdjsonl(result)
    if fmt == "sarif":
        from agent.cli import version

        value = views.review_sarif(result, version())
    elif fmt == "github":
        value = views.review_github(result)
    else:
        value = to_jsonable(mask_value(result))
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
