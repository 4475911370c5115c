"""Commands that need no LLM never import LangGraph or the openai client (start-up time)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from runtime_helpers import PLAN, ROOT

HEAVY = ("langgraph", "openai", "langchain_core")


def _imported_modules(args: list[str], stdin: str | None = None) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "agent.cli", *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert modules, "python -X importtime printed nothing"
    return modules


@pytest.mark.parametrize("args", [
    ["route", "¿por qué mi endpoint tiene un P95 de 2 segundos?"],
    ["personas", "list"],
    ["rules"],
    ["rules", "PLAN002"],
    ["--help"],
])
def test_light_commands_do_not_import_the_llm_stack(args):
    modules = _imported_modules(args)
    assert "agent" in modules
    assert not modules & set(HEAVY), f"heavy modules imported: {modules & set(HEAVY)}"


@pytest.mark.parametrize(("args", "stdin"), [
    (["explain", "-"], PLAN),
    (["sql", "-"], "SELECT * FROM orders WHERE status = 'open' OFFSET 5000"),
    (["thresholds", "--text", "P95 de 1.8 s, error rate 2%"], None),
    (["cache-pattern", "cache-aside"], None),
    (["cache-pattern", "cache-aside", "--json"], None),
    (["profile", "-"], "main;handler;db.query 700\nmain;handler;render 200\n"),
    (["traces", "-"], '{"data": [{"traceID": "t1", "processes": {"p1": {"serviceName": "api"}}, "spans": [{'
                      '"traceID": "t1", "spanID": "s1", "operationName": "GET /", "startTime": 1, "duration": 5, '
                      '"processID": "p1", "references": []}]}]}'),
    (["review", "--offline", "--diff", "-"],
     "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -0,0 +1 @@\n+import requests; requests.get('u')\n"),
    (["db", "--help"], None),
    (["loadtest", "http://127.0.0.1:9/", "--script-only"], None),
])
def test_tool_commands_do_not_import_the_llm_stack(args, stdin):
    assert not _imported_modules(args, stdin) & set(HEAVY)


def test_ask_does_import_the_runtime():
    """The check above can fail: `ask` really loads LangGraph."""
    assert "langgraph" in _imported_modules(["ask", "hola", "--offline", "--db", "none", "--json"])
