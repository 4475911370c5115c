"""The runtime on the OpenAI path: the real openai client against a scripted server over real sockets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openai_server import ScriptedOpenAI, call, error, reply
from runtime_helpers import PLAN

from agent.graph import GraphSettings
from agent.model import LLMError
from agent.model.openai_chat import OpenAIChatModel
from agent.registry import Registry
from agent.runtime import Runtime

MODEL = "scripted-model"




def _runtime(server: ScriptedOpenAI, team_dir: Path, stream: bool = True, **settings) -> Runtime:
    model = OpenAIChatModel(MODEL, api_key="test-key", base_url=server.base_url, max_retries=2, stream=stream, timeout=10)
    return Runtime(Registry.from_dir(team_dir), model, checkpoint="memory", settings=GraphSettings(**settings))


def _tool_messages(request: dict) -> list[dict]:
    return [m for m in request["messages"] if m["role"] == "tool"]


@pytest.mark.parametrize("stream", [True, False])
def test_tool_call_round_trip(server, team_dir, stream):
    server.queue(reply(tool_calls=[call("explain", {"plan": PLAN}, "call_1")]),
                 reply("The sort spills 52 MB to disk; add an index on orders(status, created_at)."))
    with _runtime(server, team_dir, stream=stream, auto_handoff=False) as rt:
        result = rt.ask("Why is this query slow?", persona="performance-engineer")
    first, second = server.requests
    assert "explain" in {t["function"]["name"] for t in first["tools"]}
    assert bool(first.get("stream")) is stream
    tool_msgs = _tool_messages(second)
    assert [m["tool_call_id"] for m in tool_msgs] == ["call_1"]
    report = json.loads(tool_msgs[0]["content"])
    assert report["tool"] == "explain" and report["findings"]
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "explain"
    assert result.answer.startswith("The sort spills 52 MB")
    assert [c.tool for c in result.tool_calls] == ["explain"]
    assert result.usage.prompt_tokens == 200 and result.usage.completion_tokens == 40
    assert [u.persona for u in result.usage.calls] == ["performance-engineer"] * 2


def test_handoff_carries_the_summary_to_the_data_engineer(server, team_dir):
    summary = "Seq Scan on orders discards 96% of 1M rows; sort spills 52 MB"
    server.queue(
        reply(tool_calls=[call("transfer_to_data-engineer", {
            "reason": "index design", "summary": summary, "open_question": "Which index fixes it?"})]),
        reply("CREATE INDEX CONCURRENTLY ON orders (status, created_at);"),
    )
    with _runtime(server, team_dir) as rt:
        result = rt.ask("Our orders page got slow after the migration", persona="performance-engineer")
    first, second = server.requests
    assert "transfer_to_data-engineer" in {t["function"]["name"] for t in first["tools"]}
    system = second["messages"][0]["content"]
    assert system.startswith("You are the Data Engineer")
    assert "Handoff from Performance Engineer" in system and summary in system
    assert "Which index fixes it?" in system
    assert second["messages"][-1] == {"role": "user", "content": "Our orders page got slow after the migration"}
    assert [(s.persona, s.by) for s in result.trail] == [("performance-engineer", "forced"), ("data-engineer", "model")]
    assert result.persona == "data-engineer"
    assert set(result.usage.by_persona) == {"performance-engineer", "data-engineer"}


def test_streaming_delivers_tokens_as_they_arrive(server, team_dir):
    text = "Streaming answer: P95 is 1.8 s against a target of 300 ms, so look at the slowest span first."
    server.queue(reply(text))
    events: list[dict] = []
    with _runtime(server, team_dir) as rt:
        result = rt.ask("P95 is 1.8 s, why?", persona="performance-engineer", on_event=events.append)
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert len(tokens) > 5 and "".join(tokens) == text == result.answer


def test_rate_limit_is_retried(server, team_dir):
    server.queue(error(429, "slow down"), reply("answered after the retry"))
    with _runtime(server, team_dir) as rt:
        result = rt.ask("hola", persona="performance-engineer")
    assert result.answer == "answered after the retry"
    assert len(server.requests) == 2


def test_server_error_three_times_is_a_clear_error(server, team_dir):
    server.queue(error(500), error(500), error(500))
    with _runtime(server, team_dir) as rt, pytest.raises(LLMError) as exc:
        rt.ask("hola", persona="performance-engineer")
    assert len(server.requests) == 3
    message = str(exc.value)
    assert "HTTP 500" in message and "3 attempt(s)" in message and "Performance Engineer" in message


def test_cli_reports_a_failing_server_in_one_line(server, team_dir, run_cli, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("LMAGENT_MAX_RETRIES", "2")
    server.queue(error(503), error(503), error(503))
    code, out, err = run_cli("ask", "hola", "--personas", str(team_dir), "--db", "memory")
    assert code == 1
    assert err.count("\n") == 1 and "HTTP 503" in err and "Traceback" not in err


def test_malformed_tool_arguments_and_unknown_tool_do_not_break_the_turn(server, team_dir):
    server.queue(
        reply(tool_calls=[call("explain", '{"plan": "Seq Scan', "call_bad"), call("frobnicate", {}, "call_unknown")]),
        reply("Recovered: please paste the full plan."),
    )
    with _runtime(server, team_dir) as rt:
        result = rt.ask("Why is this slow?", persona="performance-engineer")
    tool_msgs = {m["tool_call_id"]: m["content"] for m in _tool_messages(server.requests[1])}
    assert tool_msgs["call_bad"].startswith("error: the arguments are not a JSON object")
    assert tool_msgs["call_unknown"].startswith("error: unknown tool 'frobnicate'")
    assert result.answer == "Recovered: please paste the full plan."


def test_handoff_loop_is_stopped_by_the_runtime(server, team_dir):
    server.queue(
        reply(tool_calls=[call("transfer_to_data-engineer", {"reason": "database"})]),
        reply(tool_calls=[call("transfer_to_performance-engineer", {"reason": "back to you"}, "call_back")]),
        reply("I will answer myself: add the index."),
    )
    with _runtime(server, team_dir) as rt:
        result = rt.ask("slow orders query", persona="performance-engineer")
    refused = {m["tool_call_id"]: m["content"] for m in _tool_messages(server.requests[2])}
    assert refused["call_back"].startswith("handoff refused: Handoff loop stopped")
    assert [s.persona for s in result.trail] == ["performance-engineer", "data-engineer"]
    assert any("performance-engineer → data-engineer → performance-engineer" in n for n in result.notices)
    assert result.answer.startswith("I will answer myself")


def test_prose_deferral_becomes_a_handoff(server, team_dir):
    server.queue(reply("El plan muestra un Seq Scan enorme. Esto es para el Data Engineer, que diseña los índices."),
                 reply("Índice compuesto en (status, created_at)."))
    with _runtime(server, team_dir) as rt:
        result = rt.ask("¿Por qué es lenta la consulta de pedidos?", persona="performance-engineer")
    assert [(s.persona, s.by) for s in result.trail][1] == ("data-engineer", "text")
    assert "Esto es para el Data Engineer" in server.requests[1]["messages"][0]["content"]
    assert any(n.startswith("→ traspaso a Data Engineer") for n in result.notices)
    assert [s.persona for s in result.segments] == ["performance-engineer", "data-engineer"]


def test_cost_ledger_and_max_cost(server, team_dir, monkeypatch):
    monkeypatch.setenv("LMAGENT_PRICES", json.dumps({MODEL: [1000.0, 2000.0]}))  # USD per million tokens
    server.queue(reply("first answer", prompt_tokens=100, completion_tokens=50))
    with _runtime(server, team_dir) as rt:
        first = rt.ask("hola", persona="performance-engineer", thread_id="cost")
        assert first.usage.usd == pytest.approx((100 * 1000 + 50 * 2000) / 1e6)
        second = rt.ask("¿y ahora?", thread_id="cost", max_cost=first.usage.usd + 0.001)
    assert len(server.requests) == 1  # stopped before the second call
    assert second.segments == [] and any("--max-cost" in n for n in second.notices)


def test_max_cost_needs_a_price(server, team_dir, monkeypatch):
    from tools.errors import InputError

    monkeypatch.delenv("LMAGENT_PRICES", raising=False)
    with _runtime(server, team_dir) as rt, pytest.raises(InputError, match="LMAGENT_PRICES"):
        rt.ask("hola", max_cost=0.01)


def test_secrets_are_masked_before_the_model_sees_them(server, team_dir):
    server.queue(reply("Rotate that key."))
    key = "sk-proj-" + "a1b2c3d4" * 4
    with _runtime(server, team_dir) as rt:
        result = rt.ask(f"my config has OPENAI_API_KEY={key}, is the latency ok?", persona="performance-engineer")
    sent = json.dumps(server.requests[0])
    assert key not in sent and "[masked:openai_api_key]" in sent
    assert any("Masked 1 secret(s) (openai_api_key)" in n for n in result.notices)


def test_tool_loop_is_bounded(server, team_dir):
    server.queue(*[reply(tool_calls=[call("explain", {"plan": PLAN}, f"call_{i}")]) for i in range(2)],
                 reply("Enough tools: the sort spills to disk."))
    with _runtime(server, team_dir, max_tool_rounds=2, auto_handoff=False) as rt:
        result = rt.ask("why slow?", persona="performance-engineer")
    assert [bool(r.get("tools")) for r in server.requests] == [True, True, False]
    assert result.answer.startswith("Enough tools")
    assert any("Tool-call budget (2 rounds)" in n for n in result.notices)
    assert [c.tool for c in result.tool_calls] == ["explain", "explain"]  # second one reused the first result


def test_prices_from_pyproject_and_env(tmp_path, monkeypatch):
    from agent.model import Price, Usage, load_prices

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.lmagent.prices]\n"model-a" = [1.0, 2.0]\n"model-b" = {input = 3, output = 4}\n')
    monkeypatch.setenv("LMAGENT_PRICES", "model-b=5/6, model-c=0.5/1")
    prices = load_prices(pyproject)
    assert prices == {"model-a": Price(1.0, 2.0), "model-b": Price(5.0, 6.0), "model-c": Price(0.5, 1.0)}
    assert prices["model-a"].cost(Usage(1_000_000, 500_000)) == pytest.approx(2.0)


def test_bad_prices_are_a_clear_input_error(monkeypatch, tmp_path):
    from agent.model import load_prices
    from tools.errors import InputError

    monkeypatch.setenv("LMAGENT_PRICES", "model-a=cheap")
    with pytest.raises(InputError, match="bad LMAGENT_PRICES"):
        load_prices(tmp_path / "missing.toml")


def test_thread_continues_after_a_failed_turn(server, team_dir, tmp_path):
    server.queue(error(500), error(500), error(500), reply("Back: the server answers again."))
    model = OpenAIChatModel(MODEL, api_key="k", base_url=server.base_url, max_retries=2, timeout=10)
    with Runtime(Registry.from_dir(team_dir), model, checkpoint=str(tmp_path / "t.sqlite")) as rt:
        with pytest.raises(LLMError):
            rt.ask("first try", thread_id="flaky", persona="performance-engineer")
        result = rt.ask("second try", thread_id="flaky")
        history = rt.history("flaky")
    assert result.answer == "Back: the server answers again."
    assert server.requests[-1]["messages"][-1] == {"role": "user", "content": "second try"}
    assert [m["content"] for m in history][-2:] == ["second try", "Back: the server answers again."]


def test_model_may_only_read_files_the_user_attached(server, team_dir, tmp_path):
    """A plan or diff that steers the model to open other files gets an error, never the file."""
    other = tmp_path / "other.txt"
    other.write_text("p95 123ms\nTOP-OTHER-LINE\n")
    attached = tmp_path / "samples.txt"
    attached.write_text("120 ms\n180 ms\n90 ms\n")
    server.queue(
        reply(tool_calls=[call("thresholds", {"paths": [str(other)], "persona_path": str(other)}, "c1"),
                          call("thresholds", {"paths": [str(attached)]}, "c2")]),
        reply("done"),
    )
    with _runtime(server, team_dir, auto_handoff=False) as rt:
        rt.ask(f"Check my latency samples (see also {other})", persona="performance-engineer",
               attachments=[str(attached)])
    refused, allowed = _tool_messages(server.requests[1])
    assert "may only read files the user attached" in refused["content"] and str(other) in refused["content"]
    assert "TOP-OTHER" not in json.dumps(server.requests[1])
    report = json.loads(allowed["content"])
    assert report["tool"] == "thresholds"
    assert str(attached) in server.requests[0]["messages"][0]["content"]  # the system prompt lists it


@pytest.mark.parametrize("amount", ["nan", "NaN", "inf", "1e400", "-1", "²", "", "9" * 5000])
def test_max_cost_must_be_an_amount(run_cli, amount):
    # 'nan' was accepted, and spent + next > nan is never true: the ceiling silently vanished.
    code, out, err = run_cli("ask", "--offline", "--db", "none", "--max-cost", amount, "hola")
    assert code == 2 and out == "" and "--max-cost: not an amount of US dollars" in err
    assert "Traceback" not in err


def test_max_cost_zero_is_an_amount(run_cli):
    code, _, err = run_cli("ask", "--offline", "--db", "none", "--max-cost", "0", "hola")
    assert code == 0, err
