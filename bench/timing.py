"""Timing helpers shared by the benchmark scripts (imported as `timing` from bench/)."""

from __future__ import annotations

import time


def best_of(fn, repeat: int) -> float:
    """Best CPU time of ``repeat`` runs: single-threaded work, measured so that other processes on a
    shared machine do not inflate it (wall time under load is noise)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best
