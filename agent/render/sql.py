"""Views for the sql, query_log and db tools: index proposals, hottest fingerprints, N+1 suspects."""

from __future__ import annotations

from agent.render import console, print_report, sink
from tools.findings import Report


@sink
def print_sql_report(report: Report) -> None:
    """Findings, then the proposed indexes as a ready-to-run SQL block."""
    print_report(report, title="SQL findings")
    indexes = (report.data or {}).get("indexes")
    if indexes:
        from rich.syntax import Syntax

        con = console()
        con.print("\n[bold]Proposed indexes[/] (run with CONCURRENTLY in production):")
        con.print(Syntax("\n".join(i["create"] for i in indexes), "sql", word_wrap=True))


@sink
def print_log_report(report: Report) -> None:
    from rich.table import Table

    con = console()
    data = report.data or {}
    print_report(report, title="Query log findings")
    top = data.get("top") or []
    if top:
        table = Table(title="Top fingerprints by total time", expand=False)
        for name, justify in (("calls", "right"), ("total ms", "right"), ("mean ms", "right"),
                              ("share", "right"), ("fingerprint", "left"), ("query (normalized)", "left")):
            table.add_column(name, justify=justify, overflow="fold")
        for row in top:
            table.add_row(
                f"{row['calls']:,}", f"{row['total_ms']:,.1f}",
                "" if row["mean_ms"] is None else f"{row['mean_ms']:,.2f}",
                "" if row["share"] is None else f"{row['share']:.0%}",
                _fingerprint(row), _one_line(row.get("normalized") or row["example"]),
            )
        con.print(table)
    suspects = data.get("n_plus_one") or []
    if suspects:
        table = Table(title="N+1 suspects", expand=False)
        for name in ("max repeats", "groups", "executions", "total ms", "fingerprint", "query (normalized)"):
            table.add_column(name, overflow="fold")
        for s in suspects:
            scope = f"{s['scope']} {s['example_scope']}" if s.get("example_scope") else s["scope"]
            table.add_row(f"{s['max_repeats']:,} ({scope})", f"{s['groups']:,}", f"{s['executions']:,}",
                          f"{s['total_ms']:,.1f}", s["fingerprint"], _one_line(s.get("normalized") or s.get("example") or ""))
        con.print(table)


def _fingerprint(row: dict) -> str:
    """pg_query's hex; marked when lmagent's sqlglot path computed it (not a pg_query value)."""
    return row["fingerprint"] + (" (sqlglot)" if row.get("fingerprint_source") == "sqlglot" else "")


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
