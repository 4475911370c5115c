"""Run every bench/bench_*.py and rewrite BENCHMARKS.md.

Each benchmark is a script that prints one Markdown section (starting with `## `) on stdout,
including the command that reproduces it. This runner adds the machine description on top.
Usage: python bench/run.py [NAME ...]   (names filter the scripts, e.g. `route explain`)
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "BENCHMARKS.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main(argv: list[str]) -> int:
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    sections: dict[str, str] = {}
    failed = 0
    for script in scripts:
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            failed += 1
            sections[script.stem] = f"## {script.stem}\n\nFAILED (exit {proc.returncode}):\n\n```\n{proc.stderr[-2000:]}\n```\n"
        else:
            sections[script.stem] = proc.stdout.strip() + "\n"
    if argv and OUT.exists():
        # Partial run: keep the other sections as they were.
        old = _split_sections(OUT.read_text())
        old.update(sections)
        sections = old
    header = (
        "# Benchmarks\n\n"
        f"Machine: {machine()}  \n"
        f"Generated: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} by `make bench` "
        "(`python bench/run.py`); each section names the command that reproduces it.\n\n"
    )
    OUT.write_text(header + "\n".join(sections[k].strip() + "\n" for k in sorted(sections)))
    print(f"wrote {OUT}", file=sys.stderr)
    return 1 if failed else 0


def _split_sections(text: str) -> dict[str, str]:
    """Map bench script stem -> section, using the `<!-- bench_x -->` marker each section carries."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines(keepends=True):
        if line.startswith("<!-- bench_"):
            current = line.strip()[5:-4].strip()
            out[current] = ""
        if current:
            out[current] += line
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
