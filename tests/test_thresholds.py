"""Threshold checker: persona tables, sample statistics, file formats, free text, CLI."""

from __future__ import annotations

import json
import math
import random
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from near_numbers import NEAR_NUMBERS, check_cli, check_error, check_result, json_number, near_number

from tools.errors import InputError
from tools.metrics_files import apdex, percentile, read_metrics_file
from tools.metrics_text import extract_metrics, metric_key, parse_quantity
from tools.paths import default_personas_dir
from tools.thresholds import (
    ThresholdsInput,
    check,
    load_targets,
    parse_bound,
    thresholds_tool,
)

DATA = Path(__file__).resolve().parent / "data" / "thresholds"
SEED = default_personas_dir() / "performance-engineer.md"
EXPECTED = yaml.safe_load((DATA / "expected.yaml").read_text())


# --- bounds and persona tables -------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "op", "value", "high", "unit"), [
    ("< 100ms", "<", 100, None, "ms"),
    ("> 0.9", ">", 0.9, None, ""),
    ("< 0.1%", "<", 0.001, None, "ratio"),
    ("2.5s - 4s", "between", 2500, 4000, "ms"),
    ("100-300ms", "between", 100, 300, "ms"),
    ("≤ 1,5 s", "<=", 1500, None, "ms"),
    ("**< 70%**", "<", 0.7, None, "ratio"),
    ("< 2h", "<", 7_200_000, None, "ms"),
    ("< 170 KB", "<", 170_000, None, "B"),
])
def test_parse_bound_reads_the_persona_cell_forms(cell, op, value, high, unit):
    bound = parse_bound(cell)
    assert (bound.op, bound.unit) == (op, unit)
    assert bound.value == pytest.approx(value)
    assert bound.high == (pytest.approx(high) if high is not None else None)


@pytest.mark.parametrize("cell", ["Variable", "-", "—", "", "N/A"])
def test_parse_bound_no_bound_cells(cell):
    assert parse_bound(cell) is None


def test_bare_number_takes_the_metric_direction():
    assert parse_bound("0.9", "apdex").op == ">="
    assert parse_bound("300ms", "p95").op == "<="
    with pytest.raises(ValueError):
        parse_bound("depends on the day")


def test_seed_tables_become_rules():
    targets = load_targets(SEED)
    p95 = targets.rules["p95"]
    assert (p95.target.op, p95.target.value, p95.critical.value) == ("<", 300, 500)
    assert targets.rules["error_rate"].critical.value == pytest.approx(0.01)
    assert targets.rules["apdex"].target.op == ">"
    assert targets.rules["throughput"].bounds() == []
    lcp = targets.rules["lcp"]
    assert lcp.shape == "good-poor" and lcp.middle_text == "2.5s - 4s"
    assert lcp.origin.endswith(f"performance-engineer.md:{_line_of(SEED, '| LCP |')}")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(needle))


@pytest.mark.parametrize(("value", "verdict"), [(250, "pass"), (300, "warn"), (499, "warn"), (500, "fail")])
def test_target_critical_verdicts_at_the_edges(value, verdict):
    assert load_targets(SEED).rules["p95"].verdict(value) == verdict


@pytest.mark.parametrize(("value", "verdict"), [(2400, "pass"), (2500, "warn"), (4000, "warn"), (4001, "fail")])
def test_good_poor_verdicts_follow_the_table_literally(value, verdict):
    assert load_targets(SEED).rules["lcp"].verdict(value) == verdict


def test_editing_the_persona_table_changes_the_check(tmp_path):
    persona = tmp_path / "performance-engineer.md"
    shutil.copy(SEED, persona)
    inp = {"text": "P95 de 450 ms"}
    before = thresholds_tool(ThresholdsInput(**inp, persona_path=str(persona)))
    assert before.data.checks[0].verdict == "warn"
    text = persona.read_text().replace("| P95 Latency | < 300ms | < 500ms |", "| P95 Latency | < 200ms | < 400ms |")
    persona.write_text(text)
    after = thresholds_tool(ThresholdsInput(**inp, persona_path=str(persona)))
    assert after.data.checks[0].verdict == "fail"
    assert after.data.checks[0].critical == "< 400ms"
    assert [f.code for f in after.findings] == ["THR002"]


def test_every_fitting_table_of_another_persona_is_read(tmp_path):
    persona = tmp_path / "data.md"
    persona.write_text(
        "---\nname: Data\n---\n## Metas\n\n| Métrica | Objetivo | Crítico |\n|---|---|---|\n"
        "| Cache Hit Ratio | > 99% | > 95% |\n| Replication Lag | < 1s | < 30s |\n| Apdex T | 300ms | - |\n\n"
        "| Metric | Good | Needs Improvement | Poor |\n|---|---|---|---|\n| INP | < 150ms | 150ms - 400ms | > 400ms |\n"
    )
    targets = load_targets(persona)
    assert set(targets.rules) == {"cache_hit_ratio", "replication_lag", "inp"}
    assert targets.apdex_t_ms == 300
    report = thresholds_tool(ThresholdsInput(
        metrics={"cache_hit_ratio": 0.97, "replication_lag_s": 45, "inp": 300}, persona_path=str(persona)))
    verdicts = {c.metric: c.verdict for c in report.data.checks}
    assert verdicts == {"cache_hit_ratio": "warn", "replication_lag": "fail", "inp": "warn"}
    assert report.data.apdex_t_ms == 300
    assert {f.code for f in report.findings} == {"THR030", "THR011"}


def test_apdex_t_from_persona_text_or_refused_without_unit(tmp_path):
    persona = tmp_path / "p.md"
    persona.write_text("## Apdex\n\nUsamos Apdex con T = 0.3 s para la API.\n")
    targets = load_targets(persona)
    assert (targets.apdex_t_ms, targets.apdex_t_origin) == (300, f"{persona} (text)")
    persona.write_text("| Metric | Target | Critical |\n|---|---|---|\n| Apdex T | 0.5 | - |\n")
    targets = load_targets(persona)
    assert targets.apdex_t_ms is None and "needs a time unit" in targets.notes[0]
    report = thresholds_tool(ThresholdsInput(text="p95 1s", persona_path=str(persona)))
    assert report.data.apdex_t_ms == 500 and report.data.apdex_t_source.startswith("default")


def test_unreadable_bound_is_reported_not_guessed(tmp_path):
    persona = tmp_path / "p.md"
    persona.write_text("| Metric | Target | Critical |\n|---|---|---|\n| P95 Latency | rápido | < 500ms |\n")
    rule = load_targets(persona).rules["p95"]
    assert rule.target is None and rule.critical.value == 500
    assert "cannot read the bound 'rápido'" in rule.notes[0]


# --- statistics ---------------------------------------------------------------------------------

def test_nearest_rank_percentiles_by_definition():
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50, 95, 99, 100]
    assert percentile(values, Fraction("99.9")) == 100
    assert percentile([7.0], 1) == 7.0
    assert percentile(values, 95, "linear") == pytest.approx(95.05)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=300),
       st.sampled_from([50, 75, 90, 95, 99, 99.9]))
def test_nearest_rank_is_the_smallest_value_covering_p_percent(values, p):
    ordered = sorted(values)
    got = percentile(ordered, p)
    at_or_below = sum(v <= got for v in ordered)
    assert at_or_below * 100 >= p * len(ordered)
    assert sum(v < got for v in ordered) * 100 < p * len(ordered)


def test_apdex_bands_per_the_spec():
    t = 100.0
    ok = sorted([50, 100, 101, 400, 401, 1000])  # satisfied 2 (<= T), tolerating 2 (<= 4T), frustrated 2
    assert apdex(ok, len(ok), t) == pytest.approx((2 + 2 / 2) / 6)
    assert apdex(ok, len(ok) + 2, t) == pytest.approx((2 + 2 / 2) / 8)  # two failures: frustrated


def test_sample_file_statistics_and_histogram(tmp_path):
    rng = random.Random(7)
    values = [rng.lognormvariate(4.5, 0.6) for _ in range(500)]
    path = tmp_path / "lat.txt"
    path.write_text("# unit: s\n" + "\n".join(f"{v / 1000:.6f}" for v in values) + "\n")
    found, source = read_metrics_file(str(path), path.read_text(), apdex_t_ms=100)
    got = {m.metric: m.value for m in found}
    ordered = sorted(round(v / 1000, 6) * 1000 for v in values)
    assert got["p95"] == pytest.approx(ordered[math.ceil(0.95 * 500) - 1])
    assert got["apdex"] == pytest.approx(
        (sum(v <= 100 for v in ordered) + sum(100 < v <= 400 for v in ordered) / 2) / 500)
    assert sum(b.count for b in source.histogram) == 500
    assert source.histogram[-1].upper_ms == pytest.approx(ordered[-1])


# --- file formats against hand-written fixtures --------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdicts(name):
    want = EXPECTED[name]
    report = thresholds_tool(ThresholdsInput(paths=[str(DATA / name)], persona_path=str(SEED)))
    data = report.data
    assert data.sources[0].format == want["format"]
    verdicts = {c.metric: c.verdict for c in data.checks if c.metric in want["checks"]}
    assert verdicts == want["checks"]
    values = {c.metric: c.value for c in data.checks}
    for metric, value in want.get("values", {}).items():
        assert values[metric] == pytest.approx(value), metric
    assert data.verdict == want["verdict"]
    if "k6_crossed" in want:
        assert [t.expression for t in data.sources[0].k6_thresholds if not t.ok] == want["k6_crossed"]
    worst = {"fail": "error", "warn": "warning", "pass": None}[want["verdict"]]
    assert report.worst() in ({worst, "info"} if worst is None else {worst})


def test_fid_is_accepted_with_a_note_and_inp_checked():
    report = thresholds_tool(ThresholdsInput(paths=[str(DATA / "pagespeed.json")]))
    info = [f for f in report.findings if f.code == "THR020"]
    assert len(info) == 1 and "March 2024" in info[0].message and "INP is checked too" in info[0].message
    inp = next(c for c in report.data.checks if c.metric == "inp")
    assert inp.rule_origin == "web.dev default"


def test_locust_csv_rows_are_scoped(tmp_path):
    csv = tmp_path / "run_stats.csv"
    header = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
              "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
              "99.99%,100%")
    csv.write_text("\n".join([
        header,
        "GET,/fast,200,0,12,14.1,3,40,12,20.0,0.0,12,13,14,15,18,21,30,35,40,40,40",
        "GET,/slow,100,3,610,640.5,600,900,12,10.0,0.3,610,620,630,640,700,720,800,850,900,900,900",
        ",Aggregated,300,3,20,222.9,3,900,12,30.0,0.3,20,40,600,610,640,700,720,800,900,900,900",
    ]) + "\n")
    report = thresholds_tool(ThresholdsInput(paths=[str(csv)]))
    by = {(c.scope, c.metric): c for c in report.data.checks}
    assert by[("GET /slow", "p95")].verdict == "fail" and by[("GET /fast", "p95")].verdict == "pass"
    assert by[(None, "error_rate")].value == pytest.approx(0.01)
    assert ("GET /fast", "p66") not in by  # no persona row asks for p66
    assert report.data.sources[0].samples == 300


@pytest.mark.parametrize(("content", "line", "message"), [
    ("120ms\n130ms\nfast\n", 3, "not a latency sample"),
    ('{"metrics": {"p95": "fast"}}', None, "not a number or a quantity"),
    ("p95: 300ms\nerror_rate: 2\n", 2, "not a ratio"),
    ("p95: 2%\n", 1, "expected ms"),
    ("{broken", 1, "invalid JSON"),
    ("", None, "empty file"),
    ("just words here\n", 1, "not a recognised metrics file"),
])
def test_bad_files_raise_input_error_with_line(tmp_path, content, line, message):
    path = tmp_path / "bad"
    path.write_text(content)
    with pytest.raises(InputError) as exc:
        thresholds_tool(ThresholdsInput(paths=[str(path)]))
    assert message in exc.value.message
    assert exc.value.path == str(path) and exc.value.line == line


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 .,:%-#msuµ\n\t{}[]\"'abcdefhklnprtvxyzAPTHS|")),
               max_size=200))
def test_fuzz_metric_files_only_raise_input_error(text):
    try:
        found, _ = read_metrics_file("fuzz", text, apdex_t_ms=500)
    except InputError:
        return
    assert all(math.isfinite(m.value) and m.value >= 0 for m in found)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False),
                          st.sampled_from(["ms", " ms", "s", " s", "us", ""]),
                          st.sampled_from(["", " 200", " 503", " ok", " error"])), min_size=1, max_size=50))
def test_fuzz_sample_files_parse_every_written_sample(rows):
    text = "\n".join(f"{v:.3f}{u}{s}" for v, u, s in rows)
    found, source = read_metrics_file("fuzz", text, apdex_t_ms=500)
    assert source.format == "samples" and source.samples == len(rows)
    factor = {"ms": 1, " ms": 1, "s": 1000, " s": 1000, "us": 0.001, "": 1}
    expected_max = max(float(f"{v:.3f}") * factor[u] for v, u, _ in rows)
    assert {m.metric: m.value for m in found}["max"] == pytest.approx(expected_max)


# --- free text ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("P95 de 1.8 segundos", [("p95", 1800, None)]),
    ("p99 went from 300ms to 2s", [("p99", 2000, 300)]),
    ("error rate 2%", [("error_rate", 0.02, None)]),
    ("tasa de error del 2 %", [("error_rate", 0.02, None)]),
    ("Apdex 0.72", [("apdex", 0.72, None)]),
    ("LCP 4.2s", [("lcp", 4200, None)]),
    ("TTFB 900 ms", [("ttfb", 900, None)]),
    ("el p95 pasó de 300 a 2000 ms y la tasa de errores subió al 5%",
     [("p95", 2000, 300), ("error_rate", 0.05, None)]),
    ("we see 5% errors and p(95)=812ms", [("error_rate", 0.05, None), ("p95", 812, None)]),
    ("CLS de 0,25; INP 350ms", [("cls", 0.25, None), ("inp", 350, None)]),
    ("percentil 99 de 1,2 s", [("p99", 1200, None)]),
    ("the 95th percentile is 1,800 ms", [("p95", 1800, None)]),
    ("p95 is slow since 10:30", []),
    ("nothing to see here", []),
])
def test_extract_metrics_examples(text, expected):
    got = [(m.metric, m.value, m.before) for m in extract_metrics(text)]
    assert [(k, pytest.approx(v), b if b is None else pytest.approx(b)) for k, v, b in expected] == got


def test_unitless_values_say_what_was_assumed():
    (p95,) = extract_metrics("p95 de 450")
    assert (p95.value, p95.note) == (450, "no unit given: read as ms")
    (err,) = extract_metrics("error rate 0.5")
    assert err.value == pytest.approx(0.005) and "percentage" in err.note


_NAMES = {"p95": ["P95", "p95", "percentil 95", "95th percentile"], "p99": ["P99", "p(99)"],
          "error_rate": ["error rate", "tasa de error", "tasa de errores"], "lcp": ["LCP"], "ttfb": ["TTFB"]}
_UNITS = {"ms": 1, " ms": 1, "s": 1000, " segundos": 1000, " seconds": 1000}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_NAMES)), st.data(), st.integers(min_value=0, max_value=99999),
       st.sampled_from(["", " de", " is", ":", " =", " went from 1ms to"]), st.text(max_size=30))
def test_fuzz_extract_metrics_round_trip(key, data, number, connector, noise):
    name = data.draw(st.sampled_from(_NAMES[key]))
    value = number / 100
    if key == "error_rate":
        unit, expected = "%", value / 100
    else:
        unit = data.draw(st.sampled_from(sorted(_UNITS)))
        expected = value * _UNITS[unit]
    text = f"{noise.replace(chr(10), ' ')} {name}{connector} {value:g}{unit}. "
    got = [m for m in extract_metrics(text) if m.metric == key and m.raw.startswith(name)]
    assert got and got[-1].value == pytest.approx(expected)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_extract_metrics_never_raises(text):
    for m in extract_metrics(text):
        assert math.isfinite(m.value) and m.value >= 0
        assert text[m.start:m.end] == m.raw


def test_metric_names_meet_on_one_key():
    assert {metric_key(n) for n in ("P95 Latency", "p95", "p(95)", "Percentil 95", "95th percentile")} == {"p95"}
    assert metric_key("Largest Contentful Paint (LCP)") == "lcp"
    assert metric_key("Tasa de errores") == "error_rate"
    assert parse_quantity("1,8 s").value == 1800


# --- the command ---------------------------------------------------------------------------------

def test_cli_exit_codes(run_cli):
    code, out, _ = run_cli("thresholds", str(DATA / "metrics.yaml"))
    assert code == 0 and "PASS" in out
    code, out, _ = run_cli("thresholds", str(DATA / "k6-handle-summary.json"))
    assert code == 0 and "WARN" in out  # warnings do not fail a build
    code, out, _ = run_cli("thresholds", str(DATA / "samples.txt"))
    assert code == 1 and "latency histogram" in out and "THR003" in out
    code, _, err = run_cli("thresholds", str(DATA / "bad-samples.txt"))
    assert code == 2 and err.strip() == f"{DATA / 'bad-samples.txt'}:3: not a latency sample " \
                                        "(expected e.g. '123ms' or '0.5 s 200'): 'fast'"
    code, _, err = run_cli("thresholds", str(DATA / "missing.json"))
    assert code == 2 and "missing.json" in err and "Traceback" not in err


def test_cli_json_and_stdin_and_text(run_cli):
    code, out, _ = run_cli("thresholds", "-", "--json", stdin=(DATA / "vegeta.json").read_text())
    doc = json.loads(out)
    assert code == 1 and doc["tool"] == "thresholds" and doc["data"]["verdict"] == "fail"
    assert {"metric", "value", "target", "critical", "verdict", "method"} <= set(doc["data"]["checks"][0])
    assert doc["data"]["percentile_method"] == "nearest-rank"
    code, out, _ = run_cli("thresholds", "--text", "Apdex 0.85 y P50 de 80 ms", "--json")
    verdicts = {c["metric"]: c["verdict"] for c in json.loads(out)["data"]["checks"]}
    assert code == 0 and verdicts == {"p50": "pass", "apdex": "warn"}


def test_cli_persona_slug_and_apdex_t(run_cli, tmp_path):
    samples = tmp_path / "s.txt"
    samples.write_text("\n".join(["50ms"] * 8 + ["150ms", "900ms"]) + "\n")
    _, out, _ = run_cli("thresholds", str(samples), "--apdex-t", "100", "--json")
    checks = {c["metric"]: c for c in json.loads(out)["data"]["checks"]}
    assert checks["apdex"]["value"] == pytest.approx((8 + 1 / 2) / 10)
    _, out, _ = run_cli("thresholds", str(samples), "--persona", "backend-engineer", "--json")
    doc = json.loads(out)
    assert doc["data"]["persona"].endswith("backend-engineer.md")
    assert {c["metric"]: c.get("critical") for c in doc["data"]["checks"]}["p95"] == "< 400ms"
    code, _, err = run_cli("thresholds", str(samples), "--persona", "nobody")
    assert code == 2 and "unknown persona 'nobody'" in err


_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="|\n\r")  # what a UTF-8 cell can hold
_CELL = st.one_of(
    st.text(alphabet=_TEXT, max_size=20),
    st.builds(lambda op, n, u: f"{op}{n}{u}", st.sampled_from(["", "< ", ">", "<=", "≥ ", "&lt;"]),
              st.decimals(min_value=0, max_value=10_000, places=2).map(str),
              st.sampled_from(["", "ms", " s", "%", " KB", "h", "min", "x"])),
)


@settings(max_examples=300, deadline=None)
@given(_CELL)
def test_fuzz_parse_bound_reads_or_refuses(cell):
    try:
        bound = parse_bound(cell)
    except ValueError:
        return
    if bound is not None:
        assert math.isfinite(bound.value) and bound.holds(bound.value) in (True, False)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=_TEXT, max_size=15), _CELL, _CELL),
                min_size=1, max_size=6),
       st.sampled_from(["| Metric | Target | Critical |", "| Métrica | Bueno | Necesita mejora | Malo |"]))
def test_fuzz_persona_tables_never_crash_the_checker(tmp_path_factory, rows, header):
    persona = tmp_path_factory.mktemp("p") / "p.md"
    cols = header.count("|") - 1
    lines = [header, "|" + "---|" * cols]
    for name, first, second in rows:
        cells = [name, first, "x", second][: cols] if cols == 4 else [name, first, second]
        lines.append("| " + " | ".join(cells) + " |")
    persona.write_text("## Metas\n\n" + "\n".join(lines) + "\n")
    report = thresholds_tool(ThresholdsInput(text="p95 de 300 ms, error rate 2%, LCP 3s", persona_path=str(persona)))
    assert report.data.verdict in ("pass", "warn", "fail", "none")


_KEYS = ["metrics", "root_group", "http_req_duration", "http_req_failed", "http_reqs", "values", "thresholds",
         "p(95)", "med", "rate", "value", "passes", "fails", "count", "ok", "latencies", "50th", "99th", "success",
         "status_codes", "throughput", "requests", "audits", "lighthouseVersion", "numericValue",
         "largest-contentful-paint", "loadingExperience", "LARGEST_CONTENTFUL_PAINT_MS", "percentile",
         "lighthouseResult", "categories", "performance", "score", "runtimeError", "code", "p95", "latency",
         "lcp", "errors", "apdex_satisfied", "browser_web_vital_lcp", "p(75)"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=True) | st.sampled_from(["1ms", "x", ""]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=5))
def test_fuzz_json_shapes_only_raise_input_error(doc):
    try:
        text = json.dumps(doc)
    except ValueError:
        return
    try:
        found, _ = read_metrics_file("fuzz.json", text, apdex_t_ms=500)
    except InputError:
        return
    assert all(isinstance(m.value, float) for m in found)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.builds(lambda v, tags: json.dumps({"metric": "http_req_duration", "type": "Point",
                                          "data": {"time": "2026-01-01T00:00:00Z", "value": v, "tags": tags}}),
              _JSON, st.one_of(_JSON, st.fixed_dictionaries({"expected_response": st.sampled_from(["true", "false"]),
                                                             "name": st.sampled_from(["a", "b"])}))),
    st.just('{"type":"Metric","data":{"name":"http_req_duration"},"metric":"http_req_duration"}'),
    st.text(max_size=20),
), min_size=1, max_size=20))
def test_fuzz_k6_raw_points_only_raise_input_error(lines):
    text = '{"type":"Metric","data":{},"metric":"http_reqs"}\n' + "\n".join(lines)
    try:
        found, source = read_metrics_file("raw.json", text, apdex_t_ms=500)
    except InputError:
        return
    assert source.format == "k6-json" and all(m.value >= 0 for m in found)


# --- near-numbers: text that looks numeric to one check and not to the next ----------------------

_LOCUST_HEADER = "Type,Name,Request Count,Failure Count,Average Response Time,95%,Requests/s\n"
_TEXT_FILES = [
    "{n}\n120ms\n", "120ms\n{n} 200\n", "{n} ms 503\n10ms\n", "# unit: s\n{n}\n0.2\n", "p95: {n}\nerror_rate: 0.01\n",
    "p95_s: {n}\n", "p95: '{n}'\n", "error_rate: {n}\n", "latency: [{n}, 2]\n", "lcp: [{n}, 3000]\n", "apdex: {n}\n",
    "p95: 300ms\nreleased: 2024-{n}-01\n", "p95: !!float '{n}'\n",
    _LOCUST_HEADER + "GET,/a,{n},1,5,5,5\n,Aggregated,10,0,5,5,5\n",
    _LOCUST_HEADER + "GET,/a,10,{n},5,5,5\n,Aggregated,10,0,5,5,5\n",
    _LOCUST_HEADER + "GET,/a,10,1,{n},{n},{n}\n,Aggregated,10,0,5,5,5\n",
]
_JSON_FILES = [
    '{{"metrics": {{"http_req_duration": {{"p(95)": {n}, "avg": 1}}, "http_reqs": {{"count": {n}, "rate": {n}}}}}}}',
    '{{"metrics": {{"http_req_duration": {{"values": {{"p(95)": 1}}}}, '
    '"http_req_failed": {{"values": {{"passes": {n}, "fails": {n}}}}}}}}}',
    '{{"metrics": {{"http_req_duration": {{"p(95)": 1}}, "http_req_failed": {{"rate": {n}}}}}}}',
    '{{"metrics": {{"http_req_duration": {{"p(95)": 1}}, "apdex_satisfied": {{"count": {n}}}, '
    '"apdex_tolerating": {{"count": {n}}}, "apdex_frustrated": {{"count": {n}}}}}}}',
    '{{"metrics": {{"http_req_duration": {{"p(95)": 1}}, "browser_web_vital_lcp": {{"p(75)": {n}}}}}}}',
    '{{"lighthouseVersion": "12", "audits": {{"largest-contentful-paint": {{"numericValue": {n}}}}}, '
    '"categories": {{"performance": {{"score": {n}}}}}}}',
    '{{"loadingExperience": {{"metrics": {{"CUMULATIVE_LAYOUT_SHIFT_SCORE": {{"percentile": {n}}}}}}}}}',
    '{{"latencies": {{"95th": {n}, "mean": {n}, "max": 1}}, "success": {n}, "throughput": {n}, "requests": {n}}}',
    '{{"p95": {n}, "error_rate": 0.01}}', '[{n}, 1, 2]', '{{"latency_s": [{n}, 1]}}', '{{"cls": [{n}, 0.1]}}',
    '{{"type":"Point","metric":"http_req_duration","data":{{"value":{n},"tags":{{}}}}}}\n'
    '{{"type":"Point","metric":"http_req_duration","data":{{"value":1,"tags":{{}}}}}}\n',
]


def _read_or_refuse(text: str) -> None:
    try:
        found, source = read_metrics_file("fuzz", text, apdex_t_ms=500)
    except InputError as error:
        check_error(error)
        return
    assert all(0 <= m.value < math.inf for m in found), found
    check_result(source)
    check_result(check(found, [source], load_targets(), apdex_t_ms=500, apdex_t_source="test"))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_TEXT_FILES), near_number)
def test_fuzz_near_numbers_in_text_metric_files(template, number):
    _read_or_refuse(template.replace("{n}", number))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_JSON_FILES), json_number)
def test_fuzz_near_numbers_in_json_metric_files(template, number):
    _read_or_refuse(template.format(n=number))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["p95 de {n}", "P95 de {n} s", "error rate {n}%", "{n}% errors", "apdex {n}",
                        "p99 went from {n} to {n}ms", "LCP {n}s, CLS {n}", "throughput {n} rps"]),
       near_number)
def test_fuzz_near_numbers_in_messages(template, number):
    report = thresholds_tool(ThresholdsInput(text=template.replace("{n}", number)))
    check_result(report)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["< {n}", "{n}", "≥ {n}", "{n} - {n}", "{n}ms", "< {n}%", "{n}-{n} s"]), near_number)
def test_fuzz_near_numbers_in_persona_tables(tmp_path_factory, template, number):
    cell = template.replace("{n}", number).replace("|", "/").replace("\n", " ")
    persona = tmp_path_factory.mktemp("p") / "p.md"
    persona.write_text("## Metas\n\n| Metric | Target | Critical |\n|---|---|---|\n"
                       f"| P95 | {cell} | < 2s |\n| Apdex T | {cell} | - |\n| Error rate | {cell} | {cell} |\n\n"
                       f"Apdex T = {cell}\n")
    report = thresholds_tool(ThresholdsInput(text="p95 de 300 ms, error rate 2%, apdex 0.9", persona_path=str(persona)))
    check_result(report)


def test_numbers_no_float_holds_are_refused_with_their_place(tmp_path):
    cases = [
        ("p95: " + "9" * 400 + "\n", 1, "is not a measurement"),  # an int float() refuses (OverflowError)
        ("p95: 300ms\nlatency: [1, 1.0e+400]\n", 2, "is not a measurement"),  # YAML's inf
        ("p95_s: 1.0e+306\n", 1, "is not a measurement"),  # finite in s, inf in ms
        ("p95: 300ms\nreleased: 2024-13-01\n", 2, "cannot read '2024-13-01' as timestamp"),  # ValueError in PyYAML
        ('{"p95": ' + "9" * 5000 + "}", None, "more than 4300 digits"),  # ValueError in json.loads
        ("120ms\n" + "9" * 400 + "\n", 2, "not a latency sample"),  # float() reads it as inf
        ("# unit: s\n0.2\n1e308\n", 3, "not a latency sample"),  # 1e308 s is inf ms
        (_LOCUST_HEADER + "GET,/a,10,1,5,nan,5\n", 2, "'95%' is not a number: 'nan'"),
        (_LOCUST_HEADER + "GET,/a,-5,1,5,5,5\n", 2, "Request Count / Failure Count are not integers"),
        ('{"latencies": {"95th": 1}, "success": 5}', None, "success is not a ratio from 0 to 1: 5"),
    ]
    for content, line, message in cases:
        path = tmp_path / "m"
        path.write_text(content)
        with pytest.raises(InputError) as error:
            thresholds_tool(ThresholdsInput(paths=[str(path)]))
        assert (error.value.path, error.value.line) == (str(path), line) and message in error.value.message, content


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, allow_infinity=False), min_size=1, max_size=40), st.sampled_from(["", "s"]))
def test_sample_statistics_of_any_finite_samples_are_finite(values, unit):
    """Samples near the float limit: their sum and hi / lo overflow; mean and histogram must not."""
    text = f"# unit: {unit}\n" if unit else ""
    values = [v for v in values if v * (1000 if unit else 1) < math.inf] or [0.0]
    found, source = read_metrics_file("s.txt", text + "\n".join(map(repr, values)) + "\n", apdex_t_ms=500)
    assert all(0 <= m.value < math.inf for m in found)
    assert sum(b.count for b in source.histogram) == len(values)
    assert all(0 <= b.upper_ms < math.inf for b in source.histogram)
    mean = {m.metric: m.value for m in found}["avg"]
    scale = 1000 if unit else 1
    assert min(values) * scale * (1 - 1e-9) <= mean <= max(values) * scale * (1 + 1e-9)


@pytest.mark.parametrize("number", NEAR_NUMBERS)
def test_cli_near_numbers_exit_cleanly(run_cli, tmp_path, number):
    samples = tmp_path / "s.txt"
    samples.write_text(f"120ms\n{number}\n")
    check_cli(*run_cli("thresholds", str(samples), "--json"))
    named = tmp_path / "m.json"
    named.write_text(f'{{"p95": {number or 0}, "error_rate": 0.01}}')
    check_cli(*run_cli("thresholds", str(named), "--json"))
    check_cli(*run_cli("thresholds", "--text", f"P95 de {number} s, error rate {number}%", "--json"))
    check_cli(*run_cli("thresholds", "--text", "p95 de 300 ms", "--apdex-t", number or "0", "--json"))
