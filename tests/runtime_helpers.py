"""Shared by the runtime tests: a persona team directory and an EXPLAIN plan with known problems."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEAM = Path(__file__).resolve().parent / "data" / "runtime_team"

PLAN = """Sort  (cost=1000.00..1100.00 rows=40000 width=64) (actual time=800.1..820.5 rows=40000 loops=1)
  Sort Key: o.created_at
  Sort Method: external merge  Disk: 54000kB
  ->  Seq Scan on orders o  (cost=0.00..900.00 rows=40000 width=64) (actual time=0.01..300.2 rows=40000 loops=1)
        Filter: (status = 'open'::text)
        Rows Removed by Filter: 960000
Planning Time: 0.2 ms
Execution Time: 830.0 ms
"""


def make_team(directory: Path) -> Path:
    """The shipped seed persona plus small test partners (the shipped team may change under us)."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "personas" / "performance-engineer.md", directory)
    for f in TEAM.glob("*.md"):
        shutil.copy(f, directory)
    return directory
