"""The shipped langgraph.json under a real LangGraph Server (`langgraph dev`, in-memory runtime),
driven over HTTP by the official langgraph_sdk client: threads, runs, and the custom stream."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from langgraph_sdk import get_sync_client

ROOT = Path(__file__).resolve().parent.parent
PLAN = (
    "Seq Scan on orders  (cost=0.00..18334.00 rows=5 width=97) (actual time=0.020..180.5 rows=5 loops=1)\n"
    "  Filter: (customer_id = 42)\n"
    "  Rows Removed by Filter: 999995\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    port = _free_port()
    log = (tmp_path_factory.mktemp("langgraph") / "server.log").open("w")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LMAGENT_PERSONAS")}
    # Graph paths in langgraph.json are relative to the working directory: the server runs from the repo.
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "langgraph"), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
         "--port", str(port), "--config", "langgraph.json"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "/ok", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("langgraph dev did not start:\n" + Path(log.name).read_text()[-3000:])
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_a_thread_answers_offline_and_keeps_its_history(server_url):
    client = get_sync_client(url=server_url)
    thread = client.threads.create()
    state = client.runs.wait(thread["thread_id"], "lmagent", input={
        "messages": [{"role": "user", "content": "¿Por qué mi endpoint tiene un P95 de 2 segundos?"}]})
    answer = state["messages"][-1]
    assert answer["role"] == "assistant" and answer["name"] == "performance-engineer"
    assert answer["content"].startswith("## Diagnóstico — Performance Engineer")
    assert "THR002" in answer["content"]  # the threshold checker ran against the persona's own targets

    state = client.runs.wait(thread["thread_id"], "lmagent", input={
        "messages": [{"role": "user", "content": "Y con un error rate del 4%?"}]})
    roles = [m["role"] for m in state["messages"]]
    assert roles[:3] == ["user", "assistant", "user"] and set(roles[3:]) == {"assistant"}  # + any handoff answers
    assert "THR004" in state["messages"][3]["content"]


def test_the_custom_stream_carries_tool_calls_and_tokens(server_url):
    client = get_sync_client(url=server_url)
    thread = client.threads.create()
    parts = list(client.runs.stream(thread["thread_id"], "lmagent", stream_mode="custom", input={
        "messages": [{"role": "user", "content": PLAN + "why is this slow?"}]}))
    events = [part.data for part in parts if part.event == "custom"]
    assert {"type": "tools", "persona": "data-engineer", "calls": ["explain"]} in events
    tokens = "".join(e["text"] for e in events if e["type"] == "token" and e["persona"] == "data-engineer")
    assert tokens.startswith("## Diagnosis — Data Engineer") and "PLAN001" in tokens
