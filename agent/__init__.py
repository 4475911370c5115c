"""lmagent's agent package: personas, routing, the persona graph and the CLI.

Kept light on purpose: ``import agent`` imports nothing heavy. ``from agent import Runtime`` loads
LangGraph on first use, so ``lmagent route`` and the tool commands never pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.runtime import Runtime, TurnResult

__all__ = ["Runtime", "TurnResult"]


def __getattr__(name: str):
    if name in __all__:
        from agent import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
