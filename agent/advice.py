"""Next steps and evidence per finding kind, in Spanish and English, written once for every composer.

Tools speak English (their messages and suggestions are data); an answer speaks the language of
the user's message. This table is the answer's own voice for each kind a tool emits: the next step
in both languages and what the finding shows in Spanish (English quotes the tool's message). A
template may quote the finding's evidence: ``{field}`` placeholders only appear inside optional
``[[...]]`` segments, which are dropped when the finding lacks that number, so every template
renders for every finding of its kind. A kind missing here falls back to the tool's own words.
Tool summaries get their Spanish line from the report's data (``SUMMARY_ES``).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tools.findings import Finding, Report


@dataclass(frozen=True)
class Advice:
    """One finding kind in the answer's voice: the next step in both languages, and what the finding
    shows in Spanish (an English answer quotes the tool's own message, which is English already)."""

    es: str
    en: str
    finding_es: str = ""


# A metric judged against the persona's targets: the verdict comes from the finding's severity.
_METRIC = "Métrica fuera de objetivo[[: {metric} = {measured} {verdict}]][[ (objetivo {target}; crítico {critical})]]"
_VITAL = "Core Web Vital fuera de rango[[: {metric} = {measured} {rating}]][[ (bueno {target}; malo {critical})]]"
_LATENCY = Advice(
    finding_es=_METRIC,
    es="Perfila el endpoint más lento (lmagent profile o trazas) y revisa sus consultas con lmagent explain"
       "[[: {at} = {measured} y el objetivo es {target}]].",
    en="Profile the slowest endpoint (lmagent profile or traces) and check its queries with lmagent explain"
       "[[: {at} = {measured} against a target of {target}]].",
)
_WEB_VITAL = "[[ ({at} = {measured}; bueno {target})]]"
_WEB_VITAL_EN = "[[ ({at} = {measured}; good {target})]]"

ADVICE: dict[str, Advice] = {
    # --- EXPLAIN plans (tools/explain/rules.py) ---
    "seq_scan_large_filter": Advice(
        finding_es="Seq Scan con un filtro que descarta casi todo lo que lee"
                   "[[: {rows_read} filas leídas, {rows_removed} descartadas ({removed_pct}) y {rows_returned} devueltas]]",
        es="Crea un índice en las columnas del filtro[[ ({columns})]] para que el scan no lea y descarte"
           "[[ {rows_removed}]] filas; en producción, CREATE INDEX CONCURRENTLY.",
        en="Index the filter columns[[ ({columns})]] so the scan stops reading and discarding[[ {rows_removed}]] "
           "rows; in production use CREATE INDEX CONCURRENTLY."),
    "disk_sort": Advice(
        finding_es="El Sort derrama a disco[[: {disk}]][[ con {sort_method}]][[ (work_mem {work_mem})]]",
        es="Sube work_mem para esta consulta[[ (SET LOCAL work_mem = '{work_mem_hint}'; derramó {disk} a disco)]] "
           "o crea un índice que entregue las filas ya ordenadas[[ por ({sort_key})]].",
        en="Raise work_mem for this query[[ (SET LOCAL work_mem = '{work_mem_hint}'; it spilled {disk} to disk)]] "
           "or create an index that returns the rows already sorted[[ by ({sort_key})]]."),
    "hash_batches": Advice(
        finding_es="La tabla hash no cabe en memoria y se parte en lotes[[: {batches} lotes]]"
                   "[[ (se planificaron {planned_batches}: la estimación de filas se quedó corta)]]"
                   "[[; {memory} por lote en memoria y el resto en archivos temporales]]",
        es="La tabla hash no cabe en memoria[[ ({batches} lotes)]]: sube work_mem (o hash_mem_multiplier) para "
           "esta consulta, o filtra antes el lado interno del join.",
        en="The hash table does not fit in memory[[ ({batches} batches)]]: raise work_mem (or "
           "hash_mem_multiplier) for this query, or filter the inner side of the join earlier."),
    "hashagg_spill": Advice(
        finding_es="El HashAggregate derrama a disco[[: {batches} lotes]][[, {disk} escritos]]",
        es="El HashAggregate derrama a disco[[ ({disk})]]: sube work_mem o hash_mem_multiplier para esta "
           "consulta, o agrega menos grupos (filtra antes de agrupar).",
        en="The HashAggregate spills to disk[[ ({disk})]]: raise work_mem or hash_mem_multiplier for this "
           "query, or aggregate fewer groups (filter before grouping)."),
    "row_misestimate": Advice(
        finding_es="La estimación de filas del planificador falla"
                   "[[ ({direction} por un factor de {factor})]]"
                   "[[: planificó {plan_rows} filas y salieron {actual_rows} por iteración]]",
        es="Ejecuta ANALYZE en las tablas del nodo[[ (estimó {plan_rows} filas y salieron {actual_rows})]]; si "
           "persiste, CREATE STATISTICS para columnas correlacionadas o sube default_statistics_target.",
        en="Run ANALYZE on the node's tables[[ (estimated {plan_rows} rows, got {actual_rows})]]; if it "
           "persists, CREATE STATISTICS for correlated columns or raise default_statistics_target."),
    "lossy_bitmap": Advice(
        finding_es="El bitmap se volvió lossy"
                   "[[: {lossy_blocks} de {heap_blocks} bloques del heap solo guardan bits por página]]"
                   "[[; {rows_removed_by_recheck} filas recomprobadas y descartadas]]",
        es="Sube work_mem para que el bitmap sea exacto[[ ({lossy_blocks} bloques lossy obligan a recomprobar "
           "filas)]], o usa un índice más selectivo.",
        en="Raise work_mem so the bitmap stays exact[[ ({lossy_blocks} lossy blocks force row rechecks)]], "
           "or use a more selective index."),
    "nested_loop_many_loops": Advice(
        finding_es="El Nested Loop ejecuta su lado interno una vez por fila externa[[: {loops} veces]]"
                   "[[, {inner_ms} ms en total]][[ ({inner})]]",
        es="Indexa la clave del join del lado interno[[ ({inner}, ejecutado {loops} veces)]] o actualiza "
           "estadísticas para que el planificador elija un Hash Join.",
        en="Index the join key of the inner side[[ ({inner}, run {loops} times)]] or refresh statistics so "
           "the planner picks a Hash Join."),
    "workers_not_launched": Advice(
        finding_es="No arrancaron todos los workers paralelos"
                   "[[: se planificaron {planned} y arrancaron {launched}]]",
        es="Se planificaron[[ {planned}]] workers paralelos y arrancaron[[ {launched}]]: sube "
           "max_parallel_workers y max_worker_processes, o baja la concurrencia de consultas paralelas.",
        en="Planned[[ {planned}]] parallel workers, launched[[ {launched}]]: raise max_parallel_workers and "
           "max_worker_processes, or lower the number of concurrent parallel queries."),
    "jit_overhead": Advice(
        finding_es="La compilación JIT pesa en la ejecución"
                   "[[: {jit_ms} ms, el {jit_pct} de {execution_ms} ms]][[ ({functions} funciones)]]",
        es="Desactiva JIT para esta consulta (SET LOCAL jit = off) o sube jit_above_cost[[: JIT costó "
           "{jit_ms} ms de {execution_ms} ms]].",
        en="Turn JIT off for this query (SET LOCAL jit = off) or raise jit_above_cost[[: JIT took {jit_ms} ms "
           "of {execution_ms} ms]]."),
    "repeated_subplan_filter": Advice(
        finding_es="Una subconsulta o CTE se vuelve a recorrer en cada iteración[[: {loops} veces]]"
                   "[[, y su filtro descarta {rows_removed} filas en total]]",
        es="Reescribe la subconsulta correlacionada como JOIN o EXISTS[[; hoy se ejecuta {loops} veces]].",
        en="Rewrite the correlated subquery as a JOIN or EXISTS[[; today it runs {loops} times]]."),
    "heap_fetches": Advice(
        finding_es="El Index Only Scan visita el heap porque el visibility map está desactualizado"
                   "[[: {heap_fetches} visitas para {rows} filas]]",
        es="Ejecuta VACUUM en la tabla para actualizar el visibility map[[ ({heap_fetches} heap fetches)]] "
           "y revisa el autovacuum de esa tabla.",
        en="VACUUM the table to refresh its visibility map[[ ({heap_fetches} heap fetches)]] and tune "
           "autovacuum for that table."),
    "low_cache_hit": Advice(
        finding_es="Muchas lecturas vienen de fuera de shared_buffers"
                   "[[: aciertos {hit_pct}, {shared_read} bloques leídos]][[, {io_read_ms} ms leyendo]]",
        es="Las lecturas van a disco[[ ({shared_read} bloques leídos frente a {shared_hit} en caché)]]: un "
           "índice más selectivo lee menos bloques; revisa también shared_buffers frente al working set.",
        en="Reads go to disk[[ ({shared_read} blocks read vs {shared_hit} cached)]]: a more selective index "
           "reads fewer blocks; also check shared_buffers against the working set."),
    "planning_dominates": Advice(
        finding_es="La planificación tarda más que la ejecución"
                   "[[: {planning_ms} ms frente a {execution_ms} ms]]",
        es="La planificación pesa más que la ejecución[[ ({planning_ms} ms frente a {execution_ms} ms)]]: usa "
           "prepared statements y revisa el número de particiones y joins.",
        en="Planning costs more than execution[[ ({planning_ms} ms vs {execution_ms} ms)]]: use prepared "
           "statements and check the number of partitions and joins."),
    # --- SQL text (tools/sql/rules.py, tools/sql/indexes.py) ---
    "parse_error": Advice(
        finding_es="[[{statement}: ]]No se pudo analizar la sentencia (sintaxis o dialecto)",
        es="Corrige la sintaxis o indica el dialecto correcto (--dialect); el resto del archivo sí se analizó.",
        en="Fix the syntax or pass the right --dialect; the rest of the file was still analyzed."),
    "select_star": Advice(
        finding_es="[[{statement}: ]]SELECT * trae todas las columnas",
        es="Lista solo las columnas que usa el código: menos I/O y red, y se hacen posibles los index-only scans.",
        en="List only the columns the caller uses: less I/O and network, and index-only scans become possible."),
    "leading_wildcard_like": Advice(
        finding_es="[[{statement}: ]]LIKE empieza por un comodín"
                   "[[ ({pattern})]]: ningún índice B-tree puede servirlo",
        es="Un B-tree no sirve LIKE '%…': crea un índice trigram (pg_trgm, USING gin (col gin_trgm_ops)) o usa "
           "búsqueda de texto completo.",
        en="A B-tree cannot serve LIKE '%…': create a trigram index (pg_trgm, USING gin (col gin_trgm_ops)) or "
           "use full-text search."),
    "function_on_column": Advice(
        finding_es="[[{statement}: ]]Una función sobre la columna en el predicado impide usar su índice"
                   "[[: {expression}]]",
        es="La función oculta la columna a su índice: crea un índice de expresión con esa misma expresión o "
           "reescribe la condición como rango sobre la columna.",
        en="The function hides the column from its index: create an expression index on that exact expression "
           "or rewrite the condition as a range on the bare column."),
    "offset_pagination": Advice(
        finding_es="[[{statement}: ]]Paginación con OFFSET: lee y descarta cada fila saltada",
        es="Cambia OFFSET por paginación por cursor (WHERE (clave, id) > ($ultima, $id) ORDER BY clave, id "
           "LIMIT n): OFFSET lee y descarta cada fila saltada.",
        en="Replace OFFSET with keyset pagination (WHERE (key, id) > ($last, $id) ORDER BY key, id LIMIT n): "
           "OFFSET reads and discards every skipped row."),
    "delete_without_where": Advice(
        finding_es="[[{statement}: ]]DELETE sin WHERE: borra todas las filas",
        es="Añade un WHERE, o usa TRUNCATE si de verdad hay que vaciar la tabla.",
        en="Add a WHERE clause, or use TRUNCATE if emptying the table is really intended."),
    "update_without_where": Advice(
        finding_es="[[{statement}: ]]UPDATE sin WHERE: reescribe todas las filas",
        es="Añade un WHERE: un UPDATE de todas las filas reescribe la tabla entera y la llena de bloat.",
        en="Add a WHERE clause: updating every row rewrites the whole table and bloats it."),
    "order_by_random": Advice(
        finding_es="[[{statement}: ]]ORDER BY random() ordena todas las filas para elegir unas pocas",
        es="ORDER BY random() ordena la tabla entera: usa TABLESAMPLE SYSTEM o un rango aleatorio de ids con LIMIT.",
        en="ORDER BY random() sorts the whole table: use TABLESAMPLE SYSTEM or a random id range with LIMIT."),
    "not_in_subquery": Advice(
        finding_es="[[{statement}: ]]NOT IN (subconsulta): nunca es verdadero si la subconsulta devuelve un"
                   " NULL",
        es="Usa NOT EXISTS en lugar de NOT IN (subconsulta): con un NULL nunca es verdadero y planifica mal.",
        en="Use NOT EXISTS instead of NOT IN (subquery): one NULL makes it never true, and it plans badly."),
    "or_across_columns": Advice(
        finding_es="[[{statement}: ]]OR entre columnas distintas[[ ({columns})]]: un solo índice no lo sirve",
        es="Divide el OR entre columnas en UNION ALL de consultas indexadas, o asegura un índice por columna "
           "(BitmapOr).",
        en="Split the OR across columns into a UNION ALL of indexed queries, or give each column its own index "
           "(BitmapOr)."),
    "implicit_cross_join": Advice(
        finding_es="[[{statement}: ]]Tabla unida con coma y sin condición de join"
                   "[[ ({table})]]: cada fila se combina con todas",
        es="Añade la condición del join (JOIN … ON): sin ella cada fila se combina con todas las demás.",
        en="Add the join condition (JOIN … ON): without it every row pairs with every other row."),
    "missing_limit": Advice(
        finding_es="[[{statement}: ]]ORDER BY sobre toda la tabla sin LIMIT",
        es="Añade LIMIT (y pagina): ORDER BY sin LIMIT ordena y devuelve la tabla entera.",
        en="Add LIMIT (and paginate): ORDER BY without LIMIT sorts and returns the whole table."),
    "count_star_for_existence": Advice(
        finding_es="[[{statement}: ]]COUNT(*) cuenta filas solo para saber si existe alguna",
        es="Usa EXISTS (SELECT 1 …), que para en la primera fila, en lugar de COUNT(*) comparado con 0.",
        en="Use EXISTS (SELECT 1 …), which stops at the first row, instead of comparing COUNT(*) with 0."),
    "index_suggestion": Advice(
        finding_es="Índice sugerido[[: {create}]][[ (lo usan las sentencias de las líneas {lines})]]",
        es="Crea el índice[[ ({create})]] con CONCURRENTLY en producción y comprueba el plan con lmagent db explain.",
        en="Create the index[[ ({create})]] CONCURRENTLY in production and check the plan with lmagent db explain."),
    # --- Query logs (tools/sql/querylog.py) and traces (tools/traces.py) share n_plus_one ---
    "n_plus_one": Advice(
        finding_es="La misma consulta o llamada se repite (N+1)[[: {repeats} veces]]"
                   "[[ en {executions} ejecuciones]][[, {total_ms} ms en total]][[: {statement}]]",
        es="Junta las consultas repetidas[[ ({repeats} iguales)]] en una sola (JOIN, IN (...) o carga anticipada "
           "del ORM: selectinload / prefetch_related).",
        en="Batch the repeated queries[[ ({repeats} identical)]] into one (JOIN, IN (...) or ORM eager loading: "
           "selectinload / prefetch_related)."),
    "unparsed_lines": Advice(
        finding_es="Hay líneas del log que no se reconocieron como consultas[[: {unparsed} de {lines}]]",
        es="Revisa el formato del log (log_line_prefix, log_min_duration_statement)[[: {unparsed} de {lines} líneas "
           "no se reconocieron]].",
        en="Check the log format (log_line_prefix, log_min_duration_statement)[[: {unparsed} of {lines} lines "
           "were not recognized]]."),
    "hot_query": Advice(
        finding_es="Una consulta acapara el tiempo de la base de datos[[: {share} del tiempo registrado]]"
                   "[[ ({total_ms} ms en {calls} llamadas)]][[; media {mean_ms} ms]]",
        es="Optimiza primero esta consulta[[: {share} del tiempo de consultas en {calls} llamadas]]; mira su plan "
           "con EXPLAIN (ANALYZE, BUFFERS) y si se puede cachear o llamar menos.",
        en="Optimize this query first[[: {share} of query time over {calls} calls]]; read its plan with "
           "EXPLAIN (ANALYZE, BUFFERS) and see whether it can be cached or called less."),
    "slow_query": Advice(
        finding_es="Consulta lenta[[: su ejecución más lenta tardó {max_ms} ms]][[ ({calls} llamadas)]]",
        es="Saca el plan de la ejecución más lenta[[ ({max_ms} ms)]] con EXPLAIN (ANALYZE, BUFFERS) y compáralo "
           "con una ejecución rápida: suelen diferir parámetros o bloqueos.",
        en="Get the plan of the slowest run[[ ({max_ms} ms)]] with EXPLAIN (ANALYZE, BUFFERS) and compare it "
           "with a fast run: parameters or locks usually differ."),
    # --- Live database health (tools/db.py) ---
    "seq_scan_heavy": Advice(
        finding_es="La tabla se lee más con scans secuenciales que con índices"
                   "[[: {seq_scan} seq scans frente a {idx_scan} index scans]]"
                   "[[, {rows_per_scan} filas leídas por scan]][[ ({n_live_tup} filas vivas)]]",
        es="Busca con pg_stat_statements las consultas que recorren esta tabla y crea el índice para su filtro.",
        en="Find the queries that scan this table with pg_stat_statements and index their filter."),
    "unused_index": Advice(
        finding_es="Índice sin ningún uso desde el último reinicio de estadísticas[[ ({size})]]",
        es="Confirma en réplicas y tras un ciclo completo de carga que no se usa, y bórralo (DROP INDEX "
           "CONCURRENTLY): cada índice encarece las escrituras.",
        en="Confirm on replicas and over a full load cycle that it is unused, then DROP INDEX CONCURRENTLY: "
           "every index makes writes slower."),
    "duplicate_index": Advice(
        finding_es="Índice duplicado, con las mismas columnas y clases de operador[[ que {duplicate_of}]]"
                   "[[ ({size})]]",
        es="Borra uno de los índices duplicados (DROP INDEX CONCURRENTLY) tras comprobar que ninguno respalda "
           "una restricción.",
        en="Drop one of the duplicate indexes (DROP INDEX CONCURRENTLY) after checking neither backs a "
           "constraint."),
    "redundant_index": Advice(
        finding_es="Índice redundante: es prefijo de otro que sirve las mismas búsquedas[[ ({covered_by})]]",
        es="El índice es prefijo de otro: bórralo si ninguna consulta depende de su tamaño menor.",
        en="The index is a prefix of another: drop it unless a query depends on its smaller size."),
    "low_cache_hit_ratio": Advice(
        finding_es="La tasa de aciertos de la caché de buffers es baja[[: {hit_pct}]]"
                   "[[ en {blocks} lecturas de bloques]]",
        es="Revisa shared_buffers frente al working set y las consultas con más lecturas de disco "
           "(pg_stat_statements, shared_blks_read).",
        en="Check shared_buffers against the working set and the queries with the most disk reads "
           "(pg_stat_statements, shared_blks_read)."),
    "connection_usage": Advice(
        finding_es="Las conexiones se acercan al límite"
                   "[[: {connections} de {usable} disponibles ({usage_pct})]]"
                   "[[; max_connections {max_connections}]]",
        es="Pon un pooler (PgBouncer en modo transaction) y dimensiona los pools de la aplicación con la Ley de "
           "Little en vez de subir max_connections.",
        en="Put a pooler in front (PgBouncer, transaction mode) and size the application pools with Little's law "
           "instead of raising max_connections."),
    # --- Metrics against persona targets (tools/thresholds.py) ---
    "p50_latency": _LATENCY,
    "p95_latency": _LATENCY,
    "p99_latency": Advice(
        finding_es=_METRIC,
        es="Mira la cola: trazas de las peticiones más lentas (GC, bloqueos, esperas de pool, reintentos)"
           "[[: {at} = {measured} y el objetivo es {target}]].",
        en="Look at the tail: traces of the slowest requests (GC, locks, pool waits, retries)"
           "[[: {at} = {measured} against a target of {target}]]."),
    "latency_percentile": _LATENCY,
    "error_rate": Advice(
        finding_es=_METRIC,
        es="Agrupa los errores por código de estado y endpoint[[ ({at} = {measured}, objetivo {target})]]; bajo "
           "carga suelen ser pools agotados o timeouts: revisa la espera del pool y los timeouts de cada "
           "dependencia.",
        en="Group the errors by status code and endpoint[[ ({at} = {measured}, target {target})]]; under load "
           "they are usually exhausted pools or timeouts: check pool wait time and each dependency's timeout."),
    "apdex": Advice(
        finding_es=_METRIC,
        es="Apdex cuenta como frustradas las peticiones por encima de 4T y todos los errores: ataca la latencia "
           "de cola y los errores[[ ({at} = {measured}, objetivo {target})]].",
        en="Apdex counts requests over 4T and every error as frustrated: fix the tail latency and the errors"
           "[[ ({at} = {measured}, target {target})]]."),
    "throughput": Advice(
        finding_es=_METRIC,
        es="Encuentra el recurso saturado (CPU, pool, bloqueos) antes de añadir instancias"
           "[[ ({at} = {measured}, objetivo {target})]].",
        en="Find the saturated resource (CPU, pool, locks) before adding instances"
           "[[ ({at} = {measured}, target {target})]]."),
    "lcp": Advice(
        finding_es=_VITAL,
        es="Precarga y comprime el recurso LCP, quita CSS/JS que bloquea el render y sírvelo desde CDN" + _WEB_VITAL + ".",
        en="Preload and compress the LCP resource, cut render-blocking CSS/JS, serve it from a CDN" + _WEB_VITAL_EN + "."),
    "inp": Advice(
        finding_es=_VITAL,
        es="Parte las tareas largas (> 50 ms) de los manejadores de eventos y cede el hilo principal" + _WEB_VITAL + ".",
        en="Break up long tasks (> 50 ms) in event handlers and yield to the main thread" + _WEB_VITAL_EN + "."),
    "cls": Advice(
        finding_es=_VITAL,
        es="Reserva espacio para imágenes, anuncios y embeds (width/height o aspect-ratio)" + _WEB_VITAL + ".",
        en="Reserve space for images, ads and embeds (width/height or aspect-ratio)" + _WEB_VITAL_EN + "."),
    "fcp": Advice(
        finding_es=_VITAL,
        es="Inserta el CSS crítico en línea, difiere el JS no crítico y acelera la respuesta del servidor"
           + _WEB_VITAL + ".",
        en="Inline critical CSS, defer non-critical JS and speed up the server response" + _WEB_VITAL_EN + "."),
    "ttfb": Advice(
        finding_es=_VITAL,
        es="Cachea en la CDN o en la aplicación y haz menos trabajo antes del primer byte" + _WEB_VITAL + ".",
        en="Cache at the CDN or in the application and do less work before the first byte" + _WEB_VITAL_EN + "."),
    "fid": Advice(
        finding_es=_VITAL,
        es="Mide INP en su lugar: FID dejó de ser Core Web Vital en marzo de 2024" + _WEB_VITAL + ".",
        en="Measure INP instead: FID stopped being a Core Web Vital in March 2024" + _WEB_VITAL_EN + "."),
    "fid_replaced_by_inp": Advice(
        finding_es="FID dejó de ser Core Web Vital en marzo de 2024: INP lo sustituye",
        es="Sustituye FID por INP en tus objetivos y en la medición (web-vitals onINP).",
        en="Replace FID with INP in your targets and measurements (web-vitals onINP)."),
    "tbt": Advice(
        finding_es=_VITAL,
        es="Divide las tareas JavaScript largas y envía menos JavaScript en la primera carga" + _WEB_VITAL + ".",
        en="Split long JavaScript tasks and ship less JavaScript on first load" + _WEB_VITAL_EN + "."),
    "persona_metric": Advice(
        finding_es=_METRIC,
        es="Revisa la fila de la guía de la persona para esta métrica[[ ({at} = {measured}, objetivo {target})]] "
           "y busca su causa con un perfil o trazas.",
        en="Check the persona's playbook row for this metric[[ ({at} = {measured}, target {target})]] and find "
           "its cause with a profile or traces."),
    "unit_mismatch": Advice(
        finding_es="El valor no está en la unidad de su límite y no se comprobó[[: {metric} = {measured}]]"
                   "[[ frente a {bound}]]",
        es="Indica el valor con su unidad (por ejemplo '95%' o '320ms') para poder compararlo[[ con {target}]].",
        en="State the value with its unit (for example '95%' or '320ms') so it can be compared[[ with {target}]]."),
    # --- Code review (tools/codecheck/rules) ---
    "query_in_loop": Advice(
        finding_es="Consulta a la base de datos dentro de un bucle (N+1)[[: {call}]]"
                   "[[, una vez por iteración del bucle de la línea {loop_line}]]",
        es="Saca la consulta del bucle[[ ({at})]]: carga todo de una vez (IN (...), JOIN o selectinload / "
           "prefetch_related).",
        en="Move the query out of the loop[[ ({at})]]: load everything at once (IN (...), JOIN or selectinload / "
           "prefetch_related)."),
    "redis_keys": Advice(
        finding_es="Redis KEYS recorre todas las claves y bloquea el servidor[[ (patrón {pattern})]]",
        es="Cambia KEYS por SCAN con MATCH y COUNT[[ ({at})]], o guarda las claves en un set propio.",
        en="Replace KEYS with SCAN using MATCH and COUNT[[ ({at})]], or keep the keys in a set of their own."),
    "blocking_call_in_async": Advice(
        finding_es="Llamada bloqueante dentro de async def: bloquea el event loop[[: {call}]]"
                   "[[ en {function}]]",
        es="Usa la versión async de la librería o llévalo a un hilo (asyncio.to_thread)[[ ({at})]]: la llamada "
           "bloquea el event loop.",
        en="Use the library's async variant or move it to a thread (asyncio.to_thread)[[ ({at})]]: the call "
           "blocks the event loop."),
    "http_without_timeout": Advice(
        finding_es="Llamada HTTP sin timeout: un upstream lento retiene el worker[[ ({call})]]",
        es="Pon un timeout explícito (connect y read) a la llamada HTTP[[ ({at})]]; sin él, un upstream colgado "
           "retiene el worker.",
        en="Give the HTTP call an explicit timeout (connect and read)[[ ({at})]]; without it a stuck upstream "
           "holds the worker."),
    "cache_set_without_ttl": Advice(
        finding_es="Escritura en caché sin TTL: la entrada no expira nunca y la memoria crece"
                   "[[ ({command} {key})]]",
        es="Añade un TTL a la escritura en caché (SET … EX segundos)[[ ({at})]], con algo de jitter para que no "
           "expiren todas a la vez.",
        en="Add a TTL to the cache write (SET … EX seconds)[[ ({at})]], with some jitter so entries do not all "
           "expire at once."),
    "unbounded_query_in_handler": Advice(
        finding_es="Consulta sin límite en un handler: carga todas las filas[[ ({call})]][[ en {handler}]]",
        es="Pagina o limita la consulta del handler[[ ({at})]]: cargar todas las filas hace que latencia y memoria "
           "crezcan con la tabla.",
        en="Paginate or limit the handler's query[[ ({at})]]: loading every row makes latency and memory grow "
           "with the table."),
    "sync_sleep_retry": Advice(
        finding_es="Reintento con una espera fija de time.sleep[[ de {delay} s]]"
                   "[[ en el bucle de la línea {loop_line}]]",
        es="Reintenta con backoff exponencial y jitter (tenacity, por ejemplo)[[ ({at})]] en lugar de time.sleep "
           "con espera fija.",
        en="Retry with exponential backoff and jitter (tenacity, for example)[[ ({at})]] instead of a fixed "
           "time.sleep."),
    "repeated_call_in_loop_invariant": Advice(
        finding_es="Llamada que da el mismo resultado en cada iteración[[: {call}]]"
                   "[[ (bucle de la línea {loop_line})]]",
        es="Calcula la llamada una vez antes del bucle[[ ({at})]]: devuelve lo mismo en cada iteración.",
        en="Compute the call once before the loop[[ ({at})]]: it returns the same value on every iteration."),
    "secret_in_diff": Advice(
        finding_es="Se añade un secreto al cambio y queda en el historial del repositorio[[ ({secret_kind})]]",
        es="Revoca y rota el secreto ya, quítalo del cambio[[ ({at})]] y léelo de una variable de entorno o del "
           "gestor de secretos.",
        en="Revoke and rotate the secret now, remove it from the change[[ ({at})]] and read it from an "
           "environment variable or a secret manager."),
    # --- Profiles (tools/profile.py) ---
    "many_cheap_calls": Advice(
        finding_es="Muchas llamadas baratas[[ a {node}]][[: {calls} llamadas]][[ de {per_call_us} µs]]"
                   "[[, {cum_pct}% del perfil]][[; {calls_per_caller_call} por cada llamada de {top_caller}]]",
        es="Reduce el número de llamadas[[ ({calls} llamadas)]]: agrupa el trabajo por lotes, sácalo del bucle o "
           "indexa con un dict/set si es un bucle dentro de otro.",
        en="Cut the number of calls[[ ({calls} calls)]]: batch the work, hoist it out of the loop, or index one "
           "side in a dict/set if it is a loop inside a loop."),
    "io_wait": Advice(
        finding_es="El proceso espera en lugar de calcular[[: {wait_pct}% del perfil]][[ en {wait_functions}]]",
        es="El proceso espera I/O[[ ({wait_pct}% del tiempo)]]: haz las llamadas en paralelo (async o un pool), "
           "agrúpalas o cachea sus resultados.",
        en="The process waits on I/O[[ ({wait_pct}% of the time)]]: run the calls concurrently (async or a pool), "
           "batch them or cache their results."),
    "memoization_candidate": Advice(
        finding_es="Una recursión recalcula los mismos subproblemas[[ en {node}]]"
                   "[[: {calls} llamadas para {primitive_calls} externas]][[, {cum_pct}% del perfil]]",
        es="Memoiza la función (functools.lru_cache o una caché con TTL)[[: {calls} llamadas, {cum_pct}% del "
           "tiempo]].",
        en="Memoize the function (functools.lru_cache or a TTL cache)[[: {calls} calls, {cum_pct}% of the "
           "time]]."),
    "serialization_hotspot": Advice(
        finding_es="Serialización o expresiones regulares en el camino caliente"
                   "[[: {category} ocupa el {pct}% del perfil]][[ ({functions})]]",
        es="Usa un serializador más rápido (orjson, msgspec) o serializa menos datos[[ ({category}: {pct}% del "
           "tiempo)]].",
        en="Use a faster serializer (orjson, msgspec) or serialize less data[[ ({category}: {pct}% of the "
           "time)]]."),
    "db_driver_time": Advice(
        finding_es="El tiempo está dentro del driver de base de datos[[: {pct}% del perfil]]"
                   "[[, {execute_calls} llamadas a execute()]]",
        es="El tiempo está en el driver de base de datos[[ ({pct}%)]]: revisa el plan de las consultas más "
           "caras (lmagent explain) y cuántas se ejecutan por petición.",
        en="The time is in the database driver[[ ({pct}%)]]: check the plans of the costliest queries "
           "(lmagent explain) and how many run per request."),
    "hot_spot": Advice(
        finding_es="Función más caliente del perfil[[: {node}]][[ con el {self_pct}% del tiempo propio]]"
                   "[[ ({calls} llamadas)]]",
        es="Empieza por la función más caliente[[ ({at}, {self_pct}% del tiempo propio)]]: mide una "
           "alternativa antes de tocar el resto.",
        en="Start with the hottest function[[ ({at}, {self_pct}% self time)]]: measure an alternative before "
           "touching the rest."),
    # --- Traces (tools/traces.py) ---
    "error_span": Advice(
        finding_es="Un span terminó con error[[ en la traza {trace_id}]][[ ({duration_ms} ms)]]",
        es="Abre la traza del span con error[[ ({trace_id})]] y busca la excepción y el código de estado de la "
           "dependencia.",
        en="Open the trace of the failing span[[ ({trace_id})]] and look for the exception and the dependency's "
           "status code."),
    "slow_external_call": Advice(
        finding_es="Llamada externa lenta[[: {duration_ms} ms]][[ ({category})]]",
        es="Pon timeout y caché a la llamada externa[[ ({duration_ms} ms)]], o hazla en paralelo con el resto.",
        en="Give the external call a timeout and a cache[[ ({duration_ms} ms)]], or run it concurrently with the "
           "rest."),
    "dominant_span": Advice(
        finding_es="Un span domina el camino crítico[[: {critical_ms} ms de una traza de {trace_ms} ms]]",
        es="Optimiza primero este span: domina el camino crítico[[ ({critical_ms} ms)]].",
        en="Optimize this span first: it dominates the critical path[[ ({critical_ms} ms)]]."),
    "sequential_calls": Advice(
        finding_es="Llamadas independientes que se hacen una detrás de otra[[: {n_calls} llamadas]]"
                   "[[, {sequential_ms} ms en serie frente a ~{concurrent_ms} ms en paralelo]]",
        es="Lanza en paralelo las llamadas independientes[[: {sequential_ms} ms en serie frente a {concurrent_ms} "
           "ms en paralelo]].",
        en="Run the independent calls concurrently[[: {sequential_ms} ms in sequence vs {concurrent_ms} ms "
           "concurrently]]."),
    # --- Cache patterns (tools/cache_patterns) ---
    "pickle_deserialization": Advice(
        finding_es="La caché se serializa con pickle: quien pueda escribir en Redis ejecuta código al leer"
                   " una entrada",
        es="Serializa la caché con JSON (o msgpack) en lugar de pickle: deserializar pickle de una caché "
           "compartida permite ejecutar código.",
        en="Serialize the cache with JSON (or msgpack) instead of pickle: unpickling from a shared cache can "
           "execute code."),
}

# When a tool ran and found nothing, the useful next step is to look where the time really goes.
CLEAN: dict[str, Advice] = {
    "explain": Advice(
        es="Este plan no muestra problemas: si el endpoint es lento, el tiempo está fuera de esta consulta "
           "(perfila la petición) o en otra ejecución; captura el plan de una ejecución lenta con auto_explain.",
        en="This plan shows no problem: if the endpoint is slow, the time is outside this query (profile the "
           "request) or in another run; capture the plan of a slow run with auto_explain."),
    "sql": Advice(
        es="El texto de la consulta está bien: mide su plan real con EXPLAIN (ANALYZE, BUFFERS).",
        en="The query text is fine: measure its real plan with EXPLAIN (ANALYZE, BUFFERS)."),
    "thresholds": Advice(
        es="Las métricas cumplen los objetivos de la persona: vigila su tendencia y la latencia de cola (P99).",
        en="The metrics meet the persona's targets: watch their trend and the tail latency (P99)."),
    "codecheck": Advice(
        es="El diff no trae patrones de rendimiento conocidos: valida el cambio con un test de carga (lmagent loadtest).",
        en="The diff has no known performance pattern: validate the change with a load test (lmagent loadtest)."),
    "profile": Advice(
        es="El perfil no tiene un punto caliente claro: perfila bajo carga real o mira las esperas con trazas.",
        en="The profile has no clear hot spot: profile under real load or look at waits with traces."),
    "traces": Advice(
        es="Las trazas no muestran un cuello de botella: compara con trazas de las peticiones más lentas (P99).",
        en="The traces show no bottleneck: compare with traces of the slowest requests (P99)."),
}

_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)


def advise(finding: Finding, lang: str) -> str | None:
    """The next step for a finding in ``lang`` ('es' or 'en'); the tool's suggestion for unknown kinds."""
    advice = ADVICE.get(finding.kind)
    if advice is None:
        return finding.suggestion
    return render(advice.es if lang == "es" else advice.en, _values(finding, lang))


def describe(finding: Finding, lang: str) -> str:
    """What the finding shows, in ``lang``: the tool's own message in English, the kind's Spanish line
    filled from the finding's evidence in Spanish (the message again for a kind missing here)."""
    advice = ADVICE.get(finding.kind)
    if lang != "es" or advice is None or not advice.finding_es:
        return finding.message
    return render(advice.finding_es, _values(finding, lang))


def clean_advice(tool: str, lang: str) -> str | None:
    """The next step after ``tool`` found nothing, in ``lang``."""
    advice = CLEAN.get(tool)
    return None if advice is None else (advice.es if lang == "es" else advice.en)


def summarize(report: Report, lang: str) -> str | None:
    """The tool's summary line in ``lang``. Spanish is built from the report's data; a tool without a
    Spanish summary here gets none in Spanish (its findings still carry the numbers)."""
    if lang != "es":
        return report.summary
    build = SUMMARY_ES.get(report.tool)
    data = report.data.model_dump(mode="json") if isinstance(report.data, BaseModel) else report.data
    return build(data) if build and isinstance(data, dict) and data else None


def render(template: str, values: dict[str, str]) -> str:
    """A template with its optional ``[[...]]`` segments filled, or dropped where a value is missing."""
    return _OPTIONAL.sub(lambda m: _fill(m.group(1), values), template)


def placeholders(template: str) -> set[str]:
    """Field names a template quotes."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _fill(segment: str, values: dict[str, str]) -> str:
    """The segment with its numbers, or nothing when the finding lacks one of them."""
    names = placeholders(segment)
    if not all(values.get(n) for n in names):
        return ""
    return segment.format_map(values)


_WORDS = {
    # severity → the verdict of a metric against the persona's targets, and of a good/poor Web Vital
    "verdict": {"es": {"error": "supera el límite crítico", "warning": "no cumple el objetivo"},
                "en": {"error": "breaks the critical bound", "warning": "misses the target"}},
    "rating": {"es": {"error": "es malo", "warning": "necesita mejorar"},
               "en": {"error": "is poor", "warning": "needs improvement"}},
    "direction": {"es": {"under": "subestimación", "over": "sobreestimación"},
                  "en": {"under": "underestimate", "over": "overestimate"}},
}


def _values(finding: Finding, lang: str) -> dict[str, str]:
    """Every value a template may quote: the evidence as the language writes numbers, plus the
    figures a sentence states but the tools keep apart (totals, shares, sizes)."""
    evidence: dict[str, Any] = dict(finding.evidence or {})
    values = {k: _evidence_value(k, v, lang) for k, v in evidence.items() if v is not None}
    where = finding.location
    if where is not None and str(where):
        values["at"] = str(where)
        for field in ("node", "metric"):
            if getattr(where, field):
                values[field] = getattr(where, field)
    value, unit = evidence.get("value"), evidence.get("unit")
    if isinstance(value, (int, float)) and isinstance(unit, str):
        from tools.metrics_text import format_value

        values["measured"] = format_value(float(value), unit)
    bound = evidence.get("target") or evidence.get("critical")
    if bound:
        values["bound"] = str(bound)
    lang_words = {word: table.get(lang, table["en"]) for word, table in _WORDS.items()}
    if "value" in evidence:  # a measured metric: its verdict is the finding's severity
        for word in ("verdict", "rating"):
            if finding.severity in lang_words[word]:
                values[word] = lang_words[word][finding.severity]
    if evidence.get("direction") in lang_words["direction"]:
        values["direction"] = lang_words["direction"][evidence["direction"]]

    def num(key: str) -> float | None:
        v = evidence.get(key)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    def put(key: str, number: float | None, pct: bool = False) -> None:
        if number is not None:
            values[key] = f"{number:.0%}" if pct else _show(number, lang)

    removed, returned = num("rows_removed"), num("rows_returned")
    if removed is not None and returned is not None and removed + returned:
        put("rows_read", removed + returned)
        put("removed_pct", removed / (removed + returned), pct=True)
    size_bytes = num("size_bytes")
    for key, kb in (("disk", num("disk_kb")), ("memory", num("memory_kb")),
                    ("size", size_bytes / 1024 if size_bytes else None)):
        if kb:
            values[key] = _show(round(kb / 1024, 1), lang) + " MB" if kb >= 1024 else _show(round(kb), lang) + " kB"
    disk_kb = num("disk_kb")
    if disk_kb:
        # Twice the spill, rounded up to a power of two: a sort needs more memory than it writes.
        values["work_mem_hint"] = f"{2 ** math.ceil(math.log2(max(disk_kb * 2 / 1024, 1)))}MB"
    batches, planned = num("batches"), num("original_batches")
    if batches and planned and planned < batches:
        put("planned_batches", planned)
    lossy, exact = num("lossy_blocks"), num("exact_blocks")
    if lossy is not None and exact is not None:
        put("heap_blocks", lossy + exact)
    jit, execution = num("jit_ms"), num("execution_ms")
    if jit and execution:
        put("jit_pct", jit / execution, pct=True)
    for hit_key, read_key in (("shared_hit", "shared_read"), ("blks_hit", "blks_read")):
        hit, read = num(hit_key), num(read_key)
        if hit is not None and read is not None and hit + read:
            put("hit_pct", hit / (hit + read), pct=True)
            put("blocks", hit + read)
    scans, read_rows = num("seq_scan"), num("seq_tup_read")
    if scans and read_rows is not None:
        put("rows_per_scan", round(read_rows / scans))
    connections, most, reserved = num("connections"), num("max_connections"), num("reserved")
    if connections is not None and most is not None:
        usable = max(most - (reserved or 0), 1)
        put("usable", usable)
        put("usage_pct", connections / usable, pct=True)
    if isinstance(evidence.get("calls"), list):
        put("n_calls", len(evidence["calls"]))
    repeats = evidence.get("count") or evidence.get("max_repeats")
    if repeats:
        values["repeats"] = _show(repeats, lang)
    share = num("share")
    if share is not None:
        put("share", share, pct=True)
    return values


def _evidence_value(key: str, value: Any, lang: str) -> str:
    if key.endswith("_line") or (key == "lines" and isinstance(value, list)):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)  # names, not amounts
    return _show(value, lang)


def _show(value: Any, lang: str) -> str:
    """A value as a sentence quotes it: integers grouped by thousands, lists joined, small numbers with
    two decimals at most, each language with its own separators."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v, lang) for v in value if v is not None)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = f"{value:,}"
        return text.replace(",", ".") if lang == "es" else text
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
        return text.translate(str.maketrans(",.", ".,")) if lang == "es" else text
    return str(value)


# --- Tool summaries in Spanish ------------------------------------------------------------------
# Built from each tool's data for the tools the offline model runs; English keeps the tool's summary.


def _es(template: str, **values: Any) -> str:
    return render(template, {k: _show(v, "es") for k, v in values.items() if v not in (None, 0, "", [])})


def _n(count: Any, one: str, many: str) -> str | None:
    """'1 nodo', '12 nodos'; None for nothing, so the segment that says it is dropped."""
    if not isinstance(count, (int, float)) or not count:
        return None
    return f"{_show(count, 'es')} {one if count == 1 else many}"


def _explain_summary(data: dict) -> str:
    stats = data.get("stats") or {}
    nodes, stack = [], [data.get("plan")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            nodes.append(node)
            stack.extend(node.get("children") or [])
    hot = max(nodes, key=lambda n: n.get("exclusive_ms") or 0.0, default={})
    slowest = None
    if hot.get("exclusive_ms"):
        target = f" en {hot['relation']}" if hot.get("relation") else ""
        slowest = f"#{hot.get('id')} {hot.get('node_type')}{target}"
    return _es("Plan analizado[[: {nodes}]][[, ejecución {execution} ms]][[, planificación {planning} ms]]"
               "[[, {estimates}]][[; el nodo más lento es {slowest} ({slowest_ms} ms)]]",
               nodes=_n(stats.get("nodes"), "nodo", "nodos"), execution=stats.get("execution_ms"), planning=stats.get("planning_ms"),
               estimates=None if stats.get("analyzed", True) else "sin ANALYZE: solo estimaciones",
               slowest=slowest, slowest_ms=hot.get("exclusive_ms") if slowest else None)


def _sql_summary(data: dict) -> str:
    return _es("SQL analizado[[: {statements}]][[; {errors}]][[; {indexes}]]",
               statements=_n(data.get("statements"), "sentencia", "sentencias"),
               errors=_n(data.get("parse_errors"), "no se pudo analizar", "no se pudieron analizar"),
               indexes=_n(len(data.get("indexes") or []), "índice sugerido", "índices sugeridos"))


def _codecheck_summary(data: dict) -> str:
    files = data.get("files") or []
    return _es("Cambio revisado[[: {checked} de {files}]]", checked=sum(1 for f in files if f.get("checked")),
               files=_n(len(files), "archivo cambiado", "archivos cambiados"))


def _thresholds_summary(data: dict) -> str:
    checks = [c for c in data.get("checks") or [] if c.get("verdict") in ("pass", "warn", "fail")]
    if not checks:
        return "No se encontraron métricas que comprobar"
    fails = sum(c["verdict"] == "fail" for c in checks)
    warns = sum(c["verdict"] == "warn" for c in checks)
    return _es("Métricas comprobadas[[ con los objetivos de {persona}]][[: {checked}]][[; superan el límite crítico: "
               "{fails}]][[; no cumplen el objetivo: {warns}]][[; cumplen: {passes}]]",
               persona=Path(str(data.get("persona") or "la persona")).name, checked=len(checks), fails=fails,
               warns=warns, passes=len(checks) - fails - warns)


def _profile_summary(data: dict) -> str:
    total, unit = data.get("total"), data.get("unit")
    amount = None
    if isinstance(total, (int, float)):
        amount = f"{_show(total, 'es')} " + {"seconds": "s", "samples": "muestras"}.get(str(unit), str(unit))
    hot = (data.get("hot_path") or [{}])[-1]
    pct = hot.get("pct")
    return _es("Perfil[[ {format}]][[: {amount}]][[, {functions}]][[; el camino caliente acaba en {hot} ({pct}%)]]",
               format=data.get("format"), amount=amount, functions=_n(data.get("functions"), "función", "funciones"),
               hot=hot.get("name"), pct=round(pct) if isinstance(pct, (int, float)) else None)


def _traces_summary(data: dict) -> str:
    worst = (data.get("slowest_traces") or [{}])[0]
    return _es("Trazas[[ {format}]][[: {traces} y {spans}]][[; la más lenta es {root} ({service}), {ms} ms]]",
               format=data.get("format"), traces=_n(data.get("traces"), "traza", "trazas"),
               spans=_n(data.get("spans"), "span", "spans"),
               root=worst.get("root"), service=worst.get("service"), ms=worst.get("duration_ms"))


def _cache_summary(data: dict) -> str:
    flavour = "redis.asyncio" if data.get("use_async") else "redis-py"
    code = data.get("code") or ""
    return _es("Patrón de caché[[ {pattern}]][[ para {flavour}]][[ ({serializer})]][[, clave {key}]][[, TTL {ttl} s]]"
               "[[: {lines} líneas, guárdalo como {module}.py]]",
               pattern=data.get("pattern"), flavour=flavour, serializer=data.get("serializer"),
               key=data.get("key"), ttl=data.get("ttl"), lines=code.count("\n") or None, module=data.get("module"))


SUMMARY_ES: dict[str, Callable[[dict], str]] = {
    "explain": _explain_summary,
    "sql": _sql_summary,
    "codecheck": _codecheck_summary,
    "thresholds": _thresholds_summary,
    "profile": _profile_summary,
    "traces": _traces_summary,
    "cache_pattern": _cache_summary,
}
