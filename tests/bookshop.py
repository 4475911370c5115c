"""Runs the traced bookshop (tests/otelapp.py) for the tests and the judgement bench: an OTLP/HTTP
receiver, the pricing service and the shop as real processes on 127.0.0.1, the shop optionally under a
profiler (`lmagent profile --`, `py-spy record ... --`), traffic to every endpoint, a clean stop.

    with Bookshop(tmp_path, dsn) as shop:      # traces go to tmp_path / "traces.jsonl"
        shop.drive(rounds=3)
    report = traces_tool(TracesInput(path=str(shop.traces)))
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

APP = str(Path(__file__).with_name("otelapp.py"))
HEALTHY = ("GET /books/<int:book_id>", "GET /authors/eager")
PLANTED = {  # endpoint (the Flask span name) -> what is wrong with it
    "GET /authors/lazy": "n_plus_one",
    "GET /quote/<int:book_id>": "sequential",
    "GET /report": "cpu",
}


def endpoint_paths(round_no: int) -> list[str]:
    book = round_no % 200 + 1
    return [f"/books/{book}", "/authors/eager", "/authors/lazy", f"/quote/{book}", "/report"]


class _Server:
    """A process that prints {"port": N} on ``port_stream`` ("stdout" or "stderr") and stops when stdin closes."""

    def __init__(self, argv: list[str], port_stream: str = "stdout", log: Path | None = None):
        self.log = log
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        found = threading.Event()
        self.port = None

        def pump(name: str, stream) -> None:
            for raw in stream:
                line = raw.decode("utf-8", "replace")
                self.lines[name].append(line)
                if name == port_stream and self.port is None and line.lstrip().startswith('{"port"'):
                    self.port = json.loads(line)["port"]
                    found.set()

        self.threads = [threading.Thread(target=pump, args=(n, getattr(self.proc, n)), daemon=True)
                        for n in ("stdout", "stderr")]
        for t in self.threads:
            t.start()
        deadline = time.monotonic() + 60
        while not found.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"{argv[:6]} did not start: {''.join(self.lines['stderr'])[-2000:]}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 120) -> int:
        self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        for t in self.threads:
            t.join(5)
        if self.log is not None:
            self.log.write_text("".join(self.lines["stdout"] + self.lines["stderr"]))
        return code


class Bookshop:
    """The shop, its pricing service and (with ``traced``) an OTLP receiver, in a schema of its own.

    ``prefix`` runs the shop under a profiler: ``[lmagent, "profile", "--json", "--"]`` (the port line then
    comes on stderr, where lmagent relays the program's output) or ``[py-spy, "record", ..., "--"]``.
    """

    def __init__(self, workdir: Path, dsn: str, *, traced: bool = True, prefix: list[str] | None = None,
                 port_stream: str = "stdout"):
        self.workdir = Path(workdir)
        self.dsn = dsn
        self.traced = traced
        self.prefix = prefix or []
        self.port_stream = port_stream
        self.traces = self.workdir / "traces.jsonl"
        self.schema = f"bookshop_{uuid.uuid4().hex[:10]}"
        self.receiver = None
        self.pricing = self.shop = None
        self.shop_exit: int | None = None

    def __enter__(self) -> Bookshop:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        try:
            otlp: list[str] = []
            if self.traced:
                from otlp_receiver import OtlpReceiver

                self.receiver = OtlpReceiver(self.traces)
                otlp = ["--otlp", self.receiver.url]
            self.pricing = _Server([sys.executable, APP, "pricing", *otlp])
            self.shop = _Server([*self.prefix, sys.executable, APP, "shop", "--dsn", self.dsn, "--schema", self.schema,
                                 "--pricing", self.pricing.base, "--setup", *otlp],
                                port_stream=self.port_stream, log=self.workdir / "shop.log")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.shop.base + path, timeout=60) as resp:
            return resp.read()

    def drive(self, rounds: int = 3) -> None:
        """Every endpoint once per round, one request at a time."""
        for n in range(rounds):
            for path in endpoint_paths(n):
                self.get(path)

    def stop_shop(self) -> None:
        if self.shop is not None and self.shop_exit is None:
            self.shop_exit = self.shop.stop()

    def __exit__(self, *exc) -> None:
        import psycopg

        try:
            self.stop_shop()
            if self.pricing is not None:
                self.pricing.stop()
            if self.receiver is not None:
                self.receiver.close()
        finally:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
