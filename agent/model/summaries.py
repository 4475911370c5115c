"""What the offline composer says about a tool's report as a whole, in the user's language: the next
step when the tool found nothing, and the tool's summary line in Spanish (built from the report's
data; English quotes the tool's own summary).

What each finding shows and its next step come from its rule's catalogue entry (tools.catalogue:
``advise`` and ``describe``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tools.catalogue import Text
from tools.catalogue.text import render, show
from tools.findings import Report

# When a tool ran and found nothing, the useful next step is to look where the time really goes.
CLEAN: dict[str, Text] = {
    "explain": Text(
        es="Este plan no muestra problemas: si el endpoint es lento, el tiempo está fuera de esta consulta "
           "(perfila la petición) o en otra ejecución; captura el plan de una ejecución lenta con auto_explain.",
        en="This plan shows no problem: if the endpoint is slow, the time is outside this query (profile the "
           "request) or in another run; capture the plan of a slow run with auto_explain."),
    "sql": Text(
        es="El texto de la consulta está bien: mide su plan real con EXPLAIN (ANALYZE, BUFFERS).",
        en="The query text is fine: measure its real plan with EXPLAIN (ANALYZE, BUFFERS)."),
    "thresholds": Text(
        es="Las métricas cumplen los objetivos de la persona: vigila su tendencia y la latencia de cola (P99).",
        en="The metrics meet the persona's targets: watch their trend and the tail latency (P99)."),
    "codecheck": Text(
        es="El diff no trae patrones de rendimiento conocidos: valida el cambio con un test de carga (lmagent loadtest).",
        en="The diff has no known performance pattern: validate the change with a load test (lmagent loadtest)."),
    "profile": Text(
        es="El perfil no tiene un punto caliente claro: perfila bajo carga real o mira las esperas con trazas.",
        en="The profile has no clear hot spot: profile under real load or look at waits with traces."),
    "traces": Text(
        es="Las trazas no muestran un cuello de botella: compara con trazas de las peticiones más lentas (P99).",
        en="The traces show no bottleneck: compare with traces of the slowest requests (P99)."),
}


def clean_advice(tool: str, lang: str) -> str | None:
    """The next step after ``tool`` found nothing, in ``lang``."""
    advice = CLEAN.get(tool)
    return None if advice is None else advice(lang)


def summarize(report: Report, lang: str) -> str | None:
    """The tool's summary line in ``lang``. Spanish is built from the report's data; a tool without a
    Spanish summary here gets none in Spanish (its findings still carry the numbers)."""
    if lang != "es":
        return report.summary
    build = SUMMARY_ES.get(report.tool)
    data = report.data.model_dump(mode="json") if isinstance(report.data, BaseModel) else report.data
    return build(data) if build and isinstance(data, dict) and data else None


# --- Tool summaries in Spanish ------------------------------------------------------------------
# Built from each tool's data for the tools the offline model runs; English keeps the tool's summary.


def _es(template: str, **values: Any) -> str:
    return render(template, {k: show(v, "es") for k, v in values.items() if v not in (None, 0, "", [])})


def _n(count: Any, one: str, many: str) -> str | None:
    """'1 nodo', '12 nodos'; None for nothing, so the segment that says it is dropped."""
    if not isinstance(count, (int, float)) or not count:
        return None
    return f"{show(count, 'es')} {one if count == 1 else many}"


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
        amount = f"{show(total, 'es')} " + {"seconds": "s", "samples": "muestras"}.get(str(unit), str(unit))
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
