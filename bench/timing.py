"""Timing helpers shared by the benchmark scripts (imported as `timing` from bench/)."""

from __future__ import annotations

import time


def best_of(fn, repeat: int) -> float:
    """Best CPU time of ``repeat`` runs: single-threaded work, measured so that other processes on a
    shared machine do not inflate it (wall time under load is noise)."""
    return best_of_each([fn], repeat)[0]


def best_of_each(fns: list, repeat: int) -> list[float]:
    """``best_of`` for several functions, run in turns (a, b, c, a, b, c...) so that a slow spell of
    the machine hits all of them alike: ratios between them are then steadier than the times."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - start)
    return best
