"""index_for: the index PostgreSQL can use for a predicate, checked on the real server.

Every usable answer is created on a loaded, ANALYZEd table and must appear in the plan of a query
with that predicate; every IMMUTABLE/STABLE verdict is checked by asking the server to build the
expression index.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from tools.sql.indexes import Predicate, expression_volatility, index_for

COLUMNS = {"ts": "timestamptz", "tsn": "timestamp", "d": "date", "name": "text", "payload": "jsonb",
           "tags": "text[]", "body": "text", "n": "integer"}

TABLE = """
CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, code text COLLATE "C" NOT NULL, body text NOT NULL,
                tags text[] NOT NULL, payload jsonb NOT NULL, doc tsvector NOT NULL, during tstzrange NOT NULL,
                ts timestamptz NOT NULL, tsn timestamp NOT NULL, d date NOT NULL, n integer NOT NULL);
INSERT INTO t
SELECT g, 'n' || g, 'c' || g, 'lorem ipsum word' || g || ' dolor', ARRAY['t' || (g % 1000), 'all'],
       jsonb_build_object('k', g % 1000) || CASE WHEN g % 5000 = 0 THEN '{"rare": true}'::jsonb ELSE '{}' END::jsonb,
       to_tsvector('simple', 'lorem ipsum word' || g || ' dolor'),
       tstzrange(timestamptz '2024-01-01' + g * interval '10 minutes', timestamptz '2024-01-01' + g * interval '11 minutes'),
       timestamptz '2024-01-01' + g * interval '10 minutes', timestamp '2024-01-01' + g * interval '10 minutes',
       date '2024-01-01' + g / 100, g
FROM generate_series(1, 60000) g;
ANALYZE t;
"""

# (predicate, WHERE clause that uses it): each answer must be usable and used by the planner.
USED = [
    (Predicate("name", "="), "name = 'n12345'"),
    (Predicate("name", "LIKE", "prefix", "text"), "name LIKE 'n1234%'"),
    (Predicate("code", "LIKE", "prefix", "text", collation="C"), "code LIKE 'c1234%'"),
    (Predicate("body", "LIKE", "infix", "text"), "body LIKE '%word12345 %'"),
    (Predicate("body", "ILIKE", "pattern", "text"), "body ILIKE '%WORD12345 %'"),
    (Predicate("body", "~", "value", "text"), "body ~ 'word1234[5-6] '"),
    (Predicate("tags", "@>", column_type="text[]"), "tags @> ARRAY['t17']"),
    (Predicate("tags", "&&", column_type="text[]"), "tags && ARRAY['t17', 't18']"),
    (Predicate("payload", "@>", column_type="jsonb"), "payload @> '{\"k\": 17}'"),
    (Predicate("payload", "?", column_type="jsonb"), "payload ? 'rare'"),
    (Predicate("doc", "@@", column_type="tsvector"), "doc @@ to_tsquery('simple', 'word12345')"),
    (Predicate("during", "&&", column_type="tstzrange"), "during && tstzrange('2024-02-01', '2024-02-01 02:00')"),
    (Predicate("lower(name)", "="), "lower(name) = 'n12345'"),
    (Predicate("payload ->> 'k'", "="), "payload ->> 'k' = '17'"),
    (Predicate("(ts AT TIME ZONE 'UTC')::date", "=", column_types=COLUMNS), "(ts AT TIME ZONE 'UTC')::date = '2024-02-01'"),
    (Predicate("date_trunc('day', ts AT TIME ZONE 'UTC')", "=", column_types=COLUMNS),
     "date_trunc('day', ts AT TIME ZONE 'UTC') = '2024-02-01'"),
    (Predicate("tsn::date", "=", column_types=COLUMNS), "tsn::date = '2024-02-01'"),
    (Predicate("to_tsvector('simple', body)", "@@"), "to_tsvector('simple', body) @@ to_tsquery('simple', 'word12345')"),
]

# Expressions the server refuses as index keys ("functions in index expression must be marked
# IMMUTABLE") or accepts; expression_volatility must agree with it on every one.
EXPRESSIONS = [
    "ts::date", "tsn::date", "(ts AT TIME ZONE 'UTC')::date", "date_trunc('day', ts)",
    "date_trunc('day', ts AT TIME ZONE 'UTC')", "date_trunc('day', tsn)", "extract(year from ts)",
    "extract(year from tsn)", "date_part('month', d)", "lower(name)", "upper(name)", "concat(name, body)",
    "name || body", "name || n", "to_char(ts, 'YYYY')", "to_tsvector(body)", "to_tsvector('simple', body)",
    "payload ->> 'k'", "(payload -> 'k')", "ts::text", "n::text", "md5(name)", "left(name, 3)",
    "coalesce(name, body)", "tsn + interval '1 day'", "ts + interval '1 day'", "date(ts)", "date(tsn)",
    "array_to_string(tags, ',')", "cardinality(tags)", "split_part(name, '@', 2)", "age(ts)",
]


@pytest.fixture(scope="module")
def trgm_conn():
    """A database of our own (pg_trgm created there and dropped with it), loaded with TABLE."""
    import psycopg

    from tests.conftest import PG_DSN

    name = f"sqlj_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_DSN, autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(PG_DSN)
    conn = psycopg.connect(urlunsplit(parts._replace(path=f"/{name}")), autocommit=True)
    try:
        conn.execute("CREATE EXTENSION pg_trgm")
        conn.execute(TABLE)
        yield conn
    finally:
        conn.close()
        admin.execute(f"DROP DATABASE {name}")
        admin.close()


def plan_indexes(conn, where: str) -> set[str]:
    (plan,) = conn.execute(f"EXPLAIN (FORMAT JSON) SELECT id FROM t WHERE {where}").fetchone()

    def walk(node):
        if "Index Name" in node:
            yield node["Index Name"]
        for child in node.get("Plans", []):
            yield from walk(child)

    return set(walk(plan[0]["Plan"]))


@pytest.mark.postgres
@pytest.mark.parametrize(("predicate", "where"), USED, ids=[w for _, w in USED])
def test_every_answer_is_created_and_used_by_the_planner(trgm_conn, predicate, where):
    advice = index_for(predicate)
    assert advice.usable, advice.reason
    name = f"probe_{uuid.uuid4().hex[:8]}"
    create = advice.create("t", name=name)
    assert name not in plan_indexes(trgm_conn, where)
    trgm_conn.execute(create)
    try:
        trgm_conn.execute("ANALYZE t")
        assert name in plan_indexes(trgm_conn, where), create
    finally:
        trgm_conn.execute(f"DROP INDEX {name}")


@pytest.mark.postgres
def test_a_plain_btree_cannot_serve_a_prefix_like_under_a_non_c_collation(trgm_conn):
    """The problem text_pattern_ops solves: this server's default collation is not C."""
    trgm_conn.execute("CREATE INDEX plain_name ON t (name)")
    try:
        trgm_conn.execute("ANALYZE t")
        assert "plain_name" in plan_indexes(trgm_conn, "name = 'n12345'")
        assert "plain_name" not in plan_indexes(trgm_conn, "name LIKE 'n1234%'")
    finally:
        trgm_conn.execute("DROP INDEX plain_name")


@pytest.mark.postgres
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_immutability_agrees_with_the_server(trgm_conn, expression):
    import psycopg

    verdict, _, reason = expression_volatility(expression, COLUMNS)
    assert verdict in ("i", "s", "v"), (expression, reason)
    try:
        trgm_conn.execute(f"CREATE INDEX probe_expr ON t (({expression}))")
    except psycopg.errors.InvalidObjectDefinition:
        accepted = False
    else:
        accepted = True
        trgm_conn.execute("DROP INDEX probe_expr")
    assert (verdict == "i") == accepted, (expression, verdict, reason)


def test_stable_and_unknown_expressions_are_refused_with_a_way_out():
    advice = index_for(Predicate("created_at::date", "=", column_types={"created_at": "timestamptz"}))
    assert not advice.usable and "STABLE" in advice.reason and "AT TIME ZONE" in advice.instead
    # Without the column's type the same cast may be either: not proposed.
    assert not index_for(Predicate("created_at::date", "=")).usable
    assert index_for(Predicate("created_at::date", "=", column_types={"created_at": "timestamp"})).usable
    assert not index_for(Predicate("count(*)", ">")).usable
    assert not index_for(Predicate("status", "<>")).usable
    assert "@>" in index_for(Predicate("tags", "= ANY", column_type="text[]")).instead


def test_prefix_like_needs_pattern_ops_unless_the_collation_is_c():
    assert index_for(Predicate("name", "LIKE", "prefix")).key == "name text_pattern_ops"
    assert index_for(Predicate("name", "LIKE", "prefix", "bpchar")).key == "name bpchar_pattern_ops"
    assert index_for(Predicate("name", "LIKE", "prefix", collation="POSIX")).key == "name"
    trigram = index_for(Predicate("name", "LIKE", "suffix"))
    assert (trigram.method, trigram.key, trigram.extension) == ("gin", "name gin_trgm_ops", "pg_trgm")
