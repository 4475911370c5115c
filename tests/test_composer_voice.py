"""The offline answer's own voice: next steps and evidence per finding kind in the user's language,
tool summaries in Spanish, handoff receivers that act on what they received, the offline footer, and
one row per problem."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from runtime_helpers import PLAN, ROOT, make_team

from agent.model.offline import OfflineModel
from agent.model.summaries import SUMMARY_ES, clean_advice, summarize
from agent.registry import Registry
from agent.runtime import Runtime, turn_result
from tools import catalogue
from tools.catalogue import advise, describe
from tools.catalogue.text import placeholders
from tools.explain.rules import work_mem_hint
from tools.findings import Finding
from tools.registry import TOOLS


def _steps(answer: str, heading: str) -> str:
    """The numbered list under ``### heading`` of one persona's answer."""
    block = answer.split(f"### {heading}\n", 1)[1]
    return block.split("\n\n", 1)[0]


def _runtime(team: Path) -> Runtime:
    return Runtime(Registry.from_dir(team), OfflineModel(), checkpoint="memory")


def test_unknown_code_falls_back_to_the_tool_suggestion():
    finding = Finding(code="X999", kind="brand_new_kind", severity="info", message="m", suggestion="do the thing")
    assert advise(finding, "es") == "do the thing" and describe(finding, "es") == "m"


def _evidence(result, kind: str, field: str):
    return next(f for f in result.findings if f.kind == kind).evidence[field]


def test_spanish_message_gets_spanish_next_steps_with_the_numbers(tmp_path):
    with _runtime(make_team(tmp_path / "team")) as rt:
        result = rt.ask(f"¿Por qué es lenta esta consulta?\n\n{PLAN}", persona="performance-engineer")
    disk_kb = _evidence(result, "disk_sort", "disk_kb")
    removed = _evidence(result, "seq_scan_large_filter", "rows_removed")
    first = result.segments[0].text
    steps = _steps(first, "Próximos pasos")
    assert f"SET LOCAL work_mem = '{work_mem_hint(disk_kb)}'" in steps  # the explain rule's own figure
    assert "crea un índice que entregue las filas ya ordenadas" in steps
    assert f"{int(removed):,}".replace(",", ".") in steps  # Spanish thousands separator
    tool_suggestions = [f.suggestion for f in result.findings if f.suggestion]
    assert tool_suggestions and not any(s in steps for s in tool_suggestions)
    # The evidence is Spanish too, with the same numbers: no English tool message or summary.
    evidence = _steps(first, "Evidencia")
    assert not any(f.message in evidence for f in result.findings)
    assert "nodes" not in evidence and "execution" not in evidence and "[warning]" not in evidence
    assert "descartadas" in evidence and f"{int(removed):,}".replace(",", ".") in evidence
    assert "ejecución 830 ms" in evidence  # the explain summary, from the plan's own numbers
    assert "el más grave es" in first


def test_english_message_gets_english_next_steps(tmp_path):
    with _runtime(make_team(tmp_path / "team")) as rt:
        result = rt.ask(f"Why is this query slow?\n\n{PLAN}", persona="performance-engineer")
    removed = _evidence(result, "seq_scan_large_filter", "rows_removed")
    steps = _steps(result.segments[0].text, "Next steps")
    assert "Raise work_mem for this query" in steps
    assert f"{int(removed):,}" in steps
    assert "Sube work_mem" not in steps
    evidence = _steps(result.segments[0].text, "Evidence")
    assert all(f.message in evidence for f in result.findings)  # English quotes the tools themselves
    assert next(r for r in result.tool_calls if r.tool == "explain").summary in evidence


_RECEIVER = """---
name: Data Engineer
role: Bases de datos, índices y modelado de datos
activates_on:
  - Índices
---

## Rol

Eres un Data Engineer.

## Consultas lentas

| Métrica | Objetivo | Crítico |
|---------|----------|---------|
| Consulta lenta P95 | < 50ms | < 200ms |
| Consultas por petición | < 10 | < 50 |

## Database Checklist

```markdown
- [ ] work_mem acorde a conexiones × sorts concurrentes
- [ ] Índice para cada filtro de una consulta caliente
- [ ] Backups verificados con restauraciones periódicas
```

## Interacción con Otros Roles

| Rol | Colaboración |
|-----|-------------|
| Performance Engineer | Latencia de consultas |
"""


def test_handoff_receiver_acts_on_the_packet_not_on_metric_rows(tmp_path):
    team = make_team(tmp_path / "team")
    (team / "data-engineer.md").write_text(_RECEIVER, encoding="utf-8")
    with _runtime(team) as rt:
        result = rt.ask(f"¿Por qué es lenta esta consulta?\n\n{PLAN}", persona="performance-engineer")
    assert [s.persona for s in result.trail] == ["performance-engineer", "data-engineer"]
    received = result.segments[1].text
    codes = sorted({f.code for f in result.findings})
    said = received.splitlines()[1]
    assert said.startswith("Recibido de Performance Engineer:")
    assert all(code in said for code in codes)
    steps = _steps(received, "Próximos pasos")
    assert "Sube work_mem para esta consulta" in steps
    assert "work_mem acorde a conexiones" in steps  # the receiver's own checklist, where it fits
    assert "Backups" not in steps  # ...and not where it does not
    assert "Objetivo" not in steps and "Consulta lenta P95" not in steps


def test_offline_footer_says_no_tokens_in_the_message_language(run_cli, tmp_path):
    team = str(make_team(tmp_path / "team"))
    code, out, err = run_cli("ask", "¿Por qué mi endpoint tiene un P95 de 1.8 s?", "--offline", "--db", "memory",
                             "--personas", team)
    assert code == 0, err
    assert "modelo offline · sin tokens ni coste" in out and "$0.0000" not in out
    code, out, err = run_cli("ask", "Why is my endpoint P95 at 1.8 s?", "--offline", "--db", "memory",
                             "--personas", team)
    assert code == 0, err
    assert "offline model · no tokens, no cost" in out and " in / " not in out


def test_a_metric_judged_by_two_personas_is_one_row(tmp_path):
    rows = {"a": "| P95 Latency | < 300ms | < 500ms |", "b": "| P95 Latency | < 200ms | < 400ms |"}
    entries = []
    for slug, row in rows.items():
        path = tmp_path / f"{slug}.md"
        path.write_text(f"---\nname: {slug}\nrole: r\n---\n\n## Metrics\n\n| Metric | Target | Critical |\n"
                        f"|---|---|---|\n{row}\n", encoding="utf-8")
        report = TOOLS["thresholds"].call({"text": "P95 de 2 s", "persona_path": str(path)})
        entries.append({"tool": "thresholds", "persona": slug, "hop": len(entries), "arguments": {},
                        "report": report.model_dump(mode="json", exclude_none=True)})
    first, second = (e["report"]["findings"] for e in entries)
    assert first[0]["code"] == second[0]["code"] and first[0]["message"] != second[0]["message"]
    state = {"messages": [{"role": "user", "content": "P95 de 2 s"}], "turn_start": 0, "reports": entries}
    result = turn_result("t", state, {})
    assert [f.message for f in result.findings] == [first[0]["message"]]


CLEAN_PLAN = """Index Scan using orders_pkey on orders  (cost=0.29..8.30 rows=1 width=64) (actual time=0.010..0.011 rows=1 loops=1)
  Index Cond: (id = 42)
Planning Time: 0.1 ms
Execution Time: 0.03 ms
"""


@pytest.mark.parametrize(("message", "lang", "heading"), [
    (f"Why is this slow?\n{CLEAN_PLAN}", "en", "Next steps"),
    (f"¿Por qué es lenta esta consulta?\n{CLEAN_PLAN}", "es", "Próximos pasos"),
])
def test_a_clean_tool_result_points_elsewhere_instead_of_listing_targets(tmp_path, message, lang, heading):
    with _runtime(make_team(tmp_path / "team")) as rt:
        result = rt.ask(message, persona="performance-engineer")
    assert [c.tool for c in result.tool_calls] == ["explain"] and result.findings == []
    steps = _steps(result.answer, heading)
    assert clean_advice("explain", lang) in steps
    assert "Target <" not in steps and "Critical <" not in steps


# --- Evidence and summaries from real tool output -----------------------------------------------

_SQL_HITS = """SELECT * FROM users WHERE id = 1;
SELECT id FROM users WHERE name LIKE '%smith';
SELECT id FROM users WHERE lower(email) = $1;
SELECT id FROM users ORDER BY id LIMIT 20 OFFSET 4000;
DELETE FROM sessions;
UPDATE users SET active = false;
SELECT id FROM users ORDER BY random() LIMIT 1;
SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM bans);
SELECT id FROM users WHERE email = $1 OR phone = $2;
SELECT u.id FROM users u, orders o WHERE u.id = 1;
SELECT id, name FROM users ORDER BY name;
SELECT 1 WHERE (SELECT count(*) FROM orders WHERE user_id = 1) > 0;
SELECT (;
"""
_METRICS = ("P50 de 900 ms, P95 de 2 s, P99 de 5 s, error rate 5%, apdex 0.5, LCP 5 s, INP 600 ms, CLS 0.3, "
            "FID 300 ms, TTFB 2 s, FCP 4 s")
_STACKS = "main;handler;db.query 700\nmain;handler;render 300\nmain;other 10"


def _otlp_n_plus_one() -> str:
    def span(sid, parent, start, end, name, **extra):
        doc = {"traceId": f"{1:032x}", "spanId": f"{sid:016x}", "name": name,
               "startTimeUnixNano": str(start * 1_000_000), "endTimeUnixNano": str(end * 1_000_000), **extra}
        if parent is not None:
            doc["parentSpanId"] = f"{parent:016x}"
        return doc

    spans = [span(1, None, 0, 100, "GET /orders", kind=2)]
    for i in range(6):
        spans.append(span(2 + i, 1, 10 * i, 10 * i + 8, "SELECT items", kind=3, attributes=[
            {"key": "db.system", "value": {"stringValue": "postgresql"}},
            {"key": "db.statement", "value": {"stringValue": f"SELECT * FROM items WHERE id = {i}"}}]))
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]}
    return json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]})


def _real_reports():
    """One report per tool the offline model calls, with the arguments it fills (agent.model.offline.tool_arguments)."""
    from agent.model.offline import tool_arguments

    persona = str(ROOT / "personas" / "performance-engineer.md")
    calls = [("explain", {"text": PLAN}), ("sql", {"text": _SQL_HITS}), ("profile", {"text": _STACKS}),
             ("traces", {"text": _otlp_n_plus_one()}),
             ("thresholds", {"text": _METRICS, "extra": {"persona_path": persona}})]
    calls += [("codecheck", {"text": d.read_text(encoding="utf-8")})
              for d in sorted((ROOT / "tests" / "data" / "review").glob("perf*.diff"))]
    reports = [TOOLS[tool].call(tool_arguments(tool, **kw)) for tool, kw in calls]
    reports.append(TOOLS["cache_pattern"].call({"pattern": "cache-aside", "key": "user:{id}", "ttl": 60,
                                                "serializer": "pickle"}))
    return reports


def test_real_findings_state_their_numbers_in_spanish():
    findings = [f for r in _real_reports() for f in r.findings]
    kinds = {f.kind for f in findings}
    assert len(kinds) >= 35, sorted(kinds)  # every tool family the offline model can call
    for f in findings:
        said = describe(f, "es")
        assert said != f.message and "[[" not in said, f.kind
        entry = catalogue.rule(f.code)
        assert not any(f"{{{name}}}" in said for name in placeholders(entry.finding_es)), said
        # A finding with measured numbers has a Spanish line that quotes them: the evidence fields the
        # template names are the ones the tool fills. (Line numbers are where, not what.)
        measured = [v for k, v in f.evidence.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.endswith("_line")]
        if measured:
            assert re.search(r"\d", said), (f.kind, f.evidence, said)
        for value in f.evidence.values():
            if isinstance(value, int) and not isinstance(value, bool) and value >= 1000 and f"{value:,}" in said:
                raise AssertionError(f"{f.kind}: English thousands separator in Spanish: {said}")
    seq = next(f for f in findings if f.kind == "seq_scan_large_filter")
    assert "960.000 descartadas (96%)" in describe(seq, "es") and "1.000.000 filas leídas" in describe(seq, "es")
    p95 = next(f for f in findings if f.kind == "p95_latency")
    assert describe(p95, "es").startswith("Métrica fuera de objetivo: P95 Latency = 2 s supera el límite crítico")


def test_every_tool_the_offline_model_calls_has_a_spanish_summary():
    source = (ROOT / "agent" / "model" / "offline.py").read_text(encoding="utf-8")
    callable_tools = set(re.findall(r'"(\w+)" in offered', source)) | {"profile", "traces"}
    assert {"explain", "sql", "codecheck", "thresholds", "cache_pattern"} <= callable_tools
    assert callable_tools <= set(SUMMARY_ES), sorted(callable_tools - set(SUMMARY_ES))
    for report in _real_reports():
        spanish = summarize(report, "es")
        assert spanish and spanish != report.summary, report.tool
        assert summarize(report, "en") == report.summary
        assert not re.search(r"\b(finding|findings|nodes|statement|checked|functions|traces|spans in)\b", spanish), spanish
    explain = summarize(_real_reports()[0], "es")
    assert "2 nodos, ejecución 830 ms, planificación 0,2 ms; el nodo más lento es #0 Sort" in explain


def test_a_tool_without_a_spanish_summary_shows_none_in_spanish():
    from tools.findings import Report

    report = Report(tool="db_health", data={"tables": 3}, summary="3 tables, 0 indexes, 0 finding(s)")
    assert summarize(report, "es") is None and summarize(report, "en") == report.summary


def test_the_handoff_notice_says_the_finding_in_the_message_language(tmp_path):
    with _runtime(make_team(tmp_path / "team")) as rt:
        spanish = rt.ask(f"¿Por qué es lenta esta consulta?\n\n{PLAN}", persona="performance-engineer")
        english = rt.ask(f"Why is this query slow?\n\n{PLAN}", persona="performance-engineer")
    [said] = [n for n in spanish.notices if n.startswith("→ traspaso a Data Engineer")]
    top = next(f for f in spanish.findings if f.handoff == "data-engineer")
    assert top.message not in said and describe(top, "es") in said
    [told] = [n for n in english.notices if n.startswith("→ handed off to Data Engineer")]
    assert top.message in told
