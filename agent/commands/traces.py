"""`lmagent traces FILE`: critical path, N+1 and sequential calls in OTLP or Jaeger traces."""

from __future__ import annotations

import argparse
import os
import sys

from agent.commands._common import add_fail_on_arg, add_json_arg


def register(sub) -> None:
    p = sub.add_parser(
        "traces", help="find the bottleneck in OpenTelemetry (OTLP JSON) or Jaeger traces",
        description="Analyze traces exported as OTLP JSON (the collector's file exporter, one request per line, "
                    "or one otlp/json document) or Jaeger JSON (- is stdin): critical path of the slowest "
                    "traces, time by service and span kind, span percentiles and findings. Large files are "
                    "streamed in bounded memory.",
    )
    p.add_argument("file", metavar="FILE", help="trace file (OTLP JSON, line-delimited OTLP, Jaeger JSON) or -")
    p.add_argument("--top", type=int, default=3, help="slowest traces to show in detail (default 3)")
    p.add_argument("--window", type=int, default=None, metavar="SPANS",
                   help="spans held in memory while grouping a stream into traces (default 100000)")
    add_fail_on_arg(p, "never")
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from agent.render import exit_code, print_json
    from tools.traces import TracesInput, traces_tool

    options = {"path": args.file, "top": args.top}
    if args.window is not None:
        options["window"] = args.window
    try:
        inp = TracesInput(**options)
    except ValidationError as exc:
        raise SystemExit(f"lmagent traces: error: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    report = _with_progress(inp, traces_tool)
    if args.json:
        print_json(report)
    else:
        from agent.render.traces import print_traces

        print_traces(report)
    return exit_code(report, args.fail_on)


def _with_progress(inp, tool):
    """A progress bar on stderr for files big enough to take a while."""
    size = os.path.getsize(inp.path) if inp.path != "-" and os.path.isfile(inp.path) else 0
    if size < 20 * 1024 * 1024 or not sys.stderr.isatty():
        return tool(inp)
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from agent.render import console

    with Progress("reading traces", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("read", total=size)
        return tool(inp, progress=lambda done: bar.update(task, completed=done))
