"""`db explain` never changes anything, proven on the real server against write and side-effect statements.

Everything happens in a throw-away database (so even `pg_stat_reset()` would only touch it), as the
superuser (the worst case: every function below would work for it). A second backend that the test
starts is the target of pg_terminate_backend and listens for NOTIFY. Each statement is either
refused by db explain before it runs, refused by PostgreSQL (the read-only transaction), or runs and
is rolled back; after all of them, rows, sequences, the other backend, server files, large objects,
advisory locks, notifications and statistics counters are checked unchanged.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tools.db import connect, explain_json
from tools.db_guard import check_statement, denied_reason
from tools.errors import InputError

pytestmark = pytest.mark.postgres

REFUSED, SERVER, RAN = "refused by db explain", "refused by PostgreSQL", "ran, rolled back"

SETUP = """
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE victim (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO victim SELECT g, g FROM generate_series(1, 1000) g;
CREATE SEQUENCE s;
SELECT setval('s', 42);
CREATE TABLE serial_t (id serial PRIMARY KEY, note text);
CREATE TABLE ident_t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
CREATE TABLE log_t (msg text);
CREATE TABLE audited (id int);
INSERT INTO audited VALUES (1);
CREATE TABLE guarded (id int);
CREATE FUNCTION zap() RETURNS bigint LANGUAGE sql AS
  $$ WITH d AS (DELETE FROM victim RETURNING 1) SELECT count(*) FROM d $$;
CREATE FUNCTION log_it() RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO log_t VALUES ('x'); END $$;
CREATE FUNCTION kill_other() RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN pg_terminate_backend({pid}); END $$;
CREATE FUNCTION kill_fn(int) RETURNS bool LANGUAGE sql AS $$ SELECT pg_terminate_backend($1) $$;
CREATE FUNCTION harmless(int) RETURNS int LANGUAGE sql AS $$ SELECT $1 + 1 $$;
CREATE FUNCTION indirect() RETURNS bool LANGUAGE sql AS $$ SELECT kill_fn({pid}) $$;
CREATE OPERATOR !!! (FUNCTION = kill_fn, RIGHTARG = int);
CREATE VIEW killer_view AS SELECT pg_terminate_backend({pid}) AS killed;
CREATE VIEW nested_view AS SELECT * FROM killer_view;
CREATE FUNCTION dyn() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DELETE FROM victim'; END $$;
CREATE FUNCTION copier() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COPY victim TO '{file4}'; END $$;
CREATE FUNCTION sleepy() RETURNS void LANGUAGE sql AS $$ SELECT pg_sleep(10) $$;
CREATE FUNCTION "Quoted"() RETURNS bool LANGUAGE sql AS $$ SELECT "pg_cancel_backend"({pid}) $$;
CREATE PROCEDURE wipe() LANGUAGE sql AS $$ DELETE FROM victim $$;
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN PERFORM pg_notify('{channel}', 'x'); RETURN NEW; END $$;
CREATE TRIGGER audit_t BEFORE UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION audit();
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
ALTER TABLE guarded FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON guarded USING (kill_fn(id));
"""


def statements(pid: int, key: int, files: list[str], channel: str) -> list[tuple[str, bool, str]]:
    """(SQL, --allow-writes, expected outcome): write and side-effect statements, and a few that may run."""
    f1, f2, f3, _ = files
    return [
        # several statements in one string: counted by libpg_query, refused before any connection
        ("SELECT 1 AS é$a$; COMMIT; DROP TABLE victim; SELECT 1 AS x$a$", False, REFUSED),
        ("SELECT 1 AS ü$b$; COMMIT; INSERT INTO victim SELECT id + 5000, 0 FROM victim; SELECT 1 AS y$b$", True,
         REFUSED),
        ("SELECT 1 AS ñ$c$; COMMIT; SELECT setval('s', 999); SELECT 1 AS z$c$", False, REFUSED),
        ('SELECT 1 AS "é$a$"; DROP TABLE victim', True, REFUSED),
        ("SELECT 1 -- ;\n; DELETE FROM victim", True, REFUSED),
        ("SELECT 1 /* ; */; DROP TABLE victim", False, REFUSED),
        ("COMMIT; DROP TABLE victim", False, REFUSED),
        ("EXPLAIN ANALYZE SELECT 1; DELETE FROM victim", True, REFUSED),
        # writes without --allow-writes; with it they run and are rolled back
        ("DELETE FROM victim", False, REFUSED),
        ("WITH gone AS (DELETE FROM victim RETURNING 1) SELECT count(*) FROM gone", False, REFUSED),
        ("WITH gone AS (DELETE FROM victim RETURNING 1) SELECT count(*) FROM gone", True, RAN),
        ("UPDATE victim SET balance = 0", True, RAN),
        ("MERGE INTO victim v USING (SELECT 1 AS id) s ON v.id = s.id WHEN MATCHED THEN DELETE", False, REFUSED),
        ("SELECT * FROM victim FOR UPDATE", False, REFUSED),
        ("SELECT * INTO copy_t FROM victim", True, REFUSED),
        # sequences are never rolled back
        ("SELECT nextval('s')", False, REFUSED),
        ("SELECT setval('s', 1000)", True, REFUSED),
        ("INSERT INTO serial_t (note) VALUES ('x')", True, REFUSED),
        ("INSERT INTO ident_t (note) VALUES ('x')", True, REFUSED),
        ("INSERT INTO serial_t (id, note) VALUES (-1, 'x')", True, RAN),
        # other backends, whatever the spelling of the function name
        (f'SELECT "pg_terminate_backend"({pid})', True, REFUSED),
        (f'SELECT pg_catalog."pg_terminate_backend"({pid})', True, REFUSED),
        (f"SELECT pg_terminate_backend/**/({pid})", True, REFUSED),
        (f"SELECT PG_TERMINATE_BACKEND ({pid})", False, REFUSED),
        (f"SELECT pg_cancel_backend/**/({pid})", False, REFUSED),
        (f"SELECT * FROM pg_catalog.pg_terminate_backend({pid})", False, REFUSED),
        # ...or hidden in a function, an operator, a view, a row-level policy
        ("SELECT kill_other()", False, REFUSED),
        ("SELECT indirect()", False, REFUSED),
        ('SELECT "Quoted"()', False, REFUSED),
        ("SELECT !!! 5", False, REFUSED),
        ("SELECT * FROM nested_view", False, REFUSED),
        ("SELECT * FROM guarded", False, REFUSED),
        # large objects and server files
        (f"SELECT \"lo_export\"(lo_from_bytea(0, 'x'), '{f1}')", True, REFUSED),
        ("SELECT lo_import('/etc/hostname')", False, REFUSED),
        ("SELECT lo_from_bytea(0, 'secret')", False, REFUSED),
        ("SELECT pg_read_file('/etc/passwd')", False, REFUSED),
        ("SELECT * FROM pg_ls_dir('.')", False, REFUSED),
        (f"COPY victim TO '{f2}'", True, REFUSED),
        ("COPY victim TO STDOUT", False, REFUSED),
        (f"COPY (SELECT 1) TO PROGRAM 'touch {f3}'", True, REFUSED),
        ("SELECT copier()", True, REFUSED),
        # statistics, locks, sleeping, notifications, settings, SQL from text
        ("SELECT pg_stat_reset()", False, REFUSED),
        ("SELECT pg_stat_reset_single_table_counters('victim'::regclass)", True, REFUSED),
        ("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)",
         False, REFUSED),
        (f"SELECT pg_advisory_lock({key})", False, REFUSED),
        (f"SELECT pg_try_advisory_lock({key})", True, REFUSED),
        ("SELECT pg_sleep(1) FROM generate_series(1, 100)", False, REFUSED),
        ("SELECT sleepy()", False, REFUSED),
        (f"SELECT pg_notify('{channel}', 'x')", False, REFUSED),
        ("SELECT txid_current()", False, REFUSED),
        ("SELECT set_config('default_transaction_read_only', 'off', false)", False, REFUSED),
        ("SELECT query_to_xml('DELETE FROM victim RETURNING 1', true, false, '')", True, REFUSED),
        ("SELECT dyn()", True, REFUSED),
        ("UPDATE audited SET id = 2", True, REFUSED),
        # statements that are not queries
        ("DO $$ BEGIN DELETE FROM victim; END $$", True, REFUSED),
        ("CALL wipe()", True, REFUSED),
        ("SET default_transaction_read_only = off", False, REFUSED),
        ("RESET ALL", False, REFUSED),
        (f"LISTEN {channel}", False, REFUSED),
        (f"NOTIFY {channel}", False, REFUSED),
        ("VACUUM victim", True, REFUSED),
        ("LOCK victim IN ACCESS EXCLUSIVE MODE", True, REFUSED),
        ("PREPARE p AS DELETE FROM victim", True, REFUSED),
        ("EXECUTE p", True, REFUSED),
        ("CREATE TABLE t2 AS SELECT 1", True, REFUSED),
        ("TRUNCATE victim", True, REFUSED),
        ("DROP TABLE victim", True, REFUSED),
        # volatile user functions that write: the read-only transaction stops them, or the rollback undoes them
        ("SELECT zap()", False, SERVER),
        ("SELECT log_it()", False, SERVER),
        ("SELECT zap()", True, RAN),
        # the same text inside a string is one harmless statement
        ("SELECT 1 AS x$a$, 'é$a$; COMMIT; DROP TABLE victim; --'", False, RAN),
        ("SELECT harmless(id) FROM victim WHERE id < 10", False, RAN),
    ]


@pytest.fixture
def arena(pg_dsn):
    """(dsn of a throw-away database, superuser connection to it, other backend, names) — dropped after."""
    name = f"lmagent_dbs_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(pg_dsn, autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(pg_dsn)
    dsn = urlunsplit(parts._replace(path=f"/{name}"))
    conn = other = None
    try:
        conn = psycopg.connect(dsn, autocommit=True)
        other = psycopg.connect(dsn, autocommit=True)
        tag = name.removeprefix("lmagent_")
        names = {
            "pid": other.info.backend_pid,
            "key": int(uuid.uuid4().hex[:12], 16),
            "files": [f"/tmp/lmagent-{tag}-{n}" for n in range(1, 5)],
            "channel": tag,
        }
        other.execute(f"LISTEN {tag}")
        conn.execute(SETUP.format(pid=names["pid"], file4=names["files"][3], channel=tag))
        conn.execute(f"SELECT count(*) /* keep_{tag} */ FROM victim").fetchone()  # one pg_stat_statements entry
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
        yield dsn, conn, other, names
    finally:
        for c in (conn, other):
            if c is not None:
                c.close()
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
        for path in names["files"]:
            if os.path.exists(path):  # pragma: no cover - only after a failure
                os.remove(path)


def state(conn, other, names) -> dict:
    """Everything a statement could have changed, read from outside db explain's session."""
    one = lambda sql, *args: conn.execute(sql, args or None).fetchone()[0]  # noqa: E731
    tag = names["channel"]
    return {
        "victim": conn.execute("SELECT count(*), sum(balance) FROM victim").fetchone(),
        "tables": one("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"),
        "serial_t": one("SELECT count(*) FROM serial_t"),
        "log_t": one("SELECT count(*) FROM log_t"),
        "audited": one("SELECT sum(id) FROM audited"),
        "s": conn.execute("SELECT last_value, is_called FROM s").fetchone(),
        "serial_seq": conn.execute("SELECT last_value, is_called FROM serial_t_id_seq").fetchone(),
        "ident_seq": one("SELECT last_value FROM pg_sequences WHERE sequencename LIKE 'ident_t%'"),
        "other_alive": one("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", names["pid"]),
        "large_objects": one("SELECT count(*) FROM pg_largeobject_metadata"),
        "advisory_locks": one("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
        "server_files": [one("SELECT pg_stat_file(%s, true) IS NOT NULL", f) for f in names["files"]],
        "local_files": [os.path.exists(f) for f in names["files"]],
        "stats_reset": one("SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"),
        "victim_inserts": one("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'victim'"),
        "statements_entry": one("SELECT count(*) FROM pg_stat_statements WHERE query LIKE %s", f"%keep_{tag}%"),
        "read_only_default": one("SHOW default_transaction_read_only"),
    }


def outcome(run_cli, dsn: str, sql: str, allow_writes: bool) -> tuple[str, str]:
    argv = ["db", "explain", "--dsn", dsn, *(["--allow-writes"] if allow_writes else []), sql]
    code, out, err = run_cli(*argv)
    if code == 0:
        return RAN, "transaction: read-" in out and "rolled back" in out and ""
    assert (code, out) == (2, "") and err.count("\n") == 1, (sql, code, err)
    return (SERVER if ": PostgreSQL: " in err else REFUSED), err.strip()


def test_db_explain_changes_nothing_on_the_real_server(arena, run_cli):
    dsn, conn, other, names = arena
    cases = statements(names["pid"], names["key"], names["files"], names["channel"])
    assert len([c for c in cases if c[2] != RAN]) >= 40
    before = state(conn, other, names)
    assert before["other_alive"] == 1 and before["victim_inserts"] == 1000 and before["statements_entry"] == 1
    results = []
    for sql, allow_writes, expected in cases:
        got, message = outcome(run_cli, dsn, sql, allow_writes)
        results.append((sql, allow_writes, expected, got, message))
    wrong = [r for r in results if r[2] != r[3]]
    assert not wrong, "\n".join(f"{r[0]!r} (--allow-writes={r[1]}): expected {r[2]}, got {r[3]}: {r[4]}"
                                for r in wrong)
    conn.execute("SELECT pg_stat_clear_snapshot()")
    after = state(conn, other, names)
    assert after == before
    assert other.execute("SELECT 1").fetchone() == (1,)  # the other backend still answers...
    assert list(other.notifies(timeout=0.2, stop_after=1)) == []  # ...and heard no NOTIFY
    server_refusals = {r[0] for r in results if r[3] == SERVER}
    assert server_refusals == {"SELECT zap()", "SELECT log_it()"}


def test_refusals_say_why_in_one_line(arena, run_cli):
    dsn, _, _, names = arena
    expectations = [
        ("SELECT 1 AS é$a$; COMMIT; DROP TABLE victim; SELECT 1 AS x$a$", "one statement at a time (4 given)"),
        (f'SELECT "pg_terminate_backend"({names["pid"]})', "pg_terminate_backend() has effects a rollback cannot undo"),
        ("SELECT nextval('s')", "sequences are not rolled back"),
        ("SELECT kill_other()", "kill_other(): its body names pg_terminate_backend"),
        ("SELECT * FROM nested_view", "public.nested_view: public.killer_view: pg_terminate_backend()"),
        ("SELECT !!! 5", "operator !!!: kill_fn(): its body names pg_terminate_backend"),
        ("SELECT dyn()", "dynamic SQL (EXECUTE)"),
        ("COPY victim TO STDOUT", "db explain runs only SELECT, VALUES, TABLE and WITH queries"),
        ("SET default_transaction_read_only = off", "not SET"),
        ("DO $$ BEGIN END $$", "not DO blocks"),
        ("", "no SQL statement given"),
        ("-- nothing\n;", "no SQL statement given"),
    ]
    for sql, message in expectations:
        code, _, err = run_cli("db", "explain", "--dsn", dsn, "--allow-writes", sql)
        assert code == 2 and err.count("\n") == 1 and message in err, (sql, err)
    code, _, err = run_cli("db", "explain", "--dsn", dsn, "--allow-writes", "INSERT INTO serial_t (note) VALUES ('x')")
    assert code == 2 and "default of column id" in err and "nextval()" in err
    code, _, err = run_cli("db", "explain", "--dsn", dsn, "SELECT 1,\n2 +\nFROM victim")
    assert code == 2 and err.startswith("<input>:3: syntax error")


def test_the_server_refuses_a_second_command_whatever_the_checks_thought(arena):
    """The extended protocol is a layer of its own: a smuggled COMMIT never runs even past the parser."""
    dsn, conn, _, _ = arena
    with connect(dsn) as session, pytest.raises(psycopg.errors.SyntaxError, match="cannot insert multiple commands"):
        explain_json(session, "SELECT 1; COMMIT; DROP TABLE victim")
    assert conn.execute("SELECT count(*) FROM victim").fetchone() == (1000,)


def test_every_session_is_read_only_by_default_even_if_the_dsn_says_otherwise(arena):
    dsn, conn, _, _ = arena
    sneaky = f"{dsn}?options=-c%20default_transaction_read_only%3Doff"
    with connect(sneaky) as session:
        assert session.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        session.execute("BEGIN")
        session.execute("COMMIT")  # a second transaction is read-only too
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            session.execute("DELETE FROM victim")
    assert conn.execute("SELECT count(*) FROM victim").fetchone() == (1000,)


def test_sql_suggest_indexes_reads_through_a_read_only_session(arena, run_cli):
    dsn, _, _, _ = arena
    code, _, err = run_cli("sql", "--suggest-indexes", "--dsn", dsn, "-", stdin="SELECT * FROM victim WHERE balance = 3")
    assert code in (0, 1), err


@pytest.mark.parametrize("sql, expected", [
    ("SELECT 1", None),
    ("SELECT my_schema.pg_terminate_backend(1)", "rollback cannot undo"),
    ('SELECT "PG_SLEEP"(1)', "holds the connection"),
    ("SELECT * FROM pg_catalog.pg_stat_reset()", "rollback cannot undo"),
    ("SELECT * FROM dblink('x', 'y') AS t(a int)", "rollback cannot undo"),
    ("SELECT 1 FROM t TABLESAMPLE system_time(1000)", None),
    ("VALUES (1), (2)", None),
    ("TABLE victim", None),
])
def test_check_statement_offline(sql, expected):
    if expected is None:
        assert check_statement(sql, allow_writes=False).text == sql
    else:
        with pytest.raises(InputError, match=expected):
            check_statement(sql, allow_writes=True)


def test_every_volatile_builtin_is_refused_or_known_harmless(pg_conn):
    """A built-in the deny-list forgot is still refused on the server (volatile, not on the harmless list)."""
    from tools.db_guard import _harmless_volatile

    names = [r[0] for r in pg_conn.execute(
        "SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace "
        "AND provolatile = 'v' ORDER BY 1").fetchall()]
    assert not [n for n in names if denied_reason(n) and _harmless_volatile(n)]
    for name in ("pg_terminate_backend", "lo_export", "pg_stat_reset", "pg_sleep", "nextval", "pg_notify"):
        assert name in names and denied_reason(name)


def test_db_health_session_is_read_only(arena, run_cli):
    dsn, _, _, _ = arena
    code, out, err = run_cli("db", "health", "--dsn", dsn, "--json")
    assert code in (0, 1), err
