"""The runtime on the offline model: real graph, real tools, real SQLite, no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_helpers import PLAN, ROOT

from agent.fence import fence
from agent.graph import GraphSettings
from agent.handoff import FindingBrief, HandoffPacket, detect_deference
from agent.language import detect_language
from agent.model.offline import OfflineModel
from agent.prompt import relevant_sections
from agent.registry import Partner, Registry
from agent.runtime import Runtime
from tools.registry import TOOLS
from tools.secrets import mask_and_list_secrets as mask_secrets
from tools.text import CHARS_PER_TOKEN


def _runtime(team_dir: Path, checkpoint: str = "memory", **settings) -> Runtime:
    return Runtime(Registry.from_dir(team_dir), OfflineModel(), checkpoint=checkpoint,
                   settings=GraphSettings(**settings) if settings else GraphSettings())


def test_spanish_metrics_answer_is_spanish_and_uses_the_persona_targets(team_dir):
    with _runtime(team_dir) as rt:
        result = rt.ask("¿Por qué mi endpoint tiene un P95 de 1.8 s y un error rate del 2%?")
    assert result.persona == "performance-engineer"
    assert result.answer.startswith("## Diagnóstico — Performance Engineer")
    assert "Próximos pasos" in result.answer
    assert [c.tool for c in result.tool_calls][:1] == ["thresholds"]
    assert result.tool_calls[0].arguments.get("persona_path", "").endswith("performance-engineer.md")


def test_english_explain_plan_runs_the_analyzer_and_hands_off_to_the_owner(team_dir):
    with _runtime(team_dir) as rt:
        result = rt.ask(f"Why is this query slow?\n\n{PLAN}", persona="performance-engineer")
    assert "## Diagnosis — Performance Engineer" in result.answer
    assert result.tool_calls[0].tool == "explain"
    codes = {f.code for f in result.findings}
    assert codes, "the explain tool found nothing in a plan that spills a sort to disk"
    owners = {f.handoff for f in result.findings if f.handoff}
    assert "data-engineer" in owners
    assert [s.persona for s in result.trail] == ["performance-engineer", "data-engineer"]
    assert result.trail[1].by == "finding"
    assert result.segments[1].text.startswith("## Diagnosis — Data Engineer")
    assert "Received from Performance Engineer" in result.segments[1].text
    assert any("handed off to Data Engineer" in n for n in result.notices)


def test_hop_limit_stops_a_runtime_handoff_with_a_message(team_dir):
    with _runtime(team_dir, max_hops=0) as rt:
        result = rt.ask(f"¿Por qué es lenta esta consulta?\n\n{PLAN}", persona="performance-engineer")
    assert any(f.handoff == "data-engineer" and f.severity != "info" for f in result.findings)
    assert [s.persona for s in result.trail] == ["performance-engineer"]
    assert any("límite de 0 traspasos" in n for n in result.notices)


def test_no_data_answer_points_to_persona_sections_and_asks_for_evidence(team_dir):
    with _runtime(team_dir) as rt:
        result = rt.ask("how should I approach caching for our product catalog?")
    assert result.answer.startswith("## Diagnosis")
    assert "Persona sections used:" in result.answer
    assert "Caching" in result.answer


def test_thread_survives_in_sqlite_and_follow_up_stays_with_the_persona(team_dir, tmp_path):
    db = str(tmp_path / "threads.sqlite")
    with _runtime(team_dir, checkpoint=db) as rt:
        first = rt.ask("Nuestro cluster de Kubernetes no escala bien con el autoscaling", thread_id="t1")
    with _runtime(team_dir, checkpoint=db) as rt:
        second = rt.ask("¿y qué más?", thread_id="t1")
        history = rt.history("t1")
    assert first.persona == "devops-engineer"
    assert second.trail[0].by == "continue" and second.persona == "devops-engineer"
    users = [m["content"] for m in history if m["role"] == "user"]
    assert users == ["Nuestro cluster de Kubernetes no escala bien con el autoscaling", "¿y qué más?"]
    assert [m["name"] for m in history if m["role"] == "assistant"] == ["devops-engineer", "devops-engineer"]


def test_cli_ask_json(run_cli, team_dir):
    code, out, err = run_cli("ask", "¿Cómo cacheo perfiles de usuario?", "--offline", "--db", "memory",
                             "--personas", str(team_dir), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"thread_id", "persona", "trail", "answer", "findings", "tool_calls", "usage"}
    assert data["trail"][0]["by"] == "router"
    assert data["usage"]["usd"] == 0.0


def test_cli_ask_unknown_persona_is_a_usage_error(run_cli, team_dir):
    code, _, err = run_cli("ask", "hola", "--offline", "--db", "memory", "--personas", str(team_dir),
                           "--persona", "nobody")
    assert code == 2
    assert "unknown persona 'nobody'" in err


@pytest.mark.parametrize(("text", "lang"), [
    ("¿Por qué mi endpoint tarda tanto?", "es"),
    ("mi consulta es lenta con muchos datos", "es"),
    ("Why is my endpoint so slow after the deploy?", "en"),
    (f"Why is this slow?\n{PLAN}", "en"),
    (f"Esta consulta es lenta\n```\n{PLAN}```", "es"),
])
def test_language_detection(text, lang):
    assert detect_language(text) == lang


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_language_detection_never_fails(text):
    assert detect_language(text) in ("es", "en")


def test_deference_in_prose_names_the_partner():
    partners = [Partner("data-engineer", "Data Engineer", "Database tuning"), Partner("devops-engineer", "DevOps", "Infra")]
    names = {"data-engineer": "Data Engineer", "devops-engineer": "DevOps Engineer"}
    assert detect_deference("El plan es malo. Esto es para el Data Engineer.", partners, names)[0] == "data-engineer"
    assert detect_deference("The DevOps engineer should add replicas.", partners, names)[0] == "devops-engineer"
    assert detect_deference("I checked with data from last week.", partners, names) is None


def test_packet_fits_its_token_budget_and_keeps_the_most_severe_findings():
    findings = [FindingBrief(code=f"X{i:03}", severity="error" if i < 3 else "info", message="m" * 80,
                             evidence={"rows_removed": 999_995 + i, "columns": ["a", "b"]}) for i in range(40)]
    packet = HandoffPacket(from_persona="A", to_persona="B", reason="owns the index", summary="s" * 5000,
                           findings=findings, artifacts=["explain: 40 findings"] * 10, open_question="q" * 900)
    fitted = packet.fit(300)
    assert fitted.size() <= 300 * CHARS_PER_TOKEN  # the evidence it carries counts too
    frame = len(fence("handoff", "", "0" * 16))  # the fence's tags around the text: a constant frame
    assert len(fitted.render()) - frame < fitted.size()
    assert fitted.reason == "owns the index"
    assert fitted.findings and all(f.code in {"X000", "X001", "X002"} for f in fitted.findings[:3])


def test_a_brief_keeps_the_numbers_and_leaves_bulky_evidence_with_the_tool():
    from tools.findings import Finding, Location

    finding = Finding(code="LOG001", kind="n_plus_one", severity="error", message="same query ran 50×",
                      location=Location(path="app.log", line=3), handoff="backend-engineer",
                      evidence={"max_repeats": 50, "total_ms": 120.5, "example": "SELECT " + "x, " * 200,
                                "plan": {"nested": 1}, "executions": 60, "fingerprint": "3f2a9c"})
    brief = FindingBrief.of(finding, "query_log")
    # The numbers LOG001's sentences quote travel; bulky values and keys no sentence quotes stay behind.
    assert brief.evidence == {"max_repeats": 50, "total_ms": 120.5, "executions": 60}
    assert brief.finding().location == finding.location and brief.finding().handoff == "backend-engineer"


# Planning (owned by the backend engineer, not on the test team) outranks the seq scan (the data
# engineer's): the data engineer is handed the turn for PLAN001 although PLAN013 ranks first.
PLANNING_HEAVY = """Seq Scan on orders  (cost=0.00..18334.00 rows=5 width=97) (actual time=0.020..50.5 rows=5 loops=1)
  Filter: (customer_id = 42)
  Rows Removed by Filter: 999995
Planning Time: 400.0 ms
Execution Time: 50.6 ms
"""


def test_the_receiver_puts_the_handed_off_finding_first_with_its_evidence(team_dir):
    with _runtime(team_dir) as rt:
        result = rt.ask(f"¿Por qué es lenta esta consulta?\n{PLANNING_HEAVY}", persona="performance-engineer",
                        thread_id="handoff")
        packet = rt.graph.get_state({"configurable": {"thread_id": "handoff"}}).values["packet"]
    assert [s.persona for s in result.trail] == ["performance-engineer", "data-engineer"]
    sender, receiver = (s.text for s in result.segments)
    assert "el más grave es PLAN013 planning_dominates" in sender
    first = packet["findings"][0]
    assert (first["code"], first["handoff"]) == ("PLAN001", "data-engineer")
    assert first["location"]["node"].startswith("#0 Seq Scan") and first["evidence"]["rows_removed"] == 999995
    assert HandoffPacket.model_validate(packet).size() <= GraphSettings().handoff_tokens * CHARS_PER_TOKEN
    rendered = HandoffPacket.model_validate(packet).render()  # what an LLM receiver reads
    mine = next(ln for ln in rendered.splitlines() if ln.startswith("- PLAN001"))
    assert "(at #0 Seq Scan on orders) [yours to fix]" in mine and "[yours to fix]" not in rendered.replace(mine, "")
    said = next(ln for ln in receiver.splitlines() if ln.startswith("Recibido de Performance Engineer:"))
    assert said.index("PLAN001") < said.index("PLAN013")
    assert "el que me traspasaron es PLAN001 seq_scan_large_filter" in receiver
    steps = receiver.split("### Próximos pasos\n", 1)[1]
    assert steps.startswith("1. Crea un índice para el filtro: CREATE INDEX orders_customer_id_idx ON orders (customer_id)")


def test_a_receiver_with_only_the_packet_says_its_findings_in_spanish_its_own_first(team_dir):
    from agent.model import ModelRequest
    from agent.model.offline import compose

    report = TOOLS["explain"].call({"plan": PLANNING_HEAVY})
    assert [f.code for f in report.ranked()] == ["PLAN013", "PLAN001"]
    packet = HandoffPacket(from_persona="Performance Engineer", to_persona="Data Engineer",
                           from_slug="performance-engineer", to_slug="data-engineer", reason="PLAN001",
                           findings=[FindingBrief.of(f, "explain") for f in report.ranked()])
    request = ModelRequest(messages=[], tools=[], persona=Registry.from_dir(team_dir).get("data-engineer"),
                           language="es", user_text="¿Por qué es lenta esta consulta?", packet=packet.model_dump())
    answer = compose(request)
    assert "2 hallazgos; el que me traspasaron es PLAN001 seq_scan_large_filter." in answer
    evidence = answer.split("### Evidencia\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert evidence[0] == ("- PLAN001 [aviso] Seq Scan con un filtro que descarta casi todo lo que lee: 1.000.000 "
                           "filas leídas, 999.995 descartadas (100%) y 5 devueltas (`#0 Seq Scan on orders`)")
    assert evidence[1].startswith("- PLAN013 [error] La planificación tarda más que la ejecución: 400 ms frente a")
    assert not any(f.message in answer for f in report.findings)


SLOW_LOOKUP = """Seq Scan on orders  (cost=0.00..18334.00 rows=5 width=97) (actual time=0.020..180.5 rows=5 loops=1)
  Filter: (customer_id = 42)
  Rows Removed by Filter: 999995
Planning Time: 0.1 ms
Execution Time: 180.6 ms
"""


def _cited(answer: str, label: str) -> list[str]:
    line = next((ln for ln in answer.splitlines() if ln.startswith(f"_{label}: ")), "")
    return line[len(label) + 3:-1].split("; ") if line else []


def test_cited_sections_are_about_the_findings_not_the_words_of_a_pasted_plan(team_dir):
    with _runtime(team_dir) as rt:
        plan = rt.ask(f"¿por qué esta consulta es lenta?\n{SLOW_LOOKUP}", persona="performance-engineer")
        vitals = rt.ask("¿Por qué el LCP de la home es de 4.2s?", persona="performance-engineer")
    cited = _cited(plan.segments[0].text, "Secciones de la persona usadas")
    assert "Database Optimization › Query Analysis" in cited
    assert not [c for c in cited if "Web Vitals" in c or "Image" in c or "Frontend" in c], cited
    assert any("Core Web Vitals" in c for c in _cited(vitals.answer, "Secciones de la persona usadas"))


def test_a_message_that_only_names_the_persona_topic_cites_no_section(team_dir):
    persona = Registry.from_dir(team_dir).get("performance-engineer")
    assert relevant_sections(persona, "¿cómo va el rendimiento?") == []
    assert [s.title_path for s in relevant_sections(persona, "¿Cómo hago un load test con k6?")][:1] == [
        "Load Testing › k6 Load Test Script"]


def test_masking_hides_keys_and_passwords():
    text = "token sk-proj-abcdefghijklmnopqrstuvwxyz12 dsn postgres://app:hunter22@db/x password=s3cr3t!"
    masked, found = mask_secrets(text)
    assert "abcdefghijklmnopqrstuvwxyz12" not in masked and "hunter22" not in masked and "s3cr3t!" not in masked
    assert sorted(found) == ["openai_api_key", "password_assignment", "password_in_url"]
    assert mask_secrets("P95 de 1.8 s en /users")[1] == []


@given(st.text(max_size=400))
@settings(max_examples=200, deadline=None)
def test_masking_is_total_and_idempotent(text):
    masked, _ = mask_secrets(text)
    again, found = mask_secrets(masked)
    assert again == masked and found == []


DIFF = """diff --git a/app/orders.py b/app/orders.py
--- a/app/orders.py
+++ b/app/orders.py
@@ -1,3 +1,6 @@
+def totals(db, orders):
+    for order in orders:
+        order.items = db.execute("SELECT * FROM items WHERE order_id = %s", (order.id,)).fetchall()
"""


@pytest.mark.parametrize(("message", "tool"), [
    (f"¿Por qué es lenta?\n{PLAN}", "explain"),
    ("Revisa esta consulta: SELECT * FROM orders WHERE status = 'open' ORDER BY created_at OFFSET 5000", "sql"),
    ("P95 de 1.8 s y error rate 2% en checkout", "thresholds"),
    ("LCP 4.2s en la home", "thresholds"),
    ("Escríbeme el código para cachear get_user por user_id 10 minutos en Redis", "cache_pattern"),
    ("cachea get_user por user_id 10 minutos", "cache_pattern"),
    (f"review this diff please\n{DIFF}", "codecheck"),
    ("where does the time go?\nmain;handler;db.query 700\nmain;handler;render 200\nmain;gc 100", "profile"),
])
def test_offline_model_calls_the_tool_the_message_carries(message, tool):
    from agent.model.offline import plan_tool_calls

    planned = plan_tool_calls(message, set(TOOLS), persona_path=str(ROOT / "personas" / "performance-engineer.md"))
    assert tool in [name for name, _ in planned]
    assert TOOLS[tool].call(dict(planned)[tool]).tool  # the arguments are valid for the real tool


def test_offline_caching_request_returns_generated_code(team_dir):
    with _runtime(team_dir) as rt:
        result = rt.ask("Escríbeme el código para cachear get_user por user_id 10 minutos en Redis",
                        persona="performance-engineer")
    assert [c.tool for c in result.tool_calls] == ["cache_pattern"]
    assert "### Código\n```python" in result.answer


def test_sql_after_prose_on_the_same_line_is_what_the_sql_tool_reads():
    from agent.model.offline import plan_tool_calls

    message = "Revisa esta consulta: SELECT * FROM orders WHERE status = 'open' ORDER BY created_at OFFSET 5000"
    report = TOOLS["sql"].call(dict(plan_tool_calls(message, set(TOOLS)))["sql"])
    assert {f.kind for f in report.findings} >= {"select_star", "offset_pagination"}
    assert "parse_error" not in {f.kind for f in report.findings}


def test_locations_read_as_lines_or_code_not_markup(team_dir):
    """'<sql>:1' in Markdown is an HTML tag the terminal drops (it showed as '(:1)')."""
    with _runtime(team_dir) as rt:
        spanish = rt.ask("Revisa esta consulta:\nSELECT * FROM orders WHERE lower(email) = $1 OFFSET 4000").answer
        english = rt.ask("Why is this slow?\nSeq Scan on orders  (cost=0.00..18334.00 rows=5 width=97) "
                         "(actual time=0.020..180.5 rows=5 loops=1)\n  Filter: (customer_id = 42)\n"
                         "  Rows Removed by Filter: 999995").answer
    assert "<sql>" not in spanish and "(línea 1)" in spanish
    assert "(`#0 Seq Scan on orders`)" in english


def test_tool_names_survive_markdown_rendering(team_dir, tmp_path):
    """Profile names such as '<built-in method time.sleep>' are HTML tags to Markdown: escaped, the
    terminal shows them instead of dropping them."""
    import cProfile
    import time

    from rich.console import Console
    from rich.markdown import Markdown

    def wait():
        time.sleep(0.002)

    profiler = cProfile.Profile()
    profiler.runcall(lambda: [wait() for _ in range(20)])
    profiler.dump_stats(tmp_path / "wait.prof")
    with _runtime(team_dir) as rt:
        answer = rt.ask("¿Dónde se va el tiempo?", attachments=[str(tmp_path / "wait.prof")]).answer
    console = Console(record=True, width=200)
    console.print(Markdown(answer))
    shown = console.export_text()
    assert "PROF002" in shown
    assert shown.count("<built-in method time.sleep>") >= 3, shown  # lead, evidence, next step


def test_small_talk_calls_no_tool():
    from agent.model.offline import plan_tool_calls

    assert plan_tool_calls("hola, ¿qué tal?", set(TOOLS)) == []


def test_cli_ask_reads_the_message_from_stdin(run_cli, team_dir):
    code, out, err = run_cli("ask", "-", "--offline", "--db", "memory", "--personas", str(team_dir), "--json",
                             "--persona", "performance-engineer", stdin=f"Why is this slow?\n{PLAN}")
    assert code == 0, err
    assert json.loads(out)["tool_calls"][0]["tool"] == "explain"


@given(st.text(max_size=200))
@settings(max_examples=150, deadline=None)
def test_prices_parser_raises_only_input_error(raw):
    import os

    from agent.model import load_prices
    from tools.errors import InputError

    if "\x00" in raw:
        return  # environment values cannot hold NUL
    old = os.environ.get("LMAGENT_PRICES")
    os.environ["LMAGENT_PRICES"] = raw
    try:
        load_prices(Path("/nonexistent/pyproject.toml"))
    except InputError:
        pass
    finally:
        if old is None:
            os.environ.pop("LMAGENT_PRICES", None)
        else:
            os.environ["LMAGENT_PRICES"] = old


@given(st.text(max_size=400))
@settings(max_examples=150, deadline=None)
def test_message_inspection_and_deference_never_fail(text):
    from agent.model.offline import plan_tool_calls

    planned = plan_tool_calls(text, set(TOOLS))
    assert all(isinstance(args, dict) for _, args in planned)
    partners = [Partner("data-engineer", "Data Engineer", "Database tuning")]
    found = detect_deference(text, partners, {"data-engineer": "Data Engineer"})
    assert found is None or found[0] == "data-engineer"


def test_owner_outside_the_partners_is_offered_not_handed_off(team_dir):
    with _runtime(team_dir) as rt:
        result = rt.ask(f"Why is this slow?\n{PLAN}", persona="devops-engineer")  # partners: performance-engineer
    assert any(f.handoff == "data-engineer" and f.severity != "info" for f in result.findings)
    assert [s.persona for s in result.trail] == ["devops-engineer"]
    assert any(n.startswith("→ Data Engineer could take this next") and "--persona data-engineer" in n
               for n in result.notices)


def test_attached_json_artifacts_go_to_the_tool_their_content_needs(tmp_path):
    """A py-spy `profile.json` (speedscope) goes to the profiler, an OTLP export to the trace analyzer."""
    from agent.model.offline import plan_tool_calls

    speedscope = tmp_path / "profile.json"
    speedscope.write_text(json.dumps({
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": [{"name": "main"}, {"name": "work"}]},
        "profiles": [{"type": "sampled", "name": "t", "unit": "seconds", "startValue": 0, "endValue": 1,
                      "samples": [[0, 1], [0, 1]], "weights": [0.5, 0.5]}]}))
    otlp = tmp_path / "export.json"
    otlp.write_text(json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [{
        "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "GET /users",
        "startTimeUnixNano": "1000000000", "endTimeUnixNano": "1200000000", "kind": 2}]}]}]}))
    planned = dict(plan_tool_calls("where does the time go?", set(TOOLS), attachments=[str(speedscope), str(otlp)]))
    assert plan_tool_calls(f"where does the time go? {speedscope} and {otlp}", set(TOOLS)) == []  # text opens nothing
    assert planned["profile"]["path"] == str(speedscope)
    assert planned["traces"]["path"] == str(otlp)
    assert TOOLS["profile"].call(planned["profile"]).data.total == 1.0
