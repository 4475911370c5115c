"""Runtime overhead per turn beyond the model call, next to langgraph-swarm and the OpenAI Agents SDK.

Every framework talks to the same scripted OpenAI-compatible server (tests/openai_server.py, zero
model latency, real HTTP) through the real openai client. Overhead is measured in pairs: one turn
of the framework, then one bare openai-client call with the exact request body that turn sent, so
machine noise hits both sides of each difference; the table shows the median difference.
langgraph-swarm and the Agents SDK are not project dependencies: they live in their own venv,
bench/out/venv-compare, created here with uv; this same file runs there with --compare.
Also: time to the first prompt of `lmagent chat` (through a pty) and `lmagent ask --offline` end to end.

Usage: .venv/bin/python bench/bench_runtime.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
COMPARE_VENV = ROOT / "bench" / "out" / "venv-compare"
COMPARE_PACKAGES = ["langgraph-swarm", "langchain-openai", "openai-agents"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))
WARMUP = 10
MESSAGE = "Our checkout endpoint has a P95 of 1.8 s since Monday, why?"


def paired_overhead(turn, payload_of_last_turn, client, rounds: int = ROUNDS) -> dict[str, float]:
    """Medians in ms of (turn − bare call with the same body), wall clock and process CPU time.

    CPU time (all threads of this process, the in-process server included on both sides of the
    difference) is the robust number on a shared machine: it does not count time spent waiting for
    a core. Wall time is what a user feels when the machine is idle.
    """
    for _ in range(WARMUP):
        turn()
    wall, cpu, bare = [], [], []
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        turn()
        w1, c1 = time.perf_counter(), time.process_time()
        body = payload_of_last_turn()
        w2, c2 = time.perf_counter(), time.process_time()
        client.chat.completions.create(**body)
        w3, c3 = time.perf_counter(), time.process_time()
        wall.append((w1 - w0) - (w3 - w2))
        cpu.append((c1 - c0) - (c3 - c2))
        bare.append(w3 - w2)
    return {"overhead_ms": statistics.median(wall) * 1000, "overhead_cpu_ms": statistics.median(cpu) * 1000,
            "bare_ms": statistics.median(bare) * 1000}


def _replay_body(server) -> dict:
    body = dict(server.requests[-1])
    return {k: body[k] for k in ("model", "messages", "tools") if k in body}


def _bare_client(server):
    import openai

    return openai.OpenAI(api_key="bench", base_url=server.base_url, max_retries=0)


# --- lmagent --------------------------------------------------------------------------------


def bench_lmagent(server) -> list[tuple[str, dict[str, float]]]:
    from agent.graph import GraphSettings
    from agent.model.openai_chat import OpenAIChatModel
    from agent.registry import Registry
    from agent.runtime import Runtime

    registry = Registry.from_dir()
    client = _bare_client(server)
    rows = bench_langgraph_floor(server, client)
    tmp = tempfile.mkdtemp(prefix="bench-rt-")
    configs = [("lmagent, no persistence", "none", None), ("lmagent, in-memory checkpointer", "memory", "exit"),
               ("lmagent, SQLite (durability=exit)", f"{tmp}/exit.sqlite", "exit"),
               ("lmagent, SQLite (durability=sync)", f"{tmp}/sync.sqlite", "sync")]
    for label, checkpoint, durability in configs:
        model = OpenAIChatModel("bench", api_key="bench", base_url=server.base_url, max_retries=0, stream=False)
        with Runtime(registry, model, checkpoint=checkpoint, settings=GraphSettings(), durability=durability) as rt:
            counter = iter(range(10**9))

            def turn(rt=rt, counter=counter):
                # Conversations of 5 turns: the checkpoint carries some history, as in real use.
                rt.ask(MESSAGE, thread_id=f"t{next(counter) // 5}", persona="performance-engineer")

            rows.append((label, paired_overhead(turn, lambda: _replay_body(server), client)))
    return rows


def bench_langgraph_floor(server, client) -> list[tuple[str, dict[str, float]]]:
    """LangGraph's own floor: START → route → one node that makes the same model call, nothing else."""
    import sqlite3
    from typing import TypedDict

    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import START, StateGraph
    from langgraph.types import Command

    class State(TypedDict, total=False):
        messages: list

    body = {"model": "bench", "messages": [{"role": "user", "content": MESSAGE}]}

    def route(state: State) -> Command:
        return Command(goto="answer")

    def answer(state: State) -> dict:
        reply = client.chat.completions.create(**body)
        return {"messages": [*state.get("messages", []), {"role": "assistant", "content": reply.choices[0].message.content}]}

    builder = StateGraph(State)
    builder.add_node("route", route, destinations=("answer",))
    builder.add_node("answer", answer)
    builder.add_edge(START, "route")
    rows = []
    conn = sqlite3.connect(f"{tempfile.mkdtemp(prefix='bench-floor-')}/floor.sqlite", check_same_thread=False)
    for label, saver, durability in (("LangGraph floor: 2-node StateGraph, no checkpointer", None, None),
                                     ("LangGraph floor: 2-node StateGraph, SQLite (durability=exit)",
                                      SqliteSaver(conn), "exit")):
        graph = builder.compile(checkpointer=saver)
        counter = iter(range(10**9))

        def turn(graph=graph, counter=counter, durability=durability):
            kwargs = {"durability": durability} if durability else {}
            graph.invoke({"messages": [{"role": "user", "content": MESSAGE}]},
                         {"configurable": {"thread_id": f"t{next(counter) // 5}"}}, **kwargs)

        rows.append((label, paired_overhead(turn, lambda: body, client)))
    return rows


# --- comparators (run inside bench/out/venv-compare) ------------------------------------------


def bench_compare(server) -> list[tuple[str, dict[str, float]]]:
    client = _bare_client(server)
    rows = []
    from langchain_openai import ChatOpenAI
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.prebuilt import create_react_agent
    from langgraph_swarm import create_handoff_tool, create_swarm

    model = ChatOpenAI(model="bench", api_key="bench", base_url=server.base_url, max_retries=0)
    perf = create_react_agent(model, [create_handoff_tool(agent_name="data_engineer", description="database work")],
                              prompt="You are the Performance Engineer.", name="performance_engineer")
    data = create_react_agent(model, [create_handoff_tool(agent_name="performance_engineer")],
                              prompt="You are the Data Engineer.", name="data_engineer")
    for label, saver in (("langgraph-swarm, no checkpointer", None),
                         ("langgraph-swarm, in-memory checkpointer", InMemorySaver())):
        app = create_swarm([perf, data], default_active_agent="performance_engineer").compile(checkpointer=saver)
        counter = iter(range(10**9))

        def turn(app=app, counter=counter):
            app.invoke({"messages": [{"role": "user", "content": MESSAGE}]},
                       {"configurable": {"thread_id": f"t{next(counter) // 5}"}})

        rows.append((label, paired_overhead(turn, lambda: _replay_body(server), client)))

    from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    sdk_model = OpenAIChatCompletionsModel(
        model="bench", openai_client=AsyncOpenAI(api_key="bench", base_url=server.base_url, max_retries=0))
    data_agent = Agent(name="Data Engineer", instructions="You are the Data Engineer.", model=sdk_model)
    perf_agent = Agent(name="Performance Engineer", instructions="You are the Performance Engineer.",
                       model=sdk_model, handoffs=[data_agent])
    rows.append(("OpenAI Agents SDK (Runner.run_sync, with a handoff)",
                 paired_overhead(lambda: Runner.run_sync(perf_agent, MESSAGE), lambda: _replay_body(server), client)))
    return rows


def ensure_compare_venv() -> Path | None:
    python = COMPARE_VENV / "bin" / "python"
    if not python.exists():
        uv = [str(Path(sys.executable).parent / "uv")]
        try:
            subprocess.run([*uv, "venv", "-q", str(COMPARE_VENV), "--python", sys.executable], check=True)
            subprocess.run([*uv, "pip", "install", "-q", "--python", str(python), *COMPARE_PACKAGES], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"could not build {COMPARE_VENV}: {exc}", file=sys.stderr)
            return None
    return python


# --- start-up ---------------------------------------------------------------------------------


def _cli_env() -> dict[str, str]:
    """Offline, and with bytecode caches as after a normal install (this sandbox sets PYTHONDONTWRITEBYTECODE)."""
    return {k: v for k, v in os.environ.items()
            if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("OPENAI_", "LMAGENT_"))}


def time_to_prompt(runs: int = 5) -> float:
    """Seconds from spawning `lmagent chat` until its prompt is on the terminal (a real pty)."""
    import pty
    import select

    lmagent = str(Path(sys.executable).parent / "lmagent")
    times = []
    for _ in range(runs):
        master, slave = pty.openpty()
        t0 = time.perf_counter()
        proc = subprocess.Popen([lmagent, "chat", "--offline", "--db", "memory"], stdin=slave, stdout=slave,
                                stderr=slave, cwd=ROOT, close_fds=True, env=_cli_env())
        os.close(slave)
        seen = b""
        while "›".encode() not in seen:
            ready, _, _ = select.select([master], [], [], 10)
            if not ready:
                raise RuntimeError(f"no prompt from lmagent chat: {seen!r}")
            seen += os.read(master, 4096)
        times.append(time.perf_counter() - t0)
        os.write(master, b"/exit\n")
        proc.wait(timeout=30)
        os.close(master)
    return statistics.median(times)


def ask_offline_end_to_end(runs: int = 3) -> float:
    lmagent = str(Path(sys.executable).parent / "lmagent")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs + 1):
            t0 = time.perf_counter()
            subprocess.run([lmagent, "ask", "¿Por qué mi endpoint tiene un P95 de 1.8 s?", "--offline",
                            "--db", f"{tmp}/threads.sqlite", "--json"], cwd=ROOT, check=True, capture_output=True,
                           env=_cli_env())
            if i:  # the first run writes the bytecode caches
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    from openai_server import ScriptedOpenAI

    if "--compare" in sys.argv:
        with ScriptedOpenAI(echo=True) as server:
            print(json.dumps(bench_compare(server)))
        return 0
    with ScriptedOpenAI(echo=True) as server:
        rows = bench_lmagent(server)
    python = ensure_compare_venv()
    compare_note = ""
    if python is not None:
        proc = subprocess.run([str(python), __file__, "--compare"], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode == 0:
            rows += [(label, values) for label, values in json.loads(proc.stdout.strip().splitlines()[-1])]
        else:
            compare_note = f"\nComparators failed: `{proc.stderr.strip().splitlines()[-1]}`\n"
    ask_s = ask_offline_end_to_end()
    prompt_s = time_to_prompt()
    load = os.getloadavg()[0]

    print("<!-- bench_runtime -->")
    print("## Runtime overhead per turn\n")
    print(f"One user turn answered by one model call, zero model latency, {ROUNDS} paired turns per row "
          f"(median). Goals: < 3 ms without persistence, < 6 ms with SQLite. Load average at the end: {load:.1f} "
          f"on {os.cpu_count()} cores: other work shares the machine, so read the CPU column first.\n")
    print("| setup | overhead per turn, CPU (ms) | overhead per turn, wall (ms) | bare openai call, same body, wall (ms) |")
    print("|---|---:|---:|---:|")
    for label, values in rows:
        print(f"| {label} | {values['overhead_cpu_ms']:.2f} | {values['overhead_ms']:.2f} | {values['bare_ms']:.2f} |")
    print(compare_note)
    print("| start-up | seconds |")
    print("|---|---:|")
    print(f"| `lmagent chat` until the prompt is on a pty, median of 5 (goal < 0.3 s) | {prompt_s:.3f} |")
    print(f"| `lmagent ask --offline` end to end, median of 3 (SQLite thread, thresholds tool) | {ask_s:.3f} |")
    print("\nReproduce: `.venv/bin/python bench/bench_runtime.py` (builds bench/out/venv-compare with uv on first run).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
