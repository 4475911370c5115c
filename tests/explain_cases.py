"""Plans made on the real PostgreSQL from tests/data/explain_corpus/generated/*.sql.

Each case file is the setup (tables, data, ANALYZE, session settings) followed by a line
``-- explain`` and the statement to explain. ``capture`` runs a case in a throw-away schema and
returns the statement's ``EXPLAIN (ANALYZE, BUFFERS)`` TEXT (DML is rolled back). The judgement
bench scores the stored captures; the real-server tests run the cases live.

    python tests/explain_cases.py --capture [NAME ...]   rewrites generated/NAME.txt from the server
                                                         (heldout/NAME: the held-out cases)
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "explain_corpus"
CASES = CORPUS / "generated"
PG_DSN = os.environ.get("LMAGENT_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MARKER = "-- explain"


@dataclass
class Case:
    name: str
    setup: str
    statement: str
    options: str = "ANALYZE, BUFFERS"


def path(name: str, suffix: str = ".sql") -> Path:
    """``like-prefix`` is generated/like-prefix.sql; ``heldout/offset-deep`` is under the corpus."""
    return (CORPUS if "/" in name else CASES) / f"{name}{suffix}"


def load(name: str) -> Case:
    text = path(name).read_text()
    setup, marker, statement = text.partition(f"\n{MARKER}")
    if not marker:
        raise ValueError(f"{name}.sql has no '{MARKER}' line")
    first, _, statement = statement.partition("\n")
    options = first.strip(" :") or "ANALYZE, BUFFERS"
    return Case(name, setup, statement.strip().rstrip(";"), options)


def names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.sql"))


def capture(conn, case: Case, fmt: str = "TEXT") -> str:
    """Run the case's setup on ``conn`` (already inside its own schema) and EXPLAIN the statement
    in a transaction that is rolled back, so a DELETE leaves the tables as the setup made them."""
    for statement in statements(case.setup):
        conn.execute(statement)  # one by one: VACUUM cannot run in the implicit transaction of a batch
    with conn.transaction(force_rollback=True):
        rows = conn.execute(f"EXPLAIN ({case.options}, FORMAT {fmt}) {case.statement}").fetchall()
    if fmt == "JSON":
        import json

        return json.dumps(rows[0][0], indent=2)
    return "\n".join(row[0] for row in rows) + "\n"


def statements(sql: str) -> list[str]:
    """``sql`` split on semicolons outside quotes, dollar-quoted bodies and comments."""
    out, start, i, quote = [], 0, 0, None
    while i < len(sql):
        if quote:
            if sql.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif sql.startswith("--", i):
            i = sql.find("\n", i) if "\n" in sql[i:] else len(sql)
            continue
        elif sql[i] == "'" or sql.startswith("$$", i):
            quote = "$$" if sql[i] == "$" else "'"
            i += len(quote)
            continue
        elif sql[i] == ";":
            out.append(sql[start:i].strip())
            start = i + 1
        i += 1
    out.append(sql[start:].strip())
    return [s for s in out if s and not all(line.strip().startswith("--") for line in s.splitlines())]


def in_schema(conn) -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path TO {schema}, public")
    return schema


def main(argv: list[str]) -> int:
    import psycopg

    if not argv or argv[0] != "--capture":
        print(__doc__, file=sys.stderr)
        return 2
    wanted = argv[1:] or names()
    for name in wanted:
        case = load(name)
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            schema = in_schema(conn)
            try:
                text = capture(conn, case)
            finally:
                conn.execute("RESET ALL")
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
        path(name, ".txt").write_text(text)
        print(f"{name}: {text.splitlines()[-1].strip()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
