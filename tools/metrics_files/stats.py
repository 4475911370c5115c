"""Statistics over raw latency samples: percentiles, Apdex, a histogram, and the measurements they give."""

from __future__ import annotations

import bisect
import math
from fractions import Fraction

from tools.metrics_files.model import HistogramBin, Measurement, PercentileMethod
from tools.metrics_text import percentile_key


def percentile(sorted_values: list[float], p: Fraction | float, method: PercentileMethod = "nearest-rank") -> float:
    """The p-th percentile of already sorted values.

    nearest-rank: the smallest value with at least p % of the samples at or below it, i.e. the
    value at rank ceil(p/100 * n) (exact arithmetic, so p95 of 100 samples is the 95th).
    linear: interpolation between closest ranks at (n-1)*p/100 (numpy's default).
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no samples")
    frac = Fraction(str(p)) if not isinstance(p, Fraction) else p
    if method == "nearest-rank":
        rank = math.ceil(frac * n / 100)
        return sorted_values[min(max(rank, 1), n) - 1]
    h = (n - 1) * frac / 100
    lo = math.floor(h)
    if lo + 1 >= n:
        return sorted_values[-1]
    return sorted_values[lo] + float(h - lo) * (sorted_values[lo + 1] - sorted_values[lo])


def apdex(sorted_ok_ms: list[float], total: int, t_ms: float) -> float:
    """Apdex_T = (satisfied + tolerating / 2) / total, per the Apdex specification.

    satisfied: response <= T; tolerating: T < response <= 4T; frustrated: > 4T. Failed requests
    count as frustrated, so they are in ``total`` but not in ``sorted_ok_ms``.
    """
    satisfied = bisect.bisect_right(sorted_ok_ms, t_ms)
    tolerating = bisect.bisect_right(sorted_ok_ms, 4 * t_ms) - satisfied
    return (satisfied + tolerating / 2) / total


def histogram(sorted_values: list[float], bins: int = 12) -> list[HistogramBin]:
    """Counts per bin; log-spaced when the samples span more than 20x (latency tails usually do)."""
    lo, hi = sorted_values[0], sorted_values[-1]
    if hi <= lo:
        return [HistogramBin(upper_ms=hi, count=len(sorted_values))]
    # Computed so that no step overflows for any finite samples: hi / lo can exceed the float range
    # (1e300 / 1e-10), so log spacing works on logarithms, linear spacing divides first, and the last
    # edge is hi itself (exp(log(hi)) can round past the largest float).
    if lo > 0 and hi / lo > 20:
        log_lo, step = math.log(lo), (math.log(hi) - math.log(lo)) / bins
        inner = [math.exp(log_lo + step * i) for i in range(1, bins)]
    else:
        inner = [lo + (hi - lo) / bins * i for i in range(1, bins)]
    edges = [*inner, hi]
    out, below = [], 0
    for edge in edges:
        upto = bisect.bisect_right(sorted_values, edge)
        out.append(HistogramBin(upper_ms=edge, count=upto - below))
        below = upto
    return out


def sample_measurements(latencies_ms: list[float], failed: list[bool] | None, *, source: str,
                        apdex_t_ms: float, method: PercentileMethod, scope: str | None = None) -> list[Measurement]:
    """Percentiles, mean, max, Apdex and (when statuses are known) error rate of raw samples."""
    ordered = sorted(latencies_ms)
    n = len(ordered)
    how = f"{method} over {n} samples"
    out = [
        Measurement(metric=percentile_key(p), value=percentile(ordered, p, method), unit="ms",
                    source=source, scope=scope, method=how)
        for p in (50, 90, 95, 99)
    ]
    try:
        mean = math.fsum(ordered) / n
    except OverflowError:  # samples near the float limit: halve them so that their sum is a float
        mean = min(2 * math.fsum(v / (2 * n) for v in ordered), ordered[-1])
    out.append(Measurement(metric="avg", value=mean, unit="ms", source=source,
                           scope=scope, method=f"mean over {n} samples"))
    out.append(Measurement(metric="max", value=ordered[-1], unit="ms", source=source, scope=scope,
                           method=f"max over {n} samples"))
    ok = ordered
    if failed is not None:
        errors = sum(failed)
        ok = sorted(v for v, bad in zip(latencies_ms, failed, strict=True) if not bad)
        out.append(Measurement(metric="error_rate", value=errors / n, unit="ratio", source=source, scope=scope,
                               method=f"{errors} failed of {n} samples"))
    out.append(Measurement(
        metric="apdex", value=apdex(ok, n, apdex_t_ms), unit="", source=source, scope=scope,
        method=f"Apdex, T = {apdex_t_ms:g} ms" + (", failures frustrated" if failed is not None else ""),
    ))
    return out
