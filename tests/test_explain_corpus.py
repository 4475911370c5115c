"""The EXPLAIN judgement corpus is well-formed: every label names a plan that exists, every public
plan cites its source in the README, every generated capture has the SQL that builds it, and the
bench's verdict logic scores what it claims to."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tools.findings import Finding, Location
from tools.safe_yaml import safe_load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "explain_corpus"
sys.path.insert(0, str(ROOT / "bench"))

import bench_explain_judgement as bench  # noqa: E402

LABELS = safe_load((CORPUS / "labels.yaml").read_text())


def test_every_label_is_complete_and_points_at_a_plan():
    ids = [entry["id"] for entry in LABELS]
    assert len(ids) == len(set(ids))
    for entry in LABELS:
        assert (CORPUS / entry["file"]).is_file(), entry["id"]
        assert entry.get("class") and entry.get("fix") and entry.get("why"), entry["id"]
        assert entry.get("label_from") in ("thread", "ours", "docs"), entry["id"]
        if not entry.get("healthy"):
            assert entry.get("bottleneck"), entry["id"]
        for pattern in (entry.get("accept") or []) + (entry.get("forbid") or []):
            re.compile(pattern)


def test_public_plans_cite_their_source_and_generated_plans_their_sql():
    readme = (CORPUS / "README.md").read_text()
    public = sorted(p.stem for p in (CORPUS / "public").glob("*.txt"))
    assert len(public) >= 40
    for stem in public:
        family = re.sub(r"-(before|after|fast|slow|on|off|merge|hash)$", "", stem)
        assert stem in readme or family in readme, f"{stem} has no source in the README"
    made = [*(CORPUS / "generated").glob("*.txt"), *(CORPUS / "heldout").glob("*.txt")]
    for capture in made:
        assert capture.with_suffix(".sql").is_file(), capture.name
    labelled = {entry["file"] for entry in LABELS}
    for path in [*(CORPUS / "public").glob("*.txt"), *made]:
        assert path.relative_to(CORPUS).as_posix() in labelled, f"{path.name} has no label"


def _finding(code: str, node: str, severity: str = "warning", suggestion: str = "") -> Finding:
    return Finding(code=code, kind="k", severity=severity, message=f"{code} message",
                   location=Location(node=node), suggestion=suggestion)


@pytest.mark.parametrize(("node", "where"), [
    ("#3 Seq Scan on t", "3"),
    ("Planning", "planning"),
    ("JIT", "jit"),
    ("Trigger for constraint orders_customer_id_fkey on customers", "trigger:orders_customer_id_fkey"),
    ("Trigger audit_row", "trigger:audit_row"),
])
def test_where_maps_locations_to_the_label_vocabulary(node, where):
    assert bench.where(_finding("PLAN001", node)) == where


def test_judge_scores_the_first_warning_and_every_forbidden_fix():
    entry = {"bottleneck": [2], "accept": ["index"], "forbid": [r"CREATE INDEX ON t \(a\)"]}
    ok, _ = bench.judge(entry, [_finding("PLAN001", "#2 Seq Scan", suggestion="CREATE INDEX ON t (b)"),
                                _finding("PLAN005", "#0 Sort", "info")])
    assert ok
    ok, why = bench.judge(entry, [_finding("PLAN005", "#0 Sort"), _finding("PLAN001", "#2 Seq Scan", suggestion="index")])
    assert not ok and "bottleneck is 2" in why
    ok, why = bench.judge(entry, [_finding("PLAN001", "#2 Seq Scan", suggestion="CREATE INDEX ON t (a)")])
    assert not ok and "unusable" in why
    ok, why = bench.judge({"healthy": True}, [_finding("PLAN001", "#2 Seq Scan", "info")])
    assert ok
    ok, why = bench.judge({"healthy": True}, [_finding("PLAN001", "#2 Seq Scan", "error")])
    assert not ok


@pytest.mark.parametrize("page", sorted((ROOT / "docs" / "rules").glob("PLAN*.md")), ids=lambda p: p.stem)
def test_plan_rule_pages_examples_emit_their_code(page):
    """The example plan of each PLAN page (docs/tools/rules.md: ```text example=explain) emits the
    page's code at warning or above."""
    from tools.explain import analyze, parse_plan

    blocks = re.findall(r"```text example=explain\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert blocks, page
    for block in blocks:
        codes = [f.code for f in analyze(parse_plan(block)).findings]
        assert page.stem in codes, (page.stem, codes)
