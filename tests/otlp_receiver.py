"""An OTLP/HTTP traces receiver on 127.0.0.1 that writes what it receives the way the OpenTelemetry
Collector's file exporter does: one ExportTraceServiceRequest per line, OTLP JSON with hex ids.

The SDK's OTLP/HTTP exporter posts protobuf (optionally gzip'd) to /v1/traces; each request is decoded
with the OTLP protobuf classes and appended as one JSON line.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _hex_ids(value):
    """protobuf's JSON mapping writes bytes as base64; OTLP JSON (and the collector) writes ids in hex."""
    if isinstance(value, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str)
                    else _hex_ids(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_hex_ids(v) for v in value]
    return value


class OtlpReceiver:
    def __init__(self, out: Path):
        from google.protobuf.json_format import MessageToDict
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        self.out = out
        self.requests = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest.FromString(body)
                line = json.dumps(_hex_ids(MessageToDict(request)), separators=(",", ":"))
                with lock, open(receiver.out, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
                    receiver.requests += 1
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
