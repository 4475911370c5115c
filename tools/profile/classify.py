"""What a function is, from its file and name: a blocking wait, regex/JSON/serialization, a database
driver, library code."""

from __future__ import annotations

import re
from functools import lru_cache

from tools.profile.model import FuncKey


def is_builtin(key: FuncKey) -> bool:
    return key[0] in ("~", "") and key[2].startswith(("<built-in", "<method"))


# Builtins that block: sleep, select/poll, locks, sockets, TLS, raw file I/O, psycopg's wait loop.
_WAIT_BUILTIN = re.compile(
    r"time\.sleep|select\.select|'select\.\w+' objects|'_thread\.\w*lock' objects|'_socket\.socket' objects|"
    r"_socket\.(getaddrinfo|gethostbyname)|'_ssl\._SSLSocket' objects|posix\.(read|write|wait\w*)|"
    r"'_io\.\w+' objects|\bwait_c\b"
)
# Pure-Python stdlib functions that block (what py-spy shows, since it has no builtin frames).
_WAIT_PY_FILE = re.compile(r"(^|/)(selectors|socket|ssl|threading|queue|subprocess)\.py$")
# Native symbols that block (py-spy --native, perf): libc/pthread waits and CPython's sleep and lock.
_WAIT_NATIVE = re.compile(
    r"^_*(time_sleep|clock_nanosleep|nanosleep|select|pselect\w*|poll|ppoll|epoll_wait|epoll_pwait|kevent|"
    r"recv\w*|read|libc_read|accept4?|connect|pthread_cond_(timed)?wait\w*|sem_(timed|clock)?wait|"
    r"\w*futex\w*wait\w*|PyThread_acquire_lock_timed|wait4|waitpid)$"
)
_NATIVE_LIBRARY = re.compile(r"\.(so[.\d]*|dylib|dll|pyd)$")
_WAIT_PY_NAMES = frozenset({
    "select", "poll", "recv", "recv_into", "send", "sendall", "connect", "create_connection", "accept", "read",
    "write", "wait", "join", "get", "put", "acquire", "communicate", "_wait", "_communicate", "_try_wait",
})
_REGEX = re.compile(r"((^|/)re/|(^|/)(re|sre_compile|sre_parse)\.py|'re\.Pattern'|'re\.Match'|_sre\b)")
REGEX_COMPILE = re.compile(r"((^|/)re/_compiler\.py|(^|/)sre_compile\.py)$")
_JSON = re.compile(r"((^|/)json/|_json\b|\borjson\b|\bujson\b|\bsimplejson\b)")
_SERIALIZATION = re.compile(
    r"((^|/)(pickle|copy|marshal)\.py|_pickle\b|\bmarshal\.|(^|/)(yaml|xml|msgpack|pydantic|pydantic_core)/|"
    r"\b_yaml\b|pyexpat|ElementTree|msgpack|pydantic_core|deepcopy)"
)
_DB_DRIVER = re.compile(
    r"((^|/)(psycopg|psycopg2|psycopg_binary|psycopg_c|asyncpg|pymysql|MySQLdb|sqlite3|oracledb|cx_Oracle|pymongo)/|"
    r"\bpsycopg_binary\b|\bpsycopg2\b|\b_sqlite3\b|'sqlite3\.|\basyncpg\b|(^|/)sqlalchemy/engine/|"
    r"(^|/)django/db/backends/)"
)

_LIBRARY_PATH = re.compile(r"[/\\](lib[/\\]python\d[\d.]*|site-packages|dist-packages)[/\\]|^<frozen ")


def is_wait(key: FuncKey) -> bool:
    """Blocking calls: time under them is wall-clock waiting that faster code cannot shorten."""
    if is_builtin(key):
        return bool(_WAIT_BUILTIN.search(key[2]))
    if _NATIVE_LIBRARY.search(key[0]):
        return bool(_WAIT_NATIVE.match(key[2]))
    return key[2] in _WAIT_PY_NAMES and bool(_WAIT_PY_FILE.search(key[0]))


CATEGORIES: dict[str, re.Pattern[str]] = {
    "regex": _REGEX, "json": _JSON, "serialization": _SERIALIZATION, "db": _DB_DRIVER,
}


def categories(key: FuncKey) -> frozenset[str]:
    """Which CATEGORIES a function belongs to: by its file, or by its name for builtins and bare frames."""
    if key[2] == "<module>":
        return frozenset()  # importing json is not serializing
    return _categories_of(key[0] if key[0] not in ("", "~") else key[2])


@lru_cache(maxsize=65536)
def _categories_of(text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in CATEGORIES.items() if pattern.search(text))


def is_library(key: FuncKey) -> bool:
    return is_builtin(key) or bool(_LIBRARY_PATH.search(key[0]))
