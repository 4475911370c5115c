"""LOG0xx: what a query log shows (tools/sql/querylog.py, `lmagent sql --log`)."""

from __future__ import annotations

from tools.catalogue import BACKEND, DATA, LEAD, Rule, Text


def _log(code: str, kind: str, title: str, *, severity: str = "warning", owner: str, why: Text, fix: Text,
         finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, owner, "query_log", why, fix, finding_es)


N_PLUS_ONE = _log(
    "LOG001", "n_plus_one", "Same query repeated per item (N+1)", owner=BACKEND,
    why=Text(
        en="The same statement runs again and again within one unit of work (a request, a transaction or a "
           "stretch of one session): one round trip per item, so latency and database load grow with the data "
           "instead of staying constant.",
        es="La misma sentencia se ejecuta una y otra vez dentro de una unidad de trabajo (una petición, una "
           "transacción o un tramo de una sesión): un viaje de ida y vuelta por elemento, así que la latencia y "
           "la carga crecen con los datos."),
    fix=Text(
        en="Load the rows in one query (a JOIN, or WHERE id = ANY($1)) or eager-load the relation "
           "(select_related/prefetch_related, selectinload) instead of one query per item"
           "[[: the same query ran {max_repeats} times in a row]].",
        es="Carga las filas en una sola consulta (un JOIN, o WHERE id = ANY($1)) o con carga anticipada del ORM "
           "(select_related/prefetch_related, selectinload) en lugar de una consulta por elemento"
           "[[: la misma consulta se ejecutó {max_repeats} veces seguidas]]."),
    finding_es="La misma consulta se repite (N+1)[[: hasta {max_repeats} veces seguidas]]"
               "[[, {executions} ejecuciones]][[, {total_ms} ms en total]]",
)

HOT_QUERY = _log(
    "LOG002", "hot_query", "One query takes a large share of database time", severity="info", owner=DATA,
    why=Text(
        en="A handful of query shapes usually take most of the database's time; the one with the largest "
           "share is where a better plan, an index or a cache pays off first.",
        es="Unas pocas formas de consulta suelen llevarse la mayor parte del tiempo de la base de datos; la de "
           "mayor peso es donde antes compensa un plan mejor, un índice o una caché."),
    fix=Text(
        en="Optimize this query first[[: {share} of query time over {calls} calls]]: EXPLAIN (ANALYZE, BUFFERS) "
           "it (`lmagent db explain`), check its indexes (`lmagent sql --suggest-indexes`), and cache it or call "
           "it less if the result is reused.",
        es="Optimiza primero esta consulta[[: {share} del tiempo de consultas en {calls} llamadas]]: mira su "
           "plan con EXPLAIN (ANALYZE, BUFFERS) (`lmagent db explain`), revisa sus índices (`lmagent sql "
           "--suggest-indexes`) y cachéala o llámala menos si el resultado se reutiliza."),
    finding_es="Una consulta acapara el tiempo de la base de datos[[: {share} del tiempo registrado]]"
               "[[ ({total_ms} ms en {calls} llamadas)]][[; media {mean_ms} ms]]",
)

SLOW_QUERY = _log(
    "LOG003", "slow_query", "A query execution above the slow threshold", owner=DATA,
    why=Text(
        en="One execution took longer than the slow-query threshold; when the same shape is usually fast, the "
           "slow run had other parameters, a different plan or waited on a lock.",
        es="Una ejecución tardó más que el umbral de consulta lenta; si esa forma suele ser rápida, la ejecución "
           "lenta tuvo otros parámetros, otro plan o esperó un bloqueo."),
    fix=Text(
        en="Get the plan of the slowest run[[ ({max_ms} ms)]] with EXPLAIN (ANALYZE, BUFFERS) and its slow "
           "parameters, and compare it with a fast run: look for sequential scans, sorts and lock waits.",
        es="Saca el plan de la ejecución más lenta[[ ({max_ms} ms)]] con EXPLAIN (ANALYZE, BUFFERS) y sus "
           "parámetros lentos, y compáralo con una ejecución rápida: busca scans secuenciales, ordenaciones y "
           "esperas de bloqueos."),
    finding_es="Consulta lenta[[: su ejecución más lenta tardó {max_ms} ms]][[ ({calls} llamadas)]]",
)

UNPARSED_LINES = _log(
    "LOG004", "unparsed_lines", "Log lines not recognized as queries", severity="info", owner=LEAD,
    why=Text(
        en="Lines the reader does not recognize are left out of every count, so the N+1 and hot-query "
           "findings may miss queries.",
        es="Las líneas que el lector no reconoce quedan fuera de todos los recuentos, así que los hallazgos de "
           "N+1 y de consultas calientes pueden perder consultas."),
    fix=Text(
        en="Check the log format (log_line_prefix, log_min_duration_statement)[[: {unparsed} of {lines} lines "
           "were not recognized]].",
        es="Revisa el formato del log (log_line_prefix, log_min_duration_statement)[[: {unparsed} de {lines} "
           "líneas no se reconocieron]]."),
    finding_es="Hay líneas del log que no se reconocieron como consultas[[: {unparsed} de {lines}]]",
)
