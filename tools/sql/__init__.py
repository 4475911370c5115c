"""SQL analysis: anti-pattern findings, an index advisor and query-log (N+1) analysis, on sqlglot.

Public API (importing this package is cheap; sqlglot loads on first use):
- ``sql_tool(SqlInput) -> Report`` (tool "sql"): findings SQL001..SQL014 for a file of statements.
- ``query_log_tool(QueryLogInput) -> Report`` (tool "query_log"): LOG001..LOG004 for a query log.
- ``analyze_sql(text, path, dialect, line_offset) -> list[Finding]``: the rules, for other tools.
- ``fingerprint(sql) -> str``: the query's pg_query fingerprint (libpg_query's own for PostgreSQL);
  ``normalize(sql) -> str``: the query with its constants as ``$n``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from tools.errors import InputError
from tools.findings import Finding, Report
from tools.readpath import PathLabel, ReadPath

DIALECTS = (
    "postgres", "mysql", "sqlite", "bigquery", "snowflake", "duckdb", "redshift", "oracle", "tsql",
    "clickhouse", "spark", "trino", "presto", "hive", "databricks", "teradata", "athena", "doris",
    "starrocks", "materialize", "risingwave",
)


class SqlInput(BaseModel):
    sql: str = Field(description="SQL text: one or many statements separated by ';'")
    path: PathLabel | None = Field(None, description="file name used in finding locations")
    dialect: str = Field("postgres", description="sqlglot dialect: postgres, mysql, sqlite, ...")
    suggest_indexes: bool = Field(False, description="also propose CREATE INDEX statements")
    schema_sql: str | None = Field(None, description="DDL (CREATE TABLE/INDEX) of the tables: keys, types, one-row "
                                                     "tables for the rules, existing indexes for the advisor")
    migration: bool | None = Field(None, description="read the statements as a migration (None: guessed from where "
                                                     "they live: migrations/, db/migrate/, alembic/versions/, *.up.sql)")


class QueryLogInput(BaseModel):
    log: str | None = Field(None, description="the log text (PostgreSQL log, JSON lines or one query per line)")
    path: ReadPath | None = Field(None, description="path of a log file to stream instead of `log`")
    dialect: str = "postgres"
    top: int = Field(10, ge=1, description="how many fingerprints to list by total time")
    n_plus_one_min: int = Field(10, ge=2, description="repeats of one fingerprint in one request, transaction or "
                                "session stretch that make an N+1 suspect")
    window_ms: float = Field(1000.0, gt=0, allow_inf_nan=False, description="idle gap (ms) that ends a session "
                             "stretch when the log carries no request ids or transactions")
    slow_ms: float = Field(1000.0, gt=0, allow_inf_nan=False, description="a single execution at least this slow is reported")
    prefix: str | None = Field(None, max_length=500, description="log_line_prefix of a PostgreSQL stderr log "
                               "(default: recognized when common)")

    @model_validator(mode="after")
    def _one_source(self) -> QueryLogInput:
        if (self.log is None) == (self.path is None):
            raise ValueError("give exactly one of `log` (text) or `path` (file)")
        return self


def check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise InputError(f"unknown dialect {dialect!r} (one of: {', '.join(DIALECTS)})")
    return dialect


def sql_tool(inp: SqlInput) -> Report:
    from tools.sql.indexes import schema_from_sql

    schema = schema_from_sql(inp.schema_sql, check_dialect(inp.dialect)) if inp.schema_sql is not None else None
    return analyze_text(inp.sql, inp.path, inp.dialect, suggest=inp.suggest_indexes, schema=schema,
                        migration=inp.migration)


def analyze_text(text: str, path: str | None = None, dialect: str = "postgres", *, suggest: bool = False,
                 schema=None, progress=None, migration: bool | None = None) -> Report:
    """sql_tool with an already loaded ``tools.sql.indexes.Schema`` (e.g. read from a live database).

    ``progress(done, total)`` is called as statements are parsed (the CLI draws a bar with it).
    ``migration`` None: a migration when ``path`` follows a migration tool's conventions.
    """
    from tools.sql.indexes import suggest_indexes
    from tools.sql.rules import Context, findings_for, is_migration_path, parse_file

    parsed = parse_file(text, check_dialect(dialect), progress)
    context = Context(is_migration_path(path) if migration is None else migration, schema)
    findings = findings_for(parsed, path, context=context)
    data: dict = {"statements": len(parsed), "parse_errors": sum(p.tree is None for p in parsed),
                  "migration": context.migration}
    if suggest:
        index_findings, data["indexes"] = suggest_indexes(parsed, schema, path)
        findings += index_findings
    return Report(tool="sql", findings=findings, data=data, summary=_summary(data, findings))


def _summary(data: dict, findings: list[Finding]) -> str:
    text = f"{data['statements']} statement(s), {len(findings)} finding(s)"
    if data["parse_errors"]:
        text += f", {data['parse_errors']} could not be parsed"
    if "indexes" in data:
        text += f", {len(data['indexes'])} index suggestion(s)"
    return text


def query_log_tool(inp: QueryLogInput, progress=None, stream=None) -> Report:
    """``progress(n_bytes)`` is called as a file is read (the CLI draws a bar with it); ``stream``, a
    binary file object, is read instead of opening ``inp.path`` (the CLI's stdin)."""
    from tools.sql.querylog import LogOptions, analyze_log, iter_lines, iter_lines_from_file

    options = LogOptions(check_dialect(inp.dialect), inp.top, inp.n_plus_one_min, inp.window_ms, inp.slow_ms,
                         inp.prefix)
    if stream is not None:
        lines = iter_lines(stream, inp.path or "<stdin>", progress)
    elif inp.path is not None:
        lines = iter_lines_from_file(inp.path, progress)
    else:
        lines = inp.log.splitlines()
    return analyze_log(lines, options, inp.path)


def analyze_sql(text: str, path: str | None = None, dialect: str = "postgres", line_offset: int = 0,
                migration: bool | None = None) -> list[Finding]:
    """Anti-pattern findings for ``text``; a finding on line k of it is reported at k + line_offset.

    ``migration`` None: decided by ``path`` (migrations/, db/migrate/, alembic/versions/, *.up.sql, ...)."""
    from tools.sql.rules import analyze_sql as _analyze

    return _analyze(text, path, check_dialect(dialect), line_offset, migration)


def fingerprint(sql: str, dialect: str = "postgres") -> str:
    from tools.sql.fingerprinting import fingerprint as _fingerprint

    return _fingerprint(sql, dialect)


def normalize(sql: str, dialect: str = "postgres") -> str:
    from tools.sql.fingerprinting import normalize as _normalize

    return _normalize(sql, dialect)


__all__ = [
    "QueryLogInput", "SqlInput", "analyze_sql", "fingerprint", "normalize", "query_log_tool", "sql_tool",
]
