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
    got = [(e.line, e.query, e.duration_ms, e.scope) for e in entries(PG_LOG)]
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


def test_burst_window_by_time_and_by_statement_count():
    def pg_line(second: float, n: int) -> str:
        return (f"2024-05-01 10:00:{second:06.3f} UTC [77] LOG:  duration: 1.0 ms  statement: "
                f"SELECT * FROM items WHERE cart_id = {n}")

    burst = "\n".join(pg_line(0.01 * n, n) for n in range(15))
    spread = "\n".join(pg_line(2.0 * n, n) for n in range(15))  # 2 s apart: never 10 within 1 s
    assert by_code(query_log_tool(QueryLogInput(log=burst)), "LOG001")[0].evidence["max_repeats"] == 15
    assert not by_code(query_log_tool(QueryLogInput(log=spread)), "LOG001")
    plain = "SELECT 1\n" + "\n".join(f"SELECT * FROM items WHERE cart_id = {n}" for n in range(30))
    (finding,) = by_code(query_log_tool(QueryLogInput(log=plain)), "LOG001")
    assert finding.evidence["max_repeats"] == 30 and finding.evidence["groups"] == 1
    assert finding.location.line == 2  # where the burst starts
    interleaved = "\n".join(f"SELECT * FROM items WHERE cart_id = {n}\n" + "\n".join(
        f"SELECT name FROM table_{chr(97 + k)}" for k in range(20)) for n in range(30))
    assert not by_code(query_log_tool(QueryLogInput(log=interleaved)), "LOG001")  # 10 repeats span > 100 statements


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
