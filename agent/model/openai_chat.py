"""Any OpenAI-compatible chat.completions server, through the official openai client.

The openai package is imported only when an :class:`OpenAIChatModel` is built.
"""

from __future__ import annotations

import os
from typing import Any

from agent.model.protocol import LLMError, ModelRequest, ModelResponse, ToolCall, Usage
from tools.secrets import mask_and_list_secrets


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
