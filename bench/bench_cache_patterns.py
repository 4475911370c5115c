"""Cache-pattern generator: generation time per pattern, and hit/miss latency of the generated
modules against the local Redis (compared with a bare GET on the same connection).

Keys use a unique prefix and are removed at the end. Set LMAGENT_TEST_REDIS to point elsewhere.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from tools.cache_patterns import PATTERN_NAMES, generate  # noqa: E402

REDIS_URL = os.environ.get("LMAGENT_TEST_REDIS", "redis://127.0.0.1:6379/0")
GENERATIONS = 50
OPS = 1000
READERS = {"cache-aside": "cache_aside", "stampede-lock": "stampede_lock",
           "stampede-xfetch": "xfetch", "negative-cache": "negative_cache"}


def load(pattern: str, use_async: bool, serializer: str, workdir: Path):
    name = f"bench_{pattern.replace('-', '_')}_{'async' if use_async else 'sync'}_{serializer}"
    path = workdir / f"{name}.py"
    path.write_text(generate(pattern, "user:{user_id}", 600, use_async, serializer))
    os.environ["REDIS_URL"] = REDIS_URL
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in microseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e6, ordered[int(len(ordered) * 0.99)] * 1e6


def generation_rows() -> list[str]:
    rows = []
    for pattern in PATTERN_NAMES:
        samples = []
        for i in range(GENERATIONS):
            start = time.perf_counter()
            code = generate(pattern, "user:{user_id}", 600, i % 2 == 1, "json")
            samples.append(time.perf_counter() - start)
        median, p99 = percentiles(samples)
        rows.append(f"| {pattern} | {code.count(chr(10))} | {median:.0f} µs | {p99:.0f} µs |")
    return rows


def sync_latency(pattern: str, serializer: str, prefix: str, workdir: Path) -> tuple[float, float, float, float]:
    module = load(pattern, False, serializer, workdir)
    value = {"id": 1, "name": "Ada Lovelace", "roles": ["admin", "author"], "score": 97.5}
    cached = getattr(module, READERS[pattern])(prefix + pattern + ":{user_id}", ttl=600)(lambda user_id: value)
    misses, hits = [], []
    for uid in range(OPS):
        start = time.perf_counter()
        cached(uid)
        misses.append(time.perf_counter() - start)
    for uid in range(OPS):
        start = time.perf_counter()
        cached(uid)
        hits.append(time.perf_counter() - start)
    module.redis_client.close()
    return (*percentiles(misses), *percentiles(hits))


def async_latency(pattern: str, prefix: str, workdir: Path) -> tuple[float, float, float, float]:
    module = load(pattern, True, "json", workdir)
    value = {"id": 1, "name": "Ada Lovelace", "roles": ["admin", "author"], "score": 97.5}

    async def source(user_id):
        return value

    cached = getattr(module, READERS[pattern])(prefix + "async-" + pattern + ":{user_id}", ttl=600)(source)

    async def measure() -> tuple[list[float], list[float]]:
        misses, hits = [], []
        for samples in (misses, hits):
            for uid in range(OPS):
                start = time.perf_counter()
                await cached(uid)
                samples.append(time.perf_counter() - start)
        await module.redis_client.aclose()
        return misses, hits

    misses, hits = asyncio.run(measure())
    return (*percentiles(misses), *percentiles(hits))


def bare_get(client: redis.Redis, prefix: str) -> tuple[float, float]:
    client.set(prefix + "bare", b"x" * 80)
    samples = []
    for _ in range(OPS):
        start = time.perf_counter()
        client.get(prefix + "bare")
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def main() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    prefix = f"bench_cp_{uuid.uuid4().hex[:8]}:"
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            get_median, get_p99 = bare_get(client, prefix)
            rows.append(f"| bare `GET` (redis-py, baseline) | | | {get_median:.0f} / {get_p99:.0f} µs |")
            for pattern in READERS:
                for serializer in ("json", "msgpack", "pickle") if pattern == "cache-aside" else ("json",):
                    m50, m99, h50, h99 = sync_latency(pattern, serializer, prefix + serializer + ":", workdir)
                    rows.append(f"| {pattern}, sync, {serializer} | {m50:.0f} / {m99:.0f} µs | "
                                f"{h50:.0f} / {h99:.0f} µs | |")
            for pattern in ("cache-aside", "stampede-xfetch"):
                m50, m99, h50, h99 = async_latency(pattern, prefix, workdir)
                rows.append(f"| {pattern}, async, json | {m50:.0f} / {m99:.0f} µs | {h50:.0f} / {h99:.0f} µs | |")
    finally:
        for pattern in (f"{prefix}*", f"{{{prefix}*"):
            keys = list(client.scan_iter(match=pattern, count=5000))
            for i in range(0, len(keys), 5000):
                client.unlink(*keys[i : i + 5000])
        client.close()

    print("<!-- bench_cache_patterns -->")
    print("## Cache-pattern generator: generation time and hit/miss latency against local Redis")
    print()
    print(f"Generation: `generate(pattern, 'user:{{user_id}}', 600)`, {GENERATIONS} runs per pattern "
          "(sync and async alternating, json).")
    print()
    print("| pattern | lines | median | p99 |")
    print("|---|---:|---:|---:|")
    print("\n".join(generation_rows()))
    print()
    print(f"Latency of a decorated function whose source returns a small dict at once, {OPS:,} distinct "
          f"keys: first call (miss: GET + source + SET) then second call (hit: GET + decode), against "
          f"`{REDIS_URL}` on loopback; median / p99.")
    print()
    print("| variant | miss | hit | GET |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print("Reproduce: `.venv/bin/python bench/bench_cache_patterns.py`")


if __name__ == "__main__":
    main()
