"""`lmagent db explain|health --dsn DSN`: a live PostgreSQL, read-only unless told otherwise."""

from __future__ import annotations

import argparse
import os

from agent.commands._common import add_fail_on_arg, add_json_arg
from agent.commands.sql import FAIL_ON_ERROR_MEANS


def register(sub) -> None:
    p = sub.add_parser("db", help="EXPLAIN ANALYZE a query or check the health of a live PostgreSQL",
                       description="Live PostgreSQL tools. Nothing here changes data.")
    actions = p.add_subparsers(dest="db_command", metavar="ACTION")
    actions.required = True

    explain = actions.add_parser(
        "explain", help="run EXPLAIN (ANALYZE, BUFFERS) in a rolled-back transaction and analyze the plan",
        description="Runs EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of one query in a read-only session and "
                    "transaction with a statement_timeout, always rolled back. Other statements, and functions "
                    "with effects a rollback cannot undo (sequences, other backends, files, locks...), are "
                    "refused; writes only with --allow-writes (still rolled back). See docs/security.md.",
    )
    explain.add_argument("sql", metavar="SQL|-", help="the statement (without EXPLAIN); - reads it from stdin")
    _add_dsn(explain)
    explain.add_argument("--allow-writes", action="store_true",
                         help="allow INSERT/UPDATE/DELETE/MERGE; the transaction is rolled back anyway")
    explain.add_argument("--timeout-ms", type=int, default=30_000, help="statement_timeout in ms (default 30000)")
    add_fail_on_arg(explain, "error", FAIL_ON_ERROR_MEANS)
    add_json_arg(explain)
    explain.set_defaults(func=run_explain)

    health = actions.add_parser(
        "health", help="seq-scan-heavy tables, unused/duplicate indexes, cache hit ratio, connection usage",
        description="Reads pg_stat_user_tables, pg_stat_user_indexes, pg_index, pg_stat_database and "
                    "pg_stat_activity and reports findings DB001-DB006.",
    )
    _add_dsn(health)
    health.add_argument("--schema", action="append", dest="schemas", metavar="NAME",
                        help="only this schema (repeatable; default: all non-system schemas)")
    health.add_argument("--min-rows", type=int, default=10_000,
                        help="ignore sequential scans on tables with fewer live rows (default 10000)")
    add_fail_on_arg(health, "error", FAIL_ON_ERROR_MEANS)
    add_json_arg(health)
    health.set_defaults(func=run_health)


def _add_dsn(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL connection string (default: $DATABASE_URL)")


def _require_dsn(args: argparse.Namespace) -> str:
    from tools.errors import InputError

    if not args.dsn:
        raise InputError("no database given: pass --dsn or set DATABASE_URL")
    return args.dsn


def _finish(args: argparse.Namespace, report, human) -> int:
    from agent.render import exit_code, print_json

    if args.json:
        print_json(report)
    else:
        human(report)
    return exit_code(report, args.fail_on)


def _print_explain(report) -> None:
    """The EXPLAIN analyzer's own plan tree, then how the statement was run."""
    from agent.render import console
    from agent.render.explain import print_explain
    from tools.findings import Report

    print_explain(Report(tool="explain", findings=report.findings, data=report.data["analysis"],
                         summary=report.summary))
    console().print(f"[dim]transaction: {report.data['transaction']}[/]")


def _print_health(report) -> None:
    from agent.render import print_report

    print_report(report, title="Database health")


def run_explain(args: argparse.Namespace) -> int:
    from tools.db import DbExplainInput, db_explain_tool
    from tools.errors import read_text

    sql = read_text("-") if args.sql == "-" else args.sql
    inp = DbExplainInput(dsn=_require_dsn(args), sql=sql, allow_writes=args.allow_writes,
                         timeout_ms=max(args.timeout_ms, 1))
    return _finish(args, db_explain_tool(inp), _print_explain)


def run_health(args: argparse.Namespace) -> int:
    from tools.db import DbHealthInput, db_health_tool

    inp = DbHealthInput(dsn=_require_dsn(args), schemas=args.schemas, min_rows=max(args.min_rows, 0))
    return _finish(args, db_health_tool(inp), _print_health)
