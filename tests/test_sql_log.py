"""Query logs: every format, N+1 by request and by burst, hot/slow queries, bad input, constant memory."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from near_numbers import check_cli, check_result, json_number, near_number

from tools.errors import InputError
from tools.sql import QueryLogInput, fingerprint, query_log_tool
from tools.sql.querylog import LogReader


def entries(text: str):
    return list(LogReader().read(text.splitlines()))


def by_code(report, code):
    return [f for f in report.findings if f.code == code]


PG_LOG = """\
2024-05-01 10:00:00.100 UTC [4242] LOG:  duration: 0.512 ms  statement: SELECT * FROM users WHERE id = 1
2024-05-01 10:00:00.103 UTC [4242] LOG:  duration: 0.320 ms  execute <unnamed>: SELECT * FROM orders WHERE user_id = $1
2024-05-01 10:00:00.103 UTC [4242] DETAIL:  parameters: $1 = '3'
2024-05-01 10:00:00.104 UTC [4242] LOG:  duration: 0.100 ms  parse <unnamed>: SELECT * FROM orders WHERE user_id = $1
2024-05-01 10:00:00.104 UTC [4242] LOG:  duration: 0.100 ms  bind <unnamed>: SELECT * FROM orders WHERE user_id = $1
2024-05-01 10:00:01.000 UTC [4243] LOG:  duration: 1500.000 ms  statement: SELECT count(*)
\tFROM big b
\tWHERE b.x > 10
2024-05-01 10:00:02.000 UTC [4243] LOG:  duration: 20.5 ms  plan:
\tQuery Text: SELECT a FROM t
\t  WHERE b = 5
\tSeq Scan on t  (cost=0.00..35.50 rows=10 width=4) (actual time=0.01..0.02 rows=1 loops=1)
\t  Filter: (b = 5)
2024-05-01 10:00:03.000 UTC [4243] LOG:  duration: 3.0 ms  plan:
\t{
\t  "Query Text": "SELECT a FROM t WHERE b = 6",
\t  "Plan": {"Node Type": "Seq Scan"}
\t}
2024-05-01 10:00:04.000 UTC [4244] LOG:  statement: SELECT 1
2024-05-01 10:00:04.001 UTC [4244] LOG:  duration: 0.050 ms
2024-05-01 10:00:05.000 UTC [4244] LOG:  checkpoint starting: time
2024-05-01 10:00:06.000 UTC [4244] ERROR:  relation "nope" does not exist
2024-05-01 10:00:06.000 UTC [4244] STATEMENT:  SELECT * FROM nope
"""


def test_postgres_stderr_formats():
    got = sorted((e.line, e.query, e.duration_ms, e.scope) for e in entries(PG_LOG))
    assert got == [
        (1, "SELECT * FROM users WHERE id = 1", 0.512, "4242"),
        (2, "SELECT * FROM orders WHERE user_id = $1", 0.32, "4242"),
        (6, "SELECT count(*)\nFROM big b\nWHERE b.x > 10", 1500.0, "4243"),
        (9, "SELECT a FROM t\nWHERE b = 5", 20.5, "4243"),
        (14, "SELECT a FROM t WHERE b = 6", 3.0, "4243"),
        (19, "SELECT 1", 0.05, "4244"),
    ]
    first = entries(PG_LOG)[0]
    assert first.ts_ms is not None and not first.from_request


def test_json_and_plain_lines():
    text = "\n".join([
        json.dumps({"query": "SELECT 1", "duration_ms": 2.5, "request_id": "r1", "ts": "2024-05-01T10:00:00Z"}),
        json.dumps({"sql": "SELECT 2", "duration": 1}),
        json.dumps(["not", "an", "object"]),
        "{broken json",
        "SELECT name FROM users WHERE id = 7",
        "# a comment",
        "-- another comment",
        "%%% not a query %%%",
    ])
    reader = LogReader()
    got = [(e.query, e.duration_ms, e.scope, e.from_request) for e in reader.read(text.splitlines())]
    assert got == [("SELECT 1", 2.5, "r1", True), ("SELECT 2", 1.0, None, False),
                   ("SELECT name FROM users WHERE id = 7", None, None, False)]
    assert (reader.unparsed, reader.first_unparsed_line) == (3, 3)


def n_plus_one_log(requests: int, repeats: int) -> str:
    lines = []
    for r in range(requests):
        lines.append(json.dumps({"query": f"SELECT * FROM users WHERE id = {r}", "duration_ms": 1.0, "request_id": f"req-{r}"}))
        for i in range(repeats):
            lines.append(json.dumps({"query": f"SELECT * FROM orders WHERE user_id = {i}", "duration_ms": 0.5,
                                     "request_id": f"req-{r}"}))
    return "\n".join(lines)


def test_n_plus_one_by_request():
    report = query_log_tool(QueryLogInput(log=n_plus_one_log(requests=4, repeats=12)))
    (finding,) = by_code(report, "LOG001")
    assert finding.kind == "n_plus_one" and finding.handoff == "backend-engineer"
    assert finding.evidence["max_repeats"] == 12 and finding.evidence["groups"] == 4
    assert finding.evidence["executions"] == 48 and finding.evidence["total_ms"] == pytest.approx(24.0)
    assert finding.evidence["fingerprint"] == fingerprint("SELECT * FROM orders WHERE user_id = $1")
    assert "orders" in finding.evidence["example"] and finding.location.line == 2
    suspect = report.data["n_plus_one"][0]
    assert suspect["scope"] == "request" and suspect["example_scope"] == "req-0"


def test_repeats_below_threshold_are_not_n_plus_one():
    assert not by_code(query_log_tool(QueryLogInput(log=n_plus_one_log(requests=4, repeats=9))), "LOG001")
    tuned = query_log_tool(QueryLogInput(log=n_plus_one_log(requests=4, repeats=9), n_plus_one_min=5))
    assert by_code(tuned, "LOG001")


def test_session_units_without_request_ids():
    def pg_line(second: float, n: int) -> str:
        return (f"2024-05-01 10:00:{second:06.3f} UTC [77] LOG:  duration: 1.0 ms  statement: "
                f"SELECT * FROM items WHERE cart_id = {n}")

    # One statement repeated on one connection, nothing around it: as many requests as executions
    # (the old burst detector flagged this at 10 requests/s).
    burst = "\n".join(pg_line(0.01 * n, n) for n in range(15))
    assert not by_code(query_log_tool(QueryLogInput(log=burst)), "LOG001")
    parent = "2024-05-01 10:00:00.000 UTC [77] LOG:  duration: 1.0 ms  statement: SELECT * FROM carts WHERE id = 1\n"
    (finding,) = by_code(query_log_tool(QueryLogInput(log=parent + burst)), "LOG001")
    assert finding.evidence["max_repeats"] == 15 and finding.evidence["scope"] == "session"
    spread = "\n".join(pg_line(2.0 * n, n) for n in range(15))  # 2 s apart: idle gaps end the unit
    assert not by_code(query_log_tool(QueryLogInput(log=parent + spread)), "LOG001")
    plain = "SELECT 1\n" + "\n".join(f"SELECT * FROM items WHERE cart_id = {n}" for n in range(30))
    (finding,) = by_code(query_log_tool(QueryLogInput(log=plain)), "LOG001")
    assert finding.evidence["max_repeats"] == 30 and finding.evidence["groups"] == 1
    assert finding.location.line == 2  # where the repeats start
    interleaved = "\n".join(f"SELECT * FROM items WHERE cart_id = {n}\n" + "\n".join(
        f"SELECT name FROM table_{chr(97 + k)}" for k in range(20)) for n in range(30))
    assert not by_code(query_log_tool(QueryLogInput(log=interleaved)), "LOG001")  # each cart its own unit


def test_hot_and_slow_queries_and_top_list():
    lines = [json.dumps({"query": "SELECT * FROM reports WHERE day = 1", "duration_ms": 1200.0})]
    lines += [json.dumps({"query": f"SELECT name FROM users WHERE id = {i}", "duration_ms": 1.0}) for i in range(300)]
    report = query_log_tool(QueryLogInput(log="\n".join(lines), n_plus_one_min=1000))
    hot = by_code(report, "LOG002")
    assert [(f.severity, f.evidence["calls"]) for f in hot] == [("warning", 1), ("info", 300)]  # 80% and 20%
    assert hot[0].evidence["share"] == pytest.approx(1200 / 1500)
    (slow,) = by_code(report, "LOG003")
    assert slow.evidence["max_ms"] == 1200.0
    top = report.data["top"]
    assert [t["calls"] for t in top] == [1, 300] and report.data["queries"] == 301
    assert report.data["fingerprints"] == 2


def test_unrecognized_lines_are_counted_not_fatal():
    report = query_log_tool(QueryLogInput(log="SELECT 1\n!!!\n@@@\n"))
    (f,) = by_code(report, "LOG004")
    assert f.evidence == {"unparsed": 2, "lines": 3} and f.location.line == 2


def test_input_needs_exactly_one_source():
    with pytest.raises(ValueError):
        QueryLogInput()
    with pytest.raises(ValueError):
        QueryLogInput(log="x", path="y")


def test_binary_log_and_missing_file(tmp_path):
    garbage = tmp_path / "bin.log"
    garbage.write_bytes(b"SELECT 1\n\x00\xff\xfe" * 10)
    with pytest.raises(InputError, match="binary data") as err:
        query_log_tool(QueryLogInput(path=str(garbage)))
    assert err.value.line == 2
    with pytest.raises(InputError):
        query_log_tool(QueryLogInput(path=str(tmp_path / "missing.log")))


def test_invalid_utf8_lines_are_skipped(tmp_path):
    path = tmp_path / "mixed.log"
    path.write_bytes(b"SELECT 1\n\xff\xfe garbage\nSELECT 2\n")
    report = query_log_tool(QueryLogInput(path=str(path)))
    assert report.data["queries"] == 2 and report.data["unparsed_lines"] == 1


def test_cli_log(tmp_path, run_cli):
    path = tmp_path / "app.jsonl"
    path.write_text(n_plus_one_log(requests=3, repeats=120))
    code, out, _ = run_cli("sql", "--log", str(path), "--json")
    data = json.loads(out)
    assert code == 1  # 120 repeats in one request is an error (>= 100)
    assert data["data"]["n_plus_one"][0]["max_repeats"] == 120
    code, out, _ = run_cli("sql", "--log", str(path), "--fail-on", "never")
    assert code == 0 and "N+1 suspects" in out and "Top fingerprints" in out
    code, _, err = run_cli("sql", "--log", str(tmp_path / "none.log"))
    assert code == 2 and "none.log" in err
    code, out, _ = run_cli("sql", "--log", "-", "--json", stdin=n_plus_one_log(requests=1, repeats=10))
    (finding,) = [f for f in json.loads(out)["findings"] if f["code"] == "LOG001"]
    assert code == 0 and finding["location"] == {"path": "<stdin>", "line": 2}


def _write_big_log(path, megabytes: int) -> int:
    """JSON lines of ~1.6 KB (a long string literal each); every request has an N+1 of 4 queries."""
    target = megabytes * 2**20
    written = lines = 0
    with open(path, "w") as fh:
        r = 0
        while written < target:
            payload = f"{r:x}" * (180 + r % 40)
            block = "".join(
                json.dumps({"query": f"SELECT body FROM t{'aaab'[k]} WHERE note = '{payload}' AND id = {r}",
                            "duration_ms": 0.25, "request_id": f"req-{r}"}) + "\n"
                for k in range(4)
            )
            fh.write(block)
            written += len(block)
            lines += 4
            r += 1
    return lines


def _peak_bytes(path) -> tuple[int, object]:
    query_log_tool(QueryLogInput(log="SELECT 1"))  # imports and first parse are not the log's memory
    tracemalloc.start()
    try:
        report = query_log_tool(QueryLogInput(path=str(path), n_plus_one_min=3))
        return tracemalloc.get_traced_memory()[1], report
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_streaming_memory_is_constant(tmp_path):
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    _write_big_log(small, 10)
    big_lines = _write_big_log(big, 100)  # 1 GB works the same way; 100 MB keeps the test under a minute
    small_peak, _ = _peak_bytes(small)
    big_peak, report = _peak_bytes(big)
    assert report.data["queries"] == big_lines
    assert report.data["n_plus_one"] and report.data["fingerprints"] == 2
    # Ten times the input, same memory: nothing grows with the file (peaks are a few MB).
    assert big_peak < small_peak * 1.5 + 2 * 2**20, (small_peak, big_peak)
    assert big_peak < 64 * 2**20


# --- fuzz ----------------------------------------------------------------------------------------

LOG_LINE = st.one_of(
    st.text(max_size=60),
    st.builds(lambda t, q: f"2024-05-01 10:00:0{t % 10}.000 UTC [1] LOG:  duration: {t}.5 ms  statement: {q}",
              st.integers(0, 99), st.text(max_size=30)),
    st.builds(lambda q: "\t" + q, st.text(max_size=30)),
    st.builds(lambda q: "LOG:  duration: 1 ms  plan:\n\tQuery Text: " + q, st.text(max_size=30)),
    st.builds(lambda d: json.dumps(d), st.dictionaries(
        st.sampled_from(["query", "duration_ms", "request_id", "ts"]),
        st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False), st.none()), max_size=4)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LOG_LINE, max_size=25))
def test_fuzz_log_reader(lines):
    report = query_log_tool(QueryLogInput(log="\n".join(lines), n_plus_one_min=2))
    assert report.data["queries"] + report.data["unparsed_lines"] <= report.data["lines"] + len(lines)
    for f in report.findings:
        assert f.code.startswith("LOG")


# --- near-numbers ---------------------------------------------------------------------------------

_NEAR_LOG_LINES = [
    "2024-05-01 10:00:00.{n} UTC [12] LOG:  duration: {n} ms  statement: SELECT 1",
    "2024-05-01 10:00:00 UTC [{n}] LOG:  statement: SELECT 2\n2024-05-01 10:00:00 UTC [{n}] LOG:  duration: {n} ms",
    "LOG:  duration: {n} ms  plan:\n\tQuery Text: SELECT 3",
    '{{"query": "SELECT 4", "duration_ms": {j}, "ts": {j}, "request_id": "r1"}}',
    '{{"query": "SELECT 5", "duration": {j}, "timestamp": {j}}}',
    '{{"query": "SELECT 6", "duration_ms": 5, "ts": "{n}"}}',
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_NEAR_LOG_LINES), near_number, json_number)
def test_fuzz_near_numbers_in_query_logs(template, number, json_value):
    line = template.format(n=number, j=json_value)
    report = query_log_tool(QueryLogInput(log="\n".join([line] * 12), n_plus_one_min=2, window_ms=10**12))
    check_result(report)


def test_durations_postgres_does_not_write_are_unparsed_lines():
    # [\d.]+ took '.' and float('.') raised ValueError; 400 digits made the totals inf.
    for bad in [".", "1.2.3", "9" * 400, "-5", "nan"]:
        log = f"2024-05-01 10:00:00 UTC [1] LOG:  duration: {bad} ms  statement: SELECT 1\n"
        report = query_log_tool(QueryLogInput(log=log))
        assert (report.data["queries"], report.data["unparsed_lines"]) == (0, 1), bad
    (entry,) = LogReader().read(["2024-05-01 10:00:00 UTC [1] LOG:  duration: 1.5 ms  statement: SELECT 1"])
    assert entry.duration_ms == 1.5


def test_json_durations_that_are_no_measurement_leave_the_query_untimed():
    # float(10**400) raised OverflowError; Infinity made total_ms inf (Infinity in --json).
    for bad in ["Infinity", "NaN", "1e400", "9" * 400, "-5", "1e300", '"12"', "true"]:
        entries = list(LogReader().read([f'{{"query": "SELECT 1", "duration_ms": {bad}, "ts": {bad}}}']))
        assert [(e.query, e.duration_ms, e.ts_ms is None or e.ts_ms < float("inf")) for e in entries] == [
            ("SELECT 1", None, True)], bad


@pytest.mark.parametrize("number", ["9" * 400, "1e400", ".", "١٢", "²", "-5", "inf", "nan"])
def test_cli_near_numbers_exit_cleanly(run_cli, number):
    log = f"2024-05-01 10:00:00 UTC [1] LOG:  duration: {number} ms  statement: SELECT 1\n"
    log += f'{{"query": "SELECT 2", "duration_ms": {number}, "request_id": "r"}}\n'
    check_cli(*run_cli("sql", "--log", "-", "--json", stdin=log))
    check_cli(*run_cli("sql", "--log", "-", "--json", "--window-ms", number, stdin=log))


# --- PostgreSQL formats, protocols and prefixes ----------------------------------------------------

# psycopg 3 (extended protocol) with log_min_duration_statement = 0: parse, bind and execute of one
# multi-line statement, each followed by its tab-indented continuation lines; DETAIL lines too.
PSYCOPG3_LOG = """\
2024-05-01 10:00:00.100 UTC [51] app@blog LOG:  duration: 0.050 ms  parse <unnamed>: SELECT app.blog_comments.id, app.blog_comments.body
\tFROM app.blog_comments
\tWHERE app.blog_comments.post_id = $1::INTEGER
2024-05-01 10:00:00.101 UTC [51] app@blog LOG:  duration: 0.030 ms  bind <unnamed>: SELECT app.blog_comments.id, app.blog_comments.body
\tFROM app.blog_comments
\tWHERE app.blog_comments.post_id = $1::INTEGER
2024-05-01 10:00:00.101 UTC [51] app@blog DETAIL:  parameters: $1 = '7'
2024-05-01 10:00:00.102 UTC [51] app@blog LOG:  duration: 0.120 ms  execute <unnamed>: SELECT app.blog_comments.id, app.blog_comments.body
\tFROM app.blog_comments
\tWHERE app.blog_comments.post_id = $1::INTEGER
2024-05-01 10:00:00.102 UTC [51] app@blog DETAIL:  parameters: $1 = '7'
2024-05-01 10:00:00.200 UTC [51] app@blog ERROR:  relation "nope" does not exist at character 15
2024-05-01 10:00:00.200 UTC [51] app@blog STATEMENT:  SELECT *
\tFROM nope
"""


def test_extended_protocol_counts_each_execution_once_with_parse_and_bind_time():
    reader = LogReader()
    got = list(reader.read(PSYCOPG3_LOG.splitlines()))
    assert [(e.line, e.duration_ms, e.session, e.parameters) for e in got] == [(8, pytest.approx(0.2), "51", "$1 = '7'")]
    assert got[0].query.endswith("FROM app.blog_comments\nWHERE app.blog_comments.post_id = $1::INTEGER")
    assert reader.unparsed == 0 and reader.prefix == "%m [%p] %q%u@%d "


# log_statement = 'all' + log_duration = on: parse and bind durations come first, then the execute
# line (no time), its parameters, and the execute duration alone.
LOG_DURATION_LOG = """\
2024-05-01 10:00:00.100 UTC [52] LOG:  duration: 0.040 ms
2024-05-01 10:00:00.101 UTC [52] LOG:  duration: 0.020 ms
2024-05-01 10:00:00.101 UTC [52] LOG:  execute <unnamed>: SELECT * FROM users
\tWHERE id = $1
2024-05-01 10:00:00.101 UTC [52] DETAIL:  parameters: $1 = '3'
2024-05-01 10:00:00.102 UTC [52] LOG:  duration: 0.140 ms
2024-05-01 10:00:00.103 UTC [52] LOG:  statement: BEGIN
2024-05-01 10:00:00.103 UTC [52] LOG:  duration: 0.010 ms
"""


def test_log_statement_with_log_duration():
    got = [(e.query, e.duration_ms, e.parameters) for e in entries(LOG_DURATION_LOG)]
    assert got == [("SELECT * FROM users\nWHERE id = $1", pytest.approx(0.2), "$1 = '3'"), ("BEGIN", 0.01, None)]


AUTO_EXPLAIN_LOG = """\
2024-05-01 10:00:00.100 UTC [53] LOG:  duration: 5.001 ms  plan:
\tQuery Text: SELECT * FROM big
\t  WHERE x = 1
\tSeq Scan on big  (cost=0.00..35.50 rows=10 width=4) (actual time=0.01..4.9 rows=1 loops=1)
\t  Filter: (x = 1)
2024-05-01 10:00:00.100 UTC [53] LOG:  duration: 5.100 ms  statement: SELECT * FROM big
\t  WHERE x = 1
2024-05-01 10:00:01.000 UTC [54] LOG:  duration: 7.0 ms  plan:
\t{"Query Text": "SELECT * FROM other", "Plan": {"Node Type": "Seq Scan"}}
"""


def test_auto_explain_and_statement_lines_count_one_execution():
    got = [(e.query, e.duration_ms) for e in entries(AUTO_EXPLAIN_LOG)]
    assert got == [("SELECT * FROM big\n  WHERE x = 1", 5.1), ("SELECT * FROM other", 7.0)]


CSV_LOG = (
    '2024-05-01 10:00:00.123 UTC,"app","blog",61,"127.0.0.1:5000",6630a1b2.3d,3,"SELECT",'
    '2024-05-01 10:00:00 UTC,3/45,0,LOG,00000,"duration: 0.250 ms  execute <unnamed>: SELECT ""id""\n'
    'FROM posts WHERE id = $1",'
    '"parameters: $1 = \'9\'",,,,,,,,"blog web","client backend",,0\n'
    '2024-05-01 10:00:00.500 UTC,,,7375,,6b14df51.1ccf,64,,2026-12-06 04:06:41 UTC,,0,LOG,00000,'
    '"checkpoint complete",,,,,,,,,"","checkpointer",,0\n'
)

JSON_LOG = "\n".join(json.dumps(r) for r in [
    {"timestamp": "2024-05-01 10:00:00.123 UTC", "user": "app", "dbname": "blog", "pid": 62,
     "session_id": "6630a1b2.3e", "vxid": "4/7", "txid": 0, "error_severity": "LOG",
     "message": "duration: 0.300 ms  statement: SELECT 1\nFROM posts", "application_name": "blog worker"},
    {"timestamp": "2024-05-01 10:00:00.200 UTC", "pid": 62, "session_id": "6630a1b2.3e", "error_severity": "ERROR",
     "message": "boom", "statement": "SELECT * FROM nope"},
])


def test_csvlog_and_jsonlog():
    reader = LogReader()
    got = [(e.query, e.duration_ms, e.session, e.vxid, e.app, e.parameters, e.ts_ms is not None)
           for e in reader.read((CSV_LOG + JSON_LOG).splitlines())]
    assert got == [
        ('SELECT "id"\nFROM posts WHERE id = $1', 0.25, "6630a1b2.3d", "3/45", "blog web", "$1 = '9'", True),
        ("SELECT 1\nFROM posts", 0.3, "6630a1b2.3e", "4/7", "blog worker", None, True),
    ]
    assert reader.unparsed == 0 and reader.formats == {"csvlog": 2, "jsonlog": 2}


@pytest.mark.parametrize("prefix, line", [
    ("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
     "2024-05-01 10:00:00 UTC [71]: [3-1] user=app,db=blog,app=my app: worker,client=10.0.0.1 "),
    ("%m %c %v %a ", "2024-05-01 10:00:00.125 UTC 6630a1b2.47 3/9 my app "),
    ("%n|%p|%x|%e|%i|%b|%Q|%r|", "1714557600.125|71|0|00000|SELECT|client backend|-123|10.0.0.1(5432)|"),
    ("<%-8u%%%p> ", "<app     %71> "),
    ("%m [%p] %q%u@%d ", "2024-05-01 10:00:00.125 UTC [71] app@blog "),
])
def test_log_line_prefix_escapes(prefix, line):
    text = line + "LOG:  duration: 1.5 ms  statement: SELECT 1"
    (entry,) = entries_with(text, prefix)
    assert (entry.query, entry.duration_ms) == ("SELECT 1", 1.5)
    if "%a" in prefix:
        assert entry.app in ("my app: worker", "my app")
    if "%c" in prefix:
        assert (entry.session, entry.vxid) == ("6630a1b2.47", "3/9")
    elif "%p" in prefix:
        assert entry.session == "71"
    if "%m" in prefix or "%n" in prefix:
        assert entry.ts_ms % 1000 == pytest.approx(125)


def entries_with(text: str, prefix: str | None):
    return list(LogReader(prefix).read(text.splitlines()))


def test_common_prefix_is_recognized_and_cli_takes_one(run_cli):
    line = "2024-05-01 10:00:00 UTC [71]: [3-1] user=app,db=blog,app=web,client=10.0.0.1 LOG:  statement: SELECT 1"
    reader = LogReader()
    (entry,) = reader.read([line])
    assert reader.prefix == "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h " and entry.app == "web"
    code, out, _ = run_cli("sql", "--log", "-", "--json", "--prefix", "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
                           stdin=line + "\n")
    assert code == 0 and json.loads(out)["data"]["prefix"].startswith("%t [%p]")


# --- N+1 grouping by what the log carries ---------------------------------------------------------

def _pg(ms: int, pid: int, sql: str, app: str | None = None) -> str:
    stamp = f"2024-05-01 10:{ms // 60000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d} UTC"
    if app is None:
        return f"{stamp} [{pid}] app@blog LOG:  duration: 0.100 ms  statement: {sql}"
    return f"{stamp} [{pid}]: [1-1] user=app,db=blog,app={app},client=127.0.0.1 LOG:  duration: 0.100 ms  statement: {sql}"


def _endpoint_traffic(rate: int, seconds: int, *, transactions: bool, comments=None) -> str:
    """One connection (pid 80) serving lazy and eager requests in turn at `rate` requests/s."""
    lines = []
    for r in range(rate * seconds):
        ms = r * 1000 // rate
        tag = comments(r) if comments else ""
        statements = ["SELECT id, title FROM posts ORDER BY id DESC LIMIT 12" + tag]
        if r % 2 == 0:
            statements += [f"SELECT * FROM authors WHERE id = {r * 12 + i}" + tag for i in range(12)]
        else:  # pg_query: the same fingerprint as `id = $1`, once per request
            statements += ["SELECT * FROM authors WHERE id IN (" + ", ".join(str(i) for i in range(12)) + ")" + tag]
        if transactions:
            statements = ["BEGIN", *statements, "COMMIT"]
        lines += [_pg(ms + i // 4, 80, sql) for i, sql in enumerate(statements)]
    return "\n".join(lines)


@pytest.mark.parametrize("rate", [1, 50])
@pytest.mark.parametrize("transactions", [True, False])
def test_lazy_endpoint_is_n_plus_one_and_eager_is_not_at_any_rate(rate, transactions):
    report = query_log_tool(QueryLogInput(log=_endpoint_traffic(rate, 4, transactions=transactions)))
    lazy_requests = rate * 4 // 2
    assert report.data["queries"] == rate * 4 * (1 + (2 if transactions else 0)) + lazy_requests * 13
    (suspect,) = report.data["n_plus_one"]
    assert suspect["fingerprint"] == fingerprint("SELECT * FROM authors WHERE id = $1")
    assert (suspect["max_repeats"], suspect["groups"], suspect["executions"]) == (12, lazy_requests, 12 * lazy_requests)
    assert suspect["scope"] == ("transaction" if transactions else "session")
    assert suspect["normalized"] == "SELECT * FROM authors WHERE id = $1"


def test_sqlcommenter_traceparent_is_the_request():
    def tags(r: int) -> str:
        return f" /*controller='posts',route='%2Fposts%2F{'eager' if r % 2 else 'lazy'}',traceparent='00-{r:032x}-{r:016x}-01'*/"

    report = query_log_tool(QueryLogInput(log=_endpoint_traffic(50, 2, transactions=False, comments=tags)))
    (suspect,) = report.data["n_plus_one"]
    assert (suspect["scope"], suspect["max_repeats"], suspect["groups"]) == ("request", 12, 50)
    assert suspect["example_scope"] == f"{0:032x}" and suspect["endpoint"] == "route=/posts/lazy,controller=posts"


def test_transaction_control_and_session_setup_never_form_a_group():
    statements = ["SET search_path TO app", "SHOW TIME ZONE", "BEGIN", "SAVEPOINT sa_1", "RELEASE SAVEPOINT sa_1",
                  "ROLLBACK", "DISCARD ALL", "SELECT 1"]
    log = "\n".join(_pg(i, 81, sql) for i, sql in enumerate(statements * 20))
    report = query_log_tool(QueryLogInput(log=log))
    assert report.data["queries"] == 160 and report.data["n_plus_one"] == []


def test_application_name_change_ends_a_unit():
    log = []
    for r in range(4):
        app = f"worker-{r}"
        log.append(_pg(r * 100, 82, "SELECT * FROM authors WHERE id = 1", app))
        log += [_pg(r * 100 + 1 + i, 82, f"SELECT * FROM books WHERE author_id = {i}", app) for i in range(6)]
    report = query_log_tool(QueryLogInput(log="\n".join(log), n_plus_one_min=5))
    (suspect,) = report.data["n_plus_one"]
    assert (suspect["max_repeats"], suspect["groups"]) == (6, 4)


def test_psycopg3_fragments_never_top_the_n_plus_one_list():
    log = "\n".join(PSYCOPG3_LOG.splitlines()[:11] * 12)
    report = query_log_tool(QueryLogInput(log=log))
    assert report.data["queries"] == 12 and report.data["unparsed_lines"] == 0
    assert [t["calls"] for t in report.data["top"]] == [12]
    top = report.data["top"][0]
    assert top["fingerprint_source"] == "libpg_query" and top["parameters"] == "$1 = '7'"
    assert top["normalized"].startswith("SELECT app.blog_comments.id, app.blog_comments.body")
