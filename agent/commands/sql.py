"""`lmagent sql FILE` and `lmagent sql --log FILE`: SQL anti-patterns, index advice, N+1 in query logs."""

from __future__ import annotations

import argparse
import contextlib

from agent.commands._common import add_fail_on_arg, add_json_arg

# Inputs above these sizes get a progress bar on stderr.
LONG_FILE_STATEMENTS = 2_000
LONG_LOG_BYTES = 50 * 2**20


# What the default --fail-on=error fails on, for the help text of `sql` and `db`.
FAIL_ON_ERROR_MEANS = ": parse errors, N+1 bursts of 100+, unhealthy databases"


def register(sub) -> None:
    p = sub.add_parser(
        "sql", help="find SQL anti-patterns, propose indexes, or find N+1 queries in a query log",
        description="Analyze SQL statements (FILE or - for stdin) with sqlglot, or a query log (--log).",
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="SQL file with one or many statements; - reads stdin")
    p.add_argument("--dialect", default="postgres", help="sqlglot dialect: postgres (default), mysql, sqlite, ...")
    p.add_argument("--suggest-indexes", action="store_true", help="propose CREATE INDEX statements for the queries")
    schema = p.add_mutually_exclusive_group()
    schema.add_argument("--schema", metavar="FILE", help="DDL of the tables (CREATE TABLE/INDEX): keys, types and "
                        "one-row tables for the rules; existing indexes for --suggest-indexes")
    schema.add_argument("--dsn", metavar="DSN", help="read tables, indexes and row counts from this live PostgreSQL "
                        "instead (catalog only)")
    p.add_argument("--migration", action=argparse.BooleanOptionalAction, default=None,
                   help="read FILE as a migration (backfills are expected); by default decided by its path "
                   "(migrations/, db/migrate/, alembic/versions/, *.up.sql, V1__x.sql)")
    p.add_argument("--log", metavar="FILE", help="analyze a query log (PostgreSQL log, JSON lines, one query per line); "
                   "- reads stdin")
    p.add_argument("--top", type=int, default=10, help="with --log: fingerprints listed by total time (default 10)")
    p.add_argument("--n1-min", type=int, default=10, dest="n1_min",
                   help="with --log: repeats in one request/burst that make an N+1 suspect (default 10)")
    p.add_argument("--window-ms", type=float, default=1000.0,
                   help="with --log, no request ids or transactions: idle gap that ends a session's unit of "
                        "work, in ms (default 1000)")
    p.add_argument("--prefix", metavar="LOG_LINE_PREFIX",
                   help="with --log: the server's log_line_prefix, e.g. '%%m [%%p] %%q%%u@%%d ' "
                        "(default: recognized when common)")
    add_fail_on_arg(p, "error", FAIL_ON_ERROR_MEANS)
    add_json_arg(p)
    p.set_defaults(func=run, parser=p)


def run(args: argparse.Namespace) -> int:
    from agent.render import exit_code, print_json

    if args.log is None and args.file is None:
        args.parser.error("give a SQL FILE (or - for stdin) or --log FILE")
    if args.log is not None and args.file is not None:
        args.parser.error("give either a SQL FILE or --log FILE, not both")
    report = _log_report(args) if args.log is not None else _sql_report(args)
    if args.json:
        print_json(report)
    else:
        from agent.render.sql import print_log_report, print_sql_report

        (print_log_report if args.log is not None else print_sql_report)(report)
    return exit_code(report, args.fail_on)


def _sql_report(args: argparse.Namespace):
    from tools.errors import read_text
    from tools.sql import analyze_text
    from tools.sql.indexes import schema_from_dsn, schema_from_sql

    path = "<stdin>" if args.file == "-" else args.file
    text = read_text(args.file)
    if "\x00" in text:
        from tools.errors import InputError

        raise InputError("binary data, not SQL text", path=path, line=text[: text.index("\x00")].count("\n") + 1)
    schema = None
    if args.schema:
        schema = schema_from_sql(read_text(args.schema), args.dialect)
    elif args.dsn:
        schema = schema_from_dsn(args.dsn)
    if text.count(";") < LONG_FILE_STATEMENTS:
        return analyze_text(text, path, args.dialect, suggest=args.suggest_indexes, schema=schema,
                            migration=args.migration)
    with _progress("analyzing statements") as (bar, task):
        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return analyze_text(text, path, args.dialect, suggest=args.suggest_indexes, schema=schema, progress=advance,
                            migration=args.migration)


@contextlib.contextmanager
def _progress(label: str, *columns):
    """A transient rich progress bar on stderr; yields (progress, task id)."""
    from rich.progress import BarColumn, Progress, TimeRemainingColumn

    from agent.render import console

    with Progress(label, BarColumn(), *columns, TimeRemainingColumn(), console=console(stderr=True),
                  transient=True) as bar:
        yield bar, bar.add_task(label, total=None)


def _log_report(args: argparse.Namespace):
    import os

    from pydantic import ValidationError

    from tools.errors import InputError
    from tools.sql import QueryLogInput, query_log_tool

    try:
        inp = QueryLogInput(path=args.log, dialect=args.dialect, top=args.top, n_plus_one_min=args.n1_min,
                            window_ms=args.window_ms, prefix=args.prefix)
    except ValidationError as exc:
        raise InputError(exc.errors()[0]["msg"], path=args.log) from None
    if args.log == "-":
        import sys

        inp.path = "<stdin>"
        return query_log_tool(inp, stream=sys.stdin.buffer)
    try:
        size = os.path.getsize(args.log)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=args.log) from None
    if size < LONG_LOG_BYTES:
        return query_log_tool(inp)
    from rich.progress import DownloadColumn

    with _progress("reading log", DownloadColumn()) as (bar, task):
        bar.update(task, total=size)
        return query_log_tool(inp, progress=lambda n: bar.advance(task, n))
