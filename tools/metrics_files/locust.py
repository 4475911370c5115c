"""Locust `*_stats.csv`: the Aggregated row and one row per endpoint."""

from __future__ import annotations

import csv
import io
import math
import re

from tools.errors import InputError
from tools.metrics_files.model import Measurement, Source
from tools.metrics_text import metric_unit, percentile_key

_COUNT = re.compile(r"[0-9]{1,18}")


def _read_locust(text: str, path: str):
    reader = csv.DictReader(io.StringIO(text))
    out: list[Measurement] = []
    source = Source(path=path, format="locust-csv")
    how = "Locust stats CSV (response times bucketed and rounded by Locust)"
    for lineno, row in enumerate(reader, start=2):
        name = (row.get("Name") or "").strip()
        counts = [(row.get(column) or "0").strip() for column in ("Request Count", "Failure Count")]
        # Locust writes plain ASCII counts; int() would also take '-5', '1_000' or 5000 digits (ValueError).
        if not all(_COUNT.fullmatch(c) for c in counts):
            raise InputError("Request Count / Failure Count are not integers", path=path, line=lineno)
        requests, failures = (int(c) for c in counts)
        scope = None if name == "Aggregated" else f"{(row.get('Type') or '').strip()} {name}".strip()
        if scope is None:
            source.samples = requests
        if requests == 0:
            continue
        out.append(Measurement(metric="error_rate", value=failures / requests, unit="ratio", source=path, scope=scope,
                               method=f"{failures} failures of {requests} requests", line=lineno))
        columns = {"Average Response Time": "avg", "Max Response Time": "max", "Requests/s": "throughput"}
        for column, raw in row.items():
            if column is None or raw in (None, "", "N/A"):
                continue
            pm = re.fullmatch(r"(\d{1,2}(?:\.\d+)?)%", column.strip())
            key = percentile_key(pm.group(1)) if pm else columns.get(column.strip())
            if not key:
                continue
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not 0 <= value < math.inf:  # float() also reads 'nan', 'inf', '1e400' and '-5'
                raise InputError(f"column {column!r} is not a number: {raw!r:.60}", path=path, line=lineno)
            out.append(Measurement(metric=key, value=value, unit=metric_unit(key), source=path, scope=scope,
                                   method=how, line=lineno))
    if not out:
        raise InputError("Locust stats CSV has no rows with requests", path=path)
    return out, source
