"""What every model speaks: a :class:`ModelRequest` in, a :class:`ModelResponse` out.

A request carries OpenAI-format messages and tool schemas plus the persona context the offline
composer needs; a response carries text, tool calls and token usage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class LLMError(Exception):
    """The model server could not answer (after retries); the message is for people."""


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text as the model sent it (may be malformed)


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class ModelRequest:
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    persona: Any = None  # agent.persona.Persona answering
    language: str = "en"
    user_text: str = ""  # the user's message for this turn
    reports: list[dict[str, Any]] = field(default_factory=list)  # this visit's tool results
    packet: dict[str, Any] | None = None  # handoff packet received, if any
    sections: list[Any] = field(default_factory=list)  # persona sections relevant to the message
    partners: list[Any] = field(default_factory=list)  # agent.registry.Partner
    attachments: list[str] = field(default_factory=list)  # files the user gave as paths: all a tool may read
    on_token: Callable[[str], None] | None = None


@dataclass
class ModelResponse:
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    masked: list[str] = field(default_factory=list)  # kinds of secrets masked before sending


class ChatModel(Protocol):
    model: str
    offline: bool

    def complete(self, request: ModelRequest) -> ModelResponse: ...
