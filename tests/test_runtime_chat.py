"""`lmagent chat` as a real subprocess: commands, forced personas, streamed answers, history, reset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openai_server import ScriptedOpenAI, call, reply
from runtime_helpers import ROOT, make_team


def _chat(team: Path, db: Path, lines: list[str], env: dict[str, str] | None = None) -> str:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LMAGENT_"))}
    proc = subprocess.run([sys.executable, "-m", "agent.cli", "chat", "--personas", str(team), "--db", str(db)]
                          + ([] if env else ["--offline"]),
                          input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT,
                          env={**base, "COLUMNS": "200", **(env or {})}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_chat_offline_commands_and_history(tmp_path):
    team = make_team(tmp_path / "team")
    out = _chat(team, tmp_path / "chat.sqlite", [
        "/data", "¿Qué índice necesito para filtrar pedidos por estado?", "/history", "/auto", "/nobody",
        "/reset", "/history", "/exit"])
    assert out.startswith("lmagent chat")
    assert "now talking to Data Engineer" in out
    assert "[data-engineer] ›" in out
    assert "Diagnóstico — Data Engineer" in out
    assert "you: ¿Qué índice necesito para filtrar pedidos por estado?" in out
    assert "unknown command or persona '/nobody'" in out
    assert "new conversation" in out and "(empty)" in out.split("new conversation", 1)[1]


def test_chat_streams_tokens_and_shows_the_handoff(tmp_path):
    team = make_team(tmp_path / "team")
    with ScriptedOpenAI() as server:
        server.queue(reply(tool_calls=[call("transfer_to_data-engineer", {"reason": "index design"})]),
                     reply("Use a partial index on orders(status) WHERE status = 'open'."))
        out = _chat(team, tmp_path / "chat.sqlite", ["/perf", "slow orders page", "/exit"],
                    env={"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k", "LMAGENT_MAX_RETRIES": "0"})
    assert "→ Data Engineer (model: index design)" in out
    assert "Use a partial index on orders(status) WHERE status = 'open'." in out
    assert "200 in / 40 out tokens" in out


def test_chat_multi_line_paste_reaches_the_plan_analyzer(tmp_path):
    from runtime_helpers import PLAN

    team = make_team(tmp_path / "team")
    out = _chat(team, tmp_path / "chat.sqlite", ["/perf", "```", "Why is this query slow?", *PLAN.splitlines(), "```",
                                                 "/exit"])
    assert "explain (performance-engineer" in out
    assert out.count("[performance-engineer] ›") == 2  # one prompt for the whole paste, one for /exit
