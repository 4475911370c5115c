"""The shipped team: the four personas' format and targets, the closed handoff graph, the docs copy
of the graph, the persona's code examples, and routing quality over tests/data/routing.yaml."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from agent.registry import Registry
from agent.render.personas import mermaid_graph
from agent.router import Router, terms
from tools.text import fold

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "personas"
NEW = {
    "backend-engineer": "Backend Engineer",
    "frontend-engineer": "Frontend Engineer",
    "devops-engineer": "DevOps Engineer",
    "data-engineer": "Data Engineer",
}


@pytest.fixture(scope="module")
def team() -> Registry:
    return Registry.from_dir(PERSONAS)


@pytest.fixture(scope="module")
def router(team) -> Router:
    return Router(list(team))


def _messages() -> list[dict]:
    return yaml.safe_load((ROOT / "tests" / "data" / "routing.yaml").read_text(encoding="utf-8"))["messages"]


# --- format


@pytest.mark.parametrize(("slug", "name"), NEW.items())
def test_persona_follows_the_seed_format(team, slug, name):
    p = team.get(slug)
    assert p.title == f"LMAgent {name} Persona"
    assert p.name == name and p.role and p.format == "lmagent"
    assert 5 <= len(p.activates_on) <= 8
    assert len(p.expertise) >= 4
    titles = [s.title for s in p.sections]
    assert titles[:2] == ["Rol", "Responsabilidades"]
    assert titles[-1] == "Interacción con Otros Roles"
    assert any("checklist" in fold(t) for t in titles)
    [interaction] = [t for t in p.tables if t.section == "Interacción con Otros Roles"]
    assert interaction.headers == ["Rol", "Colaboración"]
    assert len(p.code_blocks) >= 5 and len(p.tables) >= 5


def test_no_two_personas_share_a_trigger_term(team):
    owner: dict[str, str] = {}
    for p in team:
        for trigger in p.activates_on:
            for term in set(terms(trigger)):
                assert owner.setdefault(term, p.slug) == p.slug, (term, owner[term], p.slug, trigger)


# --- handoff graph


def test_handoff_graph_closes(team):
    assert team.unresolved == {}
    assert {x.slug for x in team.partners["performance-engineer"]} == set(NEW)
    seed_rows = {x.role_label: x.slug for x in team.partners["performance-engineer"]}
    assert seed_rows["DevOps"] == "devops-engineer"
    assert seed_rows["Data Engineer"] == "data-engineer"


@pytest.mark.parametrize("slug", NEW)
def test_each_new_persona_hands_off_to_the_performance_engineer(team, slug):
    partners = [x.slug for x in team.partners[slug]]
    assert partners[0] == "performance-engineer"
    assert len(partners) >= 3


def test_docs_carry_the_current_mermaid_graph(team):
    docs = (ROOT / "docs" / "personas.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid_graph(team)}\n```" in docs
    for name in [*NEW.values(), "Performance Engineer"]:
        assert f"**{name}**" in docs


def test_graph_commands(run_cli):
    code, out, _ = run_cli("personas", "graph")
    assert code == 0
    assert "every role resolves" in out and "(as “DevOps”)" in out
    code, out, _ = run_cli("personas", "graph", "--check", "--json")
    assert code == 0
    graph = json.loads(out)
    assert graph["unresolved"] == {}
    edges = {(e["from"], e["to"]) for e in graph["edges"]}
    assert ("performance-engineer", "devops-engineer") in edges
    assert all((b, a) in edges for a, b in edges)  # the team hands off both ways
    code, out, _ = run_cli("personas", "list", "--json")
    listed = {p["slug"]: p["partners"] for p in json.loads(out)}
    assert listed["frontend-engineer"][0] == "performance-engineer"


def test_graph_check_fails_on_an_unresolved_role(run_cli, tmp_path):
    (tmp_path / "a.md").write_text(
        "---\nname: A\nrole: r\n---\n\n## Interacción con Otros Roles\n\n| Rol | Colaboración |\n"
        "|---|---|\n| Nobody Here | x |\n", encoding="utf-8")
    code, out, _ = run_cli("personas", "graph", "--check", "--personas", str(tmp_path))
    assert code == 1 and "Nobody Here (no persona)" in out


# --- targets the threshold checker reads


def _targets(persona, *columns: str) -> dict[str, dict[str, str]]:
    """Metric name → row, from every table whose headers are exactly Metric + ``columns``."""
    out = {}
    for table in persona.tables:
        if table.headers == ["Metric", *columns]:
            out.update({row["Metric"]: row for row in table.rows})
    return out


def test_frontend_targets(team):
    p = team.get("frontend-engineer")
    vitals = _targets(p, "Good", "Needs Improvement", "Poor")
    assert set(vitals) == {"LCP", "INP", "CLS", "FCP", "TTFB"}
    assert vitals["INP"] == {"Metric": "INP", "Good": "< 200ms", "Needs Improvement": "200ms - 500ms",
                             "Poor": "> 500ms"}
    assert vitals["FCP"]["Good"] == "< 1.8s"
    budget = _targets(p, "Target", "Critical")
    assert budget["JS Initial (gzip)"]["Target"] == "< 170 KB"


def test_data_targets(team):
    t = _targets(team.get("data-engineer"), "Target", "Critical")
    assert t["Cache Hit Ratio"]["Target"] == "> 99%"
    for metric in ("Replication Lag", "Dead Tuples Ratio", "Table Bloat", "Connections / max_connections",
                   "Longest Transaction", "Idle in Transaction"):
        assert metric in t


def test_devops_and_backend_targets(team):
    devops = _targets(team.get("devops-engineer"), "Target", "Critical")
    for metric in ("Availability (30d)", "Error Budget Remaining", "CPU Saturation", "Memory Saturation",
                   "Deploy Lead Time", "MTTR"):
        assert metric in devops
    backend = _targets(team.get("backend-engineer"), "Target", "Critical")
    for metric in ("P50 Latency", "P95 Latency", "P99 Latency", "Pool Saturation", "Queue Depth"):
        assert metric in backend


@pytest.mark.parametrize("slug", NEW)
def test_every_target_cell_is_a_bound(team, slug):
    bound = re.compile(r"^(?:[<>]\s*[\d.]+\s*[a-zA-Z%]*|0|Variable|-)$")
    for metric, row in _targets(team.get(slug), "Target", "Critical").items():
        assert bound.match(row["Target"]) and bound.match(row["Critical"]), (metric, row)


# --- code examples


@pytest.mark.parametrize("slug", NEW)
def test_python_and_yaml_examples_parse(team, slug):
    for block in team.get(slug).code_blocks:
        if block.language == "python":
            compile(block.code, f"{slug}:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        elif block.language == "yaml":
            list(yaml.safe_load_all(block.code))


# Fixture tables the data persona's examples refer to.
_SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL,
                     total numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
"""


def test_data_persona_sql_runs_on_postgresql(team, pg_conn):
    """Every SQL example of the data persona runs on a real server (role-wide settings aside)."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            pg_conn.execute(statement)
    ran = 0
    for block in team.get("data-engineer").code_blocks:
        if block.language != "sql":
            continue
        for statement in block.code.split(";"):
            body = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
            if not body.strip() or body.strip().upper().startswith("ALTER ROLE"):
                continue
            pg_conn.execute(body)
            ran += 1
    assert ran >= 15


# --- routing quality


def test_labelled_set_shape(team):
    messages = _messages()
    assert len(messages) >= 120
    langs = [m["lang"] for m in messages]
    assert set(langs) == {"es", "en"}
    assert abs(langs.count("es") - langs.count("en")) <= 0.1 * len(messages)
    assert all(set(m["accept"]) <= set(team.personas) for m in messages)
    assert sum(len(m["accept"]) > 1 for m in messages) >= 20  # ambiguous ones
    assert sum(len(m["text"].split()) == 1 for m in messages) >= 10  # short ones
    assert sum(bool(re.match(r"[/@]", m["text"])) for m in messages) >= 10  # explicit mentions


def test_routing_accuracy_and_no_confident_mistakes(router):
    messages = _messages()
    results = [(m, router.route(m["text"])) for m in messages]
    misses = [(m["text"], r.persona) for m, r in results if r.persona not in m["accept"]]
    assert 1 - len(misses) / len(messages) >= 0.9, misses
    confidently_wrong = [(m["text"], r.persona, r.confidence) for m, r in results
                         if r.persona not in m["accept"] and not r.fallback]
    assert confidently_wrong == []


def test_issue_example_routes_to_performance_with_reasons(run_cli):
    code, out, _ = run_cli("route", "¿por qué mi endpoint tiene un P95 de 2 segundos?", "--json")
    result = json.loads(out)
    assert code == 0 and result["persona"] == "performance-engineer" and not result["fallback"]
    assert "activates_on: Problemas de performance" in result["matched"]
