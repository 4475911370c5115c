"""Masking (tools/secrets.py): every secret kind people paste is hidden, in every syntax, and text that
only looks like a setting stays readable. The sinks (model request, checkpoint, outputs, error lines)
are tested where they live: tests/test_masking_sinks.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from secret_samples import KINDS

from tools.secrets import find_secrets, mask_and_list_secrets, mask_secrets, mask_value, secret_name_kind


@pytest.mark.parametrize(("what", "text", "secret"), KINDS, ids=[k[0] for k in KINDS])
def test_every_kind_of_secret_is_masked(what, text, secret):
    masked, kinds = mask_and_list_secrets(text)
    assert secret not in masked, f"{what}: {masked!r}"
    assert kinds and "[masked:" in masked
    assert mask_and_list_secrets(masked) == (masked, [])  # idempotent: the mask never matches again


@pytest.mark.parametrize("text", [
    "max_tokens=800", "prompt_tokens: 120", "token_type: bearer", "password_hash = hash_password(raw)",
    "the token is expired", "Bearer authentication is used here", "password: str", "token: Optional[str] = None",
    "token = get_token()", "password = os.environ['DB_PASSWORD']", "connect(user=user, password=password)",
    "password = '${DB_PASSWORD}'", "DB_PASSWORD=<your-password>", "api_key: {{ secrets.API_KEY }}",
    "primary_key=True", "cache_key = f'user:{user_id}'", "PASSWORD_MIN_LENGTH = 12", "bypass=1",
    "SELECT * FROM users WHERE password = $1", "CHARS_PER_TOKEN = 4", "P95 de 1.8 s en /users",
    "Seq Scan on orders  (cost=0.00..18334.00 rows=5 width=97) (actual time=0.015..820.3 rows=5 loops=1)",
    "postgresql://db.internal:5432/app", "https://example.com/path?page=2", "git@github.com:org/repo.git",
    'OVERALL_STYLE = {"pass": "bold green", "fail": "bold red"}', "the user passes the key to the lock",
])
def test_text_that_only_looks_like_a_setting_is_left_alone(text):
    assert mask_secrets(text) == text


def test_shipped_personas_and_generated_cache_code_are_left_alone():
    """Masking runs on every answer and every output: the team's own texts must come through whole."""
    from tools.cache_patterns import PATTERNS, CachePatternInput, cache_pattern_tool

    for path in sorted(Path(__file__).resolve().parent.parent.glob("personas/*.md")):
        text = path.read_text()
        assert mask_secrets(text) == text, path.name
    for name in PATTERNS:
        report = cache_pattern_tool(CachePatternInput(pattern=name, key="user:{user_id}", ttl=300))
        assert mask_value(report) is report, name


def test_strict_findings_are_the_known_formats_and_quoted_literals():
    """find_secrets (the review bot's PERF190) stays strict: an unquoted `password=x` in prose is masked
    but is not a finding; a quoted literal or a known token format is."""
    assert find_secrets("password=s3cr3t!") == []
    assert [m.kind for m in find_secrets("password=s3cr3t!", loose=True)] == ["password_assignment"]
    line = 'TOKEN = "ghp_' + "A1b2C3d4" * 5 + '"; URL = "redis://user:s3cr3tpass@cache:6379/0"'
    assert [m.kind for m in find_secrets(line)] == ["github_token", "password_in_url"]
    assert [m.kind for m in find_secrets('password = "hunter2hunter2"')] == ["hardcoded_password"]
    (named,) = find_secrets("DB_PASSWORD=abc123", loose=True)
    assert named.name == "DB_PASSWORD" and named.kind == "password_assignment"


def test_mask_value_walks_structures_and_hides_values_under_secret_names():
    from tools.findings import Finding, Report

    args = {"password": "hunter2", "dsn": "postgres://u:pw1@h/db", "n": 3, "nested": [{"apiKey": "k-1"}]}
    kinds: list[str] = []
    masked = mask_value(args, kinds)
    assert "hunter2" not in json.dumps(masked) and "pw1" not in json.dumps(masked) and "k-1" not in json.dumps(masked)
    assert masked["n"] == 3 and sorted(kinds) == ["password_assignment", "password_in_url", "secret_assignment"]
    report = Report(tool="sql", findings=[Finding(code="SQL001", kind="select_star", severity="warning",
                                                  message="SELECT * in `SELECT * FROM t WHERE token = 'tok-42x'`")])
    out = mask_value(report)
    assert "tok-42x" not in out.model_dump_json() and out is not report and "tok-42x" in report.model_dump_json()
    clean = Report(tool="sql", findings=[])
    assert mask_value(clean) is clean  # nothing to hide: no copy
    assert secret_name_kind("AWS_SECRET_ACCESS_KEY") == "secret_assignment" and secret_name_kind("max_tokens") is None


PASSWORD_CHARS = st.text(alphabet="abcdefghijkLMNOP0123456789@:/!#%^*-_+.~$", min_size=6, max_size=24).filter(
    lambda s: any(c.isalnum() for c in s) and s.strip(".:~") == s and "://" not in s and not s.startswith(("$", "-")))
CONTEXTS = [
    "DB_PASSWORD={}", "export PGPASSWORD={}", 'password: "{}"', "password: {}", '{{"db_password": "{}"}}',
    "postgresql://app:{}@db.internal:5432/app", "redis://:{}@cache:6379", "SECRET_KEY='{}'", "--password {}",
    "apiToken = '{}'", "ACCESS_TOKEN={}", "Authorization: Basic {}",
]


@settings(max_examples=300, deadline=None)
@given(context=st.sampled_from(CONTEXTS), secret=PASSWORD_CHARS, before=st.sampled_from(["", "x ", "\n", "# config\n"]),
       after=st.sampled_from(["", " ", "\n", " # prod\n", "\nNEXT=1"]))
def test_fuzz_passwords_with_any_symbol_never_leak(context, secret, before, after):
    """Passwords holding '@', ':', '/', '#' and friends, in every syntax: never a piece left visible."""
    masked = mask_secrets(before + context.format(secret) + after)
    assert secret not in masked, masked
    assert mask_secrets(masked) == masked
