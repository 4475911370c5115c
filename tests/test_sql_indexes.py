"""Index advisor: key order, partial/expression indexes, schema awareness, and real plans switching."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tools.sql import SqlInput, analyze_text, sql_tool
from tools.sql.indexes import schema_from_dsn, schema_from_sql


def suggestions(sql: str, schema_sql: str | None = None) -> list[dict]:
    return sql_tool(SqlInput(sql=sql, suggest_indexes=True, schema_sql=schema_sql)).data["indexes"]


def test_equality_then_range_then_order_by():
    (s,) = suggestions("SELECT id FROM orders WHERE created_at > $2 AND customer_id = $1 AND status = 'open' "
                       "ORDER BY created_at LIMIT 20")
    assert s["keys"] == ["customer_id", "status", "created_at"]
    (s,) = suggestions("SELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20")
    assert s["keys"] == ["customer_id", "created_at", "id"]
    (s,) = suggestions("SELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id LIMIT 20")
    assert s["keys"] == ["customer_id", "created_at DESC", "id"]  # mixed directions need DESC in the index


def test_order_by_is_left_out_when_a_range_on_another_column_breaks_the_order():
    (s,) = suggestions("SELECT id FROM orders WHERE customer_id = $1 AND total > 100 ORDER BY created_at LIMIT 5")
    assert s["keys"] == ["customer_id", "total"]


def test_partial_and_expression_indexes():
    (s,) = suggestions("SELECT id FROM users WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name LIMIT 10")
    assert (s["keys"], s["where"]) == (["org_id", "name"], "deleted_at IS NULL")
    assert suggestions("SELECT id FROM users WHERE ((org_id = $1) AND (deleted_at IS NULL)) ORDER BY name LIMIT 10") == [s]
    assert s["create"].endswith("WHERE deleted_at IS NULL;")
    (s,) = suggestions("SELECT id FROM users WHERE lower(email) = :email")
    assert s["keys"] == ["lower(email)"] and "((lower(email)))" in s["create"]


def test_join_column_of_the_joined_table_and_alias_resolution():
    (s,) = suggestions("SELECT o.id FROM orders o JOIN items i ON i.order_id = o.id WHERE o.id = 5")
    assert (s["table"], s["keys"]) == ("items", ["order_id"])


def test_same_index_for_several_statements_is_proposed_once_and_prefixes_fold():
    sql = ("SELECT id FROM orders WHERE customer_id = $1;\n"
           "SELECT id FROM orders WHERE customer_id = $1 AND status = $2;\n"
           "SELECT total FROM orders WHERE customer_id = 7")
    (s,) = suggestions(sql)
    assert s["keys"] == ["customer_id", "status"] and s["lines"] == [1, 2, 3]


def test_known_schema_suppresses_covered_indexes():
    schema = ("CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, org_id int, name text);\n"
              "CREATE INDEX users_org_name ON users (org_id, name);\n"
              "CREATE INDEX users_lower_email ON users (lower(email));")
    sql = ("SELECT name FROM users WHERE email = $1;\n"
           "SELECT name FROM users WHERE org_id = $1;\n"
           "SELECT name FROM users WHERE lower(email) = $1;\n"
           "SELECT name FROM users WHERE name = $1")
    assert [s["keys"] for s in suggestions(sql, schema)] == [["name"]]
    # Without the schema every one of them is proposed.
    assert len(suggestions(sql)) == 4


def test_without_schema_a_lone_id_is_taken_for_the_primary_key():
    assert suggestions("SELECT name FROM users WHERE id = $1") == []
    schema = schema_from_sql("CREATE TABLE t (a int, b int, PRIMARY KEY (a, b), UNIQUE (b))")
    assert sorted(i.keys for i in schema.indexes["t"]) == [["a", "b"], ["b"]]


def test_index_finding_shape():
    report = sql_tool(SqlInput(sql="\n\nSELECT id FROM users WHERE org_id = 3", path="q.sql", suggest_indexes=True))
    (f,) = [f for f in report.findings if f.code == "SQL014"]
    assert (f.kind, f.severity, f.handoff, f.location.line) == ("index_suggestion", "info", "data-engineer", 3)
    assert f.evidence["create"] == "CREATE INDEX users_org_id_idx ON users (org_id);"


# --- real PostgreSQL -----------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, org_id int NOT NULL, name text NOT NULL,
                    deleted_at timestamp);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                     created_at timestamp NOT NULL, total numeric NOT NULL);
CREATE TABLE items (id int PRIMARY KEY, order_id int NOT NULL, sku text NOT NULL);
CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL, payload jsonb NOT NULL, code text COLLATE "C" NOT NULL);
"""

LOAD = """
INSERT INTO users SELECT g, 'User' || g || '@Example.com', g % 1000, md5(g::text),
       CASE WHEN g % 10 = 0 THEN NULL ELSE now() END FROM generate_series(1, 60000) g;
INSERT INTO orders SELECT g, g % 5000, (ARRAY['open','paid','shipped','void'])[g % 4 + 1],
       timestamp '2024-01-01' + g * interval '5 minutes', (g % 500)::numeric FROM generate_series(1, 80000) g;
INSERT INTO items SELECT g, (g * 7) % 80000 + 1, 'sku' || g FROM generate_series(1, 120000) g;
INSERT INTO events SELECT g, timestamptz '2024-01-01' + g * interval '5 minutes', jsonb_build_object('k', g % 3000),
       md5(g::text) FROM generate_series(1, 60000) g;
ANALYZE users, orders, items, events;  -- only ours: a database-wide ANALYZE can deadlock with other sessions
"""

# Each query with literals so PostgreSQL can plan it; each gets exactly one proposal.
QUERIES = [
    "SELECT id, total FROM orders WHERE customer_id = 42 AND created_at > '2024-03-01' ORDER BY created_at LIMIT 20",
    "SELECT id FROM users WHERE lower(email) = 'user5@example.com'",
    "SELECT id, name FROM users WHERE org_id = 7 AND deleted_at IS NULL ORDER BY name LIMIT 10",
    "SELECT o.id, i.sku FROM orders o JOIN items i ON i.order_id = o.id WHERE o.id = 4242",
    "SELECT id FROM orders WHERE status = 'void' AND customer_id = 3",
    # LIKE 'prefix%' under this server's non-C collation: text_pattern_ops, or a plain B-tree under COLLATE "C"
    "SELECT id FROM users WHERE name LIKE 'abc%'",
    "SELECT id FROM users WHERE org_id = 7 AND name LIKE 'a%'",
    "SELECT id FROM events WHERE code LIKE 'abc%'",
    # expression keys that are IMMUTABLE for the columns' types
    "SELECT id FROM orders WHERE created_at::date = '2024-02-01'",
    "SELECT id FROM events WHERE payload ->> 'k' = '17'",
    "SELECT id FROM events WHERE (at AT TIME ZONE 'UTC')::date = '2024-02-01'",
]

# Expressions PostgreSQL refuses as index keys (STABLE on timestamptz) or would not match
# (sqlglot writes date_trunc('DAY', ...)): never proposed.
NOT_PROPOSED = [
    "SELECT id FROM events WHERE at::date = '2024-02-01'",
    "SELECT id FROM events WHERE date_trunc('day', at) = '2024-02-01'",
    "SELECT id FROM orders WHERE date_trunc('day', created_at) = '2024-02-01'",
    "SELECT id FROM events WHERE to_char(at, 'YYYY') = '2024'",
]


def plan_indexes(conn, sql: str) -> set[str]:
    (plan,) = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()

    def walk(node):
        if "Index Name" in node:
            yield node["Index Name"]
        for child in node.get("Plans", []):
            yield from walk(child)

    return set(walk(plan[0]["Plan"]))


@pytest.mark.postgres
def test_every_suggestion_switches_the_real_plan(pg_conn):
    pg_conn.execute(SCHEMA)
    pg_conn.execute(LOAD)
    for sql in QUERIES:
        report = analyze_text(sql, "q.sql", suggest=True, schema=schema_from_sql(SCHEMA))
        (suggestion,) = report.data["indexes"]
        assert suggestion["name"] not in plan_indexes(pg_conn, sql)
        pg_conn.execute(suggestion["create"])
        pg_conn.execute(f"ANALYZE {suggestion['table']}")
        assert suggestion["name"] in plan_indexes(pg_conn, sql), (sql, suggestion["create"])
    for sql in NOT_PROPOSED:
        assert analyze_text(sql, "q.sql", suggest=True, schema=schema_from_sql(SCHEMA)).data["indexes"] == [], sql


@pytest.mark.postgres
def test_dsn_schema_skips_existing_indexes(pg_conn, pg_dsn, tmp_path, run_cli):
    pg_conn.execute(SCHEMA)
    pg_conn.execute("CREATE INDEX users_org_name ON users (org_id, name) WHERE deleted_at IS NULL")
    schema_name = pg_conn.execute("SELECT current_schema()").fetchone()[0]
    dsn = f"{pg_dsn}?options={quote(f'-csearch_path={schema_name}')}"
    schema = schema_from_dsn(dsn)
    assert {"email", "org_id"} <= schema.columns["users"]
    assert ["org_id", "name"] in [i.keys for i in schema.indexes["users"]]
    sql = tmp_path / "q.sql"
    sql.write_text(QUERIES[2] + ";\n" + QUERIES[1] + ";\n")
    code, out, _ = run_cli("sql", str(sql), "--suggest-indexes", "--dsn", dsn, "--json")
    assert code == 0
    assert [s["keys"] for s in json.loads(out)["data"]["indexes"]] == [["lower(email)"]]
