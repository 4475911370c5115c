"""The ChatModel protocol and its OpenAI-compatible implementation, plus the cost ledger's prices.

A model gets a :class:`ModelRequest` (OpenAI-format messages, OpenAI tool schemas, and the persona
context the offline composer needs) and returns a :class:`ModelResponse` (text, tool calls, token
usage). Two implementations: :class:`OpenAIChatModel` here (any OpenAI-compatible server) and
``agent.offline.OfflineModel`` (deterministic, no network). :func:`make_model` picks one from the
environment. The openai package is imported only when an OpenAI model is built.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tools.secrets import mask_and_list_secrets


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


CHARS_PER_TOKEN = 4  # the runtime's budget estimate; tokenizing every turn would cost more than the turn


def estimate_tokens(value: Any) -> int:
    """A cheap estimate (CHARS_PER_TOKEN characters a token) used for budgets, never for billing."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return len(text) // CHARS_PER_TOKEN + 1


# ---------------------------------------------------------------------------------------------
# Prices: USD per million tokens, per model. No built-in table: prices change, and a wrong number
# is worse than "unpriced". Set LMAGENT_PRICES or [tool.lmagent.prices] in pyproject.toml.


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, usage: Usage) -> float:
        return (usage.prompt_tokens * self.input_per_mtok + usage.completion_tokens * self.output_per_mtok) / 1e6


def _parse_price(value: Any) -> Price:
    if isinstance(value, dict):
        return Price(float(value["input"]), float(value["output"]))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return Price(float(value[0]), float(value[1]))
    if isinstance(value, str) and "/" in value:
        a, b = value.split("/", 1)
        return Price(float(a), float(b))
    raise ValueError(f"price must be [input, output], {{input, output}} or 'in/out', got {value!r}")


def load_prices(pyproject: Path | None = None) -> dict[str, Price]:
    """Prices from pyproject.toml ``[tool.lmagent.prices]``, overridden by LMAGENT_PRICES.

    LMAGENT_PRICES is JSON (``{"gpt-4o-mini": [0.15, 0.6]}``) or ``model=in/out,model=in/out``.
    """
    from tools.errors import InputError

    prices: dict[str, Price] = {}
    path = pyproject or Path.cwd() / "pyproject.toml"
    if path.is_file():
        import tomllib

        try:
            table = tomllib.loads(path.read_text()).get("tool", {}).get("lmagent", {}).get("prices", {})
            prices.update({m: _parse_price(v) for m, v in table.items()})
        except (tomllib.TOMLDecodeError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"bad [tool.lmagent.prices]: {exc}", str(path)) from None
    raw = os.environ.get("LMAGENT_PRICES", "").strip()
    if raw:
        try:
            if raw.startswith("{"):
                prices.update({m: _parse_price(v) for m, v in json.loads(raw).items()})
            else:
                for item in filter(None, (s.strip() for s in raw.split(","))):
                    model, value = item.split("=", 1)
                    prices[model.strip()] = _parse_price(value.strip())
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"bad LMAGENT_PRICES: {exc}", "LMAGENT_PRICES") from None
    return prices


# ---------------------------------------------------------------------------------------------


def llm_configured() -> bool:
    return bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))


def make_model(offline: bool | None = None) -> ChatModel:
    """OpenAI-compatible when OPENAI_API_KEY or OPENAI_BASE_URL is set (and not --offline), else offline."""
    if offline is None:
        offline = not llm_configured()
    if offline:
        from agent.offline import OfflineModel

        return OfflineModel()
    return OpenAIChatModel()


class OpenAIChatModel:
    """Any OpenAI-compatible chat.completions server, through the official client.

    Retries (429, 5xx, connection errors and timeouts) are the client's own loop with exponential
    backoff and ``Retry-After`` support: ``max_retries`` retries, so ``max_retries + 1`` attempts,
    then an :class:`LLMError` that says what failed and how often.
    """

    offline = False

    def __init__(self, model: str | None = None, *, api_key: str | None = None, base_url: str | None = None,
                 timeout: float | None = None, max_retries: int | None = None, stream: bool = True) -> None:
        import openai

        self.model = model or os.environ.get("LMAGENT_MODEL") or "gpt-4o-mini"
        self.max_retries = max_retries if max_retries is not None else int(os.environ.get("LMAGENT_MAX_RETRIES", "2"))
        self.stream = stream
        self.client = openai.OpenAI(
            # Local servers (Ollama, vLLM, llama.cpp) need no key, but the client insists on one.
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "unused",
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            timeout=timeout if timeout is not None else float(os.environ.get("LMAGENT_TIMEOUT", "60")),
            max_retries=self.max_retries,
        )

    def complete(self, request: ModelRequest) -> ModelResponse:
        import openai

        messages, masked = _masked_messages(request.messages)
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        if request.tools:
            kwargs["tools"] = request.tools
        attempts = self.max_retries + 1
        try:
            if self.stream:
                response = self._stream(kwargs, request.on_token)
            else:
                response = self._once(kwargs, request.on_token)
        except openai.APIStatusError as exc:
            raise LLMError(
                f"the model server at {self.client.base_url} answered HTTP {exc.status_code} "
                f"({_error_text(exc)}); gave up after {attempts} attempt(s)"
            ) from None
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise LLMError(
                f"cannot reach the model server at {self.client.base_url} ({exc.__class__.__name__}: {exc}); "
                f"gave up after {attempts} attempt(s)"
            ) from None
        except openai.OpenAIError as exc:
            raise LLMError(f"the model server failed: {exc}") from None
        response.masked = masked
        return response

    def _once(self, kwargs: dict[str, Any], on_token) -> ModelResponse:
        completion = self.client.chat.completions.create(**kwargs)
        choice = completion.choices[0].message if completion.choices else None
        content = (choice.content or "") if choice else ""
        if content and on_token:
            on_token(content)
        calls = [ToolCall(c.id or f"call_{i}", c.function.name, c.function.arguments or "")
                 for i, c in enumerate((choice.tool_calls or []) if choice else [])]
        usage = Usage(completion.usage.prompt_tokens, completion.usage.completion_tokens) if completion.usage else Usage()
        return ModelResponse(content, calls, usage, completion.model or self.model)

    def _stream(self, kwargs: dict[str, Any], on_token) -> ModelResponse:
        try:  # the openai client moved to httpx2; older releases use httpx
            import httpx2 as http
        except ImportError:
            import httpx as http

        stream = self.client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True})
        parts: list[str] = []
        calls: dict[int, dict[str, str]] = {}  # tool_calls arrive as deltas keyed by index
        usage = Usage()
        model = self.model
        try:
            for chunk in stream:
                model = chunk.model or model
                if chunk.usage:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        parts.append(delta.content)
                        if on_token:
                            on_token(delta.content)
                    for tc in delta.tool_calls or []:
                        slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                        if tc.id:
                            slot["id"] = tc.id
                        if tc.function and tc.function.name:
                            slot["name"] += tc.function.name
                        if tc.function and tc.function.arguments:
                            slot["arguments"] += tc.function.arguments
        except http.HTTPError as exc:
            raise LLMError(f"the model server's stream broke off: {exc.__class__.__name__}: {exc}") from None
        finally:
            stream.close()
        tool_calls = [ToolCall(c["id"] or f"call_{i}", c["name"], c["arguments"]) for i, c in sorted(calls.items())]
        return ModelResponse("".join(parts), tool_calls, usage, model)


def _masked_messages(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Copies of the messages with secrets masked in every text the server would see."""
    found: list[str] = []
    out = []
    for m in messages:
        m = {k: v for k, v in m.items() if k != "name"}  # some compatible servers reject `name`
        if isinstance(m.get("content"), str):
            m["content"], kinds = mask_and_list_secrets(m["content"])
            found += kinds
        if m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                args, kinds = mask_and_list_secrets(c["function"]["arguments"])
                found += kinds
                calls.append({**c, "function": {**c["function"], "arguments": args}})
            m["tool_calls"] = calls
        out.append(m)
    return out, found


def _error_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return getattr(exc, "message", None) or str(exc)
