"""PERF1xx: performance patterns in a code change (tools/codecheck, `lmagent review`). PERF190: a secret.

Each Python rule's matcher lives in tools/codecheck/rules/<kind>.py; what the finding is lives here.
"""

from __future__ import annotations

from tools.catalogue import LEAD, Rule, Text


def _perf(code: str, kind: str, title: str, *, severity: str, why: Text, fix: Text, finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, LEAD, "codecheck", why, fix, finding_es)


QUERY_IN_LOOP = _perf(
    "PERF101", "query_in_loop", "Database query inside a loop (N+1)", severity="warning",
    why=Text(
        en="A query per iteration turns one page view into N round trips; latency grows with the data.",
        es="Una consulta por iteración convierte una vista en N viajes a la base de datos; la latencia crece "
           "con los datos."),
    fix=Text(
        en="Fetch everything in one query before the loop (WHERE id = ANY(%s) / IN, a JOIN, "
           "select_related/prefetch_related, selectinload) or batch writes with executemany.",
        es="Carga todo en una sola consulta antes del bucle (WHERE id = ANY(%s) / IN, un JOIN, "
           "select_related/prefetch_related, selectinload) o agrupa las escrituras con executemany."),
    finding_es="Consulta a la base de datos dentro de un bucle (N+1)[[: {call}]]"
               "[[, una vez por iteración del bucle de la línea {loop_line}]]",
)

REDIS_KEYS = _perf(
    "PERF102", "redis_keys", "Redis KEYS command", severity="error",
    why=Text(
        en="KEYS is O(number of keys) and single-threaded Redis serves nobody else while it runs.",
        es="KEYS es O(número de claves) y Redis, de un solo hilo, no atiende a nadie más mientras se ejecuta."),
    fix=Text(
        en="Iterate with SCAN (`for k in r.scan_iter(match=pattern, count=1000)`); better, keep an index set or "
           "a versioned key prefix[[; generate a fix: `{fix_command}`]].",
        es="Recorre las claves con SCAN (`for k in r.scan_iter(match=pattern, count=1000)`); mejor aún, guarda "
           "un set índice o un prefijo de clave versionado[[; genera la solución: `{fix_command}`]]."),
    finding_es="Redis KEYS recorre todas las claves y bloquea el servidor[[ (patrón {pattern})]]",
)

BLOCKING_CALL_IN_ASYNC = _perf(
    "PERF103", "blocking_call_in_async", "Blocking call inside async def", severity="error",
    why=Text(
        en="A synchronous network, database, subprocess or sleep call freezes the event loop and every "
           "request on it.",
        es="Una llamada síncrona de red, base de datos, subproceso o sleep congela el event loop y todas las "
           "peticiones que atiende."),
    fix=Text(
        en="Use the async variant[[ ({async_alternative})]], or run the call with "
           "`await asyncio.to_thread(...)`: it blocks the event loop.",
        es="Usa la variante async[[ ({async_alternative})]], o ejecuta la llamada con "
           "`await asyncio.to_thread(...)`: bloquea el event loop."),
    finding_es="Llamada bloqueante dentro de async def: bloquea el event loop[[: {call}]][[ en {function}]]",
)

HTTP_WITHOUT_TIMEOUT = _perf(
    "PERF104", "http_without_timeout", "HTTP call without a timeout", severity="warning",
    why=Text(
        en="Without a timeout a stuck upstream holds a worker (and its connection) indefinitely; under load "
           "the pool runs dry.",
        es="Sin timeout, un upstream colgado retiene un worker (y su conexión) indefinidamente; bajo carga el "
           "pool se agota."),
    fix=Text(
        en="Pass an explicit timeout (connect and read), e.g. `timeout=(3.05, 10)` for requests or "
           "`httpx.Timeout(10.0, connect=3.0)`; without one a stuck upstream holds the worker.",
        es="Pon un timeout explícito (connect y read), por ejemplo `timeout=(3.05, 10)` en requests o "
           "`httpx.Timeout(10.0, connect=3.0)`; sin él, un upstream colgado retiene el worker."),
    finding_es="Llamada HTTP sin timeout: un upstream lento retiene el worker[[ ({call})]]",
)

CACHE_SET_WITHOUT_TTL = _perf(
    "PERF105", "cache_set_without_ttl", "Cache write without a TTL", severity="warning",
    why=Text(
        en="An entry without expiry is never refreshed and never evicted by TTL: stale reads and unbounded "
           "memory.",
        es="Una entrada sin caducidad nunca se refresca ni se expulsa por TTL: lecturas obsoletas y memoria "
           "sin límite."),
    fix=Text(
        en="Set an expiry (`r.set(key, value, ex=300)`, or `expire` right after HSET), with some jitter so "
           "entries do not all expire at once[[; generate a fix: `{fix_command}`]].",
        es="Pon una caducidad (`r.set(key, value, ex=300)`, o `expire` justo después de HSET), con algo de "
           "jitter para que no expiren todas a la vez[[; genera la solución: `{fix_command}`]]."),
    finding_es="Escritura en caché sin TTL: la entrada no expira nunca y la memoria crece[[ ({command} {key})]]",
)

UNBOUNDED_QUERY_IN_HANDLER = _perf(
    "PERF106", "unbounded_query_in_handler", "Unbounded query in a request handler", severity="info",
    why=Text(
        en="Loading every row in a request makes latency and memory proportional to table size.",
        es="Cargar todas las filas en una petición hace que la latencia y la memoria crezcan con la tabla."),
    fix=Text(
        en="Bound it: .limit(n) / [:n] / LIMIT %s with keyset pagination (WHERE id > %s ORDER BY id); loading "
           "every row makes latency and memory grow with the table.",
        es="Acótala: .limit(n) / [:n] / LIMIT %s con paginación por cursor (WHERE id > %s ORDER BY id); cargar "
           "todas las filas hace que latencia y memoria crezcan con la tabla."),
    finding_es="Consulta sin límite en un handler: carga todas las filas[[ ({call})]][[ en {handler}]]",
)

SYNC_SLEEP_RETRY = _perf(
    "PERF107", "sync_sleep_retry", "Fixed-delay retry with time.sleep", severity="warning",
    why=Text(
        en="Fixed delays synchronize retries across clients (thundering herd) and block the thread.",
        es="Las esperas fijas sincronizan los reintentos de todos los clientes (thundering herd) y bloquean el "
           "hilo."),
    fix=Text(
        en="Retry with exponential backoff, jitter and a cap (tenacity: `@retry(wait=wait_exponential_jitter("
           "initial=0.1, max=10), stop=stop_after_attempt(5))`) instead of a fixed time.sleep[[ of {delay} s]].",
        es="Reintenta con backoff exponencial, jitter y un tope (tenacity: `@retry(wait=wait_exponential_jitter("
           "initial=0.1, max=10), stop=stop_after_attempt(5))`) en lugar de un time.sleep fijo[[ de {delay} s]]."),
    finding_es="Reintento con una espera fija de time.sleep[[ de {delay} s]][[ en el bucle de la línea {loop_line}]]",
)

REPEATED_CALL_IN_LOOP_INVARIANT = _perf(
    "PERF108", "repeated_call_in_loop_invariant", "Loop-invariant call inside a loop", severity="info",
    why=Text(
        en="A pure call with the same arguments on every iteration repeats work that can be done once.",
        es="Una llamada pura con los mismos argumentos en cada iteración repite un trabajo que se puede hacer "
           "una sola vez."),
    fix=Text(
        en="Compute it once before the loop (or at module level) and reuse the value.",
        es="Calcúlala una vez antes del bucle (o a nivel de módulo) y reutiliza el valor."),
    finding_es="Llamada que da el mismo resultado en cada iteración[[: {call}]][[ (bucle de la línea {loop_line})]]",
)

SECRET_IN_DIFF = _perf(
    "PERF190", "secret_in_diff", "Secret added in the change", severity="error",
    why=Text(
        en="A credential committed to the repository is exposed to everyone with read access and to every tool "
           "that reads the diff.",
        es="Una credencial subida al repositorio queda expuesta a todos los que pueden leerlo y a cada "
           "herramienta que lee el diff."),
    fix=Text(
        en="Revoke and rotate it now, remove it from the change, and load it from the environment or a secret "
           "manager.",
        es="Revoca y rota el secreto ya, quítalo del cambio y léelo de una variable de entorno o del gestor de "
           "secretos."),
    finding_es="Se añade un secreto al cambio y queda en el historial del repositorio[[ ({secret_kind})]]",
)
