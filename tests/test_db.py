"""tools.db against the real PostgreSQL: EXPLAIN that never changes data, health findings, bad DSNs."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tools.db import (
    DbExplainInput,
    DbHealthInput,
    _cache_findings,
    _connection_findings,
    db_explain_tool,
    db_health_tool,
)
from tools.db_guard import parse_statements, statement_writes
from tools.errors import InputError

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema_dsn(pg_conn, pg_dsn):
    """(dsn whose search_path is the test schema, schema name) with a 20k-row table loaded."""
    schema = pg_conn.execute("SELECT current_schema()").fetchone()[0]
    pg_conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner int NOT NULL, balance int NOT NULL)")
    pg_conn.execute("INSERT INTO accounts SELECT g, g % 100, g FROM generate_series(1, 20000) g")
    pg_conn.execute("ANALYZE accounts")
    return f"{pg_dsn}?options={quote(f'-csearch_path={schema}')}", schema


def count(pg_conn) -> int:
    return pg_conn.execute("SELECT count(*) FROM accounts").fetchone()[0]


@pytest.mark.parametrize("sql, write", [
    ("SELECT * FROM t", None),
    ("WITH x AS (SELECT 1) SELECT * FROM x", None),
    ("DELETE FROM t WHERE id = 1", "DELETE"),
    ("WITH gone AS (DELETE FROM t RETURNING id) SELECT * FROM gone", "DELETE"),
    ("INSERT INTO t SELECT 1", "INSERT"),
    ("SELECT * FROM t FOR UPDATE", "SELECT FOR UPDATE/SHARE"),
    ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "MERGE"),
])
def test_statement_writes(sql, write):
    assert statement_writes(parse_statements(sql)[0].stmt) == write


def test_explain_select_read_only(schema_dsn):
    dsn, _ = schema_dsn
    report = db_explain_tool(DbExplainInput(dsn=dsn, sql="EXPLAIN ANALYZE SELECT * FROM accounts WHERE owner = 7;"))
    assert report.tool == "db_explain"
    plan = report.data["plan"][0]
    assert plan["Plan"]["Node Type"] == "Seq Scan" and "Execution Time" in plan
    assert report.data["transaction"] == "read-only, rolled back"
    assert "read-only" in report.summary


def test_cli_explain_draws_the_plan_tree(schema_dsn, run_cli):
    dsn, _ = schema_dsn
    code, out, _ = run_cli("db", "explain", "--dsn", dsn, "SELECT * FROM accounts ORDER BY balance LIMIT 5")
    assert code == 0
    assert "Sort" in out and "Seq Scan accounts" in out and "transaction: read-only, rolled back" in out


def test_delete_is_refused_without_allow_writes(schema_dsn, pg_conn, run_cli):
    dsn, _ = schema_dsn
    with pytest.raises(InputError, match="--allow-writes"):
        db_explain_tool(DbExplainInput(dsn=dsn, sql="DELETE FROM accounts"))
    code, _, err = run_cli("db", "explain", "--dsn", dsn, "DELETE FROM accounts")
    assert code == 2 and "--allow-writes" in err
    assert count(pg_conn) == 20000


def test_delete_with_allow_writes_leaves_the_table_intact(schema_dsn, pg_conn, run_cli):
    dsn, _ = schema_dsn
    code, out, _ = run_cli("db", "explain", "--dsn", dsn, "--allow-writes", "--json", "DELETE FROM accounts")
    data = json.loads(out)
    assert code == 0
    plan = data["data"]["plan"][0]["Plan"]
    assert plan["Node Type"] == "ModifyTable" and plan["Operation"] == "Delete"
    assert plan["Plans"][0]["Actual Rows"] == 20000  # it really ran...
    assert count(pg_conn) == 20000  # ...and was rolled back


def test_hidden_write_is_stopped_by_the_read_only_transaction(schema_dsn, pg_conn):
    dsn, _ = schema_dsn
    pg_conn.execute("CREATE FUNCTION zap() RETURNS bigint LANGUAGE sql AS "
                    "$$ WITH d AS (DELETE FROM accounts RETURNING 1) SELECT count(*) FROM d $$")
    with pytest.raises(InputError, match="read-only transaction"):
        db_explain_tool(DbExplainInput(dsn=dsn, sql="SELECT zap()"))
    assert count(pg_conn) == 20000


@pytest.mark.parametrize("sql", [
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "SELECT pg_reload_conf()",
    "SELECT * FROM dblink('dbname=x', 'DELETE FROM t') AS t(n int)",
    "SELECT PG_STAT_RESET ()",
])
def test_functions_a_rollback_cannot_undo_are_refused_even_with_allow_writes(pg_dsn, sql):
    with pytest.raises(InputError, match="rollback cannot undo"):
        db_explain_tool(DbExplainInput(dsn=pg_dsn, sql=sql, allow_writes=True))


SLOW = "SELECT count(*) FROM generate_series(1, 10000) a, generate_series(1, 10000) b"  # seconds of work


def test_timeout_and_bad_statements(schema_dsn, run_cli):
    dsn, _ = schema_dsn
    with pytest.raises(InputError, match="statement_timeout = 50 ms"):
        db_explain_tool(DbExplainInput(dsn=dsn, sql=SLOW, timeout_ms=50))
    with pytest.raises(InputError, match="one statement at a time") as err:
        db_explain_tool(DbExplainInput(dsn=dsn, sql="SELECT 1;\nDROP TABLE accounts"))
    assert err.value.line == 2
    with pytest.raises(InputError, match='column "nope" does not exist') as err:
        db_explain_tool(DbExplainInput(dsn=dsn, sql="SELECT id\nFROM accounts\nWHERE nope = 1"))
    assert err.value.line == 3
    code, _, err_text = run_cli("db", "explain", "--dsn", dsn, "--timeout-ms", "50", "-", stdin=SLOW)
    assert code == 2 and err_text.count("\n") == 1 and "statement_timeout = 50 ms" in err_text


def test_unreachable_dsn_is_one_line_exit_2(run_cli):
    dsn = "postgresql://postgres:s3cret@127.0.0.1:1/test"
    for argv in (("db", "health", "--dsn", dsn), ("db", "explain", "--dsn", dsn, "SELECT 1")):
        code, out, err = run_cli(*argv)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "cannot connect to PostgreSQL" in err and "s3cret" not in err
    code, _, err = run_cli("db", "health", "--dsn", "not a dsn at all")
    assert code == 2 and err.count("\n") == 1


def test_health_reports_seq_scans_and_index_problems(schema_dsn, pg_conn, run_cli):
    dsn, schema = schema_dsn
    pg_conn.execute("CREATE INDEX acc_owner_a ON accounts (owner)")
    pg_conn.execute("CREATE INDEX acc_owner_b ON accounts (owner)")
    pg_conn.execute("CREATE INDEX acc_owner_balance ON accounts (owner, balance)")
    pg_conn.execute("CREATE TABLE tiny (id int PRIMARY KEY)")
    pg_conn.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
    for _ in range(5):
        pg_conn.execute("SELECT count(*) FROM accounts WHERE balance > 10").fetchone()
        pg_conn.execute("SELECT count(*) FROM tiny").fetchone()
    pg_conn.execute("SELECT pg_stat_force_next_flush()")
    pg_conn.execute("SELECT 1")  # the flush happens at the end of the next transaction
    report = db_health_tool(DbHealthInput(dsn=dsn, schemas=[schema]))
    by_code: dict[str, list[str]] = {}
    for f in report.findings:
        by_code.setdefault(f.code, []).append(f.location.node)
    assert by_code["DB001"] == [f"{schema}.accounts"]  # not tiny: below min_rows
    assert sorted(by_code["DB002"]) == [f"{schema}.acc_owner_a", f"{schema}.acc_owner_b", f"{schema}.acc_owner_balance"]
    assert by_code["DB003"] == [f"{schema}.acc_owner_a"]
    assert by_code["DB004"] == [f"{schema}.acc_owner_b"]  # _a already has its finding: it is the duplicate
    assert report.data["max_connections"] >= report.data["connections"] >= 1
    code, out, _ = run_cli("db", "health", "--dsn", dsn, "--schema", schema, "--json")
    assert code == 0 and {f["code"] for f in json.loads(out)["findings"]} == set(by_code)
    assert run_cli("db", "health", "--dsn", dsn, "--schema", schema, "--fail-on", "warning")[0] == 1


def test_cache_and_connection_thresholds():
    assert _cache_findings(hit=990_000, read=9_000) == []  # 99.1%
    (warn,) = _cache_findings(hit=95_000, read=5_000)
    (err,) = _cache_findings(hit=80_000, read=20_000)
    assert (warn.code, warn.severity, err.severity) == ("DB005", "warning", "error")
    assert _cache_findings(hit=10, read=500) == []  # too few reads to judge
    assert _connection_findings(used=70, max_connections=100, reserved=3) == []
    (warn,) = _connection_findings(used=80, max_connections=100, reserved=3)
    (err,) = _connection_findings(used=95, max_connections=100, reserved=3)
    assert (warn.code, warn.severity, err.severity) == ("DB006", "warning", "error")
    assert err.handoff == "backend-engineer"


def test_dollar_quote_after_a_non_ascii_letter_cannot_smuggle_a_commit(schema_dsn, pg_conn, run_cli):
    """PostgreSQL reads `é$a$` as one identifier: four statements, refused before any connection."""
    dsn, _ = schema_dsn
    sql = "SELECT 1 AS é$a$; COMMIT; DROP TABLE accounts; SELECT 1 AS x$a$"
    code, out, err = run_cli("db", "explain", "--dsn", dsn, sql)
    assert (code, out) == (2, "") and err.count("\n") == 1 and "one statement at a time (4 given)" in err
    assert count(pg_conn) == 20000


def test_the_splitter_reads_a_dollar_after_a_non_ascii_letter_as_part_of_the_identifier():
    from tools.sql.split import split_statements

    sql = "SELECT 1 AS é$a$; COMMIT; DROP TABLE victim; SELECT 1 AS x$a$"
    assert [s.text for s in split_statements(sql)] == [
        "SELECT 1 AS é$a$", "COMMIT", "DROP TABLE victim", "SELECT 1 AS x$a$"]
    assert len(split_statements("SELECT $a$;$a$; SELECT 2")) == 2  # a real dollar quote still is one
