"""Which model answers: OpenAI-compatible when one is configured, else the offline composer.

Both implementations are imported only when built, so importing the factory costs nothing.
"""

from __future__ import annotations

import os

from agent.model.protocol import ChatModel


def llm_configured() -> bool:
    return bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))


def make_model(offline: bool | None = None) -> ChatModel:
    """OpenAI-compatible when OPENAI_API_KEY or OPENAI_BASE_URL is set (and not --offline), else offline."""
    if offline is None:
        offline = not llm_configured()
    if offline:
        from agent.model.offline import OfflineModel

        return OfflineModel()
    from agent.model.openai_chat import OpenAIChatModel

    return OpenAIChatModel()
