"""Every place text leaves the process masks secrets: each output format, error lines, logs.

The masking itself is tests/test_secrets.py; the model request and the conversation store are in
tests/test_runtime_openai.py and tests/test_runtime_persist.py. Here a secret is put where a finding,
a plan, a log example, a model's answer or an error message quotes it, and every sink is read back."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest
from openai_server import ScriptedOpenAI, reply

# Made-up secrets in the loose forms the old masking let through.
SECRETS = {"tok-9f8e7d6c5b", "hunter2-sink", "plainjwt99", "ss@w0rd", "logpw-42x", "tok-log-55"}


def leaked(text: str) -> set[str]:
    return {s for s in SECRETS if s in text}


@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LMAGENT_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


DIFF = """diff --git a/app/db.py b/app/db.py
--- a/app/db.py
+++ b/app/db.py
@@ -1,1 +1,4 @@
 import os
+def load(db, ids):
+    for i in ids:
+        db.execute("SELECT * FROM users WHERE id = %s", (i,))
"""


def _review_with_quoted_secrets():
    """A review whose findings and written review quote secrets, as rules that quote input would."""
    from agent.review import LlmReview, review
    from tools.codecheck.config import ReviewConfig
    from tools.findings import Finding, Location

    result = review(DIFF, {}, ReviewConfig(), offline=True)
    result.report.findings.append(Finding(
        code="SQL001", kind="select_star", severity="error",
        message="in `SELECT * FROM users WHERE api_token = 'tok-9f8e7d6c5b'`",
        suggestion="and rotate DB_PASSWORD=hunter2-sink", location=Location(path="app/db.py", line=4),
        evidence={"dsn": "postgresql://app:p@ss@w0rd@db/x"}))
    result.llm = LlmReview(persona=result.personas[0], model="m", status="ok", text="- app/db.py:4: JWT_SECRET=plainjwt99")
    result.llm_status = "ok"
    return result


@pytest.mark.parametrize("fmt", ["json", "markdown", "sarif", "rdjsonl", "github"])
def test_every_review_format_masks_what_it_quotes(fmt):
    from agent.commands.review import _serialize

    result = _review_with_quoted_secrets()
    out = _serialize(result, fmt)
    assert not leaked(out), out
    assert "[masked:" in out
    assert "tok-9f8e7d6c5b" in result.report.findings[-1].message  # the caller's objects are left alone


def test_review_terminal_view_masks_what_it_quotes():
    from agent.render.review import print_review

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        from agent.render import console

        console().file = buffer
        try:
            print_review(_review_with_quoted_secrets())
        finally:
            console().file = None
    out = buffer.getvalue()
    assert "SQL001" in out and not leaked(out), out


def test_review_with_a_model_that_writes_secrets(run_cli, monkeypatch):
    """The model's written review goes to the terminal, the JSON, the Markdown comment and the GitHub
    review body: masked in each."""
    with ScriptedOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        for fmt in ("text", "json", "markdown", "github"):
            server.queue(reply("- app/db.py:4: set JWT_SECRET=plainjwt99 and Authorization: Basic aHVudGVyMi1zaW5r"))
            code, out, err = run_cli("review", "--diff", "-", "--format", fmt, "--fail-on", "warning",
                                     stdin=DIFF)
            assert code == 1, err
            assert "plainjwt99" not in out and "aHVudGVyMi1zaW5r" not in out and "[masked:" in out, (fmt, out)


PLAN = """Seq Scan on users  (cost=0.00..18334.00 rows=1 width=97) (actual time=0.015..820.300 rows=1 loops=1)
  Filter: ((api_token)::text = 'tok-9f8e7d6c5b'::text)
  Rows Removed by Filter: 999999
Planning Time: 0.1 ms
Execution Time: 820.5 ms
"""
LOG = """2024-05-01 10:00:00.100 UTC [4242] LOG:  duration: 1500.320 ms  statement: SELECT * FROM users WHERE password = 'logpw-42x'
2024-05-01 10:00:00.200 UTC [4242] LOG:  duration: 0.320 ms  statement: UPDATE users SET api_token = 'tok-log-55' WHERE id = 1
"""


@pytest.mark.parametrize("argv", [
    ("explain", "plan.txt"), ("explain", "plan.txt", "--json"), ("explain", "plan.txt", "--verbose"),
    ("sql", "--log", "pg.log"), ("sql", "--log", "pg.log", "--json"),
])
def test_commands_whose_output_quotes_input(run_cli, tmp_path, argv):
    (tmp_path / "plan.txt").write_text(PLAN)
    (tmp_path / "pg.log").write_text(LOG)
    code, out, err = run_cli(*argv)
    assert code in (0, 1), err
    assert not leaked(out + err), out


def test_error_lines_are_masked(run_cli, tmp_path):
    (tmp_path / "q.sql").write_text("SELECT 1;")
    code, out, err = run_cli("sql", "q.sql", "--dialect", "DB_PASSWORD=hunter2-sink")  # an InputError line
    assert code == 2 and "unknown dialect" in err and not leaked(err), err
    code, out, err = run_cli("ask", "--offline", "--db", "none", "--max-cost", "JWT_SECRET=plainjwt99", "hola")
    assert code == 2 and "--max-cost" in err and not leaked(err), err  # an argparse usage line
    (tmp_path / "m.yaml").write_text("p95: PASSWORD=hunter2-sink\n")
    code, out, err = run_cli("thresholds", "m.yaml")
    assert code == 2 and "m.yaml:1" in err and not leaked(err), err


def test_log_records_and_warnings_are_masked():
    """In a fresh process (pytest records warnings itself): a library's log line and a warning."""
    import subprocess
    import sys

    script = ("import logging, warnings\n"
              "from agent.render import mask_logs\n"
              "mask_logs(); mask_logs()\n"  # once: a second call adds no second handler
              "logging.getLogger('sqlglot').error('cannot parse %s', \"UPDATE t SET api_token = 'tok-log-55'\")\n"
              "warnings.warn('DB_PASSWORD=hunter2-sink in settings')\n")
    err = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stderr
    assert "cannot parse" in err and "in settings" in err and not leaked(err), err
    assert err.count("cannot parse") == 1


def test_json_output_of_any_command_is_masked(capsys):
    from agent.render import print_json

    print_json({"arguments": {"password": "hunter2-sink", "text": "JWT_SECRET=plainjwt99"}})
    out = capsys.readouterr().out
    assert not leaked(out) and json.loads(out)["arguments"]["password"] == "[masked:password_assignment]"
