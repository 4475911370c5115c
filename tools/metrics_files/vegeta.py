"""vegeta `report -type=json` (latencies in nanoseconds)."""

from __future__ import annotations

from typing import Any

from tools.metrics_files.common import _number, _ratio
from tools.metrics_files.model import Measurement, Source


def _read_vegeta(doc: dict[str, Any], path: str):
    lat = doc["latencies"]
    how = "vegeta report -type=json"
    out: list[Measurement] = []
    for stat, key in (("50th", "p50"), ("90th", "p90"), ("95th", "p95"), ("99th", "p99"), ("mean", "avg"),
                      ("max", "max")):
        if stat in lat:
            out.append(Measurement(metric=key, value=_number(lat[stat], path, f"latencies.{stat}") / 1e6, unit="ms",
                                   source=path, method=f"{how} (latencies.{stat}, ns)"))
    if "success" in doc:
        out.append(Measurement(metric="error_rate", value=1 - _ratio(doc["success"], path, "success"),
                               unit="ratio", source=path, method=f"{how} (1 - success)"))
    if "throughput" in doc:
        out.append(Measurement(metric="throughput", value=_number(doc["throughput"], path, "throughput"),
                               unit="req/s", source=path, method=f"{how} (successful requests per second)"))
    requests = doc.get("requests")
    return out, Source(path=path, format="vegeta", samples=int(requests) if isinstance(requests, int) else None)
