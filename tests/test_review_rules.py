"""codecheck rules: fixture diffs with expected (file, line, code), clean fixtures, docs examples,
suppression, configuration and secrets."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.codecheck import RULES, CodecheckInput, codecheck_tool, parse_diff
from tools.codecheck.config import config_from_toml, parse_config
from tools.errors import InputError
from tools.markdown import parse_markdown
from tools.secrets import find_secrets, mask_secrets

DATA = Path(__file__).parent / "data" / "review"
DOCS = Path(__file__).parent.parent / "docs" / "rules"
FIXTURES = sorted(DATA.glob("*.diff"))


def expected(diff: Path) -> list[str]:
    return sorted(line for line in diff.with_suffix(".expected").read_text().splitlines() if line)


def found(report) -> list[str]:
    return sorted(f"{f.location.path}:{f.location.line} {f.code}" for f in report.findings)


@pytest.mark.parametrize("diff", FIXTURES, ids=[d.stem for d in FIXTURES])
def test_fixture_diff_gives_exactly_the_expected_findings(diff):
    report = codecheck_tool(CodecheckInput(diff=diff.read_text()))
    assert found(report) == expected(diff)
    for f in report.findings:
        assert f.message and f.suggestion and f.kind and f.evidence["fingerprint"]


def test_every_rule_fixture_has_findings_and_a_clean_twin():
    for code in RULES:
        bad = [d for d in FIXTURES if d.stem.startswith(code.lower())]
        assert bad, f"no fixture for {code}"
        assert any(code in line for line in expected(bad[0]))
        assert (DATA / f"clean_{bad[0].stem}.diff").exists()
        assert expected(DATA / f"clean_{bad[0].stem}.diff") == []


NEW_FILE_FIXTURES = [d for d in FIXTURES if "perf1" in d.stem
                     and all(f.status == "added" for f in parse_diff(d.read_text()))]


@pytest.mark.parametrize("diff", NEW_FILE_FIXTURES, ids=lambda d: d.stem)
def test_full_new_file_gives_the_same_findings_as_the_rebuilt_one(diff):
    """For new files the diff is the whole file: passing it as `files` must not change anything."""
    files = {f.path: "\n".join(f.new_side[n] for n in sorted(f.new_side)) + "\n"
             for f in parse_diff(diff.read_text())}
    report = codecheck_tool(CodecheckInput(diff=diff.read_text(), files=files))
    assert found(report) == expected(diff)
    assert {f.context for f in report.data.files} == {"file"}


def test_only_added_lines_are_reported_but_the_full_file_gives_context():
    """The loop is old; only the query line inside it changes: the N+1 is reported on that line."""
    new = "def f(db, ids):\n    for i in ids:\n        db.execute('q2', (i,))\n    db.execute('q1')\n"
    diff = ("--- a/m.py\n+++ b/m.py\n@@ -3 +3 @@\n-        pass\n+        db.execute('q2', (i,))\n")
    with_file = codecheck_tool(CodecheckInput(diff=diff, files={"m.py": new}))
    assert found(with_file) == ["m.py:3 PERF101"]
    # The same diff against a file that does not match it: context is rebuilt and the mismatch noted.
    wrong = codecheck_tool(CodecheckInput(diff=diff, files={"m.py": "x = 1\n"}))
    assert any("does not match" in n for n in wrong.data.notes)


def test_hunk_inside_an_async_function_keeps_its_context_without_the_file():
    diff = ("--- a/s.py\n+++ b/s.py\n@@ -20,3 +20,4 @@ async def handler(request):\n"
            "     for item in items:\n         total += item\n+        time.sleep(1)\n     return total\n")
    report = codecheck_tool(CodecheckInput(diff=diff))
    # No `async def` is visible in the hunk, so no PERF103; the loop is visible though.
    assert report.data.files[0].skipped is None
    assert all(f.location.line == 22 for f in report.findings)


@pytest.mark.parametrize("code", sorted(RULES))
def test_docs_page_examples_bad_flags_and_good_does_not(code):
    page = DOCS / f"{code}.md"
    assert page.exists(), f"missing {page}"
    doc = parse_markdown(page.read_text())
    blocks = {b.section.lower(): b for b in doc.code_blocks}
    assert {"bad", "good"} <= set(blocks), f"{page} needs '## Bad' and '## Good' code blocks"
    for which, expect in (("bad", True), ("good", False)):
        block = blocks[which]
        name = "example.sql" if block.language == "sql" else "example.py"
        report = codecheck_tool(CodecheckInput(files={name: block.code}))
        assert (code in {f.code for f in report.findings}) is expect, (which, found(report))


def test_inline_suppression_by_code_kind_or_bare():
    src = (
        "import requests\n"
        "requests.get('u')  # lmagent: ignore[PERF104]\n"
        "requests.get('u')  # lmagent: ignore[http_without_timeout]\n"
        "requests.get('u')  # lmagent: ignore\n"
        "requests.get('u')  # lmagent: ignore[PERF101]\n"
        "requests.get('u')\n"
        "requests.get('u')\n"
    )
    report = codecheck_tool(CodecheckInput(files={"s.py": src}))
    assert found(report) == ["s.py:5 PERF104", "s.py:6 PERF104", "s.py:7 PERF104"]
    # Identical lines share the digest and differ by occurrence, so every fingerprint is unique.
    fingerprints = [f.evidence["fingerprint"] for f in report.findings]
    assert len(set(fingerprints)) == 3
    assert fingerprints[1].split(":")[0] == fingerprints[2].split(":")[0] != fingerprints[0].split(":")[0]


def test_config_select_ignore_severity_and_exclude():
    src = "import requests, time\nasync def h():\n    requests.get('u')\n    time.sleep(1)\n"
    files = {"a/x.py": src, "vendor/y.py": src}
    base = found(codecheck_tool(CodecheckInput(files=files)))
    assert base == ["a/x.py:3 PERF103", "a/x.py:3 PERF104", "a/x.py:4 PERF103",
                    "vendor/y.py:3 PERF103", "vendor/y.py:3 PERF104", "vendor/y.py:4 PERF103"]
    config = {"ignore": ["blocking_call_in_async"], "exclude": ["vendor/"], "severity": {"PERF104": "error"}}
    report = codecheck_tool(CodecheckInput(files=files, config=config))
    assert found(report) == ["a/x.py:3 PERF104"] and report.findings[0].severity == "error"
    assert next(f for f in report.data.files if f.path == "vendor/y.py").skipped
    only = codecheck_tool(CodecheckInput(files=files, config={"select": ["PERF103"]}))
    assert {f.code for f in only.findings} == {"PERF103"}


def test_config_from_pyproject_and_its_errors():
    text = '[tool.lmagent.review]\nignore = ["PERF108"]\n[tool.lmagent.review.severity]\nPERF104 = "error"\n'
    assert config_from_toml(text, "pyproject.toml") == {"ignore": ["PERF108"], "severity": {"PERF104": "error"}}
    assert config_from_toml("[project]\nname = 'x'\n", "p.toml") == {}
    with pytest.raises(InputError) as exc:
        config_from_toml("[tool.lmagent.review\n", "p.toml")
    assert exc.value.path == "p.toml" and exc.value.line == 1
    with pytest.raises(InputError, match="severity"):
        config_from_toml('[tool.lmagent.review.severity]\nPERF104 = "fatal"\n', "p.toml")
    with pytest.raises(InputError, match="unknown_key"):
        parse_config({"unknown_key": 1})


def test_secrets_are_found_masked_and_never_echoed():
    secret = "ghp_" + "A1b2C3d4" * 5
    line = f'TOKEN = "{secret}"; URL = "redis://user:s3cr3tpass@cache:6379/0"'
    kinds = [m.kind for m in find_secrets(line)]
    assert kinds == ["github_token", "password_in_url"]
    masked = mask_secrets(line)
    assert secret not in masked and "s3cr3tpass" not in masked and "[masked:github_token]" in masked
    assert mask_secrets("password = '${DB_PASSWORD}'") == "password = '${DB_PASSWORD}'"
    key_block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\n"
    assert "MIIEow" not in mask_secrets(key_block)
    report = codecheck_tool(CodecheckInput(files={"k.py": f'K = "{secret}"\n'}))
    (f,) = report.findings
    assert f.code == "PERF190" and secret not in f.model_dump_json()


def test_sql_literal_findings_use_the_literal_lines():
    src = 'def q(db):\n    return db.execute("""\n        SELECT *\n        FROM t\n        OFFSET 10""")\n'
    report = codecheck_tool(CodecheckInput(files={"q.py": src}))
    assert found(report) == ["q.py:3 SQL002", "q.py:5 SQL005"]


def test_unparsable_python_is_skipped_not_fatal():
    report = codecheck_tool(CodecheckInput(files={"bad.py": "def (:\n", "ok.py": "import requests\nrequests.get('u')\n"}))
    assert found(report) == ["ok.py:2 PERF104"]
    assert next(f for f in report.data.files if f.path == "bad.py").skipped.startswith("Python source does not parse")
    assert [s.path for s in report.data.skipped] == ["bad.py"]


def test_input_needs_something():
    with pytest.raises(InputError):
        codecheck_tool(CodecheckInput())


def test_columns_are_characters_not_utf8_bytes():
    report = codecheck_tool(CodecheckInput(files={"c.py": 'import requests\nx = "ñandú"; requests.get("u")\n'}))
    (f,) = report.findings
    assert (f.location.line, f.location.column) == (2, 14)


def test_tool_is_callable_through_the_one_registry():
    from tools.registry import get

    spec = get("codecheck")
    assert not spec.side_effects and spec.openai_schema()["function"]["name"] == "codecheck"
    report = spec.call({"files": {"x.py": "import redis\nr = redis.Redis()\nr.keys('*')\n"}})
    assert [f.code for f in report.findings] == ["PERF102"]


PY_LINES = st.sampled_from([
    "def f(db, ids):", "async def g(r):", "    for i in ids:", "        db.execute('q', (i,))",
    "        time.sleep(1)", "    try:", "    except Exception:", "        pass", "    while True:",
    "r.keys('a:*')", "    r.set(f'k:{i}', 1)", "requests.get('u')", "x = [db.fetch(i) for i in ids]",
    '    s = "SELECT * FROM t OFFSET 5"', "@app.get('/')", "    return q.all()", ")", "    (", "", "\t", "é = 1",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(PY_LINES, max_size=12), after=st.lists(PY_LINES, max_size=12))
def test_fuzz_codecheck_never_fails_on_any_python_change(before, after):
    """Arbitrary (often unparsable) Python hunks: findings or a skip note, never an exception."""
    old = [line + "\n" for line in before]
    new = [line + "\n" for line in after]
    diff = "".join(difflib.unified_diff(old, new, "a/f.py", "b/f.py", n=2))
    for files in (None, {"f.py": "".join(new)}):
        report = codecheck_tool(CodecheckInput(diff=diff or None, files=files)) if diff or files else None
        if report is not None:
            added = {f.location.line for f in report.findings}
            assert all(1 <= n <= max(len(new), 1) for n in added)


SECRETS = st.sampled_from([
    "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0kLmN", "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2", "AKIA" + "QWERTYUIOPASDFGH",
    "xoxb-" + "1234567890-abcdefghij", "sk_live_" + "abcdefghijklmnop1234",
])


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(max_size=40), secret=SECRETS, suffix=st.text(max_size=40))
def test_fuzz_masking_never_lets_a_secret_through(prefix, secret, suffix):
    text = f"{prefix} {secret} {suffix}"
    masked = mask_secrets(text)
    assert secret not in masked and "[masked:" in masked
    assert mask_secrets(masked) == masked  # masking is idempotent


@settings(max_examples=200, deadline=None)
@given(raw=st.dictionaries(st.sampled_from(["select", "ignore", "severity", "exclude", "other"]),
                           st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                     st.lists(st.text(max_size=5), max_size=3),
                                     st.dictionaries(st.text(max_size=5), st.text(max_size=8), max_size=2))))
def test_fuzz_config_is_valid_or_an_input_error(raw):
    try:
        config = parse_config(raw, "pyproject.toml")
    except InputError as exc:
        assert exc.path == "pyproject.toml"
    else:
        assert isinstance(config.enabled("PERF101", "query_in_loop"), bool)


@pytest.mark.parametrize(("text", "message"), [
    ("tool = 1e400\n", r"\[tool\] must be a table"),  # was AttributeError: 'float' object has no attribute 'get'
    ("[tool]\nlmagent = 5\n", r"\[tool.lmagent\] must be a table"),
    ("[tool.lmagent]\nreview = [1]\n", r"\[tool.lmagent.review\] must be a table"),
    ("[tool.lmagent.review]\nselect = " + "9" * 5000 + "\n", "more than 4300 digits"),  # was ValueError from int()
    ("[tool.lmagent.review]\nselect = [inf, nan]\n", "select"),
])
def test_config_values_of_the_wrong_kind_are_input_errors(text, message):
    with pytest.raises(InputError, match=message) as error:
        config_from_toml(text, "pyproject.toml")
    assert error.value.path == "pyproject.toml" and "\n" not in str(error.value)
