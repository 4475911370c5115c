"""Persona parsing: the seed, the formats people already have, and every malformed case."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from near_numbers import check_error, near_number

from agent.persona import load_persona, parse_persona
from tools.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "personas" / "performance-engineer.md"

GOOD = """# My Persona

---
name: Cache Person
role: Caching
expertise:
  - Redis
activates_on:
  - Cache misses
  - TTL
---

## Rol

Text.
"""


def test_seed_ships_verbatim(corpus):
    assert SEED.read_bytes() == (corpus.parent / "seed" / "performance-engineer.md").read_bytes()


def test_seed_parses_to_its_front_matter():
    p = load_persona(SEED)
    assert p.slug == "performance-engineer"
    assert p.name == "Performance Engineer"
    assert p.role == "Optimización de Rendimiento y Escalabilidad"
    assert p.title == "LMAgent Performance Engineer Persona"
    assert p.activates_on == [
        "Problemas de performance", "Load testing", "Optimización de queries", "Caching", "Análisis de bottlenecks",
    ]
    assert len(p.expertise) == 6 and p.expertise[0] == "Performance profiling"
    assert [role for role, _ in p.interaction_roles()] == ["Backend Engineer", "Frontend Engineer", "DevOps", "Data Engineer"]


def test_seed_body_structure():
    p = load_persona(SEED)
    titles = [s.title for s in p.walk_sections()]
    assert "Rol" in titles and "Key Metrics" in titles and "Interacción con Otros Roles" in titles
    metrics = p.section("Performance Metrics")
    assert [c.title for c in metrics.children] == ["Key Metrics", "Core Web Vitals (Frontend)"]
    key = next(t for t in p.tables if t.section == "Key Metrics")
    assert key.headers == ["Metric", "Target", "Critical"]
    assert key.rows[1] == {"Metric": "P95 Latency", "Target": "< 300ms", "Critical": "< 500ms"}
    assert key.section_path == ["Performance Metrics", "Key Metrics"]
    langs = [c.language for c in p.code_blocks]
    assert langs.count("python") == 4 and "sql" in langs and "javascript" in langs
    # A '#' comment inside a code block is not a heading.
    assert "Profiling en Python" not in titles
    # Line numbers are file lines.
    lines = SEED.read_text().splitlines()
    assert lines[key.line - 1].startswith("| Metric | Target")
    assert lines[p.section("Rol").line - 1] == "## Rol"


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
        pytest.param(lambda t: t.replace("\n---\nname", "\n---\n---\nname", 1), id="duplicated-dashes"),
        pytest.param(lambda t: t.replace("  - Redis", "\t- Redis"), id="tabs"),
        pytest.param(lambda t: t.replace("# My Persona\n\n", ""), id="front-matter-on-line-1"),
    ],
)
def test_tolerated_variants_parse_the_same(transform):
    ref = parse_persona(GOOD, path="x.md")
    got = parse_persona(transform(GOOD), path="x.md")
    assert (got.name, got.role, got.expertise, got.activates_on) == (ref.name, ref.role, ref.expertise, ref.activates_on)
    assert [s.title for s in got.walk_sections()] == [s.title for s in ref.walk_sections()]


def test_empty_lists_and_unknown_keys_are_kept():
    text = "---\nname: A\nrole: B\nexpertise: []\nactivates_on:\nowner: team-perf\npriority: 3\n---\nbody\n"
    p = parse_persona(text, path="a.md")
    assert p.expertise == [] and p.activates_on == []
    assert p.extra == {"owner": "team-perf", "priority": 3}


def test_claude_code_subagent_format():
    text = ("---\nname: db-tuner\ndescription: Tunes PostgreSQL queries and indexes\n"
            "tools: Read, Grep, Bash\nmodel: sonnet\n---\nYou are a DB tuner.\n")
    p = parse_persona(text, path="agents/db-tuner.md")
    assert p.format == "claude-subagent"
    assert p.slug == "db-tuner"
    assert p.role == "Tunes PostgreSQL queries and indexes"
    assert p.tools == ["Read", "Grep", "Bash"] and p.model == "sonnet"


def test_agent_skill_format(tmp_path):
    skill = tmp_path / "pdf-speed" / "SKILL.md"
    skill.parent.mkdir()
    skill.write_text("---\nname: pdf-speed\ndescription: Speeds up PDF rendering\n"
                     "metadata:\n  triggers: slow pdf, render time , pdf\n  version: 2\n---\n# Steps\n")
    p = load_persona(skill)
    assert p.format == "skill" and p.slug == "pdf-speed"
    assert p.role == "Speeds up PDF rendering"
    assert p.activates_on == ["slow pdf", "render time", "pdf"]
    assert p.extra == {"metadata": {"version": 2}}


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("# T\n\n---\nname: A\nrole: [unclosed\n---\n", 5, "invalid YAML"),
        ("---\nname: A\nrole: B\nexpertise:\n  - x\n - y\n---\n", 6, "invalid YAML"),
        ("---\nrole: B\n---\n", 2, "missing required key 'name'"),
        ("---\nname: A\n---\n", 2, "missing required key 'role'"),
        ("# Title\nsome text\n---\nname: A\n---\n", 2, "expected YAML front-matter"),
        ("# Only a title\n\nbody\n", 3, "expected YAML front-matter"),
        ("", 1, "no YAML front-matter"),
        ("# T\n---\nname: A\nrole: B\n", 2, "not closed"),
        ("---\nname: A\nrole: B\nactivates_on:\n  x: 1\n---\n", 4, "'activates_on' must be a list"),
        ("---\nname: A\nrole: B\nexpertise:\n  - {a: 1}\n---\n", 4, "'expertise' items must be text"),
        ("---\n- a\n- b\n---\n", 2, "must be a mapping"),
        ("---\n---\n---\n", 1, "not closed"),
        ("---\n\n---\nbody\n", 2, "front-matter is empty"),
        ("---\nname: A\nrole: {x: 1}\n---\n", 3, "'role' must be text"),
    ],
)
def test_malformed_personas_report_path_and_line(text, line, needle):
    with pytest.raises(InputError) as err:
        parse_persona(text, path="bad.md")
    assert err.value.path == "bad.md"
    assert err.value.line == line, str(err.value)
    assert needle in err.value.message
    assert str(err.value).startswith(f"bad.md:{line}: ")


def test_python_tags_are_not_constructed():
    """yaml.safe_load only: a python/object tag is an error, never executed."""
    with pytest.raises(InputError) as err:
        parse_persona("---\nname: !!python/object/apply:os.system ['echo pwned']\nrole: B\n---\n", path="evil.md")
    assert err.value.line == 2


def test_non_utf8_file_reports_line(tmp_path):
    f = tmp_path / "latin1.md"
    f.write_bytes("---\nname: A\nrole: Optimizaci\xf3n\n---\n".encode("latin-1"))
    with pytest.raises(InputError) as err:
        load_persona(f)
    assert err.value.line == 3 and "UTF-8" in err.value.message


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_raises_only_input_error(text):
    try:
        parse_persona(text, path="fuzz.md")
    except InputError as exc:
        assert exc.path == "fuzz.md" and (exc.line is None or exc.line >= 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["---", "name: A", "role: B", "# t", "", "\t- x", "expertise:", "  - y",
                                  "activates_on: [a, b", "|a|b|", "|--|--|", "```py", "key: 'v'", ": :"]),
                max_size=14))
def test_front_matter_shaped_noise_raises_only_input_error(lines):
    with contextlib.suppress(InputError):
        parse_persona("\n".join(lines), path="fuzz.md")


# PyYAML's constructors raise ValueError, IndexError, KeyError or AttributeError for scalars they
# cannot build (a date with month 13, '!!int ""', '!!bool maybe', 5000 digits); tools.safe_yaml
# makes each a YAMLError, so a persona file gets `path:line: invalid YAML front-matter`.
_YAML_NEAR = st.one_of(
    near_number,
    st.sampled_from(["2024-13-01", "2024-02-30", "2024-01-01 25:00:00", "!!int ''", "!!int '-'", "!!float '.'",
                     "!!bool maybe", "!!timestamp abc", "!!int 0x", "!!float 1e400", ".inf", ".nan"]),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["name: {n}", "role: {n}", "model: {n}", "expertise: [{n}]", "created: {n}",
                        "metadata: {{v: {n}}}"]), _YAML_NEAR)
def test_fuzz_near_numbers_in_front_matter(line, value):
    lines = {"name": "name: A", "role": "role: B"}
    lines[line.split(":")[0]] = line.replace("{n}", value).replace("{{", "{").replace("}}", "}")
    text = "---\n" + "\n".join(lines.values()) + "\n---\n\n## Body\n"
    try:
        parse_persona(text, path="p.md")
    except InputError as error:
        check_error(error)
        assert error.path == "p.md" and error.line is not None and 2 <= error.line <= 4


@pytest.mark.parametrize(("value", "problem"), [
    ("2024-13-01", "cannot read '2024-13-01' as timestamp"),  # was ValueError: month must be in 1..12
    ("!!int ''", "cannot read '' as int"),  # was IndexError: string index out of range
    ("!!bool maybe", "cannot read 'maybe' as bool"),  # was KeyError
    ("9" * 5000, "as int"),  # was ValueError: Exceeds the limit (4300 digits)
])
def test_yaml_scalars_pyyaml_cannot_build_are_input_errors_with_a_line(value, problem):
    with pytest.raises(InputError) as error:
        parse_persona(f"---\nname: A\nrole: B\ncreated: {value}\n---\n", path="p.md")
    assert error.value.line == 4 and error.value.message.startswith("invalid YAML front-matter: ")
    assert problem in error.value.message


def test_cli_validate_reports_an_unreadable_date(tmp_path, run_cli):
    persona = tmp_path / "p.md"
    persona.write_text("---\nname: A\nrole: B\ncreated: 2024-13-01\n---\n\n## Body\n")
    code, out, err = run_cli("personas", "validate", str(persona))
    assert "Traceback" not in err and "internal error" not in err
    assert code in (1, 2) and f"{persona}:4: invalid YAML front-matter" in out + err
