"""The cache-pattern generator without Redis: every variant compiles and passes ruff, the key and
TTL validation, the registry tool, the free-text suggestion and the `lmagent cache-pattern` CLI."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tools.cache_patterns import (
    PATTERN_NAMES,
    PATTERNS,
    SERIALIZERS,
    CachePatternInput,
    cache_pattern_tool,
    generate,
    suggest_pattern,
)
from tools.cache_patterns.generator import key_fields
from tools.registry import get

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).with_name("ruff")
VARIANTS = [(p, a, s) for p in PATTERN_NAMES for a in (False, True) for s in SERIALIZERS]
# What a decorator each pattern must expose (the issue names them after the pattern).
EXPORTS = {
    "cache-aside": ["cache_aside"],
    "write-through": ["cache_aside", "write_through"],
    "write-behind": ["cache_aside", "write_behind", "flush"],
    "invalidation": ["cache_aside", "invalidate", "invalidate_prefix", "invalidates"],
    "stampede-lock": ["stampede_lock"],
    "stampede-xfetch": ["xfetch", "should_refresh_early"],
    "negative-cache": ["negative_cache"],
}


def _top_level_names(code: str) -> set[str]:
    tree = ast.parse(code)
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    names |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
              for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    return names


def test_every_variant_compiles_and_passes_ruff(tmp_path):
    for pattern, use_async, serializer in VARIANTS:
        code = generate(pattern, "user:{user_id}", 600, use_async, serializer)
        compile(code, f"{pattern}.py", "exec")
        flavour = "async" if use_async else "sync"
        (tmp_path / f"{pattern.replace('-', '_')}_{flavour}_{serializer}.py").write_text(code)
    # A minimal config of its own (--isolated): pyflakes, pycodestyle, isort, bugbear, pyupgrade, simplify.
    proc = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM", "--target-version", "py311",
         "--line-length", "100", "--output-format", "concise", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(list(tmp_path.glob("*.py"))) == len(VARIANTS) == 42


@pytest.mark.parametrize(("pattern", "use_async", "serializer"), VARIANTS)
def test_generated_module_shape(pattern, use_async, serializer):
    code = generate(pattern, "order:{order_id}", 900, use_async, serializer)
    names = _top_level_names(code)
    assert {"redis_client", "REDIS_URL", "DEFAULT_TTL", "TTL_JITTER"} <= names
    assert set(EXPORTS[pattern]) <= names
    assert 'os.environ.get("REDIS_URL", "redis://localhost:6379/0")' in code
    assert "DEFAULT_TTL = 900" in code
    assert ("import redis.asyncio" in code) is use_async
    assert ("import msgpack" in code) is (serializer == "msgpack")
    assert "redis_client.keys(" not in code and ".delete(" not in code  # SCAN + UNLINK only
    # The docstring's usage names this key and the command that regenerates the module.
    assert '"order:{order_id}"' in code and f"lmagent cache-pattern {pattern} --key 'order:{{order_id}}'" in code
    if use_async:  # no blocking call inside async code
        assert "time.sleep" not in code


@pytest.mark.parametrize("template", ["user:{user_id}", "u:{user.id}:{lang}", "t:{items[0]}", "static-key", "a{x!r:>3}"])
def test_valid_key_templates(template):
    CachePatternInput(key=template)
    compile(generate("cache-aside", template, 60), "m.py", "exec")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("", "empty"),
        ("user:{", "not a valid format string"),
        ("user:{}", "must name a parameter"),
        ("user:{0}", "must name a parameter"),
        ("user:{class}", "must name a parameter"),
        ('user:"{id}"', "quotes"),
        ("user:\\{id}", "backslashes"),
        ("user:\n{id}", "control characters"),
        ("k" * 300, "longer than 256"),
    ],
)
def test_invalid_key_templates(template, message):
    with pytest.raises(ValueError, match=message):
        key_fields(template)
    with pytest.raises(ValidationError):
        CachePatternInput(key=template)


def test_key_fields_keeps_order_and_roots():
    assert key_fields("u:{user.id}:{lang}:{user.name}:{tags[0]}") == ["user", "lang", "tags"]


@pytest.mark.parametrize("kwargs", [{"ttl": 0}, {"ttl": -5}, {"ttl": 10**9}, {"pattern": "lru"}, {"serializer": "yaml"}])
def test_invalid_inputs_are_rejected(kwargs):
    with pytest.raises(ValidationError):
        CachePatternInput(**kwargs)


def test_generate_rejects_what_the_model_would():
    for args in [("lru", "k", 1), ("cache-aside", "k", 0), ("cache-aside", "k{", 1)]:
        with pytest.raises(ValueError):
            generate(*args)
    with pytest.raises(ValueError, match="serializer"):
        generate("cache-aside", "k", 1, serializer="yaml")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_key_templates_raise_only_value_errors_and_accepted_ones_compile(template):
    try:
        key_fields(template)
    except ValueError:
        return
    compile(generate("stampede-lock", template, 30, True), "m.py", "exec")


def test_tool_through_the_registry_with_defaults_and_schema():
    spec = get("cache_pattern")
    report = spec.call({})
    assert report.tool == "cache_pattern" and report.findings == []
    assert report.data.pattern == "cache-aside" and "def cache_aside(" in report.data.code
    assert report.data.doc == "docs/cache-patterns/cache-aside.md" and (ROOT / report.data.doc).is_file()
    schema = spec.openai_schema()["function"]["parameters"]
    assert set(schema["properties"]) == {"pattern", "key", "ttl", "use_async", "serializer"}
    assert schema["properties"]["pattern"]["enum"] == list(PATTERN_NAMES)


def test_tool_warns_about_pickle_and_reports_usage():
    report = cache_pattern_tool(CachePatternInput(pattern="write-behind", key="cart:{cart_id}", ttl=120,
                                                  use_async=True, serializer="pickle"))
    assert [f.code for f in report.findings] == ["CACHE001"]
    assert "@write_behind(\"cart:{cart_id}\", ttl=120" in report.data.usage
    assert "await flush()" in report.data.usage
    assert report.data.requirements == ["redis>=5.0"]
    assert "write-behind" in report.summary


def test_every_pattern_has_a_summary_and_a_doc_page():
    assert list(PATTERNS) == list(PATTERN_NAMES)
    for name in PATTERN_NAMES:
        page = ROOT / "docs" / "cache-patterns" / f"{name}.md"
        assert page.is_file(), page
        text = page.read_text()
        for heading in ("## When to use it", "## Trade-offs", "## Failure modes handled"):
            assert heading in text, (page, heading)


@pytest.mark.parametrize(
    ("text", "pattern", "key", "ttl"),
    [
        ("cachea get_user por user_id 10 minutos", "cache-aside", "user:{user_id}", 600),
        ("Necesito caché para get_product by product_id, 1 hora", "cache-aside", "product:{product_id}", 3600),
        ("protege fetch_report contra el stampede, 30 segundos", "stampede-lock", "report:{report_id}", 30),
        ("thundering herd on load_prices by region_id for 2h", "stampede-lock", "prices:{region_id}", 7200),
        ("recálculo anticipado probabilístico (xfetch) de get_feed por user_id", "stampede-xfetch", "feed:{user_id}", 300),
        ("invalidar por prefijo las claves de user_id", "invalidation", "user:{user_id}", 300),
        ("write-through al guardar el pedido order_id", "write-through", "order:{order_id}", 300),
        ("escritura diferida (write-behind) de contadores por counter_id 45s", "write-behind", "counter:{counter_id}", 45),
        ("negative cache for ids that do not exist, get_user by user_id 5 min", "negative-cache", "user:{user_id}", 300),
    ],
)
def test_suggest_pattern_reads_spanish_and_english(text, pattern, key, ttl):
    inp = suggest_pattern(text)
    assert inp is not None
    assert (inp.pattern, inp.key, inp.ttl) == (pattern, key, ttl)


def test_suggest_pattern_flags_and_non_requests():
    inp = suggest_pattern("cachea get_user async con msgpack")
    assert inp.use_async and inp.serializer == "msgpack"
    assert suggest_pattern("el p95 del checkout subió a 800 ms") is None
    assert suggest_pattern("the clock blocks") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_suggest_pattern_never_raises_and_suggestions_generate(text):
    inp = suggest_pattern(text)
    if inp is not None:
        cache_pattern_tool(inp)


def test_cli_prints_the_module(run_cli):
    code, out, err = run_cli("cache-pattern", "stampede-lock", "--key", "user:{user_id}", "--ttl", "600")
    assert code == 0, err
    compile(out, "out.py", "exec")  # not a terminal: the exact module, nothing around it
    assert "def stampede_lock(" in out and "DEFAULT_TTL = 600" in out


def test_cli_writes_the_file_and_json(run_cli, tmp_path):
    target = tmp_path / "user_cache.py"
    code, out, _ = run_cli("cache-pattern", "stampede-xfetch", "--key", "user:{user_id}", "--ttl", "60",
                           "--async", "--serializer", "msgpack", "--out", str(target), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["tool"] == "cache_pattern" and data["data"]["pattern"] == "stampede-xfetch"
    assert target.read_text() == data["data"]["code"]
    assert "import msgpack" in data["data"]["code"] and "async def wrapper" in data["data"]["code"]


def test_cli_out_without_json_names_the_file(run_cli, tmp_path):
    target = tmp_path / "c.py"
    code, out, _ = run_cli("cache-pattern", "invalidation", "--out", str(target))
    assert code == 0 and str(target) in out.replace("\n", "")
    assert "def invalidate_prefix(" in target.read_text()


def test_cli_list(run_cli):
    code, out, _ = run_cli("cache-pattern", "--list", "--json")
    assert code == 0 and json.loads(out) == PATTERNS


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (["lru", "--key", "k"], "PATTERN:"),
        (["cache-aside", "--key", "user:{"], "--key:"),
        (["cache-aside", "--key", "user:{}"], "--key:"),
        (["cache-aside", "--ttl", "0"], "--ttl:"),
        (["cache-aside", "--ttl", "forever"], "invalid int value"),
        (["cache-aside", "--serializer", "yaml"], "invalid choice"),
        ([], "give a PATTERN"),
        (["cache-aside", "--out", "/nonexistent-dir/x.py"], "/nonexistent-dir/x.py:"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(run_cli, argv, where):
    code, out, err = run_cli("cache-pattern", *argv)
    assert code == 2
    assert where in err and "Traceback" not in err
    assert out == ""


def test_cli_help_lists_the_patterns(run_cli):
    code, out, _ = run_cli("cache-pattern", "--help")
    assert code == 0
    assert all(name in out.replace("\n", " ") for name in PATTERN_NAMES)


def test_the_offline_persona_runtime_plans_this_tool_for_a_caching_request():
    """Requirement 3 of the issue: asking for caching code (offline) calls this generator."""
    from agent.model.offline import plan_tool_calls

    calls = plan_tool_calls("dame el código de caché para get_user por user_id, 10 minutos", {"cache_pattern"})
    assert calls == [("cache_pattern", {"pattern": "cache-aside", "key": "user:{user_id}", "ttl": 600,
                                        "use_async": False, "serializer": "json"})]
    report = get("cache_pattern").call(calls[0][1])
    assert '@cache_aside("user:{user_id}", ttl=600)' in report.data.code


@settings(max_examples=150, deadline=None)
@given(key=st.text(max_size=30), ttl=st.integers(min_value=-10, max_value=10**9),
       pattern=st.sampled_from([*PATTERN_NAMES, "lru", ""]))
def test_fuzz_cli_arguments_exit_0_or_2_without_traceback(key, ttl, pattern):
    import contextlib
    import io

    from agent.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["cache-pattern", pattern, f"--key={key}", f"--ttl={ttl}", "--json"])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    assert code in (0, 2)
    if code == 0:
        compile(json.loads(out.getvalue())["data"]["code"], "m.py", "exec")
    else:
        assert err.getvalue().count("\n") <= 1 or "usage:" in err.getvalue()
        assert "Traceback" not in err.getvalue()
