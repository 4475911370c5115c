"""THR0xx: a measured metric against the persona's targets (tools/thresholds.py, `lmagent thresholds`,
`lmagent loadtest`). One code per headline metric; other percentiles share THR007, other persona rows THR030.
The severity is the verdict: warning misses the target, error breaks the critical bound."""

from __future__ import annotations

from tools.catalogue import BACKEND, FRONTEND, LEAD, Rule, Text


def _thr(code: str, kind: str, title: str, *, severity: str = "warning", owner: str = LEAD, why: Text, fix: Text,
         finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, owner, "thresholds", why, fix, finding_es)


# What a finding shows in Spanish: a metric against the persona's targets, a Web Vital against good/poor.
_METRIC = "Métrica fuera de objetivo[[: {metric} = {measured} {verdict}]][[ (objetivo {target}; crítico {critical})]]"
_VITAL = "Core Web Vital fuera de rango[[: {metric} = {measured} {rating}]][[ (bueno {target}; malo {critical})]]"
_VS_TARGET = Text(en="[[ ({at} = {measured}, target {target})]]", es="[[ ({at} = {measured}, objetivo {target})]]")
_VS_GOOD = Text(en="[[ ({at} = {measured}; good {target})]]", es="[[ ({at} = {measured}; bueno {target})]]")
_LATENCY_WHY = Text(
    en="Latency is what users feel; a percentile over the persona's target means that share of requests is "
       "slower than the team agreed, and the critical bound is where users give up or timeouts fire.",
    es="La latencia es lo que notan los usuarios; un percentil por encima del objetivo de la persona significa "
       "que esa parte de las peticiones va más lenta de lo acordado, y el límite crítico es donde los usuarios "
       "abandonan o saltan los timeouts.")
_LATENCY_FIX = Text(
    en="Profile the slowest endpoint (lmagent profile or traces) and check its queries with lmagent explain"
       "[[: {at} = {measured} against a target of {target}]].",
    es="Perfila el endpoint más lento (lmagent profile o trazas) y revisa sus consultas con lmagent explain"
       "[[: {at} = {measured} y el objetivo es {target}]].")


def _vital(code: str, kind: str, title: str, *, owner: str = FRONTEND, why: Text, en: str, es: str) -> Rule:
    return _thr(code, kind, title, owner=owner, why=why,
                fix=Text(en=en + _VS_GOOD.en + ".", es=es + _VS_GOOD.es + "."), finding_es=_VITAL)


P50_LATENCY = _thr("THR001", "p50_latency", "Median latency (P50) off target", why=_LATENCY_WHY,
                   fix=_LATENCY_FIX, finding_es=_METRIC)
P95_LATENCY = _thr("THR002", "p95_latency", "P95 latency off target", why=_LATENCY_WHY, fix=_LATENCY_FIX,
                   finding_es=_METRIC)
P99_LATENCY = _thr(
    "THR003", "p99_latency", "P99 latency off target",
    why=Text(
        en="The tail: one request in a hundred is slower than this, and a page that makes many calls hits the "
           "tail on most views. Tails come from GC pauses, locks, pool waits and retries more than from code.",
        es="La cola: una de cada cien peticiones va más lenta que esto, y una página que hace muchas llamadas "
           "toca la cola casi siempre. Las colas vienen de pausas de GC, bloqueos, esperas de pool y reintentos "
           "más que del código."),
    fix=Text(
        en="Look at the tail: traces of the slowest requests (GC, locks, pool waits, retries)"
           "[[: {at} = {measured} against a target of {target}]].",
        es="Mira la cola: trazas de las peticiones más lentas (GC, bloqueos, esperas de pool, reintentos)"
           "[[: {at} = {measured} y el objetivo es {target}]]."),
    finding_es=_METRIC)
ERROR_RATE = _thr(
    "THR004", "error_rate", "Error rate off target", owner=BACKEND,
    why=Text(
        en="Every failed request is a user who did not get an answer; under load errors usually mean exhausted "
           "pools or timeouts, and they make latency percentiles look better than they are.",
        es="Cada petición fallida es un usuario sin respuesta; bajo carga los errores suelen ser pools agotados o "
           "timeouts, y hacen que los percentiles de latencia parezcan mejores de lo que son."),
    fix=Text(
        en="Group the errors by status code and endpoint" + _VS_TARGET.en + "; under load they are usually "
           "exhausted pools or timeouts: check pool wait time and each dependency's timeout.",
        es="Agrupa los errores por código de estado y endpoint" + _VS_TARGET.es + "; bajo carga suelen ser "
           "pools agotados o timeouts: revisa la espera del pool y los timeouts de cada dependencia."),
    finding_es=_METRIC)
APDEX = _thr(
    "THR005", "apdex", "Apdex off target",
    why=Text(
        en="Apdex scores requests as satisfied (≤ T), tolerating (≤ 4T) or frustrated (slower, or failed); a low "
           "score means many users wait more than four times the target.",
        es="Apdex clasifica las peticiones en satisfechas (≤ T), toleradas (≤ 4T) o frustradas (más lentas, o "
           "fallidas); una puntuación baja significa que muchos usuarios esperan más de cuatro veces el "
           "objetivo."),
    fix=Text(
        en="Apdex counts requests over 4T and every error as frustrated: fix the tail latency and the errors"
           + _VS_TARGET.en + ".",
        es="Apdex cuenta como frustradas las peticiones por encima de 4T y todos los errores: ataca la latencia "
           "de cola y los errores" + _VS_TARGET.es + "."),
    finding_es=_METRIC)
THROUGHPUT = _thr(
    "THR006", "throughput", "Throughput off target",
    why=Text(
        en="The system serves fewer requests per second than it must; some resource (CPU, a pool, a lock) "
           "saturates first, and adding instances does not help until it is found.",
        es="El sistema sirve menos peticiones por segundo de las necesarias; algún recurso (CPU, un pool, un "
           "bloqueo) se satura antes, y añadir instancias no ayuda hasta encontrarlo."),
    fix=Text(
        en="Find the saturated resource (CPU, pool, locks) before adding instances" + _VS_TARGET.en + ".",
        es="Encuentra el recurso saturado (CPU, pool, bloqueos) antes de añadir instancias" + _VS_TARGET.es
           + "."),
    finding_es=_METRIC)
LATENCY_PERCENTILE = _thr("THR007", "latency_percentile", "Latency percentile off target", why=_LATENCY_WHY,
                          fix=_LATENCY_FIX, finding_es=_METRIC)

LCP = _vital(
    "THR010", "lcp", "Largest Contentful Paint (LCP) not good",
    why=Text(
        en="LCP is when the main content appears; Google rates it good up to 2.5 s and poor above 4 s at the "
           "75th percentile of page loads, and it counts for search ranking.",
        es="LCP es cuándo aparece el contenido principal; Google lo considera bueno hasta 2,5 s y malo por "
           "encima de 4 s en el percentil 75 de las cargas, y cuenta para el posicionamiento."),
    en="Preload and compress the LCP resource, cut render-blocking CSS/JS, serve it from a CDN",
    es="Precarga y comprime el recurso LCP, quita CSS/JS que bloquea el render y sírvelo desde CDN")
INP = _vital(
    "THR011", "inp", "Interaction to Next Paint (INP) not good",
    why=Text(
        en="INP is how long the page takes to respond to clicks, taps and keys; good is up to 200 ms, poor "
           "above 500 ms. Long JavaScript tasks on the main thread are the usual cause.",
        es="INP es lo que tarda la página en responder a clics, toques y teclas; bueno hasta 200 ms, malo por "
           "encima de 500 ms. La causa habitual son tareas JavaScript largas en el hilo principal."),
    en="Break up long tasks (> 50 ms) in event handlers and yield to the main thread",
    es="Parte las tareas largas (> 50 ms) de los manejadores de eventos y cede el hilo principal")
CLS = _vital(
    "THR012", "cls", "Cumulative Layout Shift (CLS) not good",
    why=Text(
        en="CLS measures how much visible content jumps while the page loads; good is up to 0.1, poor above "
           "0.25. Users click the wrong thing and lose their place.",
        es="CLS mide cuánto salta el contenido visible mientras carga la página; bueno hasta 0,1, malo por "
           "encima de 0,25. Los usuarios pulsan lo que no querían y pierden el sitio."),
    en="Reserve space for images, ads and embeds (width/height or aspect-ratio)",
    es="Reserva espacio para imágenes, anuncios y embeds (width/height o aspect-ratio)")
FCP = _vital(
    "THR013", "fcp", "First Contentful Paint (FCP) not good",
    why=Text(
        en="FCP is when the first text or image appears; good is up to 1.8 s, poor above 3 s. Until then the "
           "user sees a blank page.",
        es="FCP es cuándo aparece el primer texto o imagen; bueno hasta 1,8 s, malo por encima de 3 s. Hasta "
           "entonces el usuario ve una página en blanco."),
    en="Inline critical CSS, defer non-critical JS and speed up the server response",
    es="Inserta el CSS crítico en línea, difiere el JS no crítico y acelera la respuesta del servidor")
TTFB = _vital(
    "THR014", "ttfb", "Time to First Byte (TTFB) not good", owner=BACKEND,
    why=Text(
        en="TTFB is the wait for the server's first byte; good is up to 0.8 s, poor above 1.8 s. Every other "
           "paint metric starts after it.",
        es="TTFB es la espera hasta el primer byte del servidor; bueno hasta 0,8 s, malo por encima de 1,8 s. "
           "Todas las demás métricas de pintado empiezan después."),
    en="Cache at the CDN or in the application and do less work before the first byte",
    es="Cachea en la CDN o en la aplicación y haz menos trabajo antes del primer byte")
FID = _vital(
    "THR015", "fid", "First Input Delay (FID) not good",
    why=Text(
        en="FID measured only the delay before the first interaction's handler ran; it was replaced by INP as a "
           "Core Web Vital in March 2024 and is still checked against the persona's row.",
        es="FID medía solo el retraso antes de que empezara el manejador de la primera interacción; INP lo "
           "sustituyó como Core Web Vital en marzo de 2024 y se sigue comprobando contra la fila de la persona."),
    en="Measure INP instead: FID stopped being a Core Web Vital in March 2024",
    es="Mide INP en su lugar: FID dejó de ser Core Web Vital en marzo de 2024")
TBT = _vital(
    "THR016", "tbt", "Total Blocking Time (TBT) not good",
    why=Text(
        en="TBT adds up the time long tasks block the main thread between FCP and interactive; it is the lab "
           "stand-in for INP (good up to 200 ms, poor above 600 ms in Lighthouse).",
        es="TBT suma el tiempo que las tareas largas bloquean el hilo principal entre FCP e interactivo; es el "
           "sustituto de laboratorio de INP (bueno hasta 200 ms, malo por encima de 600 ms en Lighthouse)."),
    en="Split long JavaScript tasks and ship less JavaScript on first load",
    es="Divide las tareas JavaScript largas y envía menos JavaScript en la primera carga")

FID_REPLACED_BY_INP = _thr(
    "THR020", "fid_replaced_by_inp", "FID is no longer a Core Web Vital", severity="info", owner=FRONTEND,
    why=Text(
        en="Google replaced FID with INP in March 2024: FID sees only the first interaction's input delay, INP "
           "every interaction's full latency. Targets on FID no longer match what is measured and ranked.",
        es="Google sustituyó FID por INP en marzo de 2024: FID solo ve el retraso de la primera interacción, "
           "INP la latencia completa de todas. Los objetivos sobre FID ya no coinciden con lo que se mide y "
           "posiciona."),
    fix=Text(
        en="Replace FID with INP in your targets and measurements: report INP at p75 from field data "
           "(web-vitals onINP) or a k6 browser test.",
        es="Sustituye FID por INP en tus objetivos y en la medición: mide INP en p75 con datos de campo "
           "(web-vitals onINP) o un test de navegador con k6."),
    finding_es="FID dejó de ser Core Web Vital en marzo de 2024: INP lo sustituye",
)

PERSONA_METRIC = _thr(
    "THR030", "persona_metric", "Metric off the persona's target",
    why=Text(
        en="The persona's playbook sets a target and a critical bound for this metric; missing them is what "
           "the team agreed to act on.",
        es="La guía de la persona fija un objetivo y un límite crítico para esta métrica; no cumplirlos es lo "
           "que el equipo acordó atender."),
    fix=Text(
        en="Check the persona's playbook row for this metric" + _VS_TARGET.en + " and find its cause with a "
           "profile or traces.",
        es="Revisa la fila de la guía de la persona para esta métrica" + _VS_TARGET.es + " y busca su causa con "
           "un perfil o trazas."),
    finding_es=_METRIC)

UNIT_MISMATCH = _thr(
    "THR031", "unit_mismatch", "Value not in the unit of its bound",
    why=Text(
        en="A value without the unit of its bound (a bare 95 against '< 1%') cannot be compared, so this metric "
           "was not checked at all.",
        es="Un valor sin la unidad de su límite (un 95 a secas frente a '< 1%') no se puede comparar, así que "
           "esta métrica no se comprobó."),
    fix=Text(
        en="State the value with its unit (for example '95%' or '320ms') so it can be compared[[ with {bound}]].",
        es="Indica el valor con su unidad (por ejemplo '95%' o '320ms') para poder compararlo[[ con {bound}]]."),
    finding_es="El valor no está en la unidad de su límite y no se comprobó[[: {metric} = {measured}]]"
               "[[ frente a {bound}]]",
)
