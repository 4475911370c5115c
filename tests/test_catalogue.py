"""The rule catalogue: one entry per code, unique codes and kinds, templates that render in both
languages, findings built only from entries, every emitted code known, and `lmagent rules`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_helpers import PLAN, ROOT

from tools import catalogue
from tools.catalogue import FAMILIES, LEAD, Rule
from tools.catalogue.text import outside_segments, placeholders, values
from tools.findings import Finding, Location

RULES = catalogue.all_rules()
CODES = [r.code for r in RULES]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"



def test_codes_and_kinds_are_unique_and_well_formed():
    catalogue._index()  # raises on a shared code or kind
    assert len(set(CODES)) == len(CODES) == len({r.kind for r in RULES})
    prefixes = "|".join(FAMILIES.values())
    for r in RULES:
        assert re.fullmatch(rf"(?:{prefixes})\d{{3}}", r.code), r.code
        assert re.fullmatch(r"[a-z][a-z0-9_]*", r.kind), r.kind
        assert r.severity in ("info", "warning", "error"), r.code
        assert r.docs == f"docs/rules/{r.code}.md"
    # Every family the project emits is here.
    assert {c.rstrip("0123456789") for c in CODES} == set(FAMILIES.values())


def test_a_shared_code_or_kind_fails_the_index(monkeypatch):
    twin = Rule("PLAN001", "another_kind", "t", "info", LEAD, "explain", RULES[0].why, RULES[0].fix, "x")
    monkeypatch.setattr(catalogue, "all_rules", lambda: (*RULES, twin))
    catalogue._index.cache_clear()
    try:
        with pytest.raises(ValueError, match="PLAN001"):
            catalogue._index()
    finally:
        monkeypatch.undo()
        catalogue._index.cache_clear()


def test_lookups_by_code_and_kind():
    assert catalogue.rule("PLAN002") is catalogue.by_kind("disk_sort") is catalogue.get("plan002")
    assert catalogue.get("NOPE999") is None and catalogue.by_kind("nope") is None
    with pytest.raises(KeyError):
        catalogue.rule("NOPE999")


def test_every_entry_speaks_both_languages():
    for r in RULES:
        for text in (r.title, r.why.en, r.why.es, r.fix.en, r.fix.es, r.finding_es):
            assert text.strip(), r.code
        assert r.why.en != r.why.es and r.fix.en != r.fix.es, r.code
        assert r.owner.endswith("-engineer"), r.code
        assert r.handoff == (None if r.owner == LEAD else r.owner)


def _full_finding(entry: Rule) -> Finding:
    """A finding of ``entry`` with every value its templates quote."""
    names = set().union(*(placeholders(t) for t in (entry.fix.en, entry.fix.es, entry.finding_es)))
    evidence: dict = {n: 1234 for n in names - {"at", "node", "metric", "measured", "verdict", "rating", "direction"}}
    if names & {"measured", "verdict", "rating"}:
        evidence.update(value=812.0, unit="ms")
    if "direction" in names:
        evidence["direction"] = "under"
    return Finding(code=entry.code, kind=entry.kind, severity="warning", message="m", evidence=evidence,
                   location=Location(node="node-1", metric="metric-1"))


@pytest.mark.parametrize("code", CODES)
def test_every_template_renders_with_full_evidence_and_with_none(code):
    entry = catalogue.rule(code)
    templates = {"fix.en": entry.fix.en, "fix.es": entry.fix.es, "finding_es": entry.finding_es}
    for name, template in templates.items():
        assert not placeholders(outside_segments(template)), f"{code} {name}: a placeholder outside [[...]]"
        assert template.count("[[") == template.count("]]"), f"{code} {name}: unbalanced [[...]]"
    bare = Finding(code=code, kind=entry.kind, severity="warning", message="m")
    full = _full_finding(entry)
    for lang in ("en", "es"):
        said = entry.advise(bare, lang)
        assert said.strip() and "{" not in said and "[[" not in said and "  " not in said, (code, lang, said)
        # With every value present, every optional segment is said.
        filled = values(full, lang)
        template = entry.fix(lang)
        assert entry.advise(full, lang) == template.replace("[[", "").replace("]]", "").format_map(filled)
    assert entry.describe(bare, "en") == "m"
    said = entry.describe(bare, "es")
    assert said.strip() and "{" not in said and "[[" not in said
    assert entry.describe(full, "es") == entry.finding_es.replace("[[", "").replace("]]", "").format_map(
        values(full, "es"))


def test_rule_finding_fills_the_entry_and_renders_the_suggestion():
    from tools.catalogue import plan, thr

    f = plan.DISK_SORT.finding("Sort spilled 20.0 MB to disk", location=Location(node="#3 Sort"),
                               evidence={"disk_kb": 20480, "sort_key": ["created_at"], "work_mem_hint": "64MB"},
                               cost_ms=12.5)
    assert (f.code, f.kind, f.severity, f.handoff, f.cost_ms) == ("PLAN002", "disk_sort", "warning",
                                                                 "data-engineer", 12.5)
    assert f.suggestion == "Raise work_mem for this query (SET LOCAL work_mem = '64MB'; it spilled 20 MB to disk)."
    assert plan.DISK_SORT.describe(f, "es").startswith("El Sort derrama a disco: 20 MB")
    worse = plan.DISK_SORT.finding("m", severity="error", handoff="backend-engineer")
    assert (worse.severity, worse.handoff) == ("error", "backend-engineer")
    assert worse.suggestion == "Raise work_mem for this query."
    # The lead's own findings hand off to nobody.
    assert thr.P95_LATENCY.finding("m").handoff is None and thr.ERROR_RATE.finding("m").handoff == "backend-engineer"


def test_numbers_are_written_the_way_each_language_writes_them():
    from tools.catalogue.text import evidence_value

    assert evidence_value("rows", 1_000_000, "en") == "1,000,000"
    assert evidence_value("rows", 1_000_000, "es") == "1.000.000"
    assert evidence_value("ms", 0.25, "es") == "0,25"
    assert evidence_value("share", 0.961, "en") == "96%"
    assert evidence_value("removed_share", 0.5, "es") == "50%"
    assert evidence_value("disk_kb", 20480, "en") == "20 MB" and evidence_value("disk_kb", 512, "en") == "512 kB"
    assert evidence_value("size_bytes", 1536 * 1024, "es") == "1,5 MB"
    assert evidence_value("loop_line", 1234, "es") == "1234"  # a line number is a name, not an amount


def test_importing_the_catalogue_is_cheap():
    code = ("import sys, tools.catalogue as c; c.all_rules(); c.rule('PLAN001').fix_text('es'); "
            "print(sorted(m for m in ('pydantic', 'sqlglot', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_findings_are_built_only_by_the_catalogue():
    """The only way a tool builds a Finding is Rule.finding: no code or kind string typed anywhere else."""
    built_by_hand = []
    for path in sorted((ROOT / "tools").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("tools/catalogue/") or rel == "tools/findings.py":
            continue
        if re.search(r"\bFinding\(", path.read_text(encoding="utf-8")):
            built_by_hand.append(rel)
    assert not built_by_hand, f"build findings with tools.catalogue.<family>.<RULE>.finding(...): {built_by_hand}"


# --- every code a tool emits on real input has an entry -----------------------------------------

def _fixture_reports():
    from tools.registry import TOOLS

    persona = str(ROOT / "personas" / "performance-engineer.md")
    yield TOOLS["explain"].call({"plan": PLAN})
    for plan in sorted((SHARED / "corpus" / "pev2").rglob("*")):
        if plan.is_file() and plan.suffix in (".txt", ".json", ".sql", ""):
            try:
                yield TOOLS["explain"].call({"plan": plan.read_text(encoding="utf-8", errors="replace")})
            except Exception:  # noqa: BLE001 - a fixture that is no plan says nothing about codes
                continue
    for diff in sorted((ROOT / "tests" / "data" / "review").glob("*.diff")):
        yield TOOLS["codecheck"].call({"diff": diff.read_text(encoding="utf-8")})
    for metrics in sorted((ROOT / "tests" / "data" / "thresholds").iterdir()):
        if metrics.name.startswith(("broken", "bad-", "expected")) or metrics.suffix == ".py":
            continue
        yield TOOLS["thresholds"].call({"paths": [str(metrics)], "persona_path": persona})
    yield TOOLS["thresholds"].call({"text": "P50 de 900 ms, P95 de 2 s, P99 de 5 s, error rate 5%, apdex 0.5, "
                                            "LCP 5 s, INP 600 ms, CLS 0.3, FID 300 ms, TTFB 2 s, FCP 4 s",
                                    "persona_path": persona})
    yield TOOLS["cache_pattern"].call({"pattern": "cache-aside", "key": "user:{id}", "ttl": 60,
                                       "serializer": "pickle"})
    from test_composer_voice import _SQL_HITS, _STACKS, _otlp_n_plus_one

    yield TOOLS["sql"].call({"sql": _SQL_HITS})
    yield TOOLS["profile"].call({"text": _STACKS})
    yield TOOLS["traces"].call({"text": _otlp_n_plus_one()})
    log = "".join(f'{{"query": "SELECT * FROM items WHERE id = {i}", "duration_ms": 5, "request_id": "r1"}}\n'
                  for i in range(12))
    yield TOOLS["query_log"].call({"log": log})


def test_every_emitted_code_has_an_entry_with_its_kind():
    seen: set[str] = set()
    for report in _fixture_reports():
        for f in report.findings:
            entry = catalogue.get(f.code)
            assert entry is not None, f"{report.tool} emitted {f.code}, which has no catalogue entry"
            assert entry.kind == f.kind, (f.code, f.kind, entry.kind)
            seen.add(f.code)
    assert {"PLAN001", "PLAN002", "PERF101", "PERF190", "SQL002", "THR002", "THR010", "CACHE001", "TRC001",
            "LOG001"} <= seen


# --- lmagent rules ------------------------------------------------------------------------------

def test_rules_lists_the_catalogue(run_cli):
    code, out, err = run_cli("rules", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [r["code"] for r in listed] == CODES
    assert listed[1]["kind"] == "disk_sort" and listed[1]["docs"] == "docs/rules/PLAN002.md"
    code, out, _ = run_cli("rules", "--tool", "traces", "--json")
    assert code == 0 and {r["code"][:3] for r in json.loads(out)} == {"TRC"}
    code, out, _ = run_cli("rules")
    assert code == 0 and "PLAN002" in out and "disk_sort" in out and "data-engineer" in out


def test_rules_shows_one_rule_with_its_docs_page(run_cli):
    code, out, err = run_cli("rules", "perf101")
    assert code == 0, err
    first, second = out.splitlines()[:2]
    assert first == "PERF101 query_in_loop: Database query inside a loop (N+1)"
    assert "docs: docs/rules/PERF101.md" in second
    assert (ROOT / "docs" / "rules" / "PERF101.md").read_text(encoding="utf-8").strip() in out
    code, out, _ = run_cli("rules", "disk_sort", "--json")
    assert code == 0 and json.loads(out)["code"] == "PLAN002"


def test_an_unknown_rule_is_one_line_and_exit_2(run_cli):
    code, out, err = run_cli("rules", "NOPE123")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "unknown rule 'NOPE123'" in err


def test_sarif_rule_metadata_comes_from_the_catalogue(run_cli, monkeypatch):
    diff = (ROOT / "tests" / "data" / "review" / "perf101_query_in_loop.diff").read_text(encoding="utf-8")
    monkeypatch.delenv("LMAGENT_DOCS_URL", raising=False)
    code, out, _ = run_cli("review", "--offline", "--diff", "-", "--format", "sarif", stdin=diff)
    [rule] = [r for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "PERF101"]
    entry = catalogue.rule("PERF101")
    assert rule["shortDescription"]["text"] == entry.title and rule["fullDescription"]["text"] == entry.why.en
    assert entry.fix_text("en") in rule["help"]["text"] and "docs/rules/PERF101.md" in rule["help"]["text"]
    assert "helpUri" not in rule  # SARIF wants an absolute URI; a checkout has none of its own
    monkeypatch.setenv("LMAGENT_DOCS_URL", "https://example.org/lmagent/blob/main/")
    code, out, _ = run_cli("review", "--offline", "--diff", "-", "--format", "sarif", stdin=diff)
    [rule] = [r for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "PERF101"]
    assert rule["helpUri"] == "https://example.org/lmagent/blob/main/docs/rules/PERF101.md"
