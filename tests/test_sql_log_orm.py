"""Real ORM traffic, real server logs: SQLAlchemy and Django, psycopg2 and psycopg 3, at about 1 and
50 requests/s, read back from PostgreSQL's own stderr, csvlog and jsonlog files.

The apps (tests/ormapp.py) turn statement logging on for their own connections only; their lines are
selected from the shared server log files by a unique application_name (csv/json) or their backend
pids (stderr, whose prefix has no %a) in the bytes written during the test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from pglast.parser import fingerprint as pg_fingerprint

from tools.sql import QueryLogInput, query_log_tool

LOG_DIR = Path("/var/lib/postgresql/15/main/log")  # replaced by the server's own answer (log_dir fixture)
APP = Path(__file__).resolve().parent / "ormapp.py"
PAGE = 12

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _log_files() -> dict[Path, int]:
    if not LOG_DIR.is_dir() or not os.access(LOG_DIR, os.R_OK):
        pytest.fail(f"PostgreSQL log directory {LOG_DIR} not readable (logging_collector, .ci/services)")
    return {p: p.stat().st_size for p in LOG_DIR.iterdir() if p.suffix in (".log", ".csv", ".json")}


def _new_text(before: dict[Path, int], suffix: str) -> str:
    """What the server wrote to files of this format since `before` (rotation makes new files)."""
    parts = []
    for path in sorted(p for p in LOG_DIR.iterdir() if p.suffix == suffix):
        with open(path, "rb") as fh:
            fh.seek(before.get(path, 0))
            parts.append(fh.read().decode("utf-8", errors="replace"))
    return "".join(parts)


def _own_lines(before: dict[Path, int], app: str) -> dict[str, str]:
    """The app's lines in each of the three formats."""
    json_lines = [line for line in _new_text(before, ".json").splitlines()
                  if line.startswith("{") and json.loads(line).get("application_name") == app]
    pids = {str(json.loads(line)["pid"]) for line in json_lines}
    csv_records = []
    for row in csv.reader(io.StringIO(_new_text(before, ".csv"))):
        if len(row) > 22 and row[22] == app:
            out = io.StringIO()
            csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerow(row)
            csv_records.append(out.getvalue())
    stderr, keep = [], False
    head = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] ")
    for line in _new_text(before, ".log").splitlines():
        match = head.match(line)
        if match:
            keep = match.group(1) in pids
        if keep:
            stderr.append(line)
    return {"stderr": "\n".join(stderr), "csvlog": "".join(csv_records), "jsonlog": "\n".join(json_lines)}


@pytest.fixture(autouse=True)
def log_dir(pg_conn):
    """Where this server writes its logs (data_directory/log_directory), whatever its version."""
    global LOG_DIR
    row = pg_conn.execute("SELECT current_setting('log_directory'), current_setting('data_directory'), "
                          "current_setting('logging_collector'), current_setting('log_destination')").fetchone()
    if row[2] != "on" or not all(f in row[3] for f in ("stderr", "csvlog", "jsonlog")):
        pytest.fail(f"the server must log to stderr, csvlog and jsonlog files (.ci/services): {row[2:]}")
    LOG_DIR = Path(row[0]) if row[0].startswith("/") else Path(row[1]) / row[0]
    return LOG_DIR


@pytest.fixture
def blog_schema(pg_conn):
    """authors and posts in the throw-away schema: the 12 newest posts have 12 different authors."""
    schema = pg_conn.execute("SELECT current_schema()").fetchone()[0]
    pg_conn.execute("CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL)")
    pg_conn.execute("CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL, "
                    "author_id int NOT NULL REFERENCES authors (id))")
    pg_conn.execute("INSERT INTO authors (name) SELECT 'author ' || g FROM generate_series(1, 30) g")
    pg_conn.execute("INSERT INTO posts (title, author_id) SELECT 'post ' || g, 1 + g % 30 FROM generate_series(1, 60) g")
    return schema


def _drive(port: int, rate: float, requests: int) -> list[int]:
    """Lazy and eager requests in turn at about `rate` per second; the ORM's statement counts."""
    counts = []
    start = time.monotonic()
    for i in range(requests):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        endpoint = "lazy" if i % 2 == 0 else "eager"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/posts/{endpoint}", timeout=30) as response:
            body = json.loads(response.read())
        assert body["authors"] == PAGE
        counts.append(body["queries"])
    return counts


CASES = [  # (orm, driver, logging): each driver logged both ways
    ("sqlalchemy", "psycopg2", "statement"),
    # psycopg 3's extended protocol with log_min_duration_statement: parse, bind and execute lines,
    # each with the multi-line statement (counted 3.4 times before, fragments included)
    ("sqlalchemy", "psycopg", "min_duration"),
    ("django", "psycopg2", "min_duration"),
    ("django", "psycopg", "statement"),
]


@pytest.mark.parametrize("rate, requests", [(1, 6), (50, 100)], ids=["1rps", "50rps"])
@pytest.mark.parametrize("orm, driver, logging", CASES, ids=["-".join(c) for c in CASES])
def test_lazy_endpoint_is_n_plus_one_and_eager_is_not(blog_schema, pg_dsn, orm, driver, logging, rate, requests):
    app = f"lmagent-ormtest-{uuid.uuid4().hex[:10]}"
    before = _log_files()
    proc = subprocess.Popen([sys.executable, str(APP), "--orm", orm, "--driver", driver, "--dsn", pg_dsn,
                             "--schema", blog_schema, "--application-name", app, "--logging", logging],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = json.loads(proc.stdout.readline())["port"]
        counts = _drive(port, rate, requests)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    lazy, eager = requests // 2, requests - requests // 2
    assert counts == [1 + PAGE, 2] * lazy  # what the ORM says it ran

    total = requests + PAGE * lazy + eager  # the posts page, then the authors
    deadline = time.monotonic() + 20
    while True:  # the logging collector writes asynchronously
        texts = _own_lines(before, app)
        reports = {name: query_log_tool(QueryLogInput(log=text, top=50)) for name, text in texts.items()}
        counted = {name: _calls(r) for name, r in reports.items()}
        if all(c >= total for c in counted.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for name, report in reports.items():
        data = report.data
        assert data["unparsed_lines"] == 0, name
        assert counted[name] == total, (name, counted[name], data["top"])
        for top in data["top"]:  # libpg_query's own value, whatever the cache did
            assert (top["fingerprint"], top["fingerprint_source"]) == (pg_fingerprint(top["example"]), "libpg_query")
        (lazy_fp,) = {t["fingerprint"] for t in data["top"] if AUTHOR_BY_ID.search(t["example"])}
        suspects = data["n_plus_one"]
        assert [s["fingerprint"] for s in suspects] == [lazy_fp], (name, suspects)
        (suspect,) = suspects
        assert (suspect["max_repeats"], suspect["groups"], suspect["executions"]) == (PAGE, lazy, PAGE * lazy), name
        assert suspect["scope"] == ("transaction" if orm == "sqlalchemy" else "session"), name


# The lazy loader's query: one author by primary key (Django adds LIMIT 21, psycopg 3 sends $1::INTEGER).
AUTHOR_BY_ID = re.compile(r"WHERE\s+\S*authors\W*\.\W*id\W*\s*=\s*(?!ANY)")


# What the endpoints run (the drivers and ORMs add their own start-up queries: version, schema...).
BLOG_TABLES = re.compile(r"\bFROM\s+\S*\b(?:posts|authors)\b")


def _calls(report) -> int:
    return sum(t["calls"] for t in report.data["top"] if BLOG_TABLES.search(t["example"]))
