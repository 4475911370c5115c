"""Fingerprints: libpg_query's own values for PostgreSQL, the sqlglot imitation for other dialects."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.sql import fingerprint, normalize
from tools.sql.fingerprinting import FingerprintCache, fingerprint_source


def test_hex_equals_libpg_query_on_its_own_fingerprint_file(corpus):
    # pganalyze/libpg_query@06670290ad39:testdata/fingerprint.json (see ../shared/corpus/MANIFEST.tsv)
    cases = json.loads((corpus / "fingerprint" / "libpg_query_fingerprint.json").read_text())
    assert len(cases) == 78
    wrong = [(c["input"][:60], fingerprint(c["input"]), c["expectedHash"]) for c in cases
             if fingerprint(c["input"]) != c["expectedHash"]]
    assert not wrong, wrong
    assert {fingerprint_source(c["input"])[1] for c in cases} == {"libpg_query"}


# What pg_query does is right: these pairs are grouped (or not) the way libpg_query groups them.
@pytest.mark.parametrize("a, b", [
    ("SELECT * FROM t WHERE a = E'it\\'s' AND b = 1", "SELECT * FROM t WHERE a = 'x' AND b = 2"),
    ("SELECT * FROM t WHERE a = $tag$x$tag$", "SELECT * FROM t WHERE a = 'x'"),
    ("SELECT * FROM t WHERE a = 1e3", "SELECT * FROM t WHERE a = -7"),
    ("SELECT id FROM t WHERE data->>'kind' = 'a'", "SELECT id FROM t WHERE data->>'owner' = 'b'"),
    ("SELECT * FROM t ORDER BY id LIMIT 10", "SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 20"),
    ("SELECT * FROM t ORDER BY id LIMIT 10", "SELECT * FROM t ORDER BY id FETCH FIRST 10 ROWS ONLY"),
    ("SELECT * FROM app.t WHERE id = 1", 'SELECT * FROM "app"."t" AS x WHERE id = 2'),
    ("BEGIN", "BEGIN ISOLATION LEVEL SERIALIZABLE"),
    ("SELECT * FROM t WHERE id IN (1)", "SELECT * FROM t WHERE id IN (1, 2, 3, 4, 5)"),
    ("SELECT * FROM t WHERE id = ANY(ARRAY[1, 2])", "SELECT * FROM t WHERE id = ANY(ARRAY[3])"),
    ("INSERT INTO t (a, b) VALUES (1, 'x'), (3, 'y')", "INSERT INTO t (a, b) VALUES ($1, $2)"),
    ("SELECT * FROM events_2024_01", "SELECT * FROM events_2023_12"),
    ("SELECT a.x FROM t a", "SELECT a.x FROM t AS a"),
    ("SELECT * FROM t WHERE a = 1 AND b = 2", "SELECT * FROM t WHERE b = 5 AND a = 6"),
    ("SELECT * FROM t /* controller='x',route='/a' */", "SELECT * FROM t /* traceparent='00-ab' */"),
    ("SELECT * FROM t WHERE d > '2024-01-01'::date", "SELECT * FROM t WHERE d > :since"),
    ("SELECT * FROM t WHERE id = %s", "SELECT * FROM t WHERE id = %(id)s"),
])
def test_equal(a, b):
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize("a, b", [
    ("SELECT * FROM t FOR UPDATE", "SELECT * FROM t FOR UPDATE SKIP LOCKED"),
    ("SELECT * FROM app.t", "SELECT * FROM t"),
    ("SELECT * FROM t WHERE id = ANY(ARRAY[1])", "SELECT * FROM t WHERE id = ANY($1)"),
    ("SELECT * FROM t WHERE id = 1", "SELECT * FROM t WHERE id > 1"),
    ("SELECT a FROM t", "SELECT b FROM t"),
    ("SELECT * FROM t WHERE id IN (1, 2)", "SELECT * FROM t WHERE id NOT IN (1, 2)"),
    ("SELECT * FROM t WHERE id IN (SELECT x FROM u)", "SELECT * FROM t WHERE id IN (1)"),
    ("SELECT * FROM t_1", "SELECT * FROM t_2"),
    ('SELECT "A" FROM t', "SELECT a FROM t"),
    ("SELECT x::int FROM t", "SELECT x::text FROM t"),
])
def test_different(a, b):
    assert fingerprint(a) != fingerprint(b)


def test_which_path_computed_it():
    assert fingerprint_source("SELECT 1")[1] == "libpg_query"
    assert fingerprint_source("SELECT * FROM t WHERE id = ?")[1] == "libpg_query"  # read as $1
    assert fingerprint_source("SELECT * FROM `t` LIMIT 1, 2", "mysql")[1] == "sqlglot"
    assert fingerprint_source("SELECT * FROM `t` LIMIT 1, 2")[1] == "sqlglot"  # PostgreSQL rejects it
    # text neither parser reads still gets a literal-blind fingerprint
    assert fingerprint("FROBNICATE widgets 42 'x'") == fingerprint("FROBNICATE widgets 7 'y'")
    assert fingerprint("FROBNICATE widgets 42") != fingerprint("FROBNICATE gadgets 42")


@pytest.mark.parametrize("sql, normalized", [
    ("SELECT * FROM t WHERE id = 42 AND name = 'x'", "SELECT * FROM t WHERE id = $1 AND name = $2"),
    ("SELECT * FROM t WHERE a = -5 AND b = $1", "SELECT * FROM t WHERE a = $2 AND b = $1"),
    ("SELECT x::varchar(10) FROM t LIMIT 5", "SELECT x::varchar(10) FROM t LIMIT $1"),
    ("SELECT 'é', E'a\\'b', $$c$$, 1e3", "SELECT $1, $2, $3, $4"),
    ("SELECT * FROM t WHERE id IN (1, 2)", "SELECT * FROM t WHERE id IN ($1, $2)"),
])
def test_normalize(sql, normalized):
    assert normalize(sql) == normalized


def test_normalize_other_dialects_and_unparsed_text():
    assert normalize("SELECT * FROM `t` WHERE a = 'x' LIMIT 1, 2", "mysql") == "SELECT * FROM `t` WHERE a = $1 LIMIT $2, $3"
    assert normalize("SELECT * FROM t WHERE a = %s AND b = 7") == "SELECT * FROM t WHERE a = %s AND b = $1"


TRICKY = [
    "SELECT /* it's */ a FROM t WHERE b = 'x'",
    "SELECT /* it's */ c FROM u WHERE b = 'x'",
    "SELECT a FROM t WHERE b = E'it\\'s' -- don't\n AND c = 1",
    "SELECT a FROM t WHERE b = E'it\\'s' -- don't\n AND d = 1",
    'SELECT "col 1" FROM t',
    'SELECT "col 2" FROM t',
    "SELECT $x$ it's $x$ FROM t",
    "SELECT a FROM t1",
    "SELECT a FROM t2",
    "SELECT data ? 'k', 'x' FROM t",
    "SELECT data ? 'k' FROM t",
    "SELECT a FROM t LIMIT 1, 2",
    "SELECT a FROM t LIMIT 1",
]


def test_cache_agrees_with_direct_fingerprint_on_tricky_text():
    for dialect in ("postgres", "mysql"):
        cache = FingerprintCache(dialect)
        for sql in TRICKY + TRICKY[::-1]:
            assert cache.with_source(sql) == fingerprint_source(sql, dialect), (dialect, sql)


@settings(max_examples=200, deadline=None)
@given(st.integers(), st.text(alphabet="abc' ", max_size=8), st.lists(st.integers(0, 99), min_size=1, max_size=20))
def test_cache_agrees_with_direct_fingerprint(number, text, in_list):
    quoted = text.replace("'", "''")
    sql = f"SELECT * FROM t WHERE a = {number} AND b = '{quoted}' AND c IN ({', '.join(map(str, in_list))})"
    cache = FingerprintCache()
    assert cache(sql) == fingerprint(sql) == fingerprint("SELECT * FROM t WHERE c IN ($1) AND b = $2 AND a = $3")
