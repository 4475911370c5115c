"""Shared fixtures: the real PostgreSQL and Redis servers (never mocks).

.ci/run starts both services when they are down; here a missing server is a test error with a
clear message, not a skip, so a green run always means the real thing was exercised.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LMAGENT_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
DATA = Path(__file__).resolve().parent / "data"
PG_DSN = os.environ.get("LMAGENT_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LMAGENT_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"peer corpus not found at {CORPUS} (set LMAGENT_SHARED)")
    return CORPUS


@pytest.fixture
def pg_dsn() -> str:
    return PG_DSN


@pytest.fixture
def pg_conn():
    """An autocommit psycopg connection inside a throw-away schema (tests may run in parallel)."""
    import psycopg

    try:
        conn = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL not reachable at {PG_DSN}: {exc}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path TO {schema}, public")
    try:
        yield conn
    finally:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def run_cli(capsys):
    """Run `lmagent ...` in-process; returns (exit_code, stdout, stderr)."""
    from agent.cli import main

    def _run(*argv: str, stdin: str | None = None):
        import io

        old = sys.stdin
        if stdin is not None:
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        try:
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 2
        finally:
            sys.stdin = old
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def server():
    """The scripted OpenAI-compatible server (tests/openai_server.py) on a loopback port."""
    from openai_server import ScriptedOpenAI

    with ScriptedOpenAI() as s:
        yield s


@pytest.fixture
def team_dir(tmp_path: Path) -> Path:
    """A copy of the shipped team plus test personas (tests/runtime_helpers.py)."""
    from runtime_helpers import make_team

    return make_team(tmp_path / "team")
