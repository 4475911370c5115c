"""PLAN0xx: problems in an EXPLAIN plan (tools/explain/rules.py; also `lmagent db explain`)."""

from __future__ import annotations

from tools.catalogue import BACKEND, DATA, DEVOPS, Rule, Text


def _plan(code: str, kind: str, title: str, *, owner: str = DATA, severity: str = "warning", why: Text,
          fix: Text, finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, owner, "explain", why, fix, finding_es)


SEQ_SCAN_LARGE_FILTER = _plan(
    "PLAN001", "seq_scan_large_filter", "Sequential scan whose filter discards most rows",
    why=Text(
        en="A Seq Scan reads every row of the table and its filter throws most of them away: the work grows "
           "with the table, not with the result. An index on the filter columns reads only the rows that match.",
        es="Un Seq Scan lee todas las filas de la tabla y su filtro descarta casi todas: el trabajo crece con la "
           "tabla, no con el resultado. Un índice en las columnas del filtro lee solo las filas que coinciden."),
    fix=Text(
        en="Index the filter[[ ({index_reason})]][[: {index}]] so the scan stops reading and discarding"
           "[[ {rows_removed}]] rows; in production build it CONCURRENTLY.[[ {instead}]]",
        es="Crea un índice para el filtro[[: {index}]] para que el scan no lea y descarte[[ {rows_removed}]] "
           "filas; en producción, créalo CONCURRENTLY.[[ {instead_es}]]"),
    finding_es="Seq Scan con un filtro que descarta casi todo lo que lee"
               "[[: {rows_read} filas leídas, {rows_removed} descartadas ({removed_share}) y {rows_returned} "
               "devueltas]]",
)

DISK_SORT = _plan(
    "PLAN002", "disk_sort", "Sort spilled to disk",
    why=Text(
        en="The sort did not fit in work_mem and wrote its rows to temporary files: an external merge sort "
           "reads and writes the data several times, and disk is orders of magnitude slower than memory.",
        es="La ordenación no cupo en work_mem y escribió sus filas en archivos temporales: un external merge "
           "lee y escribe los datos varias veces, y el disco es órdenes de magnitud más lento que la memoria."),
    fix=Text(
        en="Raise work_mem for this query[[ (SET LOCAL work_mem = '{work_mem_hint}'; it spilled {disk_kb} to "
           "disk)]][[, the largest spill of its {processes} processes: work_mem applies to each process]][[, or "
           "create an index that returns the rows already sorted by ({index_sort_key})]].",
        es="Sube work_mem para esta consulta[[ (SET LOCAL work_mem = '{work_mem_hint}'; derramó {disk_kb} a "
           "disco)]][[, el mayor derrame de sus {processes} procesos: work_mem vale para cada proceso]][[, o crea "
           "un índice que entregue las filas ya ordenadas por ({index_sort_key})]]."),
    finding_es="El Sort derrama a disco[[: {disk_kb}]][[ con {sort_method}]][[ (work_mem {work_mem})]]",
)

HASH_BATCHES = _plan(
    "PLAN003", "hash_batches", "Hash table split into batches",
    why=Text(
        en="The hash table of a Hash Join did not fit in memory, so both sides of the join are partitioned "
           "into batches written to temporary files and read back: extra I/O on every row.",
        es="La tabla hash de un Hash Join no cupo en memoria, así que los dos lados del join se parten en lotes "
           "que se escriben en archivos temporales y se vuelven a leer: I/O extra en cada fila."),
    fix=Text(
        en="The hash table does not fit in memory[[ ({batches} batches)]]: raise work_mem (or "
           "hash_mem_multiplier) for this query so it fits in one batch, or filter the inner side of the join "
           "earlier[[; the planner expected {planned_batches} batches, so refresh statistics (ANALYZE) too]].",
        es="La tabla hash no cabe en memoria[[ ({batches} lotes)]]: sube work_mem (o hash_mem_multiplier) para "
           "esta consulta para que quepa en un lote, o filtra antes el lado interno del join[[; el planificador "
           "esperaba {planned_batches} lotes, así que actualiza también las estadísticas (ANALYZE)]]."),
    finding_es="La tabla hash no cabe en memoria y se parte en lotes[[: {batches} lotes]]"
               "[[ (se planificaron {planned_batches}: la estimación de filas se quedó corta)]]"
               "[[; {memory_kb} por lote en memoria y el resto en archivos temporales]]",
)

HASHAGG_SPILL = _plan(
    "PLAN004", "hashagg_spill", "HashAggregate spilled to disk",
    why=Text(
        en="A hashed GROUP BY ran out of memory and wrote groups to temporary files (PostgreSQL 13 and later): "
           "the aggregate reads its input in several passes.",
        es="Un GROUP BY con hash se quedó sin memoria y escribió grupos en archivos temporales (PostgreSQL 13 "
           "en adelante): el agregado lee su entrada en varias pasadas."),
    fix=Text(
        en="The HashAggregate spills to disk[[ ({disk_kb})]]: raise work_mem or hash_mem_multiplier for this "
           "query[[ above ~{needed_kb}]], or aggregate fewer groups (filter before grouping).",
        es="El HashAggregate derrama a disco[[ ({disk_kb})]]: sube work_mem o hash_mem_multiplier para esta "
           "consulta[[ por encima de ~{needed_kb}]], o agrega menos grupos (filtra antes de agrupar)."),
    finding_es="El HashAggregate derrama a disco[[: {batches} lotes]][[, {disk_kb} escritos]]",
)

ROW_MISESTIMATE = _plan(
    "PLAN005", "row_misestimate", "Row estimate off by 10x or more",
    why=Text(
        en="The planner chooses join methods, join order and memory from its row estimates; an estimate off "
           "by 10x or more is where a bad plan (a Nested Loop over many rows, a spilling hash) usually starts.",
        es="El planificador elige métodos y orden de join y memoria según sus estimaciones de filas; una "
           "estimación que falla por 10x o más es donde suele empezar un mal plan (un Nested Loop sobre muchas "
           "filas, un hash que derrama)."),
    fix=Text(
        en="Run ANALYZE on the node's tables[[ ({relation})]][[: it estimated {plan_rows} rows and got "
           "{actual_rows}]]; if the estimate stays off, add CREATE STATISTICS (dependencies, mcv) for correlated "
           "columns or raise the columns' statistics target.",
        es="Ejecuta ANALYZE en las tablas del nodo[[ ({relation})]][[: estimó {plan_rows} filas y salieron "
           "{actual_rows}]]; si la estimación sigue fallando, crea CREATE STATISTICS (dependencies, mcv) para "
           "las columnas correlacionadas o sube su statistics target."),
    finding_es="La estimación de filas del planificador falla"
               "[[ ({direction} por un factor de {factor})]]"
               "[[: planificó {plan_rows} filas y salieron {actual_rows} por iteración]]",
)

LOSSY_BITMAP = _plan(
    "PLAN006", "lossy_bitmap", "Bitmap heap scan went lossy",
    why=Text(
        en="When the bitmap outgrows work_mem it keeps only one bit per page instead of per row, so every row "
           "of those pages is rechecked against the condition and most are thrown away.",
        es="Cuando el bitmap supera work_mem guarda un bit por página en lugar de por fila, así que cada fila de "
           "esas páginas se vuelve a comprobar contra la condición y casi todas se descartan."),
    fix=Text(
        en="Raise work_mem so the bitmap stays exact[[ ({lossy_blocks} lossy blocks force row rechecks)]], or "
           "make the condition more selective.",
        es="Sube work_mem para que el bitmap sea exacto[[ ({lossy_blocks} bloques lossy obligan a recomprobar "
           "filas)]], o haz la condición más selectiva."),
    finding_es="El bitmap se volvió lossy"
               "[[: {lossy_blocks} de {heap_blocks} bloques del heap solo guardan bits por página]]"
               "[[; {rows_removed_by_recheck} filas recomprobadas y descartadas]]",
)

NESTED_LOOP_MANY_LOOPS = _plan(
    "PLAN007", "nested_loop_many_loops", "Nested Loop runs its inner side thousands of times",
    why=Text(
        en="A Nested Loop runs its inner side once per outer row; thousands of loops multiply even a cheap "
           "lookup, and usually mean the planner expected far fewer outer rows.",
        es="Un Nested Loop ejecuta su lado interno una vez por fila externa; miles de iteraciones multiplican "
           "hasta una búsqueda barata, y suelen indicar que el planificador esperaba muchas menos filas externas."),
    fix=Text(
        en="Make the loops fewer or each one cheaper[[: {advice}]].",
        es="Haz menos iteraciones o cada una más barata[[: {advice_es}]]."),
    finding_es="El Nested Loop ejecuta su lado interno una vez por fila externa[[: {loops} veces]]"
               "[[, {inner_ms} ms en total]][[ ({inner})]]",
)

WORKERS_NOT_LAUNCHED = _plan(
    "PLAN008", "workers_not_launched", "Fewer parallel workers launched than planned", owner=DEVOPS,
    why=Text(
        en="The plan counted on parallel workers the server could not start (max_parallel_workers or "
           "max_worker_processes were used up), so the leader did that share of the work alone.",
        es="El plan contaba con workers paralelos que el servidor no pudo arrancar (max_parallel_workers o "
           "max_worker_processes agotados), así que el proceso líder hizo solo esa parte del trabajo."),
    fix=Text(
        en="Planned[[ {planned}]] parallel workers, launched[[ {launched}]]: raise max_parallel_workers and "
           "max_worker_processes, or lower the number of concurrent parallel queries.",
        es="Se planificaron[[ {planned}]] workers paralelos y arrancaron[[ {launched}]]: sube "
           "max_parallel_workers y max_worker_processes, o baja la concurrencia de consultas paralelas."),
    finding_es="No arrancaron todos los workers paralelos[[: se planificaron {planned} y arrancaron {launched}]]",
)

JIT_OVERHEAD = _plan(
    "PLAN009", "jit_overhead", "JIT compilation costs a large share of execution", owner=DEVOPS,
    why=Text(
        en="JIT compiles expressions to machine code when the plan's cost estimate is high; for a query that "
           "runs quickly anyway, compiling costs more time than it saves.",
        es="JIT compila expresiones a código máquina cuando el coste estimado del plan es alto; en una consulta "
           "que de todos modos es rápida, compilar cuesta más tiempo del que ahorra."),
    fix=Text(
        en="JIT does not pay off here[[: it took {jit_ms} ms of {execution_ms} ms]]: turn it off for this query "
           "(SET LOCAL jit = off) or raise jit_above_cost (and jit_inline_above_cost, jit_optimize_above_cost).",
        es="JIT no compensa aquí[[: costó {jit_ms} ms de {execution_ms} ms]]: desactívalo para esta consulta "
           "(SET LOCAL jit = off) o sube jit_above_cost (y jit_inline_above_cost, jit_optimize_above_cost)."),
    finding_es="La compilación JIT pesa en la ejecución"
               "[[: {jit_ms} ms, el {jit_share} de {execution_ms} ms]][[ ({functions} funciones)]]",
)

REPEATED_SUBPLAN_FILTER = _plan(
    "PLAN010", "repeated_subplan_filter", "Subquery or CTE re-scanned and re-filtered on every loop",
    owner=BACKEND,
    why=Text(
        en="A correlated subquery (SubPlan) or a CTE scan runs once per outer row and filters the same rows "
           "again each time: the work is outer rows times inner rows.",
        es="Una subconsulta correlacionada (SubPlan) o un CTE se recorre una vez por fila externa y filtra las "
           "mismas filas cada vez: el trabajo es filas externas por filas internas."),
    fix=Text(
        en="Rewrite the correlated subquery or CTE as a join (or EXISTS, or a lateral join on an indexed key)"
           "[[; today it runs {loops} times]], so rows are matched once instead of filtered again on every loop.",
        es="Reescribe la subconsulta correlacionada o el CTE como JOIN (o EXISTS, o un join lateral sobre una "
           "clave indexada)[[; hoy se ejecuta {loops} veces]], para emparejar las filas una sola vez."),
    finding_es="Una subconsulta o CTE se vuelve a recorrer en cada iteración[[: {loops} veces]]"
               "[[, y su filtro descarta {rows_removed} filas en total]]",
)

HEAP_FETCHES = _plan(
    "PLAN011", "heap_fetches", "Index Only Scan visits the heap",
    why=Text(
        en="An Index Only Scan skips the table only for pages the visibility map marks all-visible; after many "
           "writes without VACUUM it fetches the heap row by row and is slower than a plain index scan.",
        es="Un Index Only Scan solo evita la tabla en las páginas que el visibility map marca como visibles; "
           "tras muchas escrituras sin VACUUM lee el heap fila a fila y es más lento que un index scan normal."),
    fix=Text(
        en="VACUUM the table[[ ({relation})]] to refresh its visibility map[[ ({heap_fetches} heap fetches)]] "
           "and tune autovacuum for it, so its pages stay marked all-visible.",
        es="Ejecuta VACUUM en la tabla[[ ({relation})]] para actualizar el visibility map[[ ({heap_fetches} "
           "heap fetches)]] y ajusta su autovacuum para que sus páginas sigan marcadas como visibles."),
    finding_es="El Index Only Scan visita el heap porque el visibility map está desactualizado"
               "[[: {heap_fetches} visitas para {rows} filas]]",
)

LOW_CACHE_HIT = _plan(
    "PLAN012", "low_cache_hit", "Most blocks read from outside shared_buffers",
    why=Text(
        en="Blocks missing from shared_buffers come from the OS cache or from disk; when most of a query's "
           "blocks are misses, its time depends on I/O rather than on the plan.",
        es="Los bloques que no están en shared_buffers vienen de la caché del sistema operativo o del disco; "
           "cuando la mayoría son fallos, el tiempo de la consulta depende del I/O y no del plan."),
    fix=Text(
        en="Reads go to disk[[ ({shared_read} blocks read vs {shared_hit} cached)]]: a more selective index or "
           "a narrower scan reads fewer blocks; also check shared_buffers against the working set.",
        es="Las lecturas van a disco[[ ({shared_read} bloques leídos frente a {shared_hit} en caché)]]: un "
           "índice más selectivo o un scan más estrecho lee menos bloques; revisa también shared_buffers frente "
           "al working set."),
    finding_es="Muchas lecturas vienen de fuera de shared_buffers"
               "[[: aciertos {hit_share}, {shared_read} bloques leídos]][[, {io_read_ms} ms leyendo]]",
)

PLANNING_DOMINATES = _plan(
    "PLAN013", "planning_dominates", "Planning takes longer than execution", owner=BACKEND,
    why=Text(
        en="Every execution of an unprepared statement is planned again; with many joins or partitions "
           "planning can cost more than running the query.",
        es="Cada ejecución de una sentencia no preparada se vuelve a planificar; con muchos joins o particiones "
           "planificar puede costar más que ejecutar la consulta."),
    fix=Text(
        en="Planning costs more than execution[[ ({planning_ms} ms vs {execution_ms} ms)]]: use prepared "
           "statements (or the driver's statement cache) so the plan is reused, and check the number of "
           "partitions and joins.",
        es="La planificación pesa más que la ejecución[[ ({planning_ms} ms frente a {execution_ms} ms)]]: usa "
           "prepared statements (o la caché de sentencias del driver) para reutilizar el plan, y revisa el "
           "número de particiones y joins."),
    finding_es="La planificación tarda más que la ejecución[[: {planning_ms} ms frente a {execution_ms} ms]]",
)

FK_CHECK_TRIGGER = _plan(
    "PLAN014", "fk_check_trigger", "Foreign-key check trigger scans the referencing table",
    why=Text(
        en="Deleting (or changing the key of) a referenced row fires the constraint's trigger, which looks for "
           "referencing rows; without an index on the referencing column(s) every call scans that table. "
           "PostgreSQL indexes the referenced key, never the referencing one.",
        es="Borrar una fila referenciada (o cambiar su clave) dispara el trigger de la restricción, que busca "
           "filas que la referencian; sin índice en la(s) columna(s) que referencian, cada llamada recorre esa "
           "tabla. PostgreSQL indexa la clave referenciada, nunca la que referencia."),
    fix=Text(
        en="Index the referencing column(s) of the constraint[[ {constraint}]][[: {index}]][[ ({lookup})]]; in "
           "production build it CONCURRENTLY.",
        es="Crea un índice en la(s) columna(s) que referencian de la restricción[[ {constraint}]][[: {index}]]"
           "[[ ({lookup})]]; en producción, créalo CONCURRENTLY."),
    finding_es="El trigger de la clave foránea recorre la tabla que referencia"
               "[[: {constraint}]][[, {trigger_ms} ms en {calls} llamadas]][[ ({trigger_share} del total)]]",
)

SLOW_TRIGGER = _plan(
    "PLAN015", "slow_trigger", "A trigger takes a large share of the statement", owner=BACKEND,
    why=Text(
        en="Trigger time is not in any plan node: EXPLAIN lists it after the plan, and it can be most of the "
           "statement's time while every node looks fast.",
        es="El tiempo de los triggers no está en ningún nodo: EXPLAIN lo muestra después del plan, y puede ser "
           "casi todo el tiempo de la sentencia aunque todos los nodos parezcan rápidos."),
    fix=Text(
        en="Look at what the trigger[[ {trigger}]] does on each of its[[ {calls}]] calls: log its statements' "
           "plans (auto_explain.log_nested_statements = on) and index or batch what it queries, or make it a "
           "statement-level trigger with transition tables.",
        es="Mira qué hace el trigger[[ {trigger}]] en cada una de sus[[ {calls}]] llamadas: registra los planes "
           "de sus sentencias (auto_explain.log_nested_statements = on) e indexa o agrupa lo que consulta, o "
           "conviértelo en un trigger por sentencia con tablas de transición."),
    finding_es="Un trigger se lleva buena parte de la sentencia[[: {trigger}, {trigger_ms} ms en {calls} llamadas]]",
)

JOIN_FILTER_DISCARDS = _plan(
    "PLAN016", "join_filter_discards", "Join Filter tests and discards most row pairs",
    why=Text(
        en="A Join Filter is evaluated on every pair of rows the join method produces; when the join condition "
           "is not an equality (a range, an OR, an expression) the join pairs far more rows than it keeps, and "
           "the time goes into testing pairs that are thrown away.",
        es="Un Join Filter se evalúa en cada par de filas que produce el método de join; cuando la condición no "
           "es una igualdad (un rango, un OR, una expresión) el join empareja muchas más filas de las que "
           "conserva, y el tiempo se va en probar pares que se descartan."),
    fix=Text(
        en="Give the join a condition it can look up instead of test[[: {advice}]].",
        es="Dale al join una condición que pueda buscar en lugar de probar[[: {advice_es}]]."),
    finding_es="El Join Filter prueba y descarta casi todos los pares"
               "[[: {rows_removed} descartados de {pairs}]][[, {cost_share} del tiempo]]",
)

NOT_IN_SUBPLAN = _plan(
    "PLAN017", "not_in_subplan", "NOT IN (subquery) re-runs its subquery for every row", owner=BACKEND,
    why=Text(
        en="NOT IN (SELECT ...) cannot become an anti join (NULL semantics); when its result does not fit in "
           "work_mem as a hash table, PostgreSQL re-reads the whole subquery result for every outer row.",
        es="NOT IN (SELECT ...) no puede convertirse en un anti join (por la semántica de NULL); cuando su "
           "resultado no cabe en work_mem como tabla hash, PostgreSQL vuelve a leer todo el resultado de la "
           "subconsulta en cada fila externa."),
    fix=Text(
        en="Rewrite NOT IN (SELECT ...) as NOT EXISTS (SELECT 1 ... WHERE inner.key = outer.key), which runs as "
           "one hash anti join[[; today the subquery is read {loops} times]].",
        es="Reescribe NOT IN (SELECT ...) como NOT EXISTS (SELECT 1 ... WHERE interna.clave = externa.clave), que "
           "se ejecuta como un único hash anti join[[; hoy la subconsulta se lee {loops} veces]]."),
    finding_es="NOT IN con subconsulta sin hash: la subconsulta se relee en cada fila"
               "[[: {loops} veces, {subplan_ms} ms]]",
)

INDEX_SCAN_FILTER = _plan(
    "PLAN018", "index_scan_filter", "Index scan whose Filter discards most rows it reads",
    why=Text(
        en="The index finds rows (or returns them in order, for ORDER BY ... LIMIT) but does not contain the "
           "filtered columns, so the scan reads rows only to throw most of them away.",
        es="El índice encuentra las filas (o las devuelve en orden, para ORDER BY ... LIMIT) pero no contiene las "
           "columnas filtradas, así que el scan lee filas solo para descartar casi todas."),
    fix=Text(
        en="Let an index do the filtering[[: {index}]][[ ({index_hint})]][[; {instead}]], so the scan reads only "
           "the rows it returns.",
        es="Deja que un índice haga el filtrado[[: {index}]][[ ({index_hint_es})]], para que el scan lea solo las "
           "filas que devuelve."),
    finding_es="El Index Scan descarta con su filtro casi todo lo que lee"
               "[[: {rows_read} filas leídas, {rows_removed} descartadas]]",
)

SEQ_SCAN_UNINDEXABLE_FILTER = _plan(
    "PLAN019", "seq_scan_unindexable_filter", "Sequential scan whose filter no index on the column can serve",
    why=Text(
        en="The filter discards most of the table, but the way it is written (a function of the column, "
           "= ANY(array column), a distance, a cast that depends on the session) keeps an index on the column from "
           "serving it.",
        es="El filtro descarta casi toda la tabla, pero tal como está escrito (una función sobre la columna, "
           "= ANY(columna array), una distancia, un cast que depende de la sesión) impide que lo sirva un índice "
           "sobre la columna."),
    fix=Text(
        en="No index on the column can serve this filter as written[[ ({index_reason})]][[: {instead}]].",
        es="Ningún índice sobre la columna puede servir este filtro tal como está escrito[[: {instead_es}]]."),
    finding_es="Seq Scan con un filtro que ningún índice sobre la columna puede servir tal como está escrito"
               "[[: {rows_read} filas leídas, {rows_removed} descartadas]]",
)

SLOW_PLANNING = _plan(
    "PLAN020", "slow_planning", "Planning takes hundreds of milliseconds", owner=BACKEND,
    why=Text(
        en="Every execution of an unprepared statement is planned again; hundreds of milliseconds of planning "
           "are paid on every call even when execution is longer and hides them.",
        es="Cada ejecución de una sentencia no preparada se vuelve a planificar; cientos de milisegundos de "
           "planificación se pagan en cada llamada aunque la ejecución sea más larga y los oculte."),
    fix=Text(
        en="Plan once[[ (planning takes {planning_ms} ms)]]: use a prepared statement (or the driver's statement "
           "cache); if the planner searches too many join orders, keep join_collapse_limit/from_collapse_limit at "
           "their defaults (8), and check the number of partitions the query touches.",
        es="Planifica una vez[[ (planificar cuesta {planning_ms} ms)]]: usa un prepared statement (o la caché de "
           "sentencias del driver); si el planificador explora demasiados órdenes de join, deja "
           "join_collapse_limit/from_collapse_limit en su valor por defecto (8), y revisa cuántas particiones toca."),
    finding_es="La planificación tarda cientos de milisegundos[[: {planning_ms} ms]]",
)

HOT_NODE = _plan(
    "PLAN021", "hot_node", "One node holds a large share of the time",
    why=Text(
        en="Most of the statement's time is in one node that no other rule explains; the numbers of that node "
           "say where the time goes.",
        es="Casi todo el tiempo de la sentencia está en un nodo que ninguna otra regla explica; sus números "
           "dicen a dónde se va el tiempo."),
    fix=Text(
        en="Look at what this node does with its time[[: {advice}]].",
        es="Mira en qué gasta este nodo su tiempo[[: {advice_es}]]."),
    finding_es="Un nodo concentra el tiempo[[: {node_ms} ms, {node_share} del total]][[ — {reading_es}]]",
)
