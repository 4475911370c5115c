"""The offline answer's own voice: next steps per finding kind in the user's language, handoff
receivers that act on what they received, the offline footer, and one row per problem."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from runtime_helpers import PLAN, ROOT, make_team

from agent.advice import ADVICE, advise, clean_advice, placeholders
from agent.offline import OfflineModel
from agent.registry import Registry
from agent.runtime import Runtime, turn_result
from tools.findings import Finding
from tools.registry import TOOLS

# Every way a tool names a finding kind: Finding(kind="..."), and the positional ("CODE123", "kind")
# pairs of rule tables and finding helpers (sql/codecheck Rule(...), querylog/db _finding(...),
# thresholds' per-metric code table).
_KIND_PATTERNS = (re.compile(r'\bkind="([a-z][a-z_0-9]*)"'),
                  re.compile(r'"[A-Z]{2,5}\d{3}",\s*"([a-z][a-z_0-9]*)"'))


def _emitted_kinds() -> set[str]:
    kinds: set[str] = set()
    for path in (ROOT / "tools").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in _KIND_PATTERNS:
            kinds.update(pattern.findall(text))
    return kinds


def _steps(answer: str, heading: str) -> str:
    """The numbered list under ``### heading`` of one persona's answer."""
    block = answer.split(f"### {heading}\n", 1)[1]
    return block.split("\n\n", 1)[0]


def _runtime(team: Path) -> Runtime:
    return Runtime(Registry.from_dir(team), OfflineModel(), checkpoint="memory")


def test_every_kind_a_tool_emits_has_advice_in_both_languages():
    kinds = _emitted_kinds()
    # The scan must see every tool family, or it would pass by finding nothing.
    assert {"disk_sort", "select_star", "p95_latency", "query_in_loop", "n_plus_one", "io_wait",
            "dominant_span", "unused_index"} <= kinds
    missing = sorted(kinds - set(ADVICE))
    assert not missing, f"kinds without advice in agent/advice.py: {missing}"
    for kind, advice in ADVICE.items():
        assert advice.es.strip() and advice.en.strip() and advice.es != advice.en, kind


@pytest.mark.parametrize("kind", sorted(ADVICE))
def test_every_template_renders_without_evidence(kind):
    """Numbers are optional: a finding without evidence still gets a clean sentence in both languages."""
    for template in (ADVICE[kind].es, ADVICE[kind].en):
        outside = re.sub(r"\[\[.*?\]\]", "", template, flags=re.S)
        assert not placeholders(outside), f"{kind}: placeholders outside [[...]]"
    bare = Finding(code="X001", kind=kind, severity="warning", message="m")
    for lang in ("es", "en"):
        text = advise(bare, lang)
        assert text and "{" not in text and "[[" not in text


def test_unknown_kind_falls_back_to_the_tool_suggestion():
    finding = Finding(code="X999", kind="brand_new_kind", severity="info", message="m", suggestion="do the thing")
    assert advise(finding, "es") == "do the thing"


def _evidence(result, kind: str, field: str):
    return next(f for f in result.findings if f.kind == kind).evidence[field]


def test_spanish_message_gets_spanish_next_steps_with_the_numbers(tmp_path):
    with _runtime(make_team(tmp_path / "team")) as rt:
        result = rt.ask(f"¿Por qué es lenta esta consulta?\n\n{PLAN}", persona="performance-engineer")
    disk_kb = _evidence(result, "disk_sort", "disk_kb")
    removed = _evidence(result, "seq_scan_large_filter", "rows_removed")
    first = result.segments[0].text
    steps = _steps(first, "Próximos pasos")
    assert f"SET LOCAL work_mem = '{2 ** math.ceil(math.log2(disk_kb * 2 / 1024))}MB'" in steps
    assert "crea un índice que entregue las filas ya ordenadas" in steps
    assert f"{int(removed):,}".replace(",", ".") in steps  # Spanish thousands separator
    tool_suggestions = [f.suggestion for f in result.findings if f.suggestion]
    assert tool_suggestions and not any(s in steps for s in tool_suggestions)
    # The tool's English message stays visible as evidence.
    assert any(f.message in _steps(first, "Evidencia") for f in result.findings)
    assert "el más grave es" in first


def test_english_message_gets_english_next_steps(tmp_path):
    with _runtime(make_team(tmp_path / "team")) as rt:
        result = rt.ask(f"Why is this query slow?\n\n{PLAN}", persona="performance-engineer")
    removed = _evidence(result, "seq_scan_large_filter", "rows_removed")
    steps = _steps(result.segments[0].text, "Next steps")
    assert "Raise work_mem for this query" in steps
    assert f"{int(removed):,}" in steps
    assert "Sube work_mem" not in steps


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
