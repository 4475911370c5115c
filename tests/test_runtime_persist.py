"""Conversations outlive processes: SQLite across restarts and kill -9, PostgreSQL shared by two runtimes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from openai_server import ScriptedOpenAI, reply, stall
from runtime_helpers import ROOT

from agent.model.offline import OfflineModel
from agent.registry import Registry
from agent.runtime import Runtime


def _ask_cmd(team_dir: Path, db: Path, thread: str, message: str) -> list[str]:
    return [sys.executable, "-m", "agent.cli", "ask", message, "--thread", thread, "--db", str(db),
            "--personas", str(team_dir), "--persona", "performance-engineer", "--json"]


def _env(server: ScriptedOpenAI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LMAGENT_"))}
    return {**env, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key", "LMAGENT_MODEL": "scripted",
            "LMAGENT_MAX_RETRIES": "0"}


def _ask(server, team_dir, db, thread, message) -> dict:
    proc = subprocess.run(_ask_cmd(team_dir, db, thread, message), env=_env(server), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_conversation_survives_a_process_restart(server, team_dir, tmp_path):
    db = tmp_path / "threads.sqlite"
    server.queue(reply("First answer: P95 1.8 s is over the 300 ms target."), reply("Second answer."))
    _ask(server, team_dir, db, "restart", "P95 de 1.8 s, ¿qué hago?")
    second = _ask(server, team_dir, db, "restart", "¿y el P99?")
    sent = [(m["role"], m["content"]) for m in server.requests[1]["messages"][1:]]
    assert sent == [("user", "P95 de 1.8 s, ¿qué hago?"),
                    ("assistant", "First answer: P95 1.8 s is over the 300 ms target."),
                    ("user", "¿y el P99?")]
    assert second["answer"] == "Second answer."


def test_conversation_survives_kill_9_in_the_middle_of_a_turn(server, team_dir, tmp_path):
    db = tmp_path / "threads.sqlite"
    server.queue(reply("Answer one."))
    _ask(server, team_dir, db, "killed", "first question")
    server.queue(stall(20))
    proc = subprocess.Popen(_ask_cmd(team_dir, db, "killed", "question that never finishes"), env=_env(server),
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(server.requests) == 2, "the second process never reached the model"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    server.queue(reply("Answer three."))
    third = _ask(server, team_dir, db, "killed", "third question")
    assert third["answer"] == "Answer three."
    # The killed turn is lost as a whole; the history before it is intact and consistent.
    sent = [(m["role"], m["content"]) for m in server.requests[2]["messages"][1:]]
    assert sent == [("user", "first question"), ("assistant", "Answer one."), ("user", "third question")]
    with Runtime(Registry.from_dir(team_dir), OfflineModel(), checkpoint=str(db)) as rt:
        assert [m["content"] for m in rt.history("killed")] == [
            "first question", "Answer one.", "third question", "Answer three."]


@pytest.mark.postgres
def test_postgres_checkpointer_shared_by_two_runtimes(pg_dsn, team_dir):
    import psycopg

    schema = f"lmagent_rt_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    url = f"{pg_dsn}{'&' if '?' in pg_dsn else '?'}options=-csearch_path%3D{schema}"
    try:
        with Runtime(Registry.from_dir(team_dir), OfflineModel(), checkpoint=url) as one:
            first = one.ask("Nuestro cluster de Kubernetes no escala con el autoscaling", thread_id="shared")
        with Runtime(Registry.from_dir(team_dir), OfflineModel(), checkpoint=url) as two:
            second = two.ask("¿y qué más?", thread_id="shared")
            history = two.history("shared")
        assert second.trail[0].by == "continue" and second.persona == first.persona
        assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            tables = {r[0] for r in admin.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))}
        assert "checkpoints" in tables  # written to the throw-away schema, not public
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def test_unreachable_postgres_is_a_clear_error(team_dir):
    from tools.errors import InputError

    with pytest.raises(InputError, match="cannot connect to the checkpoint database"):
        Runtime(Registry.from_dir(team_dir), OfflineModel(), checkpoint="postgresql://nobody@127.0.0.1:1/none")


def test_default_store_is_sqlite_in_the_user_data_dir_and_env_overrides_it(tmp_path, team_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LMAGENT_"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), HOME=str(tmp_path))
    cmd = [sys.executable, "-m", "agent.cli", "ask", "hola", "--offline", "--personas", str(team_dir),
           "--thread", "d1", "--json"]
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
    assert (tmp_path / "data" / "lmagent" / "threads.sqlite").is_file()
    override = tmp_path / "elsewhere.sqlite"
    subprocess.run(cmd, env={**env, "LMAGENT_CHECKPOINT_URL": f"sqlite:///{override}"}, cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    assert override.is_file()
