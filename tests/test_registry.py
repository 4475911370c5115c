"""Registry: loading a directory, duplicate slugs, handoff partners, and the personas commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.registry import Registry
from tools.errors import InputError

TEAM = Path(__file__).parent / "data" / "registry_team"


def test_partners_resolve_from_interaction_tables():
    reg = Registry.from_dir(TEAM)
    assert sorted(reg.personas) == ["data-engineer", "devops-engineer", "perf"]
    assert [p.slug for p in reg.partners["perf"]] == ["devops-engineer", "data-engineer"]
    assert reg.partners["perf"][0].role_label == "DevOps"
    assert reg.partners["perf"][0].collaboration == "Infra scaling"
    assert reg.unresolved == {"perf": ["Security"]}
    assert [p.slug for p in reg.partners["devops-engineer"]] == ["perf"]


def test_duplicate_slugs_are_rejected(tmp_path):
    (tmp_path / "a.md").write_text("---\nname: A\nrole: r\n---\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "SKILL.md").write_text("---\nname: A2\ndescription: d\n---\n")
    with pytest.raises(InputError, match="duplicate persona slug 'a'"):
        Registry.from_dir(tmp_path)


def test_env_var_overrides_the_default_directory(monkeypatch):
    monkeypatch.setenv("LMAGENT_PERSONAS", str(TEAM))
    assert "perf" in Registry.from_dir().personas


def test_missing_and_empty_directories(tmp_path):
    with pytest.raises(InputError, match="not found"):
        Registry.from_dir(tmp_path / "nope")
    with pytest.raises(InputError, match="no persona files"):
        Registry.from_dir(tmp_path)


def test_default_directory_has_the_seed():
    assert "performance-engineer" in Registry.from_dir().personas


def test_personas_list_json_shows_partners(run_cli):
    code, out, _ = run_cli("personas", "list", "--json", "--personas", str(TEAM))
    assert code == 0
    rows = {r["slug"]: r for r in json.loads(out)}
    assert rows["perf"]["partners"] == ["devops-engineer", "data-engineer"]


def test_personas_show_and_unknown_slug(run_cli):
    code, out, _ = run_cli("personas", "show", "perf", "--json", "--personas", str(TEAM))
    assert code == 0 and json.loads(out)["name"] == "Perf Person"
    code, _, err = run_cli("personas", "show", "nobody", "--personas", str(TEAM))
    assert code == 2 and "unknown persona 'nobody'" in err


def test_validate_reports_path_line_and_exit_1(run_cli, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\nname: A\nrole: [x\n---\n")
    code, _, err = run_cli("personas", "validate", str(bad), str(TEAM / "perf.md"))
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith(f"{bad}:3: invalid YAML front-matter: ")
    code, out, _ = run_cli("personas", "validate", str(TEAM))
    assert code == 0 and "3 persona file(s) valid" in out


def test_validate_unreadable_path_is_a_usage_error(run_cli, tmp_path):
    code, _, err = run_cli("personas", "validate", str(tmp_path / "missing.md"))
    assert code == 2 and "missing.md" in err and "Traceback" not in err


def test_graph_mermaid(run_cli):
    code, out, _ = run_cli("personas", "graph", "--format", "mermaid", "--personas", str(TEAM))
    assert code == 0
    assert out.startswith("graph LR")
    assert 'perf -->|"Infra scaling"| devops_engineer' in out


def test_usage_errors_exit_2(run_cli):
    assert run_cli("personas")[0] == 2
    assert run_cli("no-such-command")[0] == 2
    assert run_cli("route", "   ")[0] == 2
