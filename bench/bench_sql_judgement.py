"""SQL rules judged on real code: per-rule precision at warning and above, misses, unjudged findings.

The corpus is tests/data/sql_corpus/ (sources and licences in its README): statements from
open-source projects' raw SQL and migrations, and SQL that two ORMs sent to PostgreSQL. Every
statement carries its source, and the labels a person gave it:

    -- source: repo@commit:path:line
    -- expect: SQL005 yes: the page number comes from the request (deep pages read every skipped row)
    -- expect: SQL012 no: a settings table of a few rows
    SELECT ...;

`yes` means the rule should fire on the statement at warning or above, `no` that it should not.
A finding at warning or above is a true positive (labelled yes), a false positive (labelled no) or
unjudged (no label: the corpus needs one). A `yes` the analyzer does not report at warning or above
is a miss. Findings at info are advice and are not scored. Each project may have a `schema.sql`
(short DDL excerpts of the tables its statements use): it is passed as --schema would be.

Usage: python bench/bench_sql_judgement.py [--list]   (--list prints every scored finding and miss)
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.sql import analyze_text  # noqa: E402
from tools.sql.indexes import schema_from_sql  # noqa: E402
from tools.sql.split import split_statements  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "sql_corpus"
SCORED = ("warning", "error")
_EXPECT = re.compile(r"--\s*expect:\s*(SQL\d{3})\s+(yes|no)\s*:\s*(.+)")
_SOURCE = re.compile(r"--\s*source:\s*(.+)")


@dataclass
class CorpusStatement:
    path: str  # relative to the repository root, as the analyzer sees it
    line: int
    source: str
    expect: dict[str, tuple[bool, str]] = field(default_factory=dict)  # code -> (should fire, reason)


@dataclass
class Outcome:
    code: str
    verdict: str  # tp, fp, unjudged, miss
    statement: CorpusStatement
    message: str
    reason: str = ""


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.sql") if p.name != "schema.sql")


def load_statements(path: Path) -> list[CorpusStatement]:
    """Statements of one corpus file with the `-- source:`/`-- expect:` comments written above them."""
    text = path.read_text()
    rel = path.relative_to(ROOT).as_posix()
    out, previous_end = [], 0
    for stmt in split_statements(text):
        header = text[previous_end:stmt.offset]
        previous_end = stmt.offset + len(stmt.text)
        item = CorpusStatement(rel, stmt.line, "")
        for line in header.splitlines():
            if m := _SOURCE.match(line.strip()):
                item.source = m.group(1).strip()
            elif m := _EXPECT.match(line.strip()):
                item.expect[m.group(1)] = (m.group(2) == "yes", m.group(3).strip())
        out.append(item)
    return out


def project_schema(path: Path):
    """The schema.sql of the corpus project the file belongs to (tests/data/sql_corpus/<project>/)."""
    project = CORPUS / path.relative_to(CORPUS).parts[0]
    schema = project / "schema.sql"
    return schema_from_sql(schema.read_text()) if schema.exists() else None


def judge() -> tuple[list[Outcome], int, Counter]:
    """Every scored finding and miss over the corpus; also the statement count and files per project."""
    outcomes: list[Outcome] = []
    statements = 0
    projects: Counter = Counter()
    for path in corpus_files():
        items = load_statements(path)
        statements += len(items)
        projects[path.relative_to(CORPUS).parts[0]] += len(items)
        by_line = {item.line: item for item in items}
        report = analyze_text(path.read_text(), path.relative_to(ROOT).as_posix(), schema=project_schema(path))
        fired: set[tuple[int, str]] = set()
        for finding in report.findings:
            if finding.severity not in SCORED:
                continue
            item = by_line[finding.evidence["statement_line"]]
            fired.add((item.line, finding.code))
            label = item.expect.get(finding.code)
            verdict = "unjudged" if label is None else ("tp" if label[0] else "fp")
            outcomes.append(Outcome(finding.code, verdict, item, finding.message, label[1] if label else ""))
        for item in items:
            for code, (should, reason) in item.expect.items():
                if should and (item.line, code) not in fired:
                    outcomes.append(Outcome(code, "miss", item, "", reason))
    return outcomes, statements, projects


def per_rule(outcomes: list[Outcome]) -> dict[str, Counter]:
    table: dict[str, Counter] = {}
    for o in outcomes:
        table.setdefault(o.code, Counter())[o.verdict] += 1
    return dict(sorted(table.items()))


def precision(counts: Counter) -> float | None:
    judged = counts["tp"] + counts["fp"]
    return counts["tp"] / judged if judged else None


def main(argv: list[str]) -> int:
    outcomes, statements, projects = judge()
    if "--list" in argv:
        for o in outcomes:
            print(f"{o.verdict:8} {o.code} {o.statement.path}:{o.statement.line} [{o.statement.source}] "
                  f"{o.message or ''} {('— ' + o.reason) if o.reason else ''}")
        return 0
    table = per_rule(outcomes)
    total = Counter()
    for counts in table.values():
        total.update(counts)
    print("<!-- bench_sql_judgement -->")
    print("## SQL rules judged on real code (precision at warning and above)\n")
    print(f"Corpus: {statements} statements in tests/data/sql_corpus/ "
          f"({', '.join(f'{p} {n}' for p, n in sorted(projects.items()))}); every finding at warning or "
          "above is labelled by hand with a reason; findings at info are not scored.\n")
    print("| rule | findings (warning+) | true | false | unjudged | precision | misses (labelled, not found) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for code, c in table.items():
        p = precision(c)
        print(f"| {code} | {c['tp'] + c['fp'] + c['unjudged']} | {c['tp']} | {c['fp']} | {c['unjudged']} | "
              f"{'—' if p is None else f'{p:.2f}'} | {c['miss']} |")
    p = precision(total)
    print(f"| all | {total['tp'] + total['fp'] + total['unjudged']} | {total['tp']} | {total['fp']} | "
          f"{total['unjudged']} | {'—' if p is None else f'{p:.2f}'} | {total['miss']} |")
    print("\nBefore issue 17's rule work (commit 7e169b8, same corpus and labels): 99 findings at warning or above, "
          "42 true, 57 false (precision 0.42): SQL003 2/9, SQL004 10/16, SQL005 7/14, SQL006 0/2, SQL007 0/14, "
          "SQL008 2/2, SQL009 15/17, SQL010 4/14 (3/14 after one label was corrected), SQL011 0/1, SQL012 0/7, "
          "SQL013 2/3.")
    print("\nReproduce: `.venv/bin/python bench/bench_sql_judgement.py` (`--list` prints every finding with its "
          "label and reason)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
