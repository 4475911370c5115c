"""TRC0xx: where distributed traces spend their time (tools/traces/rules.py, `lmagent traces`)."""

from __future__ import annotations

from tools.catalogue import BACKEND, DATA, LEAD, Rule, Text


def _trc(code: str, kind: str, title: str, *, severity: str = "warning", owner: str = LEAD, why: Text,
         fix: Text, finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, owner, "traces", why, fix, finding_es)


# The owner is the data engineer for SQL; an HTTP or RPC N+1 hands off to the backend engineer.
N_PLUS_ONE_SPANS = _trc(
    "TRC001", "n_plus_one_spans", "Same call repeated under one parent span (N+1)", owner=DATA,
    why=Text(
        en="Many sibling spans run the same statement or call the same route under one parent: one round trip "
           "per item, so the request's latency grows with the data.",
        es="Muchos spans hermanos ejecutan la misma sentencia o llaman a la misma ruta bajo un mismo padre: un "
           "viaje de ida y vuelta por elemento, así que la latencia de la petición crece con los datos."),
    fix=Text(
        en="Replace the[[ {count}]] repeated calls with one: for SQL, one query (WHERE id = ANY($1), a JOIN, or "
           "the ORM's prefetch), confirmed with `lmagent sql --log`; for HTTP or RPC, a batch endpoint or "
           "bounded concurrent calls.",
        es="Sustituye las[[ {count}]] llamadas repetidas por una: en SQL, una consulta (WHERE id = ANY($1), un "
           "JOIN o el prefetch del ORM), confirmada con `lmagent sql --log`; en HTTP o RPC, un endpoint por "
           "lotes o llamadas concurrentes acotadas."),
    finding_es="La misma consulta o llamada se repite bajo un mismo span (N+1)[[: {count} veces]]"
               "[[, {total_ms} ms en total]][[: {statement}]]",
)

SEQUENTIAL_CALLS = _trc(
    "TRC002", "sequential_calls", "Independent calls run one after another", owner=BACKEND,
    why=Text(
        en="Exit calls under one parent that do not overlap add their latencies; if they do not depend on each "
           "other, running them concurrently makes the wait the slowest call instead of the sum.",
        es="Las llamadas salientes bajo un mismo padre que no se solapan suman sus latencias; si no dependen "
           "unas de otras, lanzarlas en paralelo deja la espera en la llamada más lenta en vez de en la suma."),
    fix=Text(
        en="If the calls do not depend on each other's results, issue them concurrently (asyncio.gather, a "
           "thread pool, Promise.all)[[: {sequential_ms} ms in sequence vs {concurrent_ms} ms concurrently]].",
        es="Si las llamadas no dependen de los resultados de las otras, lánzalas en paralelo (asyncio.gather, "
           "un pool de hilos, Promise.all)[[: {sequential_ms} ms en serie frente a {concurrent_ms} ms en "
           "paralelo]]."),
    finding_es="Llamadas independientes que se hacen una detrás de otra[[: {call_count} llamadas]]"
               "[[, {sequential_ms} ms en serie frente a ~{concurrent_ms} ms en paralelo]]",
)

DOMINANT_SPAN = _trc(
    "TRC003", "dominant_span", "One span holds most of the critical path",
    why=Text(
        en="The critical path is the chain of work the end-to-end latency waits on; a span holding half of it "
           "or more is the bottleneck, and speeding up anything else barely moves the total.",
        es="El camino crítico es la cadena de trabajo de la que depende la latencia total; un span que ocupa la "
           "mitad o más es el cuello de botella, y acelerar cualquier otra cosa apenas cambia el total."),
    fix=Text(
        en="Optimize this span first[[: it holds {critical_ms} ms of the critical path]]; profile it "
           "(lmagent profile) or look inside the callee, and where its time is outside any child span, add "
           "child spans to see where it goes.",
        es="Optimiza primero este span[[: ocupa {critical_ms} ms del camino crítico]]; perfílalo "
           "(lmagent profile) o mira dentro del servicio llamado, y si su tiempo queda fuera de sus spans "
           "hijos, añade spans hijos para ver a dónde va."),
    finding_es="Un span domina el camino crítico[[: {critical_ms} ms de una traza de {trace_ms} ms]]",
)

ERROR_SPAN = _trc(
    "TRC004", "error_span", "Span ended with an error", severity="error",
    why=Text(
        en="A failed span is a failed call: a user saw an error or a retry added its latency to the request.",
        es="Un span con error es una llamada fallida: un usuario vio un error o un reintento sumó su latencia a "
           "la petición."),
    fix=Text(
        en="Read the span's exception event and logs for this trace[[ ({trace_id})]]; a failing call that is "
           "retried also multiplies latency.",
        es="Lee el evento de excepción del span y los logs de esta traza[[ ({trace_id})]]; una llamada que "
           "falla y se reintenta también multiplica la latencia."),
    finding_es="Un span terminó con error[[ en la traza {trace_id}]][[ ({duration_ms} ms)]]",
)

# The owner is the backend engineer; a slow database call hands off to the data engineer.
SLOW_EXTERNAL_CALL = _trc(
    "TRC005", "slow_external_call", "Slow database, HTTP or RPC call", owner=BACKEND,
    why=Text(
        en="One call to a database or another service took longer than the whole request's critical latency "
           "budget; the caller waits the full time.",
        es="Una llamada a una base de datos u otro servicio tardó más que todo el presupuesto de latencia "
           "crítica de la petición; quien llama espera todo ese tiempo."),
    fix=Text(
        en="Set a timeout below the caller's budget, cache or precompute the answer, and look at the callee's "
           "own trace or EXPLAIN[[ ({duration_ms} ms)]].",
        es="Pon un timeout por debajo del presupuesto de quien llama, cachea o precalcula la respuesta, y mira "
           "la traza propia del servicio llamado o su EXPLAIN[[ ({duration_ms} ms)]]."),
    finding_es="Llamada externa lenta[[: {duration_ms} ms]][[ ({category})]]",
)
