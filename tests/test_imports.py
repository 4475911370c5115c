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


def _import_graph(package: str) -> dict[str, set[str]]:
    """Module → the modules of ``package`` it imports, at the top or inside a function (a lazy import
    is still a dependency), with the parent packages Python imports on the way."""
    import ast

    modules = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                deps |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        deps |= {".".join(d.split(".")[:i]) for d in deps for i in range(1, d.count(".") + 1)}
        graph[name] = {d for d in deps if d in modules and d != name and not name.startswith(d + ".")}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return [*path[path.index(dep):], dep] if dep in path else [*path, dep]
            if dep not in state and (found := visit(dep, [*path, dep])):
                return found
        state[node] = 2
        return None

    return next((c for n in sorted(graph) if n not in state and (c := visit(n, [n]))), None)


def test_the_agent_package_has_no_import_cycle():
    """The model layer sits above the prompt builder: agent.model.offline uses agent.prompt, so
    nothing the prompt imports may import agent.model (the token estimate lives in tools.text)."""
    assert _cycle(_import_graph("agent")) is None, " → ".join(_cycle(_import_graph("agent")))


def test_the_cycle_check_can_fail():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
