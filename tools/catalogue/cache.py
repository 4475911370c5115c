"""CACHE0xx: problems in generated caching code (tools/cache_patterns, `lmagent cache-pattern`)."""

from __future__ import annotations

from tools.catalogue import LEAD, Rule, Text

PICKLE_DESERIALIZATION = Rule(
    "CACHE001", "pickle_deserialization", "Cache entries deserialized with pickle", "warning", LEAD,
    "cache_pattern",
    why=Text(
        en="Unpickling runs code chosen by whoever wrote the bytes: anyone who can write to this Redis can run "
           "code in every process that reads the cache.",
        es="Deserializar pickle ejecuta el código que elija quien escribió los bytes: cualquiera que pueda "
           "escribir en este Redis puede ejecutar código en cada proceso que lee la caché."),
    fix=Text(
        en="Serialize the cache with JSON (or msgpack) instead of pickle, unless Redis is reachable only by "
           "trusted clients: unpickling from a shared cache can execute code.",
        es="Serializa la caché con JSON (o msgpack) en lugar de pickle, salvo que a Redis solo lleguen clientes "
           "de confianza: deserializar pickle de una caché compartida permite ejecutar código."),
    finding_es="La caché se serializa con pickle: quien pueda escribir en Redis ejecuta código al leer una entrada",
)
