"""A scripted OpenAI-compatible chat.completions server: real sockets, real SSE, for tests and benchmarks.

Each test queues what the "model" says next; the real openai client talks to it over HTTP.

    with ScriptedOpenAI() as server:
        server.queue(reply("hello"))
        server.queue(reply(tool_calls=[call("explain", {"plan": "..."})]))
        server.queue(error(429), reply("after the retry"))
        server.base_url  # -> http://127.0.0.1:PORT/v1

Streaming requests get ``chat.completion.chunk`` events: a role chunk, the content in pieces,
tool-call deltas (id and name first, then the arguments in two halves), a finish chunk and, when
``stream_options.include_usage`` is set, a usage chunk with empty choices. Every request body is
kept in ``server.requests``. An empty queue answers 500 so a missing script fails loudly.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def call(name: str, arguments: dict | str, call_id: str | None = None) -> dict[str, Any]:
    """A tool call the scripted model makes; ``arguments`` as a str is sent verbatim (may be malformed)."""
    return {"id": call_id, "name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}


def reply(content: str = "", tool_calls: list[dict] | None = None, prompt_tokens: int = 100,
          completion_tokens: int = 20) -> dict[str, Any]:
    return {"kind": "reply", "content": content, "tool_calls": tool_calls or [],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def error(status: int, message: str = "scripted failure") -> dict[str, Any]:
    return {"kind": "error", "status": status, "message": message}


def stall(seconds: float) -> dict[str, Any]:
    """Accept the request and say nothing for ``seconds`` (a model that hangs mid-turn)."""
    return {"kind": "stall", "seconds": seconds}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up (a killed process, a closed keep-alive) is normal here, not news."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ScriptedOpenAI:
    def __init__(self, echo: bool = False) -> None:
        self.script: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.echo = echo  # with an empty script, reply "ok" instead of failing (benchmarks)
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def queue(self, *items: dict[str, Any]) -> None:
        with self._lock:
            self.script.extend(items)

    def start(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            if self.script:
                return self.script.popleft()
        return reply("ok", prompt_tokens=10, completion_tokens=1) if self.echo else error(500, "script is empty")

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body are separate writes: without NODELAY, Nagle + delayed ACK add 40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    return self._json(404, {"error": {"message": f"no route {self.path}"}})
                item = server._next(body)
                if item["kind"] == "stall":
                    time.sleep(item["seconds"])
                    return self._json(500, {"error": {"message": "stalled"}})
                if item["kind"] == "error":
                    return self._json(item["status"], {"error": {"message": item["message"], "type": "scripted"}},
                                      {"retry-after-ms": "1"})
                if body.get("stream"):
                    return self._stream(body, item)
                return self._json(200, _completion(body, item))

            def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, item: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for chunk in _chunks(body, item):
                    self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


def _calls(item: dict) -> list[dict]:
    return [{"id": c["id"] or f"call_{i}", "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]}} for i, c in enumerate(item["tool_calls"])]


def _completion(body: dict, item: dict) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": item["content"] or None}
    if item["tool_calls"]:
        message["tool_calls"] = _calls(item)
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if item["tool_calls"] else "stop"}],
            "usage": item["usage"]}


def _chunks(body: dict, item: dict):
    base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "scripted")}

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    text = item["content"]
    for i in range(0, len(text), 7):
        yield chunk({"content": text[i:i + 7]})
    for index, c in enumerate(_calls(item)):
        args = c["function"]["arguments"]
        half = len(args) // 2
        yield chunk({"tool_calls": [{"index": index, "id": c["id"], "type": "function",
                                     "function": {"name": c["function"]["name"], "arguments": args[:half]}}]})
        yield chunk({"tool_calls": [{"index": index, "function": {"arguments": args[half:]}}]})
    yield chunk({}, "tool_calls" if item["tool_calls"] else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": item["usage"]}
