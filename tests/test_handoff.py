"""agent/handoff.py: the transfer tool, the refusal rules and the packet, as pure functions (the graph
applies them; tests/test_runtime_openai.py and tests/test_runtime_offline.py run them end to end)."""

from __future__ import annotations

from pathlib import Path

from agent.handoff import TRANSFER_PREFIX, refusal, transfer_target, transfer_tool

ROOT = Path(__file__).resolve().parent.parent


def test_transfer_tool_and_target_round_trip():
    schema = transfer_tool("data-engineer", "Data Engineer", "index design")
    name = schema["function"]["name"]
    assert transfer_target(name) == "data-engineer" and transfer_target("explain") is None
    assert schema["function"]["parameters"]["required"] == ["reason"]


def test_refusal_rules():
    trail = [{"persona": "performance-engineer"}, {"persona": "data-engineer"}]
    kind, sentence = refusal(trail, 1, "performance-engineer", "Performance Engineer", 3, "en")
    assert kind == "ping_pong" and "performance-engineer → data-engineer → performance-engineer" in sentence
    assert refusal(trail, 3, "devops-engineer", "DevOps Engineer", 3, "en")[0] == "hop_limit"
    assert refusal(trail, 1, "devops-engineer", "DevOps Engineer", 3, "en") is None


def test_handoffs_live_in_one_module():
    """The transfer tools' name prefix is written once: no other module builds or parses it."""
    holders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "agent").rglob("*.py")
               if TRANSFER_PREFIX in p.read_text(encoding="utf-8")]
    assert holders == ["agent/handoff.py"]
