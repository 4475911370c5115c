"""Live PostgreSQL tools (psycopg 3): EXPLAIN ANALYZE that never changes data, and a health check.

Network and database access happen only here and only when a DSN is given. Every connection opened
from a user DSN (db explain, db health, `sql --suggest-indexes --dsn`) starts with
``default_transaction_read_only=on``, so no transaction it runs can write unless it asks to.

``db_explain_tool`` runs ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` of one statement that
tools.db_guard accepted (its parse tree on an allow-list, every function, operator, view and cast
it reaches checked in the catalog), over the extended query protocol (the server itself refuses a
second statement), inside a transaction that is READ ONLY unless ``allow_writes`` and always rolled
back, with ``statement_timeout`` and ``lock_timeout`` set for it.

``db_health_tool`` reads pg_stat_* and pg_index and reports DB001..DB006.
"""

from __future__ import annotations

import json
import os
import re

from pydantic import BaseModel, Field

from tools.catalogue import db
from tools.errors import InputError
from tools.findings import Finding, Location, Report

_READ_ONLY_OPTION = "-c default_transaction_read_only=on"
_SCHEMES = ("postgresql", "postgres")
_URI_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")
_SECRET_KEYS = ("password", "sslpassword")
_EXPLAIN = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "


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
    """The DSN without its passwords, for messages; an unparseable DSN is never echoed."""
    from psycopg.conninfo import make_conninfo

    try:
        params = _parse_dsn(dsn)
    except InputError:
        return "<dsn>"
    for key in _SECRET_KEYS:
        params.pop(key, None)
    return make_conninfo(**params)


def _parse_dsn(dsn: str) -> dict:
    """The DSN's parameters, or InputError whose text holds no part of the DSN but its scheme."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    scheme = _URI_SCHEME.match(dsn)
    if scheme and scheme.group(1) not in _SCHEMES:
        raise InputError(f"cannot connect to PostgreSQL: unsupported URI scheme {scheme.group(1)[:30]!r} "
                         "(use postgresql://… or key=value pairs)")
    if scheme:
        # libpq ends user:password at the first '@' and the host at the first '/' or '?': any other '@'
        # means a password with an unencoded '@', '/' or '?', whose pieces would show up as host or dbname.
        rest = dsn[scheme.end():]
        authority = re.split(r"[/?]", rest, maxsplit=1)[0]
        if rest.count("@") > 1 or rest.count("@") != authority.count("@"):
            raise InputError("cannot connect to PostgreSQL: malformed connection string (an '@' outside "
                             "user:password@host; percent-encode '@', '/' and '?' in a password)")
    try:
        return conninfo_to_dict(dsn)
    except (psycopg.Error, ValueError, TypeError) as exc:
        raise InputError(f"cannot connect to PostgreSQL: malformed connection string ({_scrub(str(exc), ())})") \
            from None


def _scrub(message: str, secrets) -> str:
    """First line of a libpq/psycopg message with every quoted fragment and every secret taken out."""
    line = next((part.strip() for part in message.splitlines() if part.strip()), "")
    line = re.sub(r'"[^\n]*"', '"…"', line)  # libpq quotes the piece of the DSN it could not read
    for secret in secrets:
        if secret and secret in line:
            line = line.replace(secret, "***") if len(secret) >= 4 else "connection failed"
    return line or "connection failed"


def connect(dsn: str, *, timeout_s: int = 5):
    """An autocommit connection whose transactions are read-only by default, or InputError (one line)."""
    import psycopg

    params = _parse_dsn(dsn)
    secrets = [params[key] for key in _SECRET_KEYS if params.get(key)]
    options = " ".join(filter(None, (params.get("options", os.environ.get("PGOPTIONS")), _READ_ONLY_OPTION)))
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=timeout_s, options=options)
    except (psycopg.Error, ValueError) as exc:
        raise InputError(f"cannot connect to PostgreSQL ({redact(dsn)}): {_scrub(str(exc), secrets)}") from None
    # A pooler may drop startup options; a SET instead would stick to a pooled server connection.
    if conn.execute("SHOW default_transaction_read_only").fetchone()[0] != "on":
        conn.close()
        raise InputError(f"cannot make the session read-only on {redact(dsn)}: the server or a pooler dropped "
                         "the startup option default_transaction_read_only=on (let it pass `options`)")
    return conn


# --- explain ---------------------------------------------------------------------------------


def run_explain(inp: DbExplainInput) -> list:
    """The JSON plan of one EXPLAIN (ANALYZE, BUFFERS) run; the transaction is always rolled back."""
    import psycopg

    from tools.db_guard import check_on_server, check_statement

    statement = check_statement(inp.sql, allow_writes=inp.allow_writes)
    sql = statement.text
    conn = connect(inp.dsn)
    try:
        conn.execute("BEGIN READ WRITE" if inp.allow_writes else "BEGIN READ ONLY")
        try:
            conn.execute("SELECT set_config('statement_timeout', %s, true)", (str(inp.timeout_ms),))
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (str(inp.timeout_ms),))
            check_on_server(conn, statement, allow_writes=inp.allow_writes)
            plan = explain_json(conn, sql)
        finally:
            conn.execute("ROLLBACK")
    except psycopg.errors.QueryCanceled:
        raise InputError(f"statement cancelled after statement_timeout = {inp.timeout_ms} ms") from None
    except psycopg.Error as exc:
        diag = exc.diag
        offset = int(diag.statement_position) - 1 - len(_EXPLAIN) if diag and diag.statement_position else None
        line = sql[: max(offset, 0)].count("\n") + 1 if offset is not None else None
        raise InputError(f"PostgreSQL: {(diag.message_primary if diag else None) or exc}", line=line) from None
    finally:
        conn.close()
    return plan


def explain_json(conn, sql: str) -> list:
    """EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of `sql` over the extended query protocol.

    prepare=True makes psycopg send Parse/Bind/Execute: the server refuses a string holding more than
    one command ("cannot insert multiple commands into a prepared statement"), whatever any
    splitter or parser here thought, so a smuggled COMMIT never runs.
    """
    plan = conn.execute(_EXPLAIN + sql, prepare=True).fetchone()[0]
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
