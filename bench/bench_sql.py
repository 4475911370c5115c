"""SQL tools: statements analyzed per second, log lines fingerprinted per second, and the memory a
streamed log takes (peak RSS growth while reading, which must not follow the file size).

Inputs are generated here (a typical mix of app queries; PostgreSQL and JSON-lines logs with N+1
bursts), so the numbers are reproducible on any machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.sql import SqlInput, fingerprint, sql_tool  # noqa: E402

QUERY_SHAPES = [
    "SELECT id, name, email FROM users WHERE org_id = {n} AND deleted_at IS NULL ORDER BY name LIMIT 50",
    "SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id "
    "WHERE o.created_at > '2024-01-{d:02d}' AND o.status IN ('paid', 'shipped') ORDER BY o.created_at DESC LIMIT 20",
    "UPDATE accounts SET balance = balance - {n} WHERE id = {n} AND balance >= {n}",
    "SELECT * FROM products WHERE lower(sku) = 'sku-{n}' OR name LIKE '%{n}%'",
    "INSERT INTO events (user_id, kind, payload) VALUES ({n}, 'click', '{{\"x\": {n}}}')",
    "SELECT count(*) FROM sessions WHERE user_id = {n} AND expires_at > now()",
]


def sql_text(statements: int) -> str:
    return ";\n".join(QUERY_SHAPES[i % len(QUERY_SHAPES)].format(n=i, d=i % 28 + 1) for i in range(statements)) + ";\n"


def time_it(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def analysis_rows() -> list[str]:
    sql_tool(SqlInput(sql=sql_text(len(QUERY_SHAPES)), suggest_indexes=True))  # imports out of the measurement
    rows = []
    for label, suggest in (("rules", False), ("rules + index advisor", True)):
        text = sql_text(3000)
        seconds = time_it(lambda s=suggest, t=text: sql_tool(SqlInput(sql=t, suggest_indexes=s)))
        rows.append(f"| statements analyzed ({label}) | 3,000 | {seconds:.2f} s | {3000 / seconds:,.0f} statements/s |")
    shapes = [QUERY_SHAPES[i % len(QUERY_SHAPES)].format(n=i, d=i % 28 + 1) for i in range(600)]
    seconds = time_it(lambda: [fingerprint(s) for s in shapes])
    rows.append(f"| fingerprints, uncached (libpg_query) | 600 | {seconds:.2f} s | {600 / seconds:,.0f} queries/s |")
    return rows


def write_pg_log(path: str, lines: int) -> None:
    with open(path, "w") as fh:
        for i in range(lines):
            shape = QUERY_SHAPES[(i // 15) % len(QUERY_SHAPES)].format(n=i, d=i % 28 + 1)
            fh.write(f"2024-05-01 10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d} UTC [{4000 + i % 8}] "
                     f"LOG:  duration: {0.1 + i % 7 * 0.3:.3f} ms  statement: {shape}\n")


def write_json_log(path: str, lines: int) -> None:
    with open(path, "w") as fh:
        for i in range(lines):
            shape = QUERY_SHAPES[i % len(QUERY_SHAPES)].format(n=i, d=i % 28 + 1)
            fh.write(json.dumps({"query": shape, "duration_ms": 0.5, "request_id": f"req-{i // 30}"}) + "\n")


# Run in a child process so its peak RSS is the log reader's alone.
CHILD = """
import json, resource, sys, time
from tools.sql import QueryLogInput, query_log_tool
query_log_tool(QueryLogInput(log="SELECT 1"))
start = time.perf_counter()
query_log_tool(QueryLogInput(path=sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - start,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def read_log(path: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, path], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stdout)


def log_rows(workdir: str) -> list[str]:
    rows = []
    for label, writer, lines in (("PostgreSQL stderr log", write_pg_log, 150_000),
                                 ("JSON lines with request ids", write_json_log, 150_000)):
        small, big = os.path.join(workdir, "small.log"), os.path.join(workdir, "big.log")
        writer(small, lines // 10)
        writer(big, lines)
        size = os.path.getsize(big)
        small_run, big_run = read_log(small), read_log(big)
        seconds = big_run["seconds"]
        rows.append(f"| log lines fingerprinted ({label}, {size / 2**20:.0f} MB) | {lines:,} | {seconds:.2f} s | "
                    f"{lines / seconds:,.0f} lines/s ({size / 2**20 / seconds:.1f} MB/s); peak RSS "
                    f"{big_run['rss_mb']:.0f} MB (a tenth of the log: {small_run['rss_mb']:.0f} MB) |")
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        rows = analysis_rows() + log_rows(workdir)
    print("<!-- bench_sql -->")
    print("## SQL analysis and query-log fingerprinting\n")
    print("| what | items | time | rate |")
    print("|---|---:|---:|---|")
    print("\n".join(rows))
    print("\nLog reading streams line by line with bounded tables, so a 1 GB log takes the same memory as a "
          "small one and about (size ÷ MB/s) seconds.\n")
    print("Reproduce: `.venv/bin/python bench/bench_sql.py`")


if __name__ == "__main__":
    main()
