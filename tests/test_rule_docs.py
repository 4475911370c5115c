"""Every catalogue code has docs/rules/<CODE>.md, and the page's example really fires the code.

A page's example is a fenced block whose info string is ``<language> example=<tool> [key=value ...]``
(docs/tools/rules.md). This file runs it through that tool, the way a user would, and asserts the
page's code is among the findings.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from runtime_helpers import ROOT

from tools import catalogue
from tools.registry import TOOLS

DOCS = ROOT / "docs" / "rules"
_EXAMPLE = re.compile(r"^```(\w+) example=(\w+)((?: [\w-]+=\S+)*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_PERSONA = re.compile(r"^```markdown persona[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
CODES = [r.code for r in catalogue.all_rules()]


def examples(page: str) -> list[tuple[str, str, dict, str]]:
    """(language, tool, arguments, body) of every example block of a page."""
    out = []
    for lang, tool, args, body in _EXAMPLE.findall(page):
        options = dict(word.split("=", 1) for word in args.split())
        out.append((lang, tool, options, body))
    return out


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


# Column order of the statistics rows `lmagent db health` reads (tools/db.py's queries).
_TABLE_COLUMNS = ("schemaname", "relname", "seq_scan", "seq_tup_read", "idx_scan", "n_live_tup")
_INDEX_COLUMNS = ("schemaname", "relname", "indexrelname", "idx_scan", "indisunique", "indisprimary", "indkey",
                  "indclass", "indexprs", "indpred", "size_bytes", "backs_constraint")


def _db_health(doc: dict) -> list:
    """The health check's judgement over statistics rows: a shared server cannot be staged into a low
    cache hit ratio or nearly full connection slots, so the pages give the rows the views return."""
    from tools import db

    findings = db._seq_scan_findings([tuple(r[c] for c in _TABLE_COLUMNS)
                                      for r in doc.get("pg_stat_user_tables", [])], 10_000)
    findings += db._index_findings([tuple(r[c] for c in _INDEX_COLUMNS) for r in doc.get("pg_stat_user_indexes", [])])
    if "pg_stat_database" in doc:
        stats = doc["pg_stat_database"]
        findings += db._cache_findings(stats["blks_hit"], stats["blks_read"])
    if "pg_stat_activity" in doc:
        act = doc["pg_stat_activity"]
        findings += db._connection_findings(act["connections"], act["max_connections"],
                                            act["superuser_reserved_connections"])
    return findings


def run_example(lang: str, tool: str, options: dict, body: str, page: str, tmp_path: Path) -> list:
    """The findings ``tool`` reports on the example, fed the way its CLI would feed it."""
    if tool == "db_health":
        return _db_health(json.loads(body))
    args = {k: _value(v) for k, v in options.items() if k not in ("persona", "run", "file")}
    if tool == "explain":
        args["plan"] = body
    elif tool == "sql":
        args["sql"] = body
    elif tool == "query_log":
        args["log"] = body
    elif tool in ("traces",):
        args["text"] = body
    elif tool == "cache_pattern":
        args.update(json.loads(body))
    elif tool == "codecheck":
        if lang == "diff":
            args["diff"] = body
        else:
            args["files"] = {options.get("file", "example.sql" if lang == "sql" else "example.py"): body}
    elif tool == "profile":
        if options.get("run") == "cprofile":  # a script: profiled the way `python -m cProfile -o` does
            script, dump = tmp_path / "example.py", tmp_path / "example.prof"
            script.write_text(body, encoding="utf-8")
            subprocess.run([sys.executable, "-m", "cProfile", "-o", str(dump), str(script)], check=True,
                           capture_output=True, timeout=120)
            args["path"] = str(dump)
        else:
            args["text"] = body
    elif tool == "thresholds":
        persona = options.get("persona", "performance-engineer")
        if persona == "page":  # the page gives its own target table
            [table] = _PERSONA.findall(page)
            path = tmp_path / "persona.md"
            path.write_text(table, encoding="utf-8")
        else:
            path = ROOT / "personas" / f"{persona}.md"
        args["persona_path"] = str(path)
        if lang in ("yaml", "json"):
            metrics = tmp_path / f"metrics.{lang}"
            metrics.write_text(body, encoding="utf-8")
            assert yaml.safe_load(body) is not None
            args["paths"] = [str(metrics)]
        else:
            args["text"] = body
    else:
        raise AssertionError(f"example=<tool>: unknown tool {tool!r}")
    return TOOLS[tool].call(args).findings


@pytest.mark.parametrize("code", CODES)
def test_every_code_has_a_page_whose_example_fires_it(code, tmp_path):
    entry = catalogue.rule(code)
    page_path = ROOT / entry.docs
    assert page_path.is_file(), f"{code} has no docs page: write {entry.docs} (docs/tools/rules.md)"
    page = page_path.read_text(encoding="utf-8")
    assert page.splitlines()[0] == f"# {code} {entry.kind}", f"{entry.docs}: the first line is '# {code} {entry.kind}'"
    found = examples(page)
    assert found, f"{entry.docs} has no example block (```<language> example=<tool>)"
    for lang, tool, options, body in found:
        findings = run_example(lang, tool, options, body, page, tmp_path)
        emitted = {f.code for f in findings}
        assert code in emitted, f"{entry.docs}: the {tool} example reports {sorted(emitted)}, not {code}"
        for f in findings:  # whatever else it reports is in the catalogue too, under its own kind
            assert (other := catalogue.get(f.code)) is not None and other.kind == f.kind, (f.code, f.kind)


def test_every_page_belongs_to_a_code():
    pages = {p.stem for p in DOCS.glob("*.md")}
    assert pages - set(CODES) == set(), "a docs/rules page without a catalogue entry"


def test_an_example_that_does_not_fire_its_code_fails(tmp_path):
    """The check above can fail: a clean plan in a PLAN002 page does not report PLAN002."""
    clean = "Index Scan using orders_pkey on orders  (cost=0.29..8.30 rows=1 width=64) (actual time=0.01..0.01 rows=1 loops=1)\n"
    page = f"# PLAN002 disk_sort\n\n```text example=explain\n{clean}```\n"
    [(lang, tool, options, body)] = examples(page)
    assert "PLAN002" not in {f.code for f in run_example(lang, tool, options, body, page, tmp_path)}
