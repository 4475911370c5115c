"""Generated cache modules, imported and exercised against the real Redis server.

Every pattern runs in both flavours (redis-py with threads, redis.asyncio with one event loop per
test) and every serializer. Keys carry a unique prefix per test and are removed afterwards; the
"Redis stops" tests start their own throw-away redis-server and kill it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import logging
import random
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest
import redis

from tools.cache_patterns import PATTERN_NAMES, SERIALIZERS, generate

pytestmark = pytest.mark.redis

MODES = ("sync", "async")
# The decorator each pattern's module reads through the cache with.
READER = {
    "cache-aside": "cache_aside",
    "write-through": "cache_aside",
    "write-behind": "cache_aside",
    "invalidation": "cache_aside",
    "stampede-lock": "stampede_lock",
    "stampede-xfetch": "xfetch",
    "negative-cache": "negative_cache",
}
TTL = 60


class Harness:
    """One generated module plus a way to call its (sync or async) functions from a test."""

    def __init__(self, module, mode: str) -> None:
        self.mod = module
        self.is_async = mode == "async"
        self._runner = asyncio.Runner() if self.is_async else None

    def call(self, func, *args, **kwargs):
        if self.is_async:
            return self._runner.run(func(*args, **kwargs))
        return func(*args, **kwargs)

    def concurrently(self, func, n: int, *args):
        """n callers at once: threads released by a barrier, or asyncio.gather on one loop."""
        if self.is_async:
            async def all_callers():
                return await asyncio.gather(*(func(*args) for _ in range(n)))

            return self._runner.run(all_callers())
        barrier = threading.Barrier(n)

        def caller():
            barrier.wait()
            return func(*args)

        with concurrent.futures.ThreadPoolExecutor(n) as pool:
            return [f.result() for f in [pool.submit(caller) for _ in range(n)]]

    def source(self, compute, delay: float = 0.0, params: str = "user_id"):
        """A loader (sync or async as the module expects) recording each call's arguments."""
        calls: list = []
        if params == "user_id":
            if self.is_async:
                async def load(user_id):
                    calls.append(user_id)
                    await asyncio.sleep(delay)
                    return compute(user_id)
            else:
                def load(user_id):
                    calls.append(user_id)
                    time.sleep(delay)
                    return compute(user_id)
        else:  # a writer: (user_id, value)
            if self.is_async:
                async def load(user_id, value):
                    calls.append((user_id, value))
                    await asyncio.sleep(delay)
                    return compute(user_id, value)
            else:
                def load(user_id, value):
                    calls.append((user_id, value))
                    time.sleep(delay)
                    return compute(user_id, value)
        return load, calls

    def close(self) -> None:
        if self.is_async:
            self._runner.run(self.mod.redis_client.aclose())
            self._runner.close()
        else:
            self.mod.redis_client.close()


@pytest.fixture
def prefix(redis_url):
    """A unique key prefix; every key under it (and its {prefix...}:lock keys) is removed after."""
    value = f"t_cp_{uuid.uuid4().hex[:10]}:"
    yield value
    client = redis.Redis.from_url(redis_url)
    for pattern in (f"{value}*", f"{{{value}*"):
        batch = list(client.scan_iter(match=pattern, count=5000))
        for i in range(0, len(batch), 5000):
            client.unlink(*batch[i : i + 5000])
    client.close()


@pytest.fixture
def raw(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def build(tmp_path, monkeypatch, redis_url):
    """build(pattern, mode, serializer, url=...) -> Harness over a freshly generated, imported module."""
    harnesses: list[Harness] = []

    def _build(pattern: str, mode: str, serializer: str = "json", url: str | None = None) -> Harness:
        code = generate(pattern, "user:{user_id}", TTL, mode == "async", serializer)
        name = f"gen_{pattern.replace('-', '_')}_{mode}_{serializer}_{uuid.uuid4().hex[:8]}"
        path = tmp_path / f"{name}.py"
        path.write_text(code)
        monkeypatch.setenv("REDIS_URL", url or redis_url)  # the module reads it at import
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        harness = Harness(module, mode)
        harnesses.append(harness)
        return harness

    yield _build
    for harness in harnesses:
        harness.close()


@pytest.fixture
def throwaway_redis():
    """A private redis-server on a free loopback port, killed by the test (or at teardown)."""
    server = shutil.which("redis-server")
    if server is None:  # pragma: no cover - environment problem
        pytest.fail("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.025)
    else:  # pragma: no cover - environment problem
        proc.kill()
        pytest.fail("the throw-away redis-server did not start")
    client.close()
    yield url, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _reader(h: Harness, pattern: str, prefix: str, compute, **options):
    load, calls = h.source(compute)
    decorator = getattr(h.mod, READER[pattern])
    return decorator(prefix + "user:{user_id}", ttl=TTL, **options)(load), calls


ALL = [(p, m, s) for p in PATTERN_NAMES for m in MODES for s in SERIALIZERS]


@pytest.mark.parametrize(("pattern", "mode", "serializer"), ALL)
def test_miss_then_hit_and_falsy_values_are_hits(build, prefix, pattern, mode, serializer):
    h = build(pattern, mode, serializer)
    values = {1: None, 2: 0, 3: "", 4: [], 5: {"name": "Ada", "tags": ["x", "y"], "score": 2.5}}
    get_user, calls = _reader(h, pattern, prefix, values.__getitem__)
    first = [h.call(get_user, uid) for uid in values]
    second = [h.call(get_user, uid) for uid in values]
    assert first == second == list(values.values())
    assert calls == list(values)  # each key loaded once: the second round was all hits


@pytest.mark.parametrize(("pattern", "mode"), [(p, m) for p in PATTERN_NAMES for m in MODES])
def test_ttl_is_set_within_the_jitter_band(build, prefix, raw, pattern, mode):
    h = build(pattern, mode)
    get_user, _ = _reader(h, pattern, prefix, lambda uid: {"id": uid})
    for uid in range(20):
        h.call(get_user, uid)
    pttls = [raw.pttl(f"{prefix}user:{uid}") for uid in range(20)]
    jitter = h.mod.TTL_JITTER
    low, high = TTL * 1000 * (1 - jitter), TTL * 1000 * (1 + jitter)
    assert all(low - 5000 <= t <= high for t in pttls), pttls
    assert max(pttls) - min(pttls) > 100  # jittered: not one expiry for keys written together


@pytest.mark.parametrize("mode", MODES)
def test_negative_cache_keeps_absent_results_for_the_shorter_ttl(build, prefix, raw, mode):
    h = build("negative-cache", mode)
    get_user, calls = _reader(h, "negative-cache", prefix, lambda uid: None if uid < 0 else {"id": uid})
    assert h.call(get_user, -1) is None and h.call(get_user, -1) is None
    assert h.call(get_user, 7) == {"id": 7}
    assert calls == [-1, 7]
    negative = h.mod.DEFAULT_NEGATIVE_TTL * 1000 * (1 + h.mod.TTL_JITTER)
    assert 0 < raw.pttl(f"{prefix}user:-1") <= negative < raw.pttl(f"{prefix}user:7")


@pytest.mark.parametrize("mode", MODES)
def test_key_template_binds_parameters_with_defaults(build, prefix, raw, mode):
    h = build("cache-aside", mode)
    calls = []
    if h.is_async:
        async def translate(word, lang="es"):
            calls.append((word, lang))
            return f"{word}/{lang}"
    else:
        def translate(word, lang="es"):
            calls.append((word, lang))
            return f"{word}/{lang}"
    cached = h.mod.cache_aside(prefix + "tr:{lang}:{word}", ttl=TTL)(translate)
    assert h.call(cached, "hola") == h.call(cached, word="hola", lang="es") == "hola/es"
    assert h.call(cached, "hola", "en") == "hola/en"
    assert calls == [("hola", "es"), ("hola", "en")]
    assert raw.exists(f"{prefix}tr:es:hola", f"{prefix}tr:en:hola") == 2


@pytest.mark.parametrize("mode", MODES)
def test_decorating_rejects_unknown_fields_and_the_wrong_function_kind(build, mode):
    h = build("cache-aside", mode)
    load, _ = h.source(str)
    with pytest.raises(ValueError, match="tenant"):
        h.mod.cache_aside("user:{tenant}:{user_id}")(load)

    def plain(user_id):
        return user_id

    async def coroutine(user_id):
        return user_id

    with pytest.raises(TypeError):
        h.mod.cache_aside("user:{user_id}")(plain if h.is_async else coroutine)


@pytest.mark.parametrize(("mode", "serializer"), [(m, s) for m in MODES for s in SERIALIZERS])
def test_unserializable_values_and_corrupt_entries_fall_back_to_the_source(
    build, prefix, raw, caplog, mode, serializer
):
    h = build("cache-aside", mode, serializer)
    get_user, calls = _reader(h, "cache-aside", prefix, lambda uid: threading.Lock() if uid == 1 else uid)
    with caplog.at_level(logging.WARNING):
        results = [h.call(get_user, 1) for _ in range(2)]
    assert all(hasattr(r, "acquire") for r in results)
    assert calls == [1, 1] and not raw.exists(f"{prefix}user:1")
    assert "cannot serialize" in caplog.text

    raw.set(f"{prefix}user:2", b"\x00not an entry")
    with caplog.at_level(logging.WARNING):
        assert h.call(get_user, 2) == 2
    assert "treated as a miss" in caplog.text
    assert h.call(get_user, 2) == 2 and calls == [1, 1, 2]  # the corrupt entry was replaced


@pytest.mark.parametrize("mode", MODES)
def test_stampede_lock_calls_the_source_once_for_50_concurrent_callers(build, prefix, mode):
    h = build("stampede-lock", mode)
    load, calls = h.source(lambda uid: {"id": uid, "n": random.random()}, delay=0.2)
    get_user = h.mod.stampede_lock(prefix + "user:{user_id}", ttl=TTL)(load)
    results = h.concurrently(get_user, 50, 42)
    assert calls == [42]
    assert len(results) == 50 and all(r == results[0] for r in results)


@pytest.mark.parametrize("mode", MODES)
def test_xfetch_cold_key_under_50_callers_loads_once(build, prefix, mode):
    h = build("stampede-xfetch", mode)
    load, calls = h.source(lambda uid: {"id": uid, "n": random.random()}, delay=0.2)
    get_user = h.mod.xfetch(prefix + "user:{user_id}", ttl=TTL)(load)
    results = h.concurrently(get_user, 50, 42)
    assert calls == [42]
    assert all(r == results[0] for r in results)


@pytest.mark.parametrize("mode", MODES)
def test_xfetch_early_refresh_is_done_by_few_callers_while_others_get_the_entry(build, prefix, mode):
    h = build("stampede-xfetch", mode)
    versions = iter(range(1, 1000))
    load, calls = h.source(lambda uid: next(versions), delay=0.1)
    # beta huge: every caller decides to refresh early; beta 0: none ever does.
    eager = h.mod.xfetch(prefix + "user:{user_id}", ttl=TTL, beta=1e9)(load)
    lazy = h.mod.xfetch(prefix + "user:{user_id}", ttl=TTL, beta=0.0)(load)
    assert h.call(eager, 1) == 1
    results = h.concurrently(eager, 50, 1)
    refreshes = len(calls) - 1
    assert 1 <= refreshes <= 5  # bounded: the refresh lock lets one caller through at a time
    assert set(results) <= set(range(1, refreshes + 2))
    before = len(calls)
    h.concurrently(lazy, 50, 1)
    assert len(calls) == before


def test_should_refresh_early_follows_the_xfetch_distribution(build):
    """P(refresh) = exp(-(expiry - now) / (delta * beta)) for the rule now - delta*beta*ln(U) >= expiry."""
    import math

    h = build("stampede-xfetch", "sync")
    random.seed(20150701)
    for beta in (0.5, 1.0, 2.0):
        trials = 20000
        hits = sum(h.mod.should_refresh_early(1.0, 101.0, beta, now=100.0) for _ in range(trials))
        assert abs(hits / trials - math.exp(-1.0 / beta)) < 0.02
    assert h.mod.should_refresh_early(0.5, 100.0, now=100.0)  # at expiry: always
    assert not h.mod.should_refresh_early(0.0, 100.5, now=100.0)  # delta 0: never early


@pytest.mark.parametrize("mode", MODES)
def test_lock_is_renewed_while_a_slow_source_runs(build, prefix, mode):
    h = build("stampede-lock", mode)
    load, calls = h.source(lambda uid: uid, delay=1.0)
    get_user = h.mod.stampede_lock(prefix + "user:{user_id}", ttl=TTL, lock_timeout=0.3, wait_timeout=10)(load)
    results = h.concurrently(get_user, 5, 3)
    assert results == [3] * 5
    assert calls == [3]  # without renewal the lock expires after 0.3 s and a waiter loads again


@pytest.mark.parametrize("mode", MODES)
def test_a_holder_that_lost_its_lock_neither_caches_nor_releases(build, prefix, raw, caplog, mode):
    h = build("stampede-lock", mode)
    key = f"{prefix}user:5"
    lock_key = "{" + key + "}:lock"

    def steal(uid):  # another caller took over the lock while this one was loading
        raw.set(lock_key, "someone-else")
        return uid

    load, _ = h.source(steal)
    get_user = h.mod.stampede_lock(prefix + "user:{user_id}", ttl=TTL)(load)
    with caplog.at_level(logging.WARNING):
        assert h.call(get_user, 5) == 5
    assert raw.get(key) is None  # fenced: the stale holder did not write
    assert raw.get(lock_key) == b"someone-else"  # compare-and-delete left the new holder's lock
    assert "result not cached" in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_write_through_replaces_the_entry_readers_use(build, prefix, mode):
    h = build("write-through", mode)
    get_user, reads = _reader(h, "write-through", prefix, lambda uid: {"id": uid, "v": 1})
    save, writes = h.source(lambda uid, value: {"id": uid, **value}, params="writer")
    save_user = h.mod.write_through(prefix + "user:{user_id}", ttl=TTL)(save)
    assert h.call(get_user, 1) == {"id": 1, "v": 1}
    assert h.call(save_user, 1, {"v": 2}) == {"id": 1, "v": 2}
    assert h.call(get_user, 1) == {"id": 1, "v": 2}
    assert reads == [1] and writes == [(1, {"v": 2})]


@pytest.mark.parametrize("mode", MODES)
def test_write_through_does_not_cache_a_failed_write(build, prefix, mode):
    h = build("write-through", mode)
    get_user, _ = _reader(h, "write-through", prefix, lambda uid: "old")

    def reject(uid, value):
        raise RuntimeError("constraint violated")

    save, _ = h.source(reject, params="writer")
    save_user = h.mod.write_through(prefix + "user:{user_id}", ttl=TTL)(save)
    assert h.call(get_user, 1) == "old"
    with pytest.raises(RuntimeError):
        h.call(save_user, 1, "new")
    assert h.call(get_user, 1) == "old"


@pytest.mark.parametrize("mode", MODES)
def test_write_behind_caches_now_and_writes_the_latest_value_per_key_later(build, prefix, mode):
    h = build("write-behind", mode)
    get_user, reads = _reader(h, "write-behind", prefix, lambda uid: "from source")
    save, writes = h.source(lambda uid, value: None, params="writer")
    save_user = h.mod.write_behind(prefix + "user:{user_id}", ttl=TTL)(save)
    for uid, value in [(1, "a"), (1, "b"), (2, "c")]:
        assert h.call(save_user, uid, value) is None
    assert writes == []  # not yet: the background flush runs every second
    assert h.call(get_user, 1) == "b" and h.call(get_user, 2) == "c" and reads == []
    assert h.call(h.mod.flush) == 2
    assert sorted(writes) == [(1, "b"), (2, "c")]  # coalesced: "a" never reached the source


@pytest.mark.parametrize("mode", MODES)
def test_write_behind_gives_up_on_a_failing_source_and_drops_the_entry(build, prefix, raw, caplog, mode):
    h = build("write-behind", mode)

    def fail(uid, value):
        raise ConnectionError("database down")

    save, writes = h.source(fail, params="writer")
    save_user = h.mod.write_behind(prefix + "user:{user_id}", ttl=TTL)(save)
    h.call(save_user, 9, "lost")
    assert raw.exists(f"{prefix}user:9")
    with caplog.at_level(logging.WARNING):
        assert h.call(h.mod.flush) == 0
    assert len(writes) == h.mod.WRITE_BEHIND_RETRIES
    assert not raw.exists(f"{prefix}user:9")  # readers now see what the source holds
    assert "change lost" in caplog.text


def _cmdstat(client: redis.Redis, command: str) -> int:
    return client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_invalidate_prefix_removes_exactly_the_matching_keys_among_100k_without_keys(
    build, prefix, raw, mode
):
    h = build("invalidation", mode)
    others = [f"{prefix}other:{i}" for i in range(100_000)]
    pipe = raw.pipeline(transaction=False)
    for i in range(0, len(others), 10_000):
        pipe.mset(dict.fromkeys(others[i : i + 10_000], b"x"))
    near_misses = [f"{prefix}users:1", f"{prefix}user", f"{prefix}a*b:1", f"{prefix}aXb:1"]
    pipe.mset(dict.fromkeys(near_misses, b"x"))
    pipe.execute()
    get_user, _ = _reader(h, "invalidation", prefix, lambda uid: uid)
    for uid in range(300):
        h.call(get_user, uid)

    keys_before, scans_before = _cmdstat(raw, "keys"), _cmdstat(raw, "scan")
    removed = h.call(h.mod.invalidate_prefix, f"{prefix}user:", batch_size=1000)
    assert removed == 300
    assert _cmdstat(raw, "keys") == keys_before  # never KEYS
    assert _cmdstat(raw, "scan") > scans_before
    assert raw.exists(*[f"{prefix}user:{uid}" for uid in range(300)]) == 0
    assert raw.exists(*near_misses) == len(near_misses)
    assert raw.exists(*random.sample(others, 2000)) == 2000
    assert sum(1 for _ in raw.scan_iter(match=f"{prefix}other:*", count=10_000)) == 100_000

    # Glob characters in the prefix are literal: "a*b:" must not match "aXb:".
    assert h.call(h.mod.invalidate_prefix, f"{prefix}a*b:") == 1
    assert raw.exists(f"{prefix}aXb:1") == 1


@pytest.mark.parametrize("mode", MODES)
def test_invalidate_and_invalidates(build, prefix, mode):
    h = build("invalidation", mode)
    versions = iter(range(1, 100))
    get_user, reads = _reader(h, "invalidation", prefix, lambda uid: next(versions))
    update, _ = h.source(lambda uid, value: value, params="writer")
    update_user = h.mod.invalidates(prefix + "user:{user_id}")(update)
    assert h.call(get_user, 1) == 1 and h.call(get_user, 1) == 1
    assert h.call(h.mod.invalidate, f"{prefix}user:1") is True
    assert h.call(h.mod.invalidate, f"{prefix}user:1") is False
    assert h.call(get_user, 1) == 2
    assert h.call(update_user, 1, "x") == "x"
    assert h.call(get_user, 1) == 3 and reads == [1, 1, 1]


def _exercise(h: Harness, pattern: str, prefix: str, uid: int):
    """The pattern's main operations; returns what a caller gets. Must work with or without Redis."""
    versions = iter(range(1000))
    get_user, reads = _reader(h, pattern, prefix, lambda u: {"id": u, "v": next(versions)})
    got = [h.call(get_user, uid), h.call(get_user, uid + 1)]
    if pattern in ("write-through", "write-behind"):
        save, writes = h.source(lambda u, value: value, params="writer")
        save_user = getattr(h.mod, pattern.replace("-", "_"))(prefix + "user:{user_id}", ttl=TTL)(save)
        got.append(h.call(save_user, uid, "w"))
        got.append(h.call(h.mod.flush) if pattern == "write-behind" else None)
        got.append(len(writes))
    if pattern == "invalidation":
        got.append(h.call(h.mod.invalidate, f"{prefix}user:{uid}"))
        got.append(h.call(h.mod.invalidate_prefix, f"{prefix}user:"))
    return got, reads


@pytest.mark.parametrize(("pattern", "mode"), [(p, m) for p in PATTERN_NAMES for m in MODES])
def test_callers_get_values_from_the_source_after_redis_stops(build, prefix, throwaway_redis, caplog, pattern, mode):
    url, server = throwaway_redis
    h = build(pattern, mode, url=url)
    get_user, reads = _reader(h, pattern, prefix, lambda uid: {"id": uid})
    assert h.call(get_user, 1) == h.call(get_user, 1) == {"id": 1}
    assert reads == [1]  # Redis up: the second call was a hit

    server.kill()
    server.wait()
    with caplog.at_level(logging.WARNING):
        assert h.call(get_user, 1) == {"id": 1}  # from the source now
        assert h.call(get_user, 2) == {"id": 2}
        got, _ = _exercise(h, pattern, prefix, 10)
    assert reads[:3] == [1, 1, 2]
    assert got[:2] == [{"id": 10, "v": 0}, {"id": 11, "v": 1}]
    if pattern == "write-through":
        assert got[2:] == ["w", None, 1]  # the write reached the source
    if pattern == "write-behind":
        assert got[2:] == [None, 0, 1]  # written synchronously: nothing was left to flush
    if pattern == "invalidation":
        assert got[2:] == [False, 0]
    assert "redis unavailable" in caplog.text
