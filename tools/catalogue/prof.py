"""PROF0xx: where a CPU or wall-clock profile spends its time (tools/profile.py, `lmagent profile`)."""

from __future__ import annotations

from tools.catalogue import DATA, LEAD, Rule, Text


def _prof(code: str, kind: str, title: str, *, severity: str = "warning", owner: str = LEAD, why: Text,
          fix: Text, finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, owner, "profile", why, fix, finding_es)


MANY_CHEAP_CALLS = _prof(
    "PROF001", "many_cheap_calls", "Many cheap calls add up",
    why=Text(
        en="Each call is cheap, but tens of thousands of them take a large share of the profile: the cost is "
           "the number of calls (often a loop inside a loop), not the function's body.",
        es="Cada llamada es barata, pero decenas de miles se llevan una parte grande del perfil: el coste es el "
           "número de llamadas (a menudo un bucle dentro de otro), no el cuerpo de la función."),
    fix=Text(
        en="Cut the number of calls[[ ({calls} calls)]]: hoist the work out of the loop, batch the calls, or "
           "cache the result[[; one call of `{nested_caller}` makes {calls_per_caller_call} calls: if that is a "
           "loop inside a loop (O(n²)), index one side in a dict/set or sort and merge]].",
        es="Reduce el número de llamadas[[ ({calls} llamadas)]]: saca el trabajo del bucle, agrúpalo por lotes "
           "o cachea el resultado[[; una llamada de `{nested_caller}` hace {calls_per_caller_call} llamadas: si "
           "es un bucle dentro de otro (O(n²)), indexa un lado en un dict/set u ordena y mezcla]]."),
    finding_es="Muchas llamadas baratas[[ a {node}]][[: {calls} llamadas]][[ de {per_call_us} µs]]"
               "[[, {cum_pct}% del perfil]][[; {calls_per_caller_call} por cada llamada de {top_caller}]]",
)

IO_WAIT = _prof(
    "PROF002", "io_wait", "The process waits instead of computing",
    why=Text(
        en="Most of the profile is spent in sleeps, sockets, locks or selectors: the process is waiting, so "
           "faster Python code will not make it faster.",
        es="La mayor parte del perfil se va en sleeps, sockets, locks o selectores: el proceso está esperando, "
           "así que un código Python más rápido no lo acelerará."),
    fix=Text(
        en="The process waits on I/O[[ ({wait_pct}% of the time)]]: overlap the waits (asyncio.gather, a thread "
           "pool), batch round trips or remove the sleep; compare wall and CPU time (time.process_time, py-spy "
           "--idle) to confirm.",
        es="El proceso espera I/O[[ ({wait_pct}% del tiempo)]]: solapa las esperas (asyncio.gather, un pool de "
           "hilos), agrupa los viajes de ida y vuelta o quita el sleep; compara tiempo de reloj y de CPU "
           "(time.process_time, py-spy --idle) para confirmarlo."),
    finding_es="El proceso espera en lugar de calcular[[: {wait_pct}% del perfil]][[ en {wait_functions}]]",
)

MEMOIZATION_CANDIDATE = _prof(
    "PROF003", "memoization_candidate", "Recursion recomputes the same subproblems",
    why=Text(
        en="A recursive function called far more often than from outside recomputes the same subproblems; "
           "exponential recursion becomes linear once results are remembered.",
        es="Una función recursiva que se llama muchas más veces que desde fuera recalcula los mismos "
           "subproblemas; una recursión exponencial pasa a lineal en cuanto se recuerdan los resultados."),
    fix=Text(
        en="Memoize it (functools.cache on a pure function, or a TTL cache) or rewrite it bottom-up"
           "[[: {calls} calls for {primitive_calls} from outside]].",
        es="Memoiza la función (functools.cache si es pura, o una caché con TTL) o reescríbela de abajo arriba"
           "[[: {calls} llamadas para {primitive_calls} desde fuera]]."),
    finding_es="Una recursión recalcula los mismos subproblemas[[ en {node}]]"
               "[[: {calls} llamadas para {primitive_calls} externas]][[, {cum_pct}% del perfil]]",
)

SERIALIZATION_HOTSPOT = _prof(
    "PROF004", "serialization_hotspot", "Regular expressions or serialization in the hot path",
    why=Text(
        en="Regular expressions, JSON and copying are easy to call on every request without noticing; when "
           "they take a tenth of the profile, doing them less often or with a faster codec pays off directly.",
        es="Las expresiones regulares, el JSON y las copias se llaman fácilmente en cada petición sin notarlo; "
           "cuando se llevan una décima parte del perfil, hacerlos menos o con un códec más rápido compensa "
           "directamente."),
    fix=Text(
        en="Do less of it in the hot path[[ ({category}: {pct}% of the time)]]: precompile regular expressions "
           "once at module level (or use str methods), serialize only the fields needed, once per response, "
           "with a faster codec (orjson, msgspec), and avoid deep copies[[; patterns were compiled "
           "{recompiled_patterns} times, more than re's cache holds: compile each pattern once and reuse it]].",
        es="Hazlo menos en el camino caliente[[ ({category}: {pct}% del tiempo)]]: precompila las expresiones "
           "regulares una vez a nivel de módulo (o usa métodos de str), serializa solo los campos necesarios, "
           "una vez por respuesta, con un códec más rápido (orjson, msgspec), y evita las copias profundas"
           "[[; los patrones se compilaron {recompiled_patterns} veces, más de los que guarda la caché de re: "
           "compila cada patrón una vez y reutilízalo]]."),
    finding_es="Serialización o expresiones regulares en el camino caliente"
               "[[: {category} ocupa el {pct}% del perfil]][[ ({functions})]]",
)

DB_DRIVER_TIME = _prof(
    "PROF005", "db_driver_time", "Time spent inside the database driver", owner=DATA,
    why=Text(
        en="Time inside the database driver is time waiting for queries: the fix is in the queries (how many, "
           "and their plans), not in the Python around them.",
        es="El tiempo dentro del driver de base de datos es tiempo esperando a las consultas: la solución está "
           "en las consultas (cuántas, y sus planes), no en el Python que las rodea."),
    fix=Text(
        en="The time is in the queries, not in Python[[ ({pct}% of the profile)]]: capture them with "
           "`lmagent sql --log` (N+1 and the hottest statements), then EXPLAIN the slow ones.",
        es="El tiempo está en las consultas, no en Python[[ ({pct}% del perfil)]]: captúralas con "
           "`lmagent sql --log` (N+1 y las sentencias más calientes) y luego haz EXPLAIN de las lentas."),
    finding_es="El tiempo está dentro del driver de base de datos[[: {pct}% del perfil]]"
               "[[, {execute_calls} llamadas a execute()]]",
)

HOT_SPOT = _prof(
    "PROF006", "hot_spot", "One function holds a large share of self time", severity="info",
    why=Text(
        en="One function's own code holds a quarter or more of the time: it is the first place where less work "
           "shows in the total.",
        es="El código propio de una función se lleva una cuarta parte o más del tiempo: es el primer sitio "
           "donde hacer menos trabajo se nota en el total."),
    fix=Text(
        en="Start here[[ ({node}, {self_pct}% self time)]]: make this function do less work or call it less "
           "often, and measure an alternative before touching the rest.",
        es="Empieza por aquí[[ ({node}, {self_pct}% del tiempo propio)]]: haz que esta función trabaje menos o "
           "llámala menos, y mide una alternativa antes de tocar el resto."),
    finding_es="Función más caliente del perfil[[: {node}]][[ con el {self_pct}% del tiempo propio]]"
               "[[ ({calls} llamadas)]]",
)
