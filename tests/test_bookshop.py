"""Traces and profiles of a real application: the bookshop of tests/otelapp.py (Flask + SQLAlchemy on
PostgreSQL, OpenTelemetry auto-instrumentation exporting over OTLP/HTTP to a receiver that writes the
collector's OTLP JSON lines), with three planted problems — a 40-query N+1 over a lazy relationship
(GET /authors/lazy), four sequential calls to a 40 ms service (GET /quote/<id>) and a CPU-heavy
endpoint (GET /report) — and two healthy endpoints (GET /books/<id>, GET /authors/eager)."""

from __future__ import annotations

import json
import re

import pytest
from bookshop import HEALTHY, Bookshop
from conftest import PG_DSN

from tools.traces import TracesInput, traces_tool

pytestmark = pytest.mark.postgres
ROUNDS = 3


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bookshop-traced")
    with Bookshop(workdir, PG_DSN) as shop:
        shop.drive(ROUNDS)
    return shop.traces


def _findings_at(report, endpoint):
    return [f for f in report.findings if f.evidence.get("endpoint") == f"shop: {endpoint}"]


def test_planted_problems_are_found_on_their_endpoints_and_healthy_ones_stay_quiet(traced):
    report = traces_tool(TracesInput(path=str(traced)))
    [n_plus_one] = _findings_at(report, "GET /authors/lazy")
    assert n_plus_one.code == "TRC001" and n_plus_one.evidence["count"] == 40
    assert n_plus_one.evidence["traces"] == ROUNDS
    [sequential] = _findings_at(report, "GET /quote/<int:book_id>")
    assert sequential.code == "TRC002" and sequential.evidence["call_count"] == 4
    assert sequential.evidence["concurrent_ms"] < sequential.evidence["sequential_ms"] / 3
    [cpu] = _findings_at(report, "GET /report")
    assert cpu.code == "TRC003" and cpu.location.node == "shop: GET /report"
    assert cpu.evidence["critical_ms"] >= 50
    for endpoint in HEALTHY:  # a 3 ms request whose own work is "67% of the path" is not a bottleneck
        assert _findings_at(report, endpoint) == []
    rows = {e.name: e for e in report.data.endpoints if e.service == "shop"}
    assert rows["GET /authors/lazy"].findings == ["TRC001"]
    assert rows["GET /books/<int:book_id>"].findings == rows["GET /authors/eager"].findings == []


def test_findings_are_ranked_by_severity_and_cost_alike_in_json_and_terminal(traced, run_cli):
    code, out, err = run_cli("traces", str(traced), "--json")
    assert code == 0, err
    findings = json.loads(out)["findings"]
    json_codes = [f["code"] for f in findings]
    assert sorted(json_codes) == ["TRC001", "TRC002", "TRC003"]  # one per planted problem, nothing else
    rank = {"error": 0, "warning": 1, "info": 2}
    keys = [(rank[f["severity"]], -f["cost_ms"]) for f in findings]
    assert keys == sorted(keys)  # worst first, then by what they cost over all traces
    code, out, _ = run_cli("traces", str(traced))
    table = out[out.index("Findings"):]
    assert re.findall(r"TRC00\d", table) == json_codes


def test_database_spans_are_grouped_by_query_fingerprint(traced):
    from tools.sql.fingerprinting import fingerprint

    report = traces_tool(TracesInput(path=str(traced)))
    stats = report.data.span_stats
    assert not [s for s in stats if s.name == "SELECT test"]  # the instrumentation's span name for every query
    lazy = [s for s in stats if s.fingerprint and re.match(r"SELECT \S+\.books\.id, .* WHERE %\(param_1\)s", s.name)]
    assert len(lazy) == 1 and lazy[0].count == 40 * ROUNDS
    statements = {a["value"]["stringValue"] for line in traced.read_text().splitlines()
                  for rs in json.loads(line)["resourceSpans"] for ss in rs["scopeSpans"] for span in ss["spans"]
                  for a in span.get("attributes", ()) if a["key"] == "db.statement" and "%(param_1)s::INTEGER = " in a["value"]["stringValue"]}
    assert {fingerprint(s) for s in statements} == {lazy[0].fingerprint}  # what `lmagent sql --log` groups by


def test_each_endpoint_gets_a_row_and_one_example_critical_path(traced, run_cli):
    report = traces_tool(TracesInput(path=str(traced)))
    rows = {e.name: e for e in report.data.endpoints if e.service == "shop"}
    for name in ("GET /authors/lazy", "GET /quote/<int:book_id>", "GET /report", *HEALTHY):
        assert rows[name].traces == ROUNDS
        assert rows[name].example.root == name
        assert rows[name].p50_ms <= rows[name].p95_ms <= rows[name].max_ms == rows[name].example.duration_ms
    lazy_path = rows["GET /authors/lazy"].example.critical_path
    assert sum(1 for s in lazy_path if "books.author_id" in s.name) == 40
    code, out, _ = run_cli("traces", str(traced))
    for name in ("GET /authors/lazy", "GET /quote/<int:book_id>", "GET /report", *HEALTHY):
        assert f"{name} (shop) — critical path" in out
