"""A small local HTTP server for load tests: configurable latency and error rate, loopback only.

Errors are spread deterministically (request i fails when floor((i+1)*rate) > floor(i*rate)), so a
5 % server answers exactly 5 requests in 100 with HTTP 500 and a test can assert the rate.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Behaviour:
    latency_ms: float = 0.0
    error_rate: float = 0.0


@dataclass
class PeerState:
    default: Behaviour
    paths: dict[str, Behaviour] = field(default_factory=dict)
    requests: int = 0
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_is_error(self, rate: float) -> bool:
        with self.lock:
            i = self.requests
            self.requests += 1
            failed = int((i + 1) * rate) > int(i * rate)
            self.errors += failed
            return failed


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real service behind a load generator
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms delayed-ACK stall
    state: PeerState

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        behaviour = self.state.paths.get(self.path.split("?", 1)[0], self.state.default)
        if behaviour.latency_ms:
            time.sleep(behaviour.latency_ms / 1000)
        failed = self.state.next_is_error(behaviour.error_rate)
        body = b'{"error": "injected"}' if failed else b'{"ok": true}'
        self.send_response(500 if failed else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 - silence per-request logging
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:
        # A load generator that stops mid-request closes the socket; that is not a server bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(latency_ms: float = 0.0, error_rate: float = 0.0, paths: dict[str, Behaviour] | None = None):
    """Run the peer on 127.0.0.1:<free port>; yields (base_url, state)."""
    state = PeerState(Behaviour(latency_ms, error_rate), dict(paths or {}))
    handler = type("Handler", (_Handler,), {"state": state})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
