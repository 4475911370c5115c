"""SQL015-SQL018 on the real server: each rule's query shows the problem in its plan (or its
results), and the fix the rule suggests removes it (issue 17, item 2)."""

from __future__ import annotations

import pytest

from tools.sql import analyze_sql, analyze_text
from tools.sql.indexes import Predicate, index_for, schema_from_sql

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE posts (id int PRIMARY KEY, author_id int NOT NULL, title text NOT NULL, tags text[] NOT NULL);
CREATE TABLE comments (id int PRIMARY KEY, post_id int NOT NULL, body text NOT NULL);
CREATE INDEX comments_post_id_idx ON comments (post_id);
CREATE INDEX posts_author_id_idx ON posts (author_id);
"""

LOAD = """
INSERT INTO posts SELECT g, g % 2000, 'post ' || g, ARRAY['t' || (g % 500), 'all'] FROM generate_series(1, 40000) g;
INSERT INTO comments SELECT g, g % 40000 + 1, 'c' FROM generate_series(1, 120000) g;
ANALYZE posts, comments;
"""


@pytest.fixture
def blog(pg_conn):
    pg_conn.execute(SCHEMA)
    pg_conn.execute(LOAD)
    return pg_conn


def plan_text(conn, sql: str, *params) -> str:
    return "\n".join(r[0] for r in conn.execute(f"EXPLAIN {sql}", params or None).fetchall())


def codes(sql: str, **kw) -> set[str]:
    return {f.code for f in analyze_sql(sql, **kw) if f.severity != "info"}


def test_correlated_count_runs_per_row_and_the_grouped_join_does_not(blog):
    bad = "SELECT p.id, (SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS n FROM posts p"
    good = ("SELECT p.id, coalesce(c.n, 0) AS n FROM posts p "
            "LEFT JOIN (SELECT post_id, count(*) AS n FROM comments GROUP BY post_id) c ON c.post_id = p.id")
    assert "SQL015" in codes(bad) and "SQL015" not in codes(good)
    assert "SubPlan" in plan_text(blog, bad)
    plan = plan_text(blog, good)
    assert "SubPlan" not in plan and "Hash" in plan
    assert blog.execute(f"SELECT sum(n) FROM ({bad}) q").fetchone() == blog.execute(f"SELECT sum(n) FROM ({good}) q").fetchone()


def test_catch_all_filter_scans_under_a_generic_plan_and_the_plain_filter_does_not(blog):
    bad = "SELECT id FROM posts WHERE (author_id = $1 OR $1 IS NULL)"
    assert "SQL016" in {f.code for f in analyze_sql(bad)}
    blog.execute("PREPARE catch_all(int) AS SELECT id FROM posts WHERE (author_id = $1 OR $1 IS NULL)")
    blog.execute("PREPARE plain(int) AS SELECT id FROM posts WHERE author_id = $1")
    blog.execute("SET plan_cache_mode = force_generic_plan")
    generic = plan_text(blog, "EXECUTE catch_all(7)")
    assert "Seq Scan on posts" in generic and "posts_author_id_idx" not in generic
    assert "posts_author_id_idx" in plan_text(blog, "EXECUTE plain(7)")
    # With a custom plan PostgreSQL folds `7 IS NULL` away: why the rule is a warning only for big tables.
    blog.execute("SET plan_cache_mode = force_custom_plan")
    assert "posts_author_id_idx" in plan_text(blog, "EXECUTE catch_all(7)")
    blog.execute("RESET plan_cache_mode")


def test_catch_all_filter_is_a_warning_when_the_live_catalog_says_the_table_is_big(blog, pg_dsn):
    from urllib.parse import quote

    from tools.sql.indexes import schema_from_dsn

    schema_name = blog.execute("SELECT current_schema()").fetchone()[0]
    schema = schema_from_dsn(f"{pg_dsn}?options={quote(f'-csearch_path={schema_name}')}")
    assert schema.rows("posts") >= 40000
    (f,) = [f for f in analyze_text("SELECT id FROM posts WHERE (author_id = $1 OR $1 IS NULL)", schema=schema).findings
            if f.code == "SQL016"]
    assert f.severity == "warning"


def test_offset_pages_without_order_change_when_rows_move(blog):
    page_sql = "SELECT id FROM posts LIMIT 5 OFFSET 5"
    assert "SQL017" in codes(page_sql)
    ordered_sql = "SELECT id FROM posts ORDER BY id LIMIT 5 OFFSET 5"
    assert "SQL017" not in codes(ordered_sql)
    before = [r[0] for r in blog.execute(page_sql).fetchall()]
    ordered_before = [r[0] for r in blog.execute(ordered_sql).fetchall()]
    # An update writes new row versions elsewhere in the heap: a plan-order page now holds other rows.
    blog.execute("UPDATE posts SET title = title || ' (edited)' WHERE id <= 10")
    assert [r[0] for r in blog.execute(page_sql).fetchall()] != before
    assert [r[0] for r in blog.execute(ordered_sql).fetchall()] == ordered_before


def test_array_containment_needs_the_gin_index_the_rule_proposes(blog):
    sql = "SELECT id FROM posts WHERE tags @> ARRAY['t17']"
    schema = schema_from_sql(SCHEMA)
    (f,) = [f for f in analyze_text(sql, schema=schema).findings if f.code == "SQL018"]
    assert f.severity == "warning" and "USING gin (tags)" in f.evidence["index"]
    assert "Seq Scan on posts" in plan_text(blog, sql)
    blog.execute(index_for(Predicate("tags", "@>", column_type="text[]")).create("posts", name="posts_tags_gin"))
    blog.execute("ANALYZE posts")
    assert "posts_tags_gin" in plan_text(blog, sql)
    # Once the schema shows that index, the rule is quiet.
    schema = schema_from_sql(SCHEMA + "CREATE INDEX posts_tags_gin ON posts USING gin (tags);")
    assert "SQL018" not in {f.code for f in analyze_text(sql, schema=schema).findings}
