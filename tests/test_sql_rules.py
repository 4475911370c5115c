"""tools.sql: statement splitting, every anti-pattern rule (hit and near miss), lines, CLI, bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from near_numbers import check_error, check_result, near_number

from tools.errors import InputError
from tools.sql import SqlInput, analyze_sql, sql_tool
from tools.sql.rules import RULES
from tools.sql.split import split_statements


def kinds(sql: str, **kw) -> list[str]:
    return [f.kind for f in analyze_sql(sql, **kw)]


# --- splitting -------------------------------------------------------------------------------


def test_split_keeps_lines_names_and_skips_quoted_semicolons():
    text = (
        "-- name: first\n"
        "SELECT 'a;b', \"x;y\" FROM t;\n"
        "\n"
        "/* block; /* nested; */ still comment; */\n"
        "-- name: second :one\n"
        "SELECT $body$ ; $body$,\n"
        "  E'it\\'s;' FROM u;\n"
        "SELECT 3"
    )
    stmts = split_statements(text)
    assert [(s.line, s.name) for s in stmts] == [(2, "first"), (6, "second"), (8, None)]
    assert stmts[1].text.endswith("FROM u")
    assert stmts[1].end_line == 7


def test_split_skips_copy_data_and_survives_unterminated_quote():
    stmts = split_statements("COPY t (a) FROM stdin;\n1;2\n\\.\nSELECT 1;\nSELECT 'open; SELECT 2")
    assert [s.line for s in stmts] == [1, 4, 5]
    assert stmts[2].text == "SELECT 'open; SELECT 2"


def test_mysql_backslash_escapes_only_in_mysql():
    text = r"SELECT 'a\';b'; SELECT 2"
    assert [s.text for s in split_statements(text, "mysql")] == [r"SELECT 'a\';b'", "SELECT 2"]
    # standard_conforming_strings: the backslash is a plain character and the quote closes the string
    assert split_statements(text, "postgres")[0].text == r"SELECT 'a\'"


@pytest.mark.parametrize("placeholder", [":email", "%s", "%(email)s", "$1", "?"])
@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_placeholders_parse_in_every_dialect(placeholder, dialect):
    found = kinds(f"SELECT id FROM users WHERE lower(email) = {placeholder}", dialect=dialect)
    assert found == ["function_on_column"]


# --- rules -------------------------------------------------------------------------------------

HITS = {
    "select_star": "SELECT * FROM users WHERE id = 1",
    "leading_wildcard_like": "SELECT id FROM users WHERE name LIKE '%smith'",
    "function_on_column": "SELECT id FROM users WHERE lower(email) = $1",
    "offset_pagination": "SELECT id FROM users ORDER BY id LIMIT 20 OFFSET 4000",
    "delete_without_where": "DELETE FROM sessions",
    "update_without_where": "UPDATE users SET active = false",
    "order_by_random": "SELECT id FROM users ORDER BY random() LIMIT 1",
    "not_in_subquery": "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM bans)",
    "or_across_columns": "SELECT id FROM users WHERE email = $1 OR phone = $2",
    "implicit_cross_join": "SELECT u.id FROM users u, orders o WHERE u.id = 1",
    "missing_limit": "SELECT id, name FROM users ORDER BY name",
    "count_star_for_existence": "SELECT 1 WHERE (SELECT count(*) FROM orders WHERE user_id = 1) > 0",
    "correlated_subquery": "SELECT p.id, (SELECT count(*) FROM comments c WHERE c.post_id = p.id) FROM posts p",
    "catch_all_filter": "SELECT id FROM posts WHERE (author_id = $1 OR $1 IS NULL) AND title = $2",
    "limit_without_order": "SELECT id FROM posts LIMIT 20 OFFSET 40",
    "gin_gist_predicate": "SELECT id FROM posts WHERE tags @> ARRAY[$1]",
}

NEAR_MISSES = {
    "select_star": "SELECT id FROM users WHERE EXISTS (SELECT * FROM orders WHERE orders.user_id = users.id) LIMIT 5",
    "leading_wildcard_like": "SELECT id FROM users WHERE name LIKE 'smi%' LIMIT 5",
    "function_on_column": "SELECT lower(email) FROM users WHERE email = lower($1) LIMIT 5",
    "offset_pagination": "SELECT id FROM users ORDER BY id LIMIT 20 OFFSET 0",
    "delete_without_where": "DELETE FROM sessions WHERE expires_at < now()",
    "update_without_where": "UPDATE users SET active = false WHERE id = $1",
    "order_by_random": "SELECT id FROM users ORDER BY created_at DESC LIMIT 1",
    "not_in_subquery": "SELECT id FROM users WHERE id NOT IN (1, 2, 3) LIMIT 5",
    "or_across_columns": "SELECT id FROM users WHERE status = 'a' OR status = 'b' LIMIT 5",
    "implicit_cross_join": "SELECT u.id FROM users u, orders o WHERE o.user_id = u.id LIMIT 5",
    "missing_limit": "SELECT id FROM users WHERE org_id = $1 ORDER BY name",
    "count_star_for_existence": "SELECT count(*) FROM orders WHERE user_id = 1",
    "correlated_subquery": "SELECT p.id, (SELECT count(*) FROM comments) FROM posts p",
    "catch_all_filter": "SELECT id FROM posts WHERE author_id = $1 OR editor_id = $1",
    "limit_without_order": "SELECT 1 FROM posts WHERE author_id = $1 LIMIT 1",
    "gin_gist_predicate": "SELECT id FROM posts WHERE post_id = $1 AND tags @> ARRAY[$2]",
}


@pytest.mark.parametrize("kind", sorted(HITS))
def test_rule_hits(kind):
    findings = [f for f in analyze_sql(HITS[kind], path="q.sql") if f.kind == kind]
    assert len(findings) == 1
    rule = RULES[kind]
    f = findings[0]
    # Rules that know a table is big only from a live catalog, or an index only from a schema, advise.
    severity = "info" if kind in ("catch_all_filter", "gin_gist_predicate") else rule.severity
    assert (f.code, f.severity, f.handoff) == (rule.code, severity, rule.handoff)
    assert f.location.path == "q.sql" and f.location.line == 1
    assert f.suggestion


@pytest.mark.parametrize("sql, fires", [
    ("SELECT count(*) > 0 FROM orders WHERE user_id = 1", True),
    ("SELECT 1 WHERE 0 < (SELECT count(*) FROM orders)", True),
    ("SELECT 1 WHERE (SELECT count(id) FROM orders) = 0", True),
    ("SELECT 1 WHERE (SELECT count(*) FROM orders) > 1", False),  # "more than one" is a real count
    ("SELECT 1 WHERE (SELECT count(*) FROM orders) = 1", False),
    ("SELECT user_id FROM orders GROUP BY user_id HAVING count(*) > 0", False),
    ("SELECT user_id, count(*) > 0 FROM orders GROUP BY user_id", False),
])
def test_count_for_existence_patterns(sql, fires):
    assert ("count_star_for_existence" in kinds(sql)) is fires


@pytest.mark.parametrize("kind", sorted(NEAR_MISSES))
def test_rule_near_misses(kind):
    assert kind not in kinds(NEAR_MISSES[kind])


def test_codes_are_unique_and_stable():
    codes = [r.code for r in RULES.values()]
    assert len(codes) == len(set(codes))
    assert RULES["parse_error"].code == "SQL001"
    assert RULES["count_star_for_existence"].code == "SQL013"


def test_finding_line_is_the_offending_line_inside_a_multiline_statement():
    sql = "SELECT id,\n       name\nFROM users\nWHERE name LIKE '%x'\nORDER BY id LIMIT 3"
    (f,) = analyze_sql(sql)
    assert f.kind == "leading_wildcard_like" and f.location.line == 4
    assert f.evidence["statement_line"] == 1


def test_line_offset_maps_into_the_enclosing_file():
    literal_start = 41  # a Python string literal beginning on line 41
    (f,) = analyze_sql("\nDELETE FROM users", path="app.py", line_offset=literal_start - 1)
    assert (f.location.path, f.location.line) == ("app.py", 42)


def test_parse_error_is_reported_and_the_rest_still_analyzed():
    sql = "SELECT 1;\nSELECT FROM WHERE (;\nDELETE FROM t;\n-- name: broken\nSELECT * FROM;"
    findings = analyze_sql(sql, path="f.sql")
    assert [(f.kind, f.location.line) for f in findings] == [
        ("parse_error", 2), ("delete_without_where", 3), ("parse_error", 5)]
    assert findings[0].severity == "error" and "Token" not in findings[0].message
    assert findings[2].message.startswith("broken: ")


def test_named_statement_label_in_message_and_evidence():
    (f,) = analyze_sql("-- name: wipe\nDELETE FROM t")
    assert f.message.startswith("wipe: ") and f.evidence["statement"] == "wipe"


def test_sql_tool_report_shape():
    report = sql_tool(SqlInput(sql="SELECT * FROM a;\nSELECT FROM WHERE (", path="x.sql"))
    assert report.tool == "sql"
    assert report.data == {"statements": 2, "parse_errors": 1, "migration": False}
    assert report.worst() == "error"


def test_unknown_dialect_is_input_error():
    with pytest.raises(InputError, match="unknown dialect"):
        sql_tool(SqlInput(sql="SELECT 1", dialect="klingon"))


# --- context: migrations and the schema -------------------------------------------------------


@pytest.mark.parametrize("path, migration", [
    ("app/migrations/0042_backfill.sql", True), ("db/migrate/20240101_add.sql", True),
    ("alembic/versions/abc123_add.sql", True), ("sql/0003_users.up.sql", True), ("V7__backfill.sql", True),
    ("20240101120000_add_flag.sql", True), ("queries/users.sql", False), ("app.sql", False), (None, False),
])
def test_migration_paths(path, migration):
    from tools.sql.rules import is_migration_path

    assert is_migration_path(path) is migration


def test_a_backfill_in_a_migration_is_a_note_not_an_error():
    sql = "UPDATE entries SET changed_at = published_at;\nDELETE FROM old_rows"
    findings = analyze_sql(sql, path="db/migrations/0042.sql")
    assert [(f.kind, f.severity) for f in findings] == [("update_without_where", "info"), ("delete_without_where", "info")]
    assert "migration" in findings[0].message and findings[0].evidence["migration"] is True
    # The explicit flag wins over the path, both ways.
    assert "migration" not in analyze_sql(sql, path="db/migrations/0042.sql", migration=False)[0].message
    assert "migration" in analyze_sql(sql, path="q.sql", migration=True)[0].message


def test_schema_knows_single_row_tables_and_keys():
    from tools.sql import analyze_text
    from tools.sql.indexes import schema_from_sql

    schema = schema_from_sql("CREATE TABLE pos (lock char(1) NOT NULL DEFAULT 'X' UNIQUE, id bigint, CHECK (lock = 'X'));"
                             "CREATE TABLE users (id int PRIMARY KEY, email text);"
                             "CREATE INDEX users_lower_email ON users (lower(email));")
    sql = "UPDATE pos SET id = $1;\nSELECT id FROM users WHERE lower(email) = $1;\nUPDATE users SET email = NULL"
    kinds_found = [f.kind for f in analyze_text(sql, "q.sql", schema=schema).findings]
    assert kinds_found == ["update_without_where"]  # only the many-row table; the expression index exists


def test_well_tuned_shapes_from_real_code_stay_quiet():
    quiet = [
        # LIMIT 1 OFFSET n: a batch-boundary probe (synapse background updates)
        "SELECT stream_ordering FROM events WHERE stream_ordering > $1 ORDER BY stream_ordering LIMIT 1 OFFSET $2",
        # LIKE in a SELECT-list CASE classifies rows, the WHERE chooses them
        "SELECT CASE WHEN lower(ua) LIKE '%android%' THEN 'a' END FROM visits WHERE ts > $1",
        # an OR in a residual filter behind a key lookup
        "SELECT true FROM integrations WHERE user_id = $1 AND (a_enabled = 't' OR b_enabled = 't')",
        # a function on a column in a residual filter behind a key lookup
        "SELECT true FROM categories WHERE user_id = $1 AND lower(title) = lower($2) LIMIT 1",
        # ON CONFLICT ... DO UPDATE WHERE tests the one conflicting row
        "INSERT INTO locks (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v "
        "WHERE locks.ts < $3 OR locks.owner = EXCLUDED.owner",
        # every branch tests status: one index serves them
        "SELECT id FROM campaigns WHERE status = 'running' OR (status = 'scheduled' AND send_at <= now())",
        # a varchar cast to text is a relabel (Django's startswith)
        "SELECT id FROM authors WHERE name::text LIKE $1",
        # counting a CTE that is computed anyway
        "WITH s AS (SELECT id FROM t WHERE x > $1 LIMIT 10) UPDATE c SET n = 1 WHERE (SELECT count(id) FROM s) > 0 "
        "AND id = $2",
        # a DISTINCT list is the whole answer
        "SELECT DISTINCT name FROM authors ORDER BY name",
    ]
    for sql in quiet:
        assert [f.kind for f in analyze_sql(sql) if f.severity != "info"] == [], sql


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_json_and_fail_on(tmp_path, run_cli):
    f = tmp_path / "q.sql"
    f.write_text("SELECT * FROM users ORDER BY name;\nDELETE FROM users;\nSELECT id FROM users WHERE name LIKE '%x';\n")
    code, out, _ = run_cli("sql", str(f), "--json")
    data = json.loads(out)
    assert code == 0  # nothing is wrong for sure: the default --fail-on error passes
    assert {x["code"] for x in data["findings"]} == {"SQL002", "SQL012", "SQL006", "SQL003"}
    assert run_cli("sql", str(f), "--fail-on", "warning")[0] == 1
    f.write_text("SELECT FROM WHERE (;\n")
    assert run_cli("sql", str(f))[0] == 1  # a parse error still fails
    assert run_cli("sql", str(f), "--fail-on", "never")[0] == 0
    f.write_text("SELECT * FROM users ORDER BY name;")
    assert run_cli("sql", str(f))[0] == 0
    assert run_cli("sql", str(f), "--fail-on", "info")[0] == 1


def test_cli_stdin_and_rich_output(run_cli):
    code, out, _ = run_cli("sql", "-", "--fail-on", "info", stdin="-- name: wipe\nDELETE FROM t;")
    assert code == 1 and "SQL006" in out and "<stdin>" in out


@pytest.mark.parametrize("argv, message", [
    (("sql",), "give a SQL FILE"),
    (("sql", "a.sql", "--log", "b.log"), "not both"),
    (("sql", "a.sql", "--schema", "s.sql", "--dsn", "postgresql://x"), "not allowed with"),
])
def test_cli_usage_errors_exit_2(run_cli, argv, message):
    code, _, err = run_cli(*argv)
    assert code == 2 and message in err


def test_cli_missing_file_binary_and_bad_dialect_exit_2(tmp_path, run_cli):
    code, _, err = run_cli("sql", str(tmp_path / "nope.sql"))
    assert code == 2 and "nope.sql" in err and "Traceback" not in err
    garbage = tmp_path / "garbage.sql"
    garbage.write_bytes(bytes(range(256)) * 100)
    code, _, err = run_cli("sql", str(garbage))
    assert code == 2 and err.count("\n") == 1 and "garbage.sql:2: not UTF-8" in err  # 0x0a ends line 1
    nul = tmp_path / "nul.sql"
    nul.write_bytes(b"SELECT 1;\n\x00\x01\x02")
    code, _, err = run_cli("sql", str(nul))
    assert code == 2 and "nul.sql:2: binary data" in err
    ok = tmp_path / "ok.sql"
    ok.write_text("SELECT 1")
    code, _, err = run_cli("sql", str(ok), "--dialect", "klingon")
    assert code == 2 and "unknown dialect" in err


def test_five_megabyte_dump(tmp_path, run_cli):
    """A pg_dump-like file: DDL, big multi-row INSERTs, COPY data, then queries at known lines."""
    rows = ",\n".join(f"({i}, 'user {i}; -- not a comment', 'u{i}@example.com')" for i in range(2000))
    parts = ["CREATE TABLE users (id int PRIMARY KEY, name text, email text);\n"]
    while sum(map(len, parts)) < 5 * 2**20:
        parts.append(f"INSERT INTO users (id, name, email) VALUES\n{rows};\n")
    parts.append("COPY users (id, name) FROM stdin;\n1\tx;y\n\\.\n")
    head = "".join(parts)
    tail = "SELECT * FROM users ORDER BY name;\nDELETE FROM users;\n"
    path = tmp_path / "dump.sql"
    path.write_text(head + tail)
    first_query_line = head.count("\n") + 1
    code, out, _ = run_cli("sql", str(path), "--json", "--fail-on", "info")
    data = json.loads(out)
    assert code == 1
    got = {(f["code"], f["location"]["line"]) for f in data["findings"]}
    assert got == {("SQL002", first_query_line), ("SQL012", first_query_line), ("SQL006", first_query_line + 1)}
    assert data["data"]["parse_errors"] == 0


# --- fuzz ----------------------------------------------------------------------------------------

SQLISH = st.text(alphabet=st.sampled_from(list("SELECT*FROMWHERE ab1;'\"$-/\n()=%?:,.E\\`")), max_size=120)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SQLISH)
def test_fuzz_splitter_covers_text_in_order(text):
    stmts = split_statements(text)
    offsets = [s.offset for s in stmts]
    assert offsets == sorted(offsets)
    for s in stmts:
        assert s.text and text[s.offset:].startswith(s.text)
        assert s.line == text.count("\n", 0, s.offset) + 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(SQLISH, st.text(max_size=80)), st.sampled_from(["postgres", "mysql", "sqlite"]))
def test_fuzz_analyze_never_raises(text, dialect):
    for f in analyze_sql(text, path="fuzz.sql", dialect=dialect):
        assert f.location.line >= 1 and f.code.startswith("SQL")


def test_pathologically_deep_statement_is_reported_not_raised():
    deep = "SELECT id FROM t WHERE " + "lower(" * 5000 + "email" + ")" * 5000 + " = 1;\nDELETE FROM t"
    findings = analyze_sql(deep)
    assert [(f.kind, f.location.line) for f in findings] == [("parse_error", 1), ("delete_without_where", 2)]


# The rules read integer literals (OFFSET 0, count(*) > 0) with int(): a literal of 5000 digits is
# more than int() takes, and '1e400', '١٢' or '1_000' are literals of other kinds.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["SELECT * FROM t ORDER BY id LIMIT 10 OFFSET {n}", "SELECT id FROM t WHERE (SELECT count(*) FROM u) > {n}",
                        "SELECT id FROM t WHERE {n} = (SELECT count(*) FROM u WHERE u.t = t.id)",
                        "SELECT id FROM t WHERE x IN ({n}, {n}) LIMIT {n}"]), near_number)
def test_fuzz_near_numbers_in_sql_literals(template, number):
    try:
        report = sql_tool(SqlInput(sql=template.replace("{n}", number), suggest_indexes=True))
    except InputError as error:
        check_error(error)
        return
    check_result(report)
