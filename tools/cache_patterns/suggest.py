"""Read a caching request in Spanish or English and pick pattern, key template and TTL.

"cachea get_user por user_id 10 minutos" -> cache-aside, "user:{user_id}", 600 s. Deterministic
keyword rules over accent-folded text; anything not about caching yields None.
"""

from __future__ import annotations

import re

from tools.text import fold

DEFAULT_TTL = 300

# Checked in order: the first pattern whose words appear wins; cache-aside is the fallback when the
# text is about caching at all.
_PATTERN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("stampede-xfetch", ("xfetch", "probabilis", "early recomput", "early refresh", "recalculo anticipado",
                         "recomputacion temprana", "refresco anticipado", "vattani")),
    ("stampede-lock", ("stampede", "estampida", "thundering herd", "dogpile", "avalancha", "cache lock",
                       "candado", "mutex", "lock")),
    ("write-behind", ("write-behind", "write behind", "write-back", "write back", "escritura diferida",
                      "escritura asincrona", "escritura en segundo plano")),
    ("write-through", ("write-through", "write through", "escritura directa", "al guardar",
                       "al escribir", "on write", "on save")),
    ("invalidation", ("invalidat", "invalidar", "invalidacion", "prefijo", "prefix", "purge", "purgar",
                      "evict", "borrar cache", "limpiar cache")),
    ("negative-cache", ("negative", "negativ", "not found", "no encontrad", "no existe", "inexistent",
                        "404", "penetration", "penetracion")),
)
_CACHE_WORDS = ("cache", "caching", "memcache", "redis", "memoiz", "memoriz", "ttl")


def _starts_a_word(words: tuple[str, ...]) -> re.Pattern[str]:
    # Word-start match: "lock" finds "lock"/"locking" but not "block"; "invalidat" finds "invalidate".
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")")


_PATTERN_RES = tuple((name, _starts_a_word(words)) for name, words in _PATTERN_WORDS)
_CACHE_RE = _starts_a_word(_CACHE_WORDS)

_UNITS = {
    "ms": 0.001, "milisegundo": 0.001, "millisecond": 0.001,
    "s": 1, "seg": 1, "sec": 1, "segundo": 1, "second": 1,
    "m": 60, "min": 60, "minuto": 60, "minute": 60,
    "h": 3600, "hr": 3600, "hora": 3600, "hour": 3600,
    "d": 86400, "dia": 86400, "day": 86400,
}  # fmt: skip
_DURATION = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)")
_FUNCTION = re.compile(r"\b((?:get|fetch|load|find|read|obtener|buscar|cargar)_[a-z0-9_]+)")
# A parameter is named after "por/by/per..." and looks like one: snake_case or ending in "id".
_PARAM_AFTER = re.compile(r"\b(?:por|by|per|para cada|for each|segun|using)\s+([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]*id)\b")
_ID_PARAM = re.compile(r"\b([a-z][a-z0-9]*_id)\b")
_VERB_PREFIX = re.compile(r"^(?:get|fetch|load|find|read|obtener|buscar|cargar)_")


def suggest(text: str):
    from tools.cache_patterns import CachePatternInput

    folded = fold(text)
    pattern = next((name for name, words in _PATTERN_RES if words.search(folded)), None)
    if pattern is None and not _CACHE_RE.search(folded):
        return None
    return CachePatternInput(
        pattern=pattern or "cache-aside",
        key=_key(folded),
        ttl=_ttl(folded),
        use_async=bool(re.search(r"\basync|asyncio|asincron|await|fastapi|aiohttp", folded)),
        serializer="msgpack" if "msgpack" in folded else "pickle" if "pickle" in folded else "json",
    )


def _ttl(folded: str) -> int:
    for number, unit in _DURATION.findall(folded):
        factor = _UNITS.get(unit) or _UNITS.get(unit.rstrip("s"))
        if factor is not None:
            seconds = round(float(number.replace(",", ".")) * factor)
            return min(max(seconds, 1), 365 * 24 * 3600)
    return DEFAULT_TTL


def _key(folded: str) -> str:
    function = _FUNCTION.search(folded)
    param_match = _PARAM_AFTER.search(folded)
    param = param_match.group(1) if param_match else None
    if param is None:
        id_match = _ID_PARAM.search(folded)
        param = id_match.group(1) if id_match else None
    entity = _VERB_PREFIX.sub("", function.group(1)) if function else None
    if entity is None and param:
        entity = re.sub(r"_?id$", "", param) or None
    entity = entity or "item"
    param = param or f"{entity}_id"
    return f"{entity}:{{{param}}}"
