"""Benchmark: analysis time and peak memory of `lmagent traces` and `lmagent profile` on big inputs.

Inputs are generated into bench/out/ (gitignored) and reused when present:
- a 200 MB OTLP JSON file in the collector file exporter's shape (one ExportTraceServiceRequest per
  line, hex ids; each trace split across two lines, as batching does), and its first 50 MB;
- a 50 MB single OTLP JSON document (parsed incrementally with ijson);
- a pstats dump (marshal, as cProfile writes it) of 100,000 functions.

Each analysis runs in its own subprocess, so its peak RSS (ru_maxrss) is its own.
Usage: .venv/bin/python bench/bench_profile_traces.py
"""

from __future__ import annotations

import json
import marshal
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MB = 1024 * 1024
COMMAND = ".venv/bin/python bench/bench_profile_traces.py"


def _attr(key, value):
    return {"key": key, "value": {"stringValue": value}}


def _span(rng, trace_id, span_id, parent, name, kind, start, length, attributes=()):
    doc = {"traceId": trace_id, "spanId": f"{span_id:016x}", "name": name, "kind": kind,
           "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + length),
           "attributes": list(attributes), "status": {}}
    if parent:
        doc["parentSpanId"] = f"{parent:016x}"
    if rng.random() < 0.002:
        doc["status"] = {"code": 2, "message": "upstream timeout"}
    return doc


def _trace(rng, n):
    """One request: a server span, an order query, 0-15 N+1 item queries, a sequential fan-out."""
    trace_id = f"{rng.getrandbits(128):032x}"
    t0 = 1_700_000_000_000_000_000 + n * 50_000_000
    sid = rng.getrandbits(48) << 8
    order = rng.randrange(1, 1_000_000)
    spans = []
    cursor = t0 + 200_000
    children = []
    children.append(("SELECT orders", 3, [_attr("db.system", "postgresql"),
                     _attr("db.statement", f"SELECT id, customer, total FROM orders WHERE id = {order}")],
                     rng.randrange(300_000, 2_000_000)))
    for line in range(rng.randrange(0, 16)):
        children.append(("SELECT order_items", 3, [_attr("db.system", "postgresql"), _attr(
            "db.statement", f"SELECT sku, qty, price FROM order_items WHERE order_id = {order} AND line_no = {line}")],
            rng.randrange(150_000, 900_000)))
    for service in ("inventory", "pricing", "shipping"):
        children.append((f"GET {service}", 3, [_attr("http.request.method", "GET"), _attr(
            "url.full", f"http://{service}.internal:8080/v1/{service}/{order}"), _attr("server.address",
                                                                                  f"{service}.internal")],
            rng.randrange(2_000_000, 30_000_000)))
    children.append(("serialize response", 1, [], rng.randrange(100_000, 3_000_000)))
    for i, (name, kind, attrs, length) in enumerate(children, start=2):
        spans.append(_span(rng, trace_id, sid + i, sid + 1, name, kind, cursor, length, attrs))
        cursor += length + rng.randrange(20_000, 200_000)
    root = _span(rng, trace_id, sid + 1, None, "GET /api/orders/{id}", 2, t0, cursor - t0 + 100_000,
                 [_attr("http.request.method", "GET"), _attr("http.route", "/api/orders/{id}")])
    return [root, *spans]


def _request(spans, service="shop-api"):
    return {"resourceSpans": [{"resource": {"attributes": [_attr("service.name", service)]},
                               "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans}]}]}


def write_otlp_lines(path: Path, size: int) -> None:
    """Collector file exporter: one request per line; each trace split over two consecutive lines."""
    rng = random.Random(42)
    tmp = path.with_suffix(".tmp")
    written = 0
    carry: list = []
    n = 0
    with open(tmp, "w") as fh:
        while written < size:
            spans = _trace(rng, n)
            n += 1
            half = len(spans) // 2
            line = json.dumps(_request(carry + spans[:half]), separators=(",", ":")) + "\n"
            carry = spans[half:]
            fh.write(line)
            written += len(line)
        fh.write(json.dumps(_request(carry), separators=(",", ":")) + "\n")
    tmp.rename(path)


def write_otlp_document(path: Path, size: int) -> None:
    """One pretty-printed otlp/json document, built from the same traces, without holding it all."""
    rng = random.Random(7)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        fh.write('{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": '
                 '{"stringValue": "shop-api"}}]}, "scopeSpans": [{"scope": {"name": "bench"}, "spans": [\n')
        written, n = 0, 0
        while written < size:
            chunk = ",\n".join(json.dumps(s, indent=1) for s in _trace(rng, n))
            fh.write(("" if n == 0 else ",\n") + chunk)
            written += len(chunk)
            n += 1
        fh.write("\n]}]}]}\n")
    tmp.rename(path)


def write_pstats(path: Path, functions: int) -> None:
    """A cProfile-shaped stats table: each function called from one to three earlier functions."""
    rng = random.Random(3)
    stats: dict = {}
    keys = [(f"/srv/app/pkg{i // 1000}/mod{i // 50}.py", 10 + i % 50 * 7, f"func_{i}") for i in range(functions)]
    for i, key in enumerate(keys):
        callers = {}
        if i:
            for c in {rng.randrange(max(0, i - 500), i) for _ in range(rng.randrange(1, 4))}:
                calls = rng.randrange(1, 2000)
                tt = calls * rng.uniform(1e-7, 1e-5)
                callers[keys[c]] = (calls, calls, tt, tt * rng.uniform(1, 3))
        nc = sum(v[0] for v in callers.values()) or 1
        tt = sum(v[2] for v in callers.values()) or 1e-3
        ct = sum(v[3] for v in callers.values()) or 10.0
        stats[key] = (nc, nc, tt, ct, callers)
    path.write_bytes(marshal.dumps(stats))


def measure(kind: str, path: str) -> None:
    """Child process: analyze one input and print time, peak RSS and counts as JSON."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if kind == "traces":
        from tools.traces import TracesInput, traces_tool

        report = traces_tool(TracesInput(path=path))
        counts = {"traces": report.data.traces, "spans": report.data.spans}
    else:
        from tools.profile import ProfileInput, profile_tool

        report = profile_tool(ProfileInput(path=path))
        counts = {"functions": report.data.functions}
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_at_start
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "rss_mb": usage.ru_maxrss / 1024,
                      "findings": len(report.findings), **counts}))


def _run(kind: str, path: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--measure", kind, str(path)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def _ensure(path: Path, make, *args) -> Path:
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        make(path, *args)
    return path


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = _ensure(OUT / "otlp_200mb.jsonl", write_otlp_lines, 200 * MB)
    quarter = OUT / "otlp_50mb.jsonl"
    if not quarter.exists():
        with open(big, "rb") as src, open(quarter, "wb") as dst:
            for line in src:
                dst.write(line)
                if dst.tell() >= 50 * MB:
                    break
    document = _ensure(OUT / "otlp_50mb_document.json", write_otlp_document, 50 * MB)
    pstats = _ensure(OUT / "pstats_100k.prof", write_pstats, 100_000)
    rows = []
    for label, kind, path in [
        ("OTLP, collector file exporter (line per request)", "traces", big),
        ("same, first 50 MB", "traces", quarter),
        ("OTLP, one JSON document (ijson, incremental)", "traces", document),
        ("cProfile pstats dump, 100,000 functions", "profile", pstats),
    ]:
        print(f"analyzing {path.name} ...", file=sys.stderr, flush=True)
        result = _run(kind, path)
        size = os.path.getsize(path) / MB
        units = (f"{result['traces']:,} traces / {result['spans']:,} spans" if kind == "traces"
                 else f"{result['functions']:,} functions")
        rows.append(f"| {label} | {size:,.0f} MB | {units} | {result['cpu']:.1f} s | {result['seconds']:.1f} s | "
                    f"{size / result['cpu']:.1f} MB/s | {result['rss_mb']:,.0f} MB | {result['findings']} |")
    print("<!-- bench_profile_traces -->")
    print("## Profiles and traces: big inputs\n")
    print("Analysis time and peak RSS of the whole analyzing process (Python, imports and all), each input in its "
          "own process. CPU time is the number to compare (wall time grows when other jobs share the 2 cores); "
          "throughput is per CPU second. Traces are streamed: the 200 MB file needs no more memory than its "
          "first 50 MB.\n")
    print("| input | size | content | CPU time | wall time | throughput | peak RSS | findings |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"\nReproduce: `{COMMAND}` (inputs are generated into bench/out/ on the first run).\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        sys.path.insert(0, str(ROOT))
        measure(sys.argv[2], sys.argv[3])
    else:
        main()
