"""DB0xx: a live database's health (tools/db.py, `lmagent db health`)."""

from __future__ import annotations

from tools.catalogue import BACKEND, DATA, Rule, Text


def _db(code: str, kind: str, title: str, *, severity: str = "warning", owner: str = DATA, why: Text, fix: Text,
        finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, owner, "db_health", why, fix, finding_es)


SEQ_SCAN_HEAVY = _db(
    "DB001", "seq_scan_heavy", "Table read by sequential scans more than by indexes",
    why=Text(
        en="A large table scanned sequentially more often than through its indexes is read whole on every "
           "such query; some query is missing an index for its filter.",
        es="Una tabla grande que se recorre más con scans secuenciales que con sus índices se lee entera en cada "
           "una de esas consultas; a alguna consulta le falta un índice para su filtro."),
    fix=Text(
        en="Find the queries that scan this table (`lmagent sql --log`, pg_stat_statements) and index their "
           "predicates (`lmagent sql --suggest-indexes`)[[: {rows_per_scan} rows read per scan]].",
        es="Busca las consultas que recorren esta tabla (`lmagent sql --log`, pg_stat_statements) e indexa sus "
           "predicados (`lmagent sql --suggest-indexes`)[[: {rows_per_scan} filas leídas por scan]]."),
    finding_es="La tabla se lee más con scans secuenciales que con índices"
               "[[: {seq_scan} seq scans frente a {idx_scan} index scans]]"
               "[[, {rows_per_scan} filas leídas por scan]][[ ({n_live_tup} filas vivas)]]",
)

UNUSED_INDEX = _db(
    "DB002", "unused_index", "Index never scanned",
    why=Text(
        en="An index no query has used since statistics were reset still costs on every INSERT, UPDATE and "
           "DELETE, in WAL and in memory.",
        es="Un índice que ninguna consulta ha usado desde el último reinicio de estadísticas sigue costando en "
           "cada INSERT, UPDATE y DELETE, en WAL y en memoria."),
    fix=Text(
        en="Confirm on replicas and over a full load cycle (rare jobs too: statistics are per server) that it is "
           "unused, then drop it[[ (DROP INDEX CONCURRENTLY {index})]]: every index makes writes slower.",
        es="Confirma en las réplicas y tras un ciclo completo de carga (también los procesos poco frecuentes: "
           "las estadísticas son por servidor) que no se usa, y bórralo[[ (DROP INDEX CONCURRENTLY {index})]]: "
           "cada índice encarece las escrituras."),
    finding_es="Índice sin ningún uso desde el último reinicio de estadísticas[[ ({size_bytes})]]",
)

DUPLICATE_INDEX = _db(
    "DB003", "duplicate_index", "Duplicate index",
    why=Text(
        en="Two indexes with the same columns, operator classes, expressions and predicate serve exactly the "
           "same lookups; every write maintains both.",
        es="Dos índices con las mismas columnas, clases de operador, expresiones y predicado sirven exactamente "
           "las mismas búsquedas; cada escritura mantiene los dos."),
    fix=Text(
        en="Drop one of the duplicates[[ (DROP INDEX CONCURRENTLY {index})]] after checking it backs no "
           "constraint: every write maintains both.",
        es="Borra uno de los duplicados[[ (DROP INDEX CONCURRENTLY {index})]] tras comprobar que no respalda "
           "ninguna restricción: cada escritura mantiene los dos."),
    finding_es="Índice duplicado, con las mismas columnas y clases de operador[[ que {duplicate_of}]]"
               "[[ ({size_bytes})]]",
)

REDUNDANT_INDEX = _db(
    "DB004", "redundant_index", "Index is a leading prefix of another", severity="info",
    why=Text(
        en="An index on (a) is covered by an index on (a, b): the longer one serves the same lookups, so the "
           "shorter one mostly adds write cost (it is smaller, which can still matter).",
        es="Un índice sobre (a) está cubierto por uno sobre (a, b): el más largo sirve las mismas búsquedas, así "
           "que el corto sobre todo añade coste de escritura (es más pequeño, y eso a veces importa)."),
    fix=Text(
        en="The index is a leading prefix of another[[ ({covered_by})]]: drop it[[ (DROP INDEX CONCURRENTLY "
           "{index})]] unless a query depends on its smaller size.",
        es="El índice es prefijo de otro[[ ({covered_by})]]: bórralo[[ (DROP INDEX CONCURRENTLY {index})]] "
           "salvo que alguna consulta dependa de su menor tamaño."),
    finding_es="Índice redundante: es prefijo de otro que sirve las mismas búsquedas[[ ({covered_by})]]",
)

LOW_CACHE_HIT_RATIO = _db(
    "DB005", "low_cache_hit_ratio", "Low buffer cache hit ratio",
    why=Text(
        en="An OLTP working set should live in shared_buffers; below 99% hits, queries wait on the OS cache or "
           "the disk for the blocks they read.",
        es="El working set de una carga OLTP debería caber en shared_buffers; por debajo del 99% de aciertos, "
           "las consultas esperan a la caché del sistema o al disco por los bloques que leen."),
    fix=Text(
        en="The working set does not fit in shared_buffers[[ ({hit_share} hits)]]: raise shared_buffers (~25% "
           "of RAM) or cut the data each query reads (indexes, narrower rows); start with the queries with the "
           "most disk reads (pg_stat_statements, shared_blks_read).",
        es="El working set no cabe en shared_buffers[[ ({hit_share} de aciertos)]]: sube shared_buffers (~25% "
           "de la RAM) o reduce lo que lee cada consulta (índices, filas más estrechas); empieza por las "
           "consultas con más lecturas de disco (pg_stat_statements, shared_blks_read)."),
    finding_es="La tasa de aciertos de la caché de buffers es baja[[: {hit_share}]][[ en {blocks} lecturas de "
               "bloques]]",
)

CONNECTION_USAGE = _db(
    "DB006", "connection_usage", "Connections close to max_connections", owner=BACKEND,
    why=Text(
        en="Each PostgreSQL connection is a process; near max_connections new clients are refused, and raising "
           "the limit costs memory and contention instead of adding throughput.",
        es="Cada conexión de PostgreSQL es un proceso; cerca de max_connections se rechazan clientes nuevos, y "
           "subir el límite cuesta memoria y contención en lugar de dar más throughput."),
    fix=Text(
        en="Put a pooler in front (PgBouncer in transaction mode) and size the application pools with Little's "
           "law so their sum stays below max_connections[[ ({connections} of {usable} in use)]].",
        es="Pon un pooler delante (PgBouncer en modo transaction) y dimensiona los pools de la aplicación con la "
           "Ley de Little para que su suma quede por debajo de max_connections[[ ({connections} de {usable} en "
           "uso)]]."),
    finding_es="Las conexiones se acercan al límite"
               "[[: {connections} de {usable} disponibles ({usage_share})]][[; max_connections {max_connections}]]",
)
