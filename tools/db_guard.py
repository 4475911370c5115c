"""What `db explain` agrees to run, decided on PostgreSQL's own parse tree (libpg_query via pglast).

Two layers, both refusing when in doubt:

1. :func:`check_statement`, offline, before any connection: exactly one statement (counted the way
   the server counts them); its kind is on an allow-list (SELECT, VALUES, TABLE, WITH …, and
   INSERT/UPDATE/DELETE/MERGE only with ``allow_writes``); no function it names directly, after
   quoting, schema qualification and comments are resolved, is on the deny-list of functions with
   effects outside the transaction (or that read server files, sleep, lock, or run SQL from text).
2. :func:`check_on_server`, inside the read-only transaction, before the EXPLAIN: every function,
   operator, cast, view, row-level policy (and with writes: column default, trigger, rule and CHECK
   constraint) the statement reaches is looked up in the catalog. Built-in functions must be
   immutable, stable or on a short list of harmless volatile ones; user functions must be SQL or
   PL/pgSQL (their bodies are read: no deny-listed name, no dynamic ``EXECUTE``) or a C function that
   is not volatile; the bodies' own calls and views are followed the same way.

What this cannot see (dynamic SQL built by C code, a cast or a type's input function called
implicitly, a trigger reached only through a function's own write) is documented in
docs/security.md; the read-only session and the transaction that is always rolled back are the
layers under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tools.errors import InputError

# --- the deny-list (names compared in lower case, whatever schema or quoting) ------------------

_IRREVERSIBLE = frozenset({
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_rotate_logfile_old",
    "pg_promote", "pg_switch_wal", "pg_switch_xlog", "pg_create_restore_point", "pg_log_backend_memory_contexts",
    "pg_log_standby_snapshot", "pg_import_system_collations", "pg_nextoid", "pg_stop_making_pinned_objects",
    "pg_extension_config_dump", "pg_stat_force_next_flush", "pg_notify", "pg_export_snapshot", "set_config",
    "setseed", "txid_current", "pg_current_xact_id", "brin_summarize_new_values", "brin_summarize_range",
    "brin_desummarize_range", "gin_clean_pending_list", "loread", "lowrite", "pg_prewarm",
    "autoprewarm_start_worker", "autoprewarm_dump_now", "pg_truncate_visibility_map", "postgres_fdw_disconnect",
    "postgres_fdw_disconnect_all",
})
_IRREVERSIBLE_PREFIXES = (
    "pg_stat_reset", "pg_stat_statements_reset", "pg_advisory", "pg_try_advisory", "lo_", "dblink", "pg_create_",
    "pg_drop_", "pg_copy_", "pg_replication_", "pg_logical_", "pg_wal_replay_", "pg_backup_", "pg_start_backup",
    "pg_stop_backup", "binary_upgrade_", "pg_file_", "heap_force_",
)
_SEQUENCES = frozenset({"nextval", "setval"})
_SLEEP = frozenset({"pg_sleep", "pg_sleep_for", "pg_sleep_until"})
_SERVER_FILES = frozenset({
    "pg_read_file", "pg_read_file_old", "pg_read_binary_file", "pg_stat_file", "pg_current_logfile",
    "pg_hba_file_rules", "pg_ident_file_mappings", "pg_show_all_file_settings", "pg_logdir_ls",
    # pg_walinspect
    "pg_get_wal_record_info", "pg_get_wal_records_info", "pg_get_wal_records_info_till_end_of_wal",
    "pg_get_wal_stats", "pg_get_wal_stats_till_end_of_wal", "pg_get_wal_block_info", "pg_get_wal_fpi_info",
})
_SERVER_FILE_PREFIXES = ("pg_ls_",)
_SQL_FROM_TEXT = frozenset({
    "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema",
    "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema", "schema_to_xml", "schema_to_xmlschema",
    "schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
    "ts_stat", "ts_rewrite",
})

# Volatile built-in functions that only read (pg_proc marks every function with side effects volatile,
# so a built-in outside this list must be immutable or stable to run).
_HARMLESS_VOLATILE = frozenset({
    "random", "random_normal", "clock_timestamp", "timeofday", "gen_random_uuid", "currval", "lastval",
    "pg_sequence_last_value", "pg_relation_size", "pg_table_size", "pg_indexes_size", "pg_total_relation_size",
    "pg_database_size", "pg_tablespace_size", "pg_is_in_recovery", "pg_blocking_pids",
    "pg_safe_snapshot_blocking_pids", "pg_lock_status", "pg_current_wal_lsn", "pg_current_wal_insert_lsn",
    "pg_current_wal_flush_lsn", "pg_last_wal_receive_lsn", "pg_last_wal_replay_lsn",
    "pg_last_xact_replay_timestamp", "pg_is_wal_replay_paused", "pg_get_wal_replay_pause_state",
    "pg_control_checkpoint", "pg_control_system", "pg_control_init", "pg_control_recovery", "pg_jit_available",
    "pg_xact_status", "txid_status", "pg_xact_commit_timestamp", "pg_xact_commit_timestamp_origin",
    "pg_last_committed_xact", "pg_partition_tree", "pg_partition_ancestors", "pg_notification_queue_usage",
    "pg_stat_have_stats", "pg_stat_get_recovery_prefetch", "pg_get_backend_memory_contexts",
    "pg_get_shmem_allocations", "pg_get_multixact_members", "pg_prepared_xact", "pg_collation_actual_version",
    "pg_database_collation_actual_version", "current_query", "pg_stat_clear_snapshot", "currtid2",
    "system", "bernoulli",  # TABLESAMPLE methods
    # extensions' read-only or purely computing volatile functions
    "pg_stat_statements", "pg_stat_statements_info", "gen_random_bytes", "gen_salt", "uuid_generate_v1",
    "uuid_generate_v1mc", "uuid_generate_v4",
})
_HARMLESS_VOLATILE_PREFIXES = ("pg_stat_get_xact_",)


def denied_reason(name: str) -> str | None:
    """Why db explain never calls the function `name` (any schema), or None."""
    name = name.lower()
    if name in _SEQUENCES:
        return f"{name}() changes a sequence, and sequences are not rolled back"
    if name in _SLEEP:
        return f"{name}() only holds the connection (and its locks) open"
    if name in _SERVER_FILES or name.startswith(_SERVER_FILE_PREFIXES):
        return f"{name}() reads files on the database server"
    if name in _SQL_FROM_TEXT:
        return f"{name}() runs SQL given as text, which db explain cannot check"
    if name in _IRREVERSIBLE or name.startswith(_IRREVERSIBLE_PREFIXES):
        return f"{name}() has effects a rollback cannot undo"
    return None


# --- layer 1: the statement itself ------------------------------------------------------------

_EXPLAIN_PREFIX = re.compile(r"^\s*EXPLAIN\b(?:\s*\([^)]*\)|\s+(?:ANALYZE|ANALYSE|VERBOSE)\b)*", re.IGNORECASE)
_READS = ("SelectStmt",)
_WRITES = {"InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE", "MergeStmt": "MERGE"}


@dataclass
class Refs:
    """Catalog objects a statement names, to look up on the server: (schema or None, name) pairs."""

    functions: set[tuple[str | None, str]] = field(default_factory=set)
    operators: set[tuple[str | None, str]] = field(default_factory=set)
    relations: set[tuple[str | None, str]] = field(default_factory=set)
    types: set[tuple[str | None, str]] = field(default_factory=set)
    # written relation -> for each write, the columns it gives explicitly (None: it may evaluate any default)
    written: dict[tuple[str | None, str], list[frozenset[str] | None]] = field(default_factory=dict)


@dataclass
class Statement:
    """One statement db explain agreed to run: its text (without EXPLAIN), what it writes, what it names."""

    text: str
    writes: str | None
    refs: Refs


def _line(text: str, offset: int) -> int:
    return text[: max(offset, 0)].count("\n") + 1


def parse_statements(sql: str):
    """PostgreSQL's own statements of `sql` (libpg_query), or InputError with the line of the error."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        return parse_sql(sql)
    except ParseError as exc:
        message, offset = (exc.args + (None,))[:2]
        raise InputError(f"syntax error: {message}", line=_line(sql, offset) if isinstance(offset, int) else None) \
            from None


def check_statement(sql: str, *, allow_writes: bool) -> Statement:
    """The one statement of `sql` if db explain may run it; InputError (exit 2) saying why not otherwise."""
    text = _EXPLAIN_PREFIX.sub("", sql, count=1)
    statements = parse_statements(text)
    if not statements:
        raise InputError("no SQL statement given")
    if len(statements) > 1:
        start = statements[1].stmt_location  # libpg_query 16 counts the blanks after the ';', 17 does not
        while start < len(text) and text[start].isspace():
            start += 1
        raise InputError(f"one statement at a time ({len(statements)} given)", line=_line(text, start))
    tree = statements[0].stmt
    kind = type(tree).__name__
    if kind not in _READS and kind not in _WRITES:
        raise InputError(f"db explain runs only SELECT, VALUES, TABLE and WITH queries (and INSERT, UPDATE, "
                         f"DELETE, MERGE with --allow-writes), not {_statement_name(kind)}")
    refs = collect(tree)
    writes = statement_writes(tree)
    if writes and not allow_writes:
        raise InputError(f"the statement writes ({writes}); pass --allow-writes to run it inside a transaction "
                         "that is rolled back")
    for _schema, name in sorted(refs.functions, key=lambda ref: ref[1]):
        reason = denied_reason(name)
        if reason:
            raise InputError(f"{reason}; db explain never runs it")
    return Statement(text, writes, refs)


def _statement_name(kind: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind.removesuffix("Stmt")).upper()
    return {"VARIABLE SET": "SET", "VARIABLE SHOW": "SHOW", "DO": "DO blocks", "TRANSACTION": "transaction control",
            "COPY": "COPY", "EXPLAIN": "EXPLAIN (give the statement without EXPLAIN)"}.get(words, words)


def _walk(node):
    from pglast import ast

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, ast.Node):
            yield item
            stack.extend(getattr(item, attr) for attr in item)


def _name(parts) -> tuple[str | None, str]:
    names = [p.sval for p in parts if hasattr(p, "sval")]
    return (names[-2] if len(names) > 1 else None, names[-1]) if names else (None, "")


def statement_writes(tree) -> str | None:
    """The kind of write a parsed statement performs anywhere in it ("DELETE", "SELECT INTO"...), or None."""
    for node in _walk(tree):
        kind = type(node).__name__
        if kind in _WRITES:
            return _WRITES[kind]
        if kind == "SelectStmt" and node.intoClause is not None:
            return "SELECT INTO"
        if kind == "SelectStmt" and node.lockingClause:
            return "SELECT FOR UPDATE/SHARE"
    return None


def collect(tree) -> Refs:
    """Every function, operator, relation and type a parsed tree names, and the relations it writes."""
    refs = Refs()
    for node in _walk(tree):
        kind = type(node).__name__
        if kind == "FuncCall":
            refs.functions.add(_name(node.funcname))
        elif kind == "RangeTableSample":
            refs.functions.add(_name(node.method))
        elif kind == "A_Expr" and node.name:
            refs.operators.add(_name(node.name))
        elif kind == "RangeVar":
            refs.relations.add((node.schemaname, node.relname))
        elif kind == "TypeName" and node.names:
            refs.types.add(_name(node.names))
        elif kind == "InsertStmt":
            explicit = node.cols is not None and not _has_default(node)
            _written(refs, node, frozenset(c.name for c in node.cols) if explicit else None)
        elif kind in ("UpdateStmt", "MergeStmt"):
            _written(refs, node, None if kind == "MergeStmt" or _has_default(node) else ())
        elif kind == "DeleteStmt":
            _written(refs, node, ())
        elif kind == "SelectStmt" and node.intoClause is not None:
            raise InputError("SELECT INTO creates a table; db explain never runs it")
    return refs


def _has_default(node) -> bool:
    return any(type(n).__name__ == "SetToDefault" for n in _walk(node))


def _written(refs: Refs, node, given: frozenset[str] | tuple | None) -> None:
    """Record a write to node.relation; `given` () means it evaluates no column default."""
    specs = refs.written.setdefault((node.relation.schemaname, node.relation.relname), [])
    if given != ():
        specs.append(given)


def _expression_refs(expression: str) -> Refs:
    return collect(parse_statements(f"SELECT {expression}")[0].stmt)


# --- layer 2: what the statement reaches, looked up in the catalog ----------------------------

_MAX_OBJECTS = 500
_BODY_WORD = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*)')
_CATALOG_SCHEMAS = ("pg_catalog", "information_schema")
# Statements a function body may hold that run outside what db explain can check.
_BODY_STATEMENTS = {"execute": "runs dynamic SQL (EXECUTE)", "copy": "runs COPY (server files, programs)"}

_PROCS = """
SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE lower(p.proname) = ANY (%(names)s::text[]) AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s)
"""
_PROC = """
SELECT p.proname, n.nspname, l.lanname, p.provolatile, p.prosrc,
       (SELECT array_remove(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
                                  a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn]::oid[], 0::oid)
        FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE p.oid = %(oid)s
"""
_OPERATORS = """
SELECT o.oprcode::oid FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
WHERE o.oprname = %(name)s AND n.nspname <> ALL (%(catalog)s) AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s)
"""
_CASTS = """
SELECT c.castfunc FROM pg_cast c JOIN pg_type t ON t.oid = c.casttarget JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE lower(t.typname) = lower(%(name)s) AND c.castfunc <> 0 AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s)
"""
_RELATIONS = """
SELECT c.oid, c.relkind, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE lower(c.relname) = ANY (%(names)s::text[]) AND n.nspname <> ALL (%(catalog)s)
  AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""
_VIEW = "SELECT pg_get_viewdef(%(oid)s)"
_POLICIES = ("SELECT pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) "
             "FROM pg_policy WHERE polrelid = %(oid)s")
_DEFAULTS = """
SELECT a.attname, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped AND (d.adbin IS NOT NULL OR a.attidentity <> '')
"""
_TRIGGERS = "SELECT tgname, tgfoid FROM pg_trigger WHERE tgrelid = %(oid)s AND NOT tgisinternal"
_RULES = "SELECT rulename, pg_get_ruledef(oid) FROM pg_rewrite WHERE ev_class = %(oid)s AND ev_type <> '1'"
_CHECKS = "SELECT conname, pg_get_expr(conbin, conrelid) FROM pg_constraint WHERE conrelid = %(oid)s AND contype = 'c'"


class _ServerCheck:
    """A worklist over catalog objects; raises InputError at the first one db explain must not run."""

    def __init__(self, conn, allow_writes: bool) -> None:
        self.conn = conn
        self.allow_writes = allow_writes
        self.seen: set = set()

    def rows(self, query: str, **params):
        return self.conn.execute(query, {"catalog": list(_CATALOG_SCHEMAS), **params}).fetchall()

    def first_visit(self, key) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        if len(self.seen) > _MAX_OBJECTS:
            raise InputError(f"the statement reaches more than {_MAX_OBJECTS} functions, views and tables; "
                             "db explain does not run what it cannot check")
        return True

    def refs(self, refs: Refs, via: str = "") -> None:
        for schema, name in sorted(refs.functions, key=str):
            reason = denied_reason(name)
            if reason:
                raise InputError(f"{via}{reason}; db explain never runs it")
            for (oid,) in self.rows(_PROCS, names=[name.lower()], schema=schema):
                self.proc(oid, via)
        for schema, name in sorted(refs.operators, key=str):
            for (oid,) in self.rows(_OPERATORS, name=name, schema=schema):
                self.proc(oid, f"{via}operator {name}: ")
        for schema, name in sorted(refs.types, key=str):
            for (oid,) in self.rows(_CASTS, name=name, schema=schema):
                self.proc(oid, f"{via}cast to {name}: ")
        for schema, name in sorted(refs.relations, key=str):
            self.relations([name.lower()], schema, via, refs.written.get((schema, name)))

    def proc(self, oid: int, via: str) -> None:
        if not self.first_visit(("proc", oid)):
            return
        row = self.conn.execute(_PROC, {"oid": oid}).fetchone()
        if row is None:
            return
        name, schema, language, volatility, body, support = row
        reason = denied_reason(name)
        if reason:
            raise InputError(f"{via}{reason}; db explain never runs it")
        here = f"{via}{name}(): "
        for support_oid in support or ():
            self.proc(support_oid, here)
        if schema in _CATALOG_SCHEMAS:
            if volatility == "v" and not _harmless_volatile(name):
                raise InputError(f"{here}a volatile built-in function that db explain does not know to be "
                                 "harmless; it never runs it")
        elif language in ("c", "internal"):
            if volatility == "v" and not _harmless_volatile(name):
                raise InputError(f"{here}a volatile C function db explain cannot read; it never runs it")
        elif language in ("sql", "plpgsql"):
            self.body(body or "", here)
        else:
            raise InputError(f"{here}written in {language}, which db explain cannot check; it never runs it")

    def body(self, body: str, via: str) -> None:
        """A SQL or PL/pgSQL body: no deny-listed word, no dynamic SQL or COPY; its functions and views followed."""
        words = set()
        for match in _BODY_WORD.finditer(body):
            quoted, bare = match.groups()
            word = quoted.replace('""', '"') if quoted is not None else bare.lower()
            reason = denied_reason(word)
            if reason:
                raise InputError(f"{via}its body names {word}: {reason}; db explain never runs it")
            if word.lower() in _BODY_STATEMENTS:
                raise InputError(f"{via}its body {_BODY_STATEMENTS[word.lower()]}, which db explain cannot check; "
                                 "it never runs it")
            words.add(word)
        names = sorted({word.lower() for word in words})
        for (oid,) in self.rows(_PROCS, names=names, schema=None):
            self.proc(oid, via)
        self.relations(names, None, via, None)

    def relations(self, names: list[str], schema: str | None, via: str, writes: list | None) -> None:
        """Views and row-level policies of the named relations; with --allow-writes, what a write evaluates."""
        for oid, relkind, nsp, relname in self.rows(_RELATIONS, names=names, schema=schema):
            here = f"{via}{nsp}.{relname}: "
            if self.first_visit(("relation", oid)):
                if relkind == "v":
                    (definition,) = self.conn.execute(_VIEW, {"oid": oid}).fetchone()
                    self.refs(collect(parse_statements(definition)[0].stmt), here)
                for qual, check in self.rows(_POLICIES, oid=oid):
                    for expression in filter(None, (qual, check)):
                        self.refs(_expression_refs(expression), f"{here}row-level policy: ")
            if self.allow_writes and writes is not None and self.first_visit(("written", oid, repr(writes))):
                self.write_target(oid, here, writes)

    def write_target(self, oid: int, via: str, writes: list[frozenset[str] | None]) -> None:
        """Column defaults the writes may evaluate, and the table's triggers, rules and CHECK constraints."""
        for column, identity, generated, expression in self.rows(_DEFAULTS, oid=oid):
            if not (generated or any(given is None or column not in given for given in writes)):
                continue
            if identity:
                raise InputError(f"{via}identity column {column} takes its value from a sequence, and sequences "
                                 f"are not rolled back; give {column} a value (OVERRIDING SYSTEM VALUE)")
            self.refs(_expression_refs(expression), f"{via}default of column {column} (give it a value): ")
        for trigger, function in self.rows(_TRIGGERS, oid=oid):
            self.proc(function, f"{via}trigger {trigger}: ")
        for rule, definition in self.rows(_RULES, oid=oid):
            self.refs(collect(parse_statements(definition)[0].stmt), f"{via}rule {rule}: ")
        for constraint, expression in self.rows(_CHECKS, oid=oid):
            self.refs(_expression_refs(expression), f"{via}constraint {constraint}: ")


def _harmless_volatile(name: str) -> bool:
    name = name.lower()
    return name in _HARMLESS_VOLATILE or name.startswith(_HARMLESS_VOLATILE_PREFIXES) or name.endswith("handler")


def check_on_server(conn, statement: Statement, *, allow_writes: bool) -> None:
    """Follow every catalog object the statement reaches; InputError at the first one db explain refuses."""
    _ServerCheck(conn, allow_writes).refs(statement.refs)
