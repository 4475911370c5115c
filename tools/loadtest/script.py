"""k6 scripts in the seed persona's style: stages or scenarios, thresholds from the persona, checks.

Thresholds come from the Critical column of the persona's tables (the seed's own script used
``p(95)<500`` and ``rate<0.01``, which are its P95 and Error Rate critical bounds), so k6's exit
status and `lmagent thresholds` agree on what "failed" means.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, Field

from tools.errors import InputError
from tools.metrics_text import percentile_of_key
from tools.thresholds import Rule, Targets

Scenario = Literal["average", "spike", "stress"]
# k6 reads ASCII digits only ('١٢s' passed \d and then failed in k6); at most 9 digits a part keep
# the planned time finite ('9' * 400 + 's' was inf seconds, and round(inf) raised OverflowError).
_NUMBER = r"[0-9]{1,9}(?:\.[0-9]{1,9})?"
_DURATION = re.compile(rf"^(?:{_NUMBER}(?:ms|s|m|h))+$")
_DURATION_PART = re.compile(rf"({_NUMBER})(ms|s|m|h)")
_TARGET = re.compile(r"[0-9]{1,9}")  # isdecimal() also took 5000 digits, which int() refuses
_JS_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
_SUMMARY_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"]


class Stage(BaseModel):
    duration: str = Field(description="k6 duration, e.g. '30s', '1m30s'")
    target: int = Field(ge=0, description="VUs at the end of the stage")


def duration_seconds(text: str) -> float:
    if not _DURATION.match(text.strip()):
        raise InputError(f"not a k6 duration: {text!r} (use e.g. 30s, 2m, 1m30s)")
    return sum(float(n) * _SECONDS[u] for n, u in _DURATION_PART.findall(text))


def parse_stages(text: str) -> list[Stage]:
    """'10s:20,30s:20,10s:0' -> three stages (duration:target VUs)."""
    stages = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        duration, sep, target = part.partition(":")
        if not sep or not _TARGET.fullmatch(target.strip()):
            raise InputError(f"stage {part!r} is not DURATION:TARGET (e.g. 30s:50)")
        duration_seconds(duration.strip())
        stages.append(Stage(duration=duration.strip(), target=int(target)))
    if not stages:
        raise InputError("no stages given (e.g. --stages 10s:20,30s:20,10s:0)")
    return stages


def _secs(value: float) -> str:
    return f"{max(1, round(value))}s"


def scenario_options(scenario: Scenario, vus: int, total_s: float) -> dict:
    """The seed's three scenarios with its proportions, scaled to ``total_s`` and base ``vus``.

    Seed: average 5m ramp to 50 + 10m hold; spike 1m to 500, 2m hold, 1m down; stress arrival
    rate 50/s, 5m to 200/s, 10m hold, 5m to 500/s with 500 pre-allocated VUs. Base 50 -> ``vus``.
    """
    if scenario == "average":
        body = {"executor": "ramping-vus", "startVUs": 0,
                "stages": [{"duration": _secs(total_s / 3), "target": vus},
                           {"duration": _secs(total_s * 2 / 3), "target": vus}]}
    elif scenario == "spike":
        body = {"executor": "ramping-vus", "startVUs": 0,
                "stages": [{"duration": _secs(total_s / 4), "target": vus * 10},
                           {"duration": _secs(total_s / 2), "target": vus * 10},
                           {"duration": _secs(total_s / 4), "target": 0}]}
    else:
        body = {"executor": "ramping-arrival-rate", "startRate": vus, "timeUnit": "1s",
                "preAllocatedVUs": vus * 10,
                "stages": [{"duration": _secs(total_s / 4), "target": vus * 4},
                           {"duration": _secs(total_s / 2), "target": vus * 4},
                           {"duration": _secs(total_s / 4), "target": vus * 10}]}
    name = {"average": "average_load", "spike": "spike", "stress": "stress"}[scenario]
    return {"scenarios": {name: body}}


def k6_thresholds(targets: Targets) -> dict[str, list[str]]:
    """k6 threshold expressions from the persona's critical bounds (the target when no critical)."""
    out: dict[str, list[str]] = {}
    for key, rule in targets.rules.items():
        bound = _failing_bound(rule)
        if bound is None:
            continue
        pct = percentile_of_key(key)
        if pct is not None and bound.unit in ("ms", ""):
            stat = "med" if pct == 50 else f"p({float(pct):g})"
            out.setdefault("http_req_duration", []).append(f"{stat}{bound.k6()}")
        elif key in ("avg", "max") and bound.unit in ("ms", ""):
            out.setdefault("http_req_duration", []).append(f"{key}{bound.k6()}")
        elif key == "error_rate" and bound.unit in ("ratio", ""):
            out["http_req_failed"] = [f"rate{bound.k6()}"]
            out["errors"] = [f"rate{bound.k6()}"]
    return out


def _failing_bound(rule: Rule):
    if rule.shape != "target-critical":
        return None
    bound = rule.critical or rule.target
    return bound if bound is not None and bound.k6() else None


def build_script(url: str, targets: Targets, *, apdex_t_ms: float, vus: int, duration: str,
                 stages: list[Stage] | None, scenario: Scenario | None, sleep_s: float) -> tuple[str, float]:
    """The k6 script and its planned run time in seconds."""
    total = duration_seconds(duration)
    options: dict = {}
    if scenario:
        options.update(scenario_options(scenario, vus, total))
        planned = total
        shape = f"scenario {scenario} (the seed's proportions, {duration}, base {vus} VUs)"
    elif stages:
        options["stages"] = [s.model_dump() for s in stages]
        planned = sum(duration_seconds(s.duration) for s in stages)
        shape = f"{len(stages)} stages"
    else:
        options.update({"vus": vus, "duration": duration})
        planned = total
        shape = f"{vus} VUs for {duration}"
    options["summaryTrendStats"] = _SUMMARY_STATS
    thresholds = k6_thresholds(targets)
    options["thresholds"] = thresholds
    p95 = targets.rules.get("p95")
    p95_bound = _failing_bound(p95) if p95 is not None else None
    check_ms = p95_bound.value if p95_bound is not None and p95_bound.op in ("<", "<=") else None
    checks = ["    'status is 2xx': (r) => r.status >= 200 && r.status < 300,"]
    if check_ms is not None:
        checks.append(f"    'response time < {check_ms:g}ms': (r) => r.timings.duration < {check_ms:g},")
    options_js = _js(options)
    script = f"""// load-test.js, written by `lmagent loadtest`: {shape} against {url}
// Thresholds come from the Critical column of {targets.persona}; edit that table to change them.
import http from 'k6/http';
import {{ check, sleep }} from 'k6';
import {{ Counter, Rate, Trend }} from 'k6/metrics';

// Custom metrics
const errorRate = new Rate('errors');
const requestDuration = new Trend('request_duration', true);
// Apdex buckets (T = {apdex_t_ms:g} ms): satisfied <= T, tolerating <= 4T, frustrated above or failed.
const APDEX_T_MS = {apdex_t_ms:g};
const apdexSatisfied = new Counter('apdex_satisfied');
const apdexTolerating = new Counter('apdex_tolerating');
const apdexFrustrated = new Counter('apdex_frustrated');

const TARGET_URL = {json.dumps(url)};

export const options = {options_js};

export default function () {{
  const res = http.get(TARGET_URL);

  check(res, {{
{chr(10).join(checks)}
  }});

  // A failed request is a status k6 also counts in http_req_failed (none, or >= 400); a slow
  // success is not an error (the seed's `errors` mixed both), it costs Apdex instead.
  const failed = res.status < 200 || res.status >= 400;
  const ms = res.timings.duration;
  errorRate.add(failed);
  requestDuration.add(ms);
  apdexSatisfied.add(!failed && ms <= APDEX_T_MS ? 1 : 0);
  apdexTolerating.add(!failed && ms > APDEX_T_MS && ms <= 4 * APDEX_T_MS ? 1 : 0);
  apdexFrustrated.add(failed || ms > 4 * APDEX_T_MS ? 1 : 0);

  sleep({sleep_s:g});
}}
"""
    return script, planned


def _js(value, indent: int = 0) -> str:
    """A JS object literal in the seed's style: bare keys, single-quoted strings."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        if all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 3:
            return "{ " + ", ".join(f"{_js_key(k)}: {_js(v)}" for k, v in value.items()) + " }"
        items = [f"{pad}{_js_key(k)}: {_js(v, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(_js(v) for v in value) + "]"
        return "[\n" + "\n".join(f"{pad}{_js(v, indent + 1)}," for v in value) + "\n" + "  " * indent + "]"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(value)


def _js_key(key: str) -> str:
    return key if _JS_IDENTIFIER.fullmatch(key) else json.dumps(key)
