"""Live PostgreSQL tools (psycopg 3): EXPLAIN ANALYZE that never changes data, and a health check.

Network and database access happen only here and only when a DSN is given.

``db_explain_tool`` runs ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` inside a transaction that is
always rolled back, with ``statement_timeout`` set for it. The transaction is READ ONLY unless
``allow_writes``; a statement that writes (INSERT/UPDATE/DELETE/MERGE, SELECT … FOR UPDATE, a
data-modifying CTE) is refused without it. Rolled back means rows and tables; sequences advanced
by an INSERT stay advanced (PostgreSQL never rolls those back).

Server functions with effects outside the transaction (pg_terminate_backend, pg_reload_conf,
dblink, replication-slot and backup functions, ...) are refused even with ``allow_writes``.

``db_health_tool`` reads pg_stat_* and pg_index and reports DB001..DB006.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field

from tools.catalogue import db
from tools.errors import InputError
from tools.findings import Finding, Location, Report

# Server functions whose effects a ROLLBACK cannot undo (and that a READ ONLY transaction allows):
# db explain refuses them even with --allow-writes. Matched on the text, so they are caught in
# statements sqlglot cannot parse too.
_IRREVERSIBLE = re.compile(
    r"\b(pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_switch_wal|pg_promote"
    r"|pg_create_restore_point|pg_(?:create|drop)_\w*replication_slot|pg_replication_slot_advance|pg_stat_reset\w*"
    r"|pg_wal_replay_(?:pause|resume)|pg_backup_(?:start|stop)|dblink\w*|lo_export|lo_import|pg_file_\w+)\s*\(",
    re.IGNORECASE,
)
_EXPLAIN_PREFIX = re.compile(r"^\s*EXPLAIN\b(?:\s*\([^)]*\)|\s+(?:ANALYZE|ANALYSE|VERBOSE)\b)*", re.IGNORECASE)


class DbExplainInput(BaseModel):
    dsn: str = Field(description="PostgreSQL connection string, e.g. postgresql://user@host:5432/db")
    sql: str = Field(description="one statement to EXPLAIN ANALYZE (without the EXPLAIN)")
    allow_writes: bool = Field(False, description="allow INSERT/UPDATE/DELETE; they still run in a transaction that is rolled back")
    timeout_ms: int = Field(30_000, ge=1, description="statement_timeout for the EXPLAIN ANALYZE")


class DbHealthInput(BaseModel):
    dsn: str = Field(description="PostgreSQL connection string")
    schemas: list[str] | None = Field(None, description="only these schemas (default: every non-system schema)")
    min_rows: int = Field(10_000, ge=0, description="tables smaller than this are never reported for sequential scans")


def redact(dsn: str) -> str:
    """The DSN without its password, for error messages."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - an unparseable DSN is shown as a placeholder, never echoed
        return "<dsn>"
    params.pop("password", None)
    return make_conninfo(**params)


def connect(dsn: str, *, timeout_s: int = 5):
    """An autocommit connection, or InputError with one line saying why not."""
    import psycopg

    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=timeout_s)
    except (psycopg.Error, ValueError) as exc:
        reason = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise InputError(f"cannot connect to PostgreSQL ({redact(dsn)}): {reason}") from None


# --- explain ---------------------------------------------------------------------------------


def statement_writes(sql: str) -> str | None:
    """Name of the write a statement performs ("DELETE", "SELECT FOR UPDATE"...), or None for a read.

    A statement sqlglot cannot parse is not refused here: it runs in a READ ONLY transaction, where
    PostgreSQL itself rejects any write.
    """
    from sqlglot import exp

    from tools.sql.parse import SqlParseError, parse_statement

    try:
        tree = parse_statement(sql, "postgres")
    except SqlParseError:
        return None
    writes = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable)
    found = tree if isinstance(tree, writes) else tree.find(*writes)
    if found is not None:
        return found.key.upper()
    if tree.find(exp.Lock) is not None:
        return "SELECT FOR UPDATE/SHARE"
    if isinstance(tree, exp.Command):
        return str(tree.this).upper()
    return None


def _single_statement(sql: str) -> str:
    from tools.sql.split import split_statements

    statements = split_statements(_EXPLAIN_PREFIX.sub("", sql, count=1))
    if not statements:
        raise InputError("no SQL statement given")
    if len(statements) > 1:
        raise InputError(f"one statement at a time ({len(statements)} given)", line=statements[1].line)
    return statements[0].text


def run_explain(inp: DbExplainInput) -> list:
    """The JSON plan of one EXPLAIN (ANALYZE, BUFFERS) run; the transaction is always rolled back."""
    import psycopg

    sql = _single_statement(inp.sql)
    irreversible = _IRREVERSIBLE.search(sql)
    if irreversible:
        raise InputError(f"{irreversible.group(1)}() has effects a rollback cannot undo; db explain never runs it",
                         line=sql[: irreversible.start()].count("\n") + 1)
    write = statement_writes(sql)
    if write and not inp.allow_writes:
        raise InputError(f"the statement writes ({write}); pass --allow-writes to run it inside a transaction "
                         "that is rolled back")
    conn = connect(inp.dsn)
    try:
        conn.execute("BEGIN READ WRITE" if inp.allow_writes else "BEGIN READ ONLY")
        try:
            conn.execute("SELECT set_config('statement_timeout', %s, true)", (str(inp.timeout_ms),))
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (str(inp.timeout_ms),))
            row = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}").fetchone()
        finally:
            conn.execute("ROLLBACK")
    except psycopg.errors.QueryCanceled:
        raise InputError(f"statement cancelled after statement_timeout = {inp.timeout_ms} ms") from None
    except psycopg.Error as exc:
        diag = exc.diag
        line = sql[: int(diag.statement_position) - 1].count("\n") + 1 if diag and diag.statement_position else None
        raise InputError(f"PostgreSQL: {(diag.message_primary if diag else None) or exc}", line=line) from None
    finally:
        conn.close()
    plan = row[0]
    return json.loads(plan) if isinstance(plan, str) else plan


def db_explain_tool(inp: DbExplainInput) -> Report:
    from tools.explain import ExplainInput, explain_tool

    plan = run_explain(inp)
    analysis = explain_tool(ExplainInput(plan=json.dumps(plan)))
    mode = "read-write, rolled back" if inp.allow_writes else "read-only, rolled back"
    return Report(
        tool="db_explain",
        findings=analysis.findings,
        data={"plan": plan, "analysis": analysis.data, "transaction": mode},
        summary=f"{analysis.summary or 'plan analyzed'} ({mode})",
    )


# --- health ----------------------------------------------------------------------------------

# Thresholds, each with its reason (also in docs/tools/db.md).
CACHE_HIT_WARNING = 0.99  # OLTP working sets should live in shared_buffers
CACHE_HIT_ERROR = 0.90
CACHE_MIN_BLOCKS = 10_000  # below this the ratio says nothing yet
CONNECTIONS_WARNING = 0.80  # headroom for bursts and for the reserved superuser slots
CONNECTIONS_ERROR = 0.95

_SCHEMA_FILTER = "(%(schemas)s::text[] IS NULL OR {col} = ANY(%(schemas)s::text[]))"


def db_health_tool(inp: DbHealthInput) -> Report:
    params = {"schemas": inp.schemas}
    with connect(inp.dsn) as conn:
        tables = conn.execute(
            "SELECT schemaname, relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup "
            "FROM pg_stat_user_tables WHERE " + _SCHEMA_FILTER.format(col="schemaname"), params).fetchall()
        indexes = conn.execute(
            "SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan, i.indisunique, i.indisprimary, "
            "i.indkey::text, i.indclass::text, coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), "
            "coalesce(pg_get_expr(i.indpred, i.indrelid), ''), pg_relation_size(s.indexrelid), "
            "EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid) "
            "FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid WHERE "
            + _SCHEMA_FILTER.format(col="s.schemaname"), params).fetchall()
        hit, read, stats_reset = conn.execute(
            "SELECT blks_hit, blks_read, stats_reset FROM pg_stat_database WHERE datname = current_database()").fetchone()
        used, max_connections, reserved = conn.execute(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), "
            "current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int").fetchone()
    findings = _seq_scan_findings(tables, inp.min_rows) + _index_findings(indexes)
    findings += _cache_findings(hit, read) + _connection_findings(used, max_connections, reserved)
    total_blocks = hit + read
    data = {
        "cache_hit_ratio": round(hit / total_blocks, 5) if total_blocks else None,
        "connections": used,
        "max_connections": max_connections,
        "superuser_reserved_connections": reserved,
        "stats_reset": stats_reset.isoformat() if stats_reset else None,
        "tables": len(tables),
        "indexes": len(indexes),
    }
    return Report(tool="db_health", findings=findings, data=data,
                  summary=f"{len(tables)} tables, {len(indexes)} indexes, {len(findings)} finding(s)")


def _seq_scan_findings(tables, min_rows: int) -> list[Finding]:
    out = []
    for schema, table, seq_scan, seq_tup_read, idx_scan, live in tables:
        if seq_scan > idx_scan and live >= min_rows and seq_scan:
            per_scan = seq_tup_read / seq_scan
            out.append(db.SEQ_SCAN_HEAVY.finding(
                f"{schema}.{table}: {seq_scan} sequential scans vs {idx_scan} index scans, "
                f"{per_scan:,.0f} rows read per scan ({live:,} live rows)",
                location=Location(node=f"{schema}.{table}"),
                evidence={"seq_scan": seq_scan, "idx_scan": idx_scan, "seq_tup_read": seq_tup_read,
                          "n_live_tup": live, "rows_per_scan": round(per_scan)},
            ))
    return out


def _index_findings(indexes) -> list[Finding]:
    out = []
    by_shape: dict[tuple, list] = {}
    for row in indexes:
        schema, table, name, scans, unique, primary, indkey, indclass, exprs, pred, size, constraint = row
        if scans == 0 and not (unique or primary or constraint):
            out.append(db.UNUSED_INDEX.finding(
                f"{schema}.{name} on {table} has never been scanned since statistics were reset ({size / 1024:,.0f} kB)",
                location=Location(node=f"{schema}.{name}"),
                evidence={"idx_scan": scans, "size_bytes": size, "index": f"{schema}.{name}"},
            ))
        by_shape.setdefault((schema, table, exprs, pred), []).append(row)
    for (schema, table, exprs, _pred), rows in by_shape.items():
        for row in rows:
            name, unique, indkey, indclass = row[2], row[4] or row[5], row[6].split(), row[7].split()
            for other in rows:
                if other is row:
                    continue
                other_key, other_class = other[6].split(), other[7].split()
                same = indkey == other_key and indclass == other_class
                if same and (unique, name) < (other[4] or other[5], other[2]):
                    out.append(db.DUPLICATE_INDEX.finding(
                        f"{schema}.{name} duplicates {schema}.{other[2]} on {table} (same columns, same operator classes)",
                        location=Location(node=f"{schema}.{name}"),
                        evidence={"duplicate_of": other[2], "size_bytes": row[10], "index": f"{schema}.{name}"},
                    ))
                    break
                prefix = len(indkey) < len(other_key) and other_key[: len(indkey)] == indkey \
                    and other_class[: len(indclass)] == indclass and not exprs
                if prefix and not unique:
                    out.append(db.REDUNDANT_INDEX.finding(
                        f"{schema}.{name} on {table} is a leading prefix of {schema}.{other[2]}, which serves the same lookups",
                        location=Location(node=f"{schema}.{name}"),
                        evidence={"covered_by": other[2], "size_bytes": row[10], "index": f"{schema}.{name}"},
                    ))
                    break
    return out


def _cache_findings(hit: int, read: int) -> list[Finding]:
    total = hit + read
    if total < CACHE_MIN_BLOCKS:
        return []
    ratio = hit / total
    if ratio >= CACHE_HIT_WARNING:
        return []
    return [db.LOW_CACHE_HIT_RATIO.finding(
        f"buffer cache hit ratio {ratio:.2%} (< {CACHE_HIT_WARNING:.0%}) over {total:,} block reads",
        location=Location(node="pg_stat_database"),
        evidence={"blks_hit": hit, "blks_read": read, "ratio": round(ratio, 5), "hit_share": round(ratio, 4),
                  "blocks": total},
        severity="error" if ratio < CACHE_HIT_ERROR else "warning",
    )]


def _connection_findings(used: int, max_connections: int, reserved: int) -> list[Finding]:
    usable = max(max_connections - reserved, 1)
    ratio = used / usable
    if ratio < CONNECTIONS_WARNING:
        return []
    return [db.CONNECTION_USAGE.finding(
        f"{used} client connections of {usable} available ({ratio:.0%}; max_connections {max_connections}, "
        f"{reserved} reserved)",
        location=Location(node="pg_stat_activity"),
        evidence={"connections": used, "max_connections": max_connections, "reserved": reserved, "usable": usable,
                  "usage_share": round(ratio, 4)},
        severity="error" if ratio >= CONNECTIONS_ERROR else "warning",
    )]
