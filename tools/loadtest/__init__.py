"""`loadtest`: write a k6 script from the persona's targets, run it on loopback, check the result.

The script follows the seed persona's k6 example (stages or its three scenarios, thresholds,
checks, an ``errors`` Rate) plus Apdex counters, so every number the Performance Engineer's
tables ask for comes out of one run. The summary goes through the same checker as
`lmagent thresholds`. Traffic goes to loopback addresses only unless ``allow_remote`` is set.
"""

from __future__ import annotations

import ipaddress
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from tools.errors import InputError
from tools.findings import Report
from tools.loadtest.k6 import find_k6, run_k6
from tools.loadtest.script import Scenario, Stage, build_script, parse_stages
from tools.metrics_files import read_metrics_file
from tools.readpath import ReadPath
from tools.safe_write import write_file
from tools.thresholds import ThresholdsData, check, load_targets, resolve_apdex_t

__all__ = ["LoadtestInput", "LoadtestData", "Stage", "find_k6", "loadtest_tool", "parse_stages"]


class LoadtestInput(BaseModel):
    url: str = Field(description="URL to GET under load (loopback only unless allow_remote).")
    vus: int = Field(10, ge=1, le=10_000, description="Virtual users (the base for --scenario; the seed used 50).")
    duration: str = Field("30s", description="Run time, k6 syntax (30s, 1m30s); total time for a scenario.")
    stages: list[Stage] | None = Field(None, description="Ramp stages instead of a constant VU count.")
    scenario: Scenario | None = Field(None, description="The seed's average, spike or stress scenario, shortened.")
    script_only: bool = Field(False, description="Return the k6 script without running it.")
    sleep_s: float = Field(1.0, ge=0, le=60, description="Think time between iterations (the seed's sleep(1)).")
    persona_path: ReadPath | None = Field(None, description="Persona file whose tables give the thresholds.")
    apdex_t_ms: float | None = Field(None, gt=0, allow_inf_nan=False, description="Apdex T in ms (default: from the persona).")
    allow_remote: bool = Field(False, description="Allow a non-loopback target.")


class LoadtestData(BaseModel):
    url: str
    script: str
    planned_seconds: float
    command: list[str] | None = None  # the k6 command line, when it ran
    k6_exit_code: int | None = None  # 99: k6's own thresholds were crossed
    thresholds: ThresholdsData | None = None


def require_loopback(url: str) -> None:
    """Refuse targets that are not this machine: load tests are traffic, and this is the safe default."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0])
                         for info in socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)]
        except socket.gaierror as exc:
            raise InputError(f"cannot resolve {host!r}: {exc.strerror}") from None
    remote = [str(a) for a in addresses if not a.is_loopback]
    if remote:
        raise InputError(f"refusing to load-test {host} ({', '.join(remote)}): not a loopback address; "
                         "pass --allow-remote (allow_remote=true) if you own that service")


def loadtest_tool(inp: LoadtestInput) -> Report:
    targets = load_targets(inp.persona_path)
    apdex_t, apdex_source = resolve_apdex_t(inp.apdex_t_ms, targets)
    script, planned = build_script(inp.url, targets, apdex_t_ms=apdex_t, vus=inp.vus, duration=inp.duration,
                                   stages=inp.stages, scenario=inp.scenario, sleep_s=inp.sleep_s)
    data = LoadtestData(url=inp.url, script=script, planned_seconds=planned)
    if inp.script_only:
        return Report(tool="loadtest", data=data, summary=f"k6 script for {inp.url} (not run; about {planned:g} s)")
    if not inp.allow_remote:
        require_loopback(inp.url)
    with tempfile.TemporaryDirectory(prefix="lmagent-k6-") as tmp:
        script_path, summary_path = Path(tmp) / "load-test.js", Path(tmp) / "summary.json"
        write_file(str(script_path), script)
        # Generous grace: k6 waits for in-flight iterations (gracefulStop 30s) after the last stage.
        data.command, data.k6_exit_code = run_k6(script_path, summary_path, timeout_s=planned + 60)
        label = f"k6 run against {inp.url}"
        measurements, source = read_metrics_file(label, summary_path.read_text(encoding="utf-8"),
                                                 apdex_t_ms=apdex_t)
    report = check(measurements, [source], targets, apdex_t_ms=apdex_t, apdex_t_source=apdex_source,
                   tool="loadtest")
    data.thresholds = report.data
    report.data = data
    report.summary = f"k6 ran {planned:g} s against {inp.url}. {report.summary}"
    return report
