"""The SQL rules on the real-world corpus (tests/data/sql_corpus): every finding at warning or above
is judged by hand, and every rule is right at least 9 times out of 10 (issue 17, item 1)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bench_sql_judgement import judge, per_rule, precision  # noqa: E402


def test_corpus_is_big_and_varied_enough():
    _, statements, projects = judge()
    assert statements >= 300
    assert {"synapse", "listmonk", "miniflux", "orm"} <= set(projects)


def test_every_finding_is_judged_and_every_rule_is_precise():
    outcomes, _, _ = judge()
    unjudged = [f"{o.code} {o.statement.path}:{o.statement.line}" for o in outcomes if o.verdict == "unjudged"]
    assert unjudged == [], "label these findings in the corpus (-- expect: CODE yes|no: reason)"
    low = {code: round(precision(c), 2) for code, c in per_rule(outcomes).items()
           if precision(c) is not None and precision(c) < 0.9}
    assert low == {}


def test_migration_backfills_are_never_errors():
    from tools.sql import analyze_text

    path = Path(__file__).resolve().parent / "data" / "sql_corpus" / "synapse" / "migrations" / "delta.sql"
    report = analyze_text(path.read_text(), "tests/data/sql_corpus/synapse/migrations/delta.sql")
    assert report.data["migration"] is True
    assert not [f for f in report.findings if f.severity == "error"]
