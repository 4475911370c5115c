"""Assemble a self-contained redis-py caching module from the template fragments in templates/.

Each fragment is a ``string.Template``: ``${async_}``/``${await_}``/``${sleep}`` make one text serve
both the redis-py and the redis.asyncio variant, and the few parts that really differ (lock renewal
in a thread or a task, the write-behind worker) have a ``_sync``/``_async`` file each. Imports are
derived from what the assembled body uses, so every variant passes ``ruff check`` (unused imports,
isort order) without a formatter run.
"""

from __future__ import annotations

import keyword
import re
import string
import textwrap
from dataclasses import dataclass
from functools import cache
from importlib import resources

PATTERN_NAMES = (
    "cache-aside",
    "write-through",
    "write-behind",
    "invalidation",
    "stampede-lock",
    "stampede-xfetch",
    "negative-cache",
)
SERIALIZERS = ("json", "pickle", "msgpack")
MAX_TTL = 365 * 24 * 3600


@dataclass(frozen=True)
class PatternSpec:
    name: str
    decorator: str  # the main name the generated module exports
    reader: str  # the decorator that reads through the cache in this module
    summary: str  # one line
    explanation: str  # a few sentences: what it does and what it costs
    fragments: tuple[str, ...]  # template files after core; "{mode}" becomes sync or async
    exports: tuple[str, ...]  # the names the usage snippet imports
    usage: str  # string.Template over $dec, $key, $ttl, $fn, $params, $async_, $await_, $prefix, $module


_READ_USAGE = """\
    @$reader("$key", ttl=$ttl)
    ${async_}def get_$fn($params): ...  # your loader; its parameters fill the key template
"""

SPECS: dict[str, PatternSpec] = {
    spec.name: spec
    for spec in (
        PatternSpec(
            "cache-aside",
            "cache_aside",
            "cache_aside",
            "Read through the cache: return the cached value or load it from the source and cache it.",
            "The application reads the cache first and, on a miss, calls the source and stores the "
            "result with a jittered TTL. Cheapest pattern; data may be stale for up to the TTL.",
            ("cache_aside",),
            ("cache_aside",),
            _READ_USAGE,
        ),
        PatternSpec(
            "write-through",
            "write_through",
            "cache_aside",
            "Writes update the source, then replace the cache entry readers use.",
            "The write function saves to the source of truth and its result replaces the cache entry, so "
            "readers (cache_aside on the same key) see the new value at once. Each write pays one extra "
            "Redis round trip; concurrent writers can still leave the older value until the TTL ends.",
            ("cache_aside", "write_through"),
            ("cache_aside", "write_through"),
            _READ_USAGE
            + """
    @write_through("$key", ttl=$ttl)
    ${async_}def save_$fn($params, value): ...  # writes to the source, returns the stored entity
""",
        ),
        PatternSpec(
            "write-behind",
            "write_behind",
            "cache_aside",
            "Writes go to the cache now and to the source later, coalesced, in the background.",
            "Writes return after one Redis SET; a background worker sends the latest value per key to the "
            "source every second, with retries. Lowest write latency and fewer source writes, at the price "
            "of losing the unflushed writes if the process dies.",
            ("cache_aside", "write_behind", "write_behind_worker_{mode}"),
            ("cache_aside", "flush", "write_behind"),
            _READ_USAGE
            + """
    @write_behind("$key", ttl=$ttl, value_arg="value")
    ${async_}def save_$fn($params, value): ...  # runs later, in the background

    ${await_}flush()  # at shutdown${flush_hint}
""",
        ),
        PatternSpec(
            "invalidation",
            "invalidate",
            "cache_aside",
            "Remove entries when the source changes: one key, or a whole prefix with SCAN + UNLINK.",
            "Cache-aside plus explicit invalidation: invalidate(key) after a write, or invalidate_prefix() "
            "to drop a family of keys in batches with SCAN + UNLINK (never KEYS, which blocks Redis). "
            "The next read reloads from the source.",
            ("cache_aside", "invalidation"),
            ("cache_aside", "invalidate", "invalidate_prefix", "invalidates"),
            _READ_USAGE
            + """
    @invalidates("$key")
    ${async_}def update_$fn($params, value): ...  # the entry is removed after the write

    ${await_}invalidate_prefix("$prefix")  # drop every entry of the family
""",
        ),
        PatternSpec(
            "stampede-lock",
            "stampede_lock",
            "stampede_lock",
            "On a miss only one caller loads the value (Redis lock with token, renewal, fencing).",
            "On a miss one caller takes a Redis lock (random token, renewed while the source runs, "
            "released by compare-and-delete) and loads the value; the others wait for it. Protects a "
            "slow source from a thundering herd; waiters pay the load latency once.",
            ("lock", "lock_renewer_{mode}", "stampede_lock"),
            ("stampede_lock",),
            _READ_USAGE,
        ),
        PatternSpec(
            "stampede-xfetch",
            "xfetch",
            "xfetch",
            "Probabilistic early recomputation (XFetch, Vattani et al. VLDB 2015): hot keys never go cold.",
            "Each entry stores the value, the time the source took (delta) and its expiry; a caller "
            "recomputes early when now - delta*beta*ln(rand()) >= expiry, so one caller refreshes a hot "
            "entry shortly before it expires while the rest keep the cached value. Cold keys load once "
            "under a lock. Costs a few bytes per entry and an occasional early source call.",
            ("lock", "lock_renewer_{mode}", "xfetch"),
            ("xfetch",),
            _READ_USAGE.replace("ttl=$ttl)", "ttl=$ttl, beta=1.0)"),
        ),
        PatternSpec(
            "negative-cache",
            "negative_cache",
            "negative_cache",
            "Cache 'not found' too, for a shorter TTL, so lookups of missing ids stop hitting the source.",
            "Like cache-aside, but a result meaning 'absent' (None by default) is cached for a shorter "
            "negative TTL: scans for ids that do not exist (cache penetration) stop reaching the source, "
            "and a newly created row becomes visible within that short TTL.",
            ("cache_aside", "negative_cache"),
            ("negative_cache",),
            _READ_USAGE.replace("ttl=$ttl)", "ttl=$ttl, negative_ttl=$negative_ttl)"),
        ),
    )
}

PATTERNS: dict[str, str] = {name: spec.summary for name, spec in SPECS.items()}

_STDLIB = (
    "asyncio", "atexit", "contextlib", "functools", "inspect", "json", "logging", "math", "os",
    "pickle", "random", "re", "secrets", "string", "threading", "time",
)  # fmt: skip
_FROM_IMPORTS = (("collections.abc", "Callable"), ("typing", "Any"))
_FIELD_ROOT = re.compile(r"[^.\[]*")
_QUALIFIER = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.")
_WORD = re.compile(r"\w+")
_UNSAFE_KEY_CHARS = re.compile(r"[\x00-\x1f\x7f\"'\\]")


@cache
def _fragment(name: str) -> string.Template:
    text = resources.files(__package__).joinpath("templates", f"{name}.py.tmpl").read_text(encoding="utf-8")
    return string.Template(text)


def key_fields(template: str) -> list[str]:
    """The parameter names a key template uses, in order: "user:{user_id}:{lang}" -> [user_id, lang].

    Raises ValueError with a readable message for a template the generated code could not format.
    """
    if not template or not template.strip():
        raise ValueError("the key template is empty")
    if len(template) > 256:
        raise ValueError("the key template is longer than 256 characters")
    bad = _UNSAFE_KEY_CHARS.search(template)
    if bad:
        raise ValueError(f"the key template contains {bad.group()!r}: quotes, backslashes and control characters are not allowed")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"the key template is not a valid format string: {exc}") from None
    fields: list[str] = []
    for _, name, _, _ in parsed:
        if name is None:
            continue
        root = _FIELD_ROOT.match(name).group()
        if not root.isidentifier() or keyword.iskeyword(root):
            raise ValueError(
                f"the key template field {{{name}}} must name a parameter, e.g. {{user_id}} or {{user.id}}"
            )
        if root not in fields:
            fields.append(root)
    return fields


def static_prefix(template: str) -> str:
    """The literal text before the first field: the prefix that invalidates a family of keys."""
    return template.split("{", 1)[0]


def _example_name(template: str, fields: list[str]) -> str:
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", static_prefix(template))
    if words:
        return words[-1].lower()
    if fields:
        return re.sub(r"_?id$", "", fields[0]) or "item"
    return "item"


def _imports(body: str, use_async: bool, serializer: str) -> str:
    # One pass over the body: the names used as `name.attr` (not `x.name.attr`), and all words.
    qualifiers = set(_QUALIFIER.findall(body))
    words = set(_WORD.findall(body))
    stdlib = [f"import {m}" for m in _STDLIB if m in qualifiers]
    from_imports = [f"from {module} import {name}" for module, name in _FROM_IMPORTS if name in words]
    third_party = ["import msgpack"] if serializer == "msgpack" else []
    third_party.append("import redis.asyncio" if use_async else "import redis")
    return "\n".join(
        ["from __future__ import annotations", "", *stdlib, *from_imports, "", *third_party]
    )


def generate(
    pattern: str, key: str, ttl: int, use_async: bool = False, serializer: str = "json"
) -> str:
    """The Python source of a self-contained module implementing ``pattern`` with redis-py.

    Raises ValueError for an unknown pattern or serializer, a bad key template or TTL.
    """
    spec = SPECS.get(pattern)
    if spec is None:
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {', '.join(PATTERN_NAMES)}")
    if serializer not in SERIALIZERS:
        raise ValueError(f"unknown serializer {serializer!r}; choose one of {', '.join(SERIALIZERS)}")
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be between 1 and {MAX_TTL} seconds, got {ttl}")
    key_fields(key)  # validates
    mode = "async" if use_async else "sync"
    values = {
        "async_": "async " if use_async else "",
        "await_": "await " if use_async else "",
        "sleep": "await asyncio.sleep" if use_async else "time.sleep",
        "client_class": "redis.asyncio.Redis" if use_async else "redis.Redis",
        "use_async": str(use_async),
        "source_kind": "async def" if use_async else "plain def (not async def)",
        "ttl": str(ttl),
        "negative_ttl": str(negative_ttl(ttl)),
        "flush_note": (
            "Await it before the event loop closes: writes still pending then are lost."
            if use_async
            else "It also runs at interpreter exit (atexit)."
        ),
    }
    names = ("core", f"serializer_{serializer}", *(f.format(mode=mode) for f in spec.fragments))
    body = "\n\n\n".join(_fragment(name).substitute(values).strip() for name in names)
    docstring = _docstring(spec, key, ttl, use_async, serializer)
    return f"{docstring}\n\n{_imports(body, use_async, serializer)}\n\n{body}\n"


def negative_ttl(ttl: int) -> int:
    return max(1, ttl // 10)


def requirements(serializer: str) -> list[str]:
    return ["redis>=5.0", *(["msgpack>=1.0"] if serializer == "msgpack" else [])]


def install_command_args(serializer: str) -> str:
    """The requirements quoted for a shell: an unquoted `redis>=5.0` would redirect to a file."""
    return " ".join(f"'{r}'" for r in requirements(serializer))


def module_name(pattern: str) -> str:
    return SPECS[pattern].decorator if pattern != "invalidation" else "cache_invalidation"


def usage(pattern: str, key: str, ttl: int, use_async: bool = False) -> str:
    """The snippet that shows how the generated module is used with this key and TTL."""
    spec = SPECS[pattern]
    fields = key_fields(key)
    return string.Template(spec.usage).substitute(
        dec=spec.decorator,
        reader=spec.reader,
        key=key,
        ttl=ttl,
        negative_ttl=negative_ttl(ttl),
        fn=_example_name(key, fields),
        params=", ".join(fields),
        prefix=static_prefix(key) or key,
        async_="async " if use_async else "",
        await_="await " if use_async else "",
        flush_hint="" if use_async else " (also registered with atexit)",
    )


def _docstring(spec: PatternSpec, key: str, ttl: int, use_async: bool, serializer: str) -> str:
    flags = f"--key '{key}' --ttl {ttl}" + (" --async" if use_async else "") + (
        f" --serializer {serializer}" if serializer != "json" else ""
    )
    client = "redis.asyncio" if use_async else "redis-py"
    example = usage(spec.name, key, ttl, use_async)
    return (
        f'"""Redis {spec.name} caching for {client}, {serializer} serialization.\n\n'
        f"{textwrap.fill(spec.summary + ' ' + spec.explanation, width=96, break_on_hyphens=False)}\n\n"
        "Usage:\n\n"
        f"    from {module_name(spec.name)} import {', '.join(spec.exports)}\n\n"
        f"{example}\n"
        "Configuration: REDIS_URL (default redis://localhost:6379/0). Assign `redis_client` to use\n"
        "another client. Redis errors and unserializable values are logged and fall back to the source.\n"
        f"Requires: Python 3.10+, pip install {install_command_args(serializer)}\n\n"
        f"Generated by:\nlmagent cache-pattern {spec.name} {flags}\n"
        '"""'
    )
