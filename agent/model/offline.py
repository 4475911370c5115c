"""The offline model: deterministic, no network, and still useful.

It speaks the same protocol as the LLM, so the graph, the tool step and handoffs are the same code
on both paths. First call of a persona visit: look at what the message carries (an EXPLAIN plan,
metrics such as "P95 de 1.8 s", SQL, a diff, a profile or trace, a request for caching code) and
answer with tool calls for the tools that exist. Once the tool results are in: compose a
structured answer (diagnosis, evidence, next steps, handoff) from the findings and the persona's
own sections, in the language of the message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from typing import Any

from agent.handoff import FindingBrief, transfer_target
from agent.language import detect_language
from agent.model.protocol import ModelRequest, ModelResponse, ToolCall, Usage
from agent.model.summaries import clean_advice, summarize
from agent.prompt import relevant_sections
from agent.render import markdown_text
from tools.catalogue import advise, describe
from tools.findings import Finding, Report
from tools.text import fold

# --- What the message carries -----------------------------------------------------------------

_FENCED = re.compile(r"```[\w+-]*\n(.*?)(?:```|\Z)", re.S)
_PLAN_LINE = re.compile(
    r"(?:^|->\s*)(?:Seq Scan|Index (?:Only )?Scan|Bitmap (?:Heap|Index) Scan|Hash Join|Merge Join|Nested Loop|"
    r"Sort|(?:Hash|Group)?Aggregate|Limit|Gather(?: Merge)?|Hash|Materialize|CTE Scan|Subquery Scan|Append)"
    r"\b.*\((?:cost|actual)", re.M)
_PLAN_JSON = re.compile(r'"Node Type"\s*:')
_SQL = re.compile(r"(?is)\b(select\s.+?\sfrom\s|insert\s+into\s|update\s+\w+\s+set\s|delete\s+from\s|with\s+\w+\s+as\s*\()")
_METRIC = re.compile(
    r"(?i)\b(p50|p75|p90|p95|p99|p999|latenc\w*|error[ -]?rate|tasa de error\w*|errores|apdex|lcp|fid|inp|cls|ttfb|"
    r"throughput|rps|tiempo de respuesta|response time)\b[^0-9\n]{0,25}\d+(?:[.,]\d+)?\s*(?:ms|s|seg\w*|%|rps)?")
_COLLAPSED = re.compile(r"(?m)^[^\s;]+(?:;[^;\n]+)+ \d+$")  # folded stacks: "main;handler;db.query 700"
_DIFF = re.compile(r"(?m)^(?:diff --git |@@ -\d+(?:,\d+)? \+\d+|--- a/|\+\+\+ b/)")
_CACHE_WORDS = ("cache", "caching", "cachear", "redis", "memcache")
_CODE_WORDS = ("code", "codigo", "implement", "write", "escrib", "genera", "example", "ejemplo", "pattern",
               "patron", "snippet", "muestra", "show me", "dame", "give me", "how do i", "como ")
# "cachea get_user por user_id": naming a function or parameter asks for code too.
_CODE_NAME = re.compile(r"\b[A-Za-z]\w*(?:_\w+|\(\))")
_PROFILE_EXT = (".prof", ".pstats", ".speedscope.json", ".collapsed", ".folded", ".stacks")

# Input-model field names the tools use for their main argument, in order of preference.
_TEXT_FIELDS = ("text", "plan", "sql", "source", "diff", "content", "code", "log", "input", "data", "query",
                "request", "message", "metrics", "description")


def _block_or_text(text: str, pattern: re.Pattern[str], from_line: bool = True) -> str:
    """The fenced block that matches ``pattern``, else the text from the first match on: from the start
    of its line (a plan's indentation is its tree), or from the match itself (SQL after "Revisa: ")."""
    for block in _FENCED.findall(text):
        if pattern.search(block):
            return block.strip()
    m = pattern.search(text)
    if not m:
        return text
    start = text.rfind("\n", 0, m.start()) + 1 if from_line else m.start()
    return text[start:].strip()


def _is_plan(text: str) -> bool:
    return bool(_PLAN_LINE.search(text) or _PLAN_JSON.search(text) or "QUERY PLAN" in text)


def tool_arguments(tool: str, *, text: str | None = None, path: str | None = None,
                   extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Arguments for a registered tool, filled by the names its input model declares (a file goes to its
    first ReadPath field); None if invalid."""
    from pydantic import ValidationError

    from tools.readpath import path_fields
    from tools.registry import TOOLS

    model, _ = TOOLS[tool].load()
    schema = model.model_json_schema()
    props = schema.get("properties", {})
    args: dict[str, Any] = {}
    if path is not None:
        field = next((f for f, kind in path_fields(model).items() if kind == "read" and f != "persona_path"), None)
        if field is None:
            return None
        args[field] = [path] if props.get(field, {}).get("type") == "array" else path
    elif text is not None:
        field = next((f for f in _TEXT_FIELDS if f in props), None)
        if field is None:
            field = next((f for f in schema.get("required", []) if props.get(f, {}).get("type") == "string"), None)
        if field is None:
            return None
        args[field] = text
    for key, value in (extra or {}).items():
        if key in props and value is not None:
            args[key] = value
    try:
        model.model_validate(args)
    except ValidationError:
        return None
    return args


def _cache_arguments(text: str) -> dict[str, Any] | None:
    """The cache-pattern generator's own reading of the request (None: not a caching request)."""
    from tools.cache_patterns import suggest_pattern

    suggestion = suggest_pattern(text)
    return None if suggestion is None else suggestion.model_dump(mode="json", exclude_none=True)


def plan_tool_calls(text: str, offered: set[str], persona_path: str | None = None,
                    attachments: Iterable[str] = ()) -> list[tuple[str, dict]]:
    """The tools this message and the files attached to it call for, with their arguments; only tools in
    ``offered``. A path written in the message is text like any other: only attachments are opened."""
    calls: list[tuple[str, dict | None]] = []
    folded = fold(text)
    if "explain" in offered and _is_plan(text):
        calls.append(("explain", tool_arguments("explain", text=_block_or_text(text, _PLAN_LINE)
                                                if _PLAN_LINE.search(text) else text)))
    elif "sql" in offered and _SQL.search(text):
        calls.append(("sql", tool_arguments("sql", text=_block_or_text(text, _SQL, from_line=False))))
    if "codecheck" in offered and _DIFF.search(text):
        calls.append(("codecheck", tool_arguments("codecheck", text=_block_or_text(text, _DIFF))))
    if "thresholds" in offered and _METRIC.search(text) and not _is_plan(text):
        calls.append(("thresholds", tool_arguments("thresholds", text=text, extra={"persona_path": persona_path})))
    if ("cache_pattern" in offered and any(w in folded for w in _CACHE_WORDS)
            and (any(w in folded for w in _CODE_WORDS) or _CODE_NAME.search(text))):
        calls.append(("cache_pattern", _cache_arguments(text)))
    for path in attachments:
        if not os.path.isfile(path):
            continue
        tool = _artifact_tool(path) or "thresholds"  # a k6 summary, Locust CSV, Lighthouse JSON, samples
        if tool in offered:
            calls.append((tool, tool_arguments(tool, path=path, extra={"persona_path": persona_path})))
    if "profile" in offered and len(_COLLAPSED.findall(text)) >= 2:
        calls.append(("profile", tool_arguments("profile", text="\n".join(_COLLAPSED.findall(text)))))
    if "traces" in offered and ('"resourceSpans"' in text or '"traceID"' in text):
        calls.append(("traces", tool_arguments("traces", text=text)))
    return [(name, args) for name, args in calls if args is not None]


def _artifact_tool(path: str) -> str | None:
    """profile or traces for an attached file, judged by its extension, else by its first bytes."""
    if path.endswith(_PROFILE_EXT):
        return "profile"
    from tools.profile import detect_profile
    from tools.traces import detect_traces

    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    if detect_traces(head):
        return "traces"
    return "profile" if detect_profile(head) else None


# --- Composing the answer ---------------------------------------------------------------------

_HEADINGS = {
    "es": {"diagnosis": "Diagnóstico", "evidence": "Evidencia", "next": "Próximos pasos", "code": "Código",
           "handoff": "Traspaso", "refs": "Secciones de la persona usadas", "received": "Recibido de",
           "no_data": "El mensaje no trae datos medibles (plan, métricas, SQL, perfil); esto es lo que "
                      "revisaría según mi guía",
           "found": "{n} {noun}; el más grave es", "noun": ("hallazgo", "hallazgos"),
           "yours": "{n} {noun}; el que me traspasaron es",
           "clean": "Las herramientas no encontraron problemas",
           "received_findings": "{n} {noun} ({codes}) y su diagnóstico",
           "ask_for": "Para un diagnóstico con números, comparte", "owner": "dueño del arreglo",
           "generated": "Generado con {tools}; el código está abajo.",
           "collab": "colaboración", "severity": {"error": "error", "warning": "aviso", "info": "info"}},
    "en": {"diagnosis": "Diagnosis", "evidence": "Evidence", "next": "Next steps", "code": "Code",
           "handoff": "Handoff", "refs": "Persona sections used", "received": "Received from",
           "no_data": "The message carries no measurable data (plan, metrics, SQL, profile); this is what "
                      "I would check, from my playbook",
           "found": "{n} {noun}; the most severe is", "noun": ("finding", "findings"),
           "yours": "{n} {noun}; the one handed to me is",
           "clean": "The tools found no problems",
           "received_findings": "{n} {noun} ({codes}) and their diagnosis",
           "ask_for": "For a diagnosis with numbers, share", "owner": "owns the fix",
           "generated": "Generated with {tools}; the code is below.",
           "collab": "collaboration", "severity": {"error": "error", "warning": "warning", "info": "info"}},
}
_EVIDENCE_HINTS = {
    "explain": {"es": "un EXPLAIN (ANALYZE, BUFFERS)", "en": "an EXPLAIN (ANALYZE, BUFFERS) plan"},
    "thresholds": {"es": "métricas (P95, tasa de error, LCP)", "en": "metrics (P95, error rate, LCP)"},
    "sql": {"es": "la consulta SQL", "en": "the SQL query"},
    "profile": {"es": "un perfil (cProfile, speedscope)", "en": "a profile (cProfile, speedscope)"},
    "traces": {"es": "trazas OpenTelemetry", "en": "OpenTelemetry traces"},
    "codecheck": {"es": "el diff del código", "en": "the code diff"},
}
_GENERATORS = {"cache_pattern"}  # tools that produce code, not findings
_LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s+(?:\[[ x]\]\s+)?(.+)$", re.M)


def _reports(entries: list[dict[str, Any]]) -> list[Report]:
    return [Report.model_validate(e["report"]) for e in entries if e.get("report")]


def _section_points(persona, scored, limit: int = 5) -> list[str]:
    """Concrete lines from the persona's sections: list items, else table rows as 'metric: targets'."""
    points: list[str] = []
    for s in scored:
        items = [re.sub(r"\*\*(.+?)\*\*", r"\1", i).strip() for i in _LIST_ITEM.findall(_strip_code(s.section.text))]
        if not items:
            for table in persona.tables:
                if table.section == s.section.title and table.headers:
                    first, rest = table.headers[0], table.headers[1:]
                    items += [f"{row[first]}: " + ", ".join(f"{h} {row.get(h, '')}" for h in rest if row.get(h))
                              for row in table.rows]
        points += [i for i in items if i not in points]
        if len(points) >= limit:
            break
    return points[:limit]


def _noun(h: dict[str, Any], n: int) -> str:
    return h["noun"][0 if n == 1 else 1]


def _steps(ordered: list[Finding], lang: str, limit: int, measured: Iterable[Finding] = ()) -> list[str]:
    """One next step per finding kind, in ``lang``; a kind's advice quotes the ``measured`` finding's numbers."""
    with_numbers = {}
    for f in measured:
        with_numbers.setdefault(f.kind, f)
    steps: list[str] = []
    for kind in dict.fromkeys(f.kind for f in ordered):
        finding = with_numbers.get(kind) or next(f for f in ordered if f.kind == kind)
        step = advise(finding, lang)
        step = step and markdown_text(step)
        if step and step not in steps:
            steps.append(step)
    return steps[:limit]


_CHECKLIST_TITLE = re.compile(r"checklist|optimiz|optimizaci", re.I)
_CHECKLIST_ITEM = re.compile(r"^\s*[-*]\s+\[[ xX]\]\s+(.+?)\s*$", re.M)


def checklist_items(persona, text: str, limit: int = 3) -> list[str]:
    """The persona's checklist lines (``- [ ] ...`` under a checklist/optimization heading) that share the
    most terms with ``text``, scored with the router's normalization so Spanish and English meet."""
    from agent.router import terms

    wanted = set(terms(text))
    scored: list[tuple[int, int, str]] = []
    for section in persona.walk_sections():
        if not _CHECKLIST_TITLE.search(fold(section.title)):
            continue
        for item in _CHECKLIST_ITEM.findall(section.text):
            score = len(wanted & set(terms(item)))
            if score and all(item != s for _, _, s in scored):
                scored.append((-score, len(scored), item))
    return [item for _, _, item in sorted(scored)[:limit]]


def _strip_code(text: str) -> str:
    return re.sub(r"```.*?(```|\Z)", "", text, flags=re.S)


def _code_from(reports: list[Report]) -> tuple[str, str] | None:
    for r in reports:
        data = r.data if isinstance(r.data, dict) else {}
        code = data.get("code")
        if isinstance(code, str) and code.strip():
            return str(data.get("language") or "python"), code
    return None


def compose(req: ModelRequest) -> str:
    lang = req.language if req.language in _HEADINGS else detect_language(req.user_text)
    h = _HEADINGS[lang]
    persona = req.persona
    reports = _reports(req.reports)
    findings: list[Finding] = Report(tool="all", findings=[f for r in reports for f in r.findings]).ranked()
    packet = req.packet or {}
    received = [FindingBrief.model_validate(b).finding() for b in packet.get("findings", [])]
    if packet:  # the findings this persona was handed the conversation for come first, as the sender ranked them
        received.sort(key=lambda f: f.handoff != persona.slug)
        findings.sort(key=lambda f: f.handoff != persona.slug)
    sections = _cited_sections(req, [*received, *findings], reports)
    lines = [f"## {h['diagnosis']} — {persona.name}"]
    if packet:
        what = (h["received_findings"].format(n=len(received), noun=_noun(h, len(received)),
                                              codes=", ".join(f"{f.code} {f.kind}".strip() for f in received))
                if received else packet.get("reason"))
        lines += [f"{h['received']} {packet.get('from_persona')}: {what}.", ""]
    if findings:
        top = findings[0]
        where = f" ({_place(top, lang)})" if _place(top, lang) else ""
        lead = h["yours"] if packet and top.handoff == persona.slug else h["found"]
        lines.append(f"{lead.format(n=len(findings), noun=_noun(h, len(findings)))} {top.code} {top.kind}{where}.")
    elif any(r.tool not in _GENERATORS for r in reports):
        lines.append(h["clean"] + ".")
    elif reports:
        lines.append(h["generated"].format(tools=", ".join(r.tool for r in reports)))
    elif received:  # nothing re-measured: the diagnosis is the sender's, in the user's language
        lead = h["yours"] if received[0].handoff == persona.slug else h["found"]
        lines.append(f"{lead.format(n=len(received), noun=_noun(h, len(received)))} "
                     f"{received[0].code} {received[0].kind}.")
    else:
        lines.append(h["no_data"] + ".")

    # After a handoff the sender already showed its evidence: the receiver adds only what is new.
    known = {(f.code, f.message) for f in received}
    evidence = [f"- {r.tool}: {markdown_text(line)}" for r in reports if (line := summarize(r, lang))]
    evidence += [_evidence_line(f, lang, h) for f in findings if (f.code, f.message) not in known][:6]
    if packet:
        if not reports:
            evidence += [_evidence_line(f, lang, h) for f in received[:6]]
        owned = [f for f in findings if f.handoff == persona.slug]
        steps = _steps([*owned, *received, *findings], lang, limit=4, measured=findings)
        wanted = " ".join([req.user_text, *(f"{f.kind} {f.message}" for f in [*received, *findings])])
        steps += [s for s in checklist_items(persona, wanted, limit=3) if s not in steps]
    else:
        steps = _steps(findings, lang, limit=5)
        if not steps and reports:
            steps = list(dict.fromkeys(a for a in (clean_advice(r.tool, lang) for r in reports) if a))
        if not steps:
            steps = _section_points(persona, sections)
    if evidence:
        lines += ["", f"### {h['evidence']}", *evidence]
    if not reports:
        offered = [t["function"]["name"] for t in req.tools if transfer_target(t["function"]["name"]) is None]
        hints = [_EVIDENCE_HINTS[t][lang] for t in offered if t in _EVIDENCE_HINTS]
        if hints:
            steps.append(f"{h['ask_for']}: " + ", ".join(hints) + ".")
    if steps:
        lines += ["", f"### {h['next']}", *[f"{i}. {s}" for i, s in enumerate(steps, 1)]]

    code = _code_from(reports)
    if code is None and not reports and any(w in fold(req.user_text) for w in _CODE_WORDS):
        block = next((b for s in sections for b in persona.code_blocks if b.section == s.section.title), None)
        if block:
            code = (block.language or "text", "\n".join(block.code.splitlines()[:60]))
    if code:
        lines += ["", f"### {h['code']}", f"```{code[0]}", code[1].rstrip(), "```"]

    handoffs = _handoff_lines(req, findings, h)
    if handoffs:
        lines += ["", f"### {h['handoff']}", *handoffs]
    if sections:
        lines += ["", f"_{h['refs']}: " + "; ".join(s.title_path for s in sections) + "_"]
    return "\n".join(lines)


def _evidence_line(f: Finding, lang: str, h: dict[str, Any]) -> str:
    said = describe(f, lang)
    where = _place(f, lang)
    said = markdown_text(said)
    where = f" ({where})" if where and str(f.location) not in said else ""  # "P95 Latency = 1.8 s …" names it already
    return f"- {f.code} [{h['severity'].get(f.severity, f.severity)}] {said}{where}"


def _place(f: Finding, lang: str) -> str:
    """Where a finding points, as Markdown: pasted input (``<sql>:3``) is just its line, and code
    spans keep a path or plan node from being read as markup."""
    location = f.location
    if location is None or not str(location):
        return ""
    if location.path and location.path.startswith("<") and location.line:
        return f"{'línea' if lang == 'es' else 'line'} {location.line}"
    return f"`{location}`"


def _cited_sections(req: ModelRequest, findings: list[Finding], reports: list[Report]) -> list:
    """The persona sections this answer draws on. Once tools ran, what they found names the topic
    better than the pasted artifact: the sections are chosen again by the message's prose plus the
    finding kinds and tool names."""
    if not findings and not reports:
        return req.sections
    topic = [req.user_text, *(f.kind.replace("_", " ") for f in findings), *(r.tool for r in reports)]
    return relevant_sections(req.persona, "\n".join(dict.fromkeys(topic)))


def _handoff_lines(req: ModelRequest, findings: list[Finding], h: dict[str, str]) -> list[str]:
    """Partners named by findings (they own the fix), else partners whose collaboration fits the message."""
    from agent.router import terms

    names = {p.slug: p.role_label for p in req.partners}
    out = []
    for slug in dict.fromkeys(f.handoff for f in findings if f.handoff and f.handoff != req.persona.slug):
        codes = ", ".join(f.code for f in findings if f.handoff == slug)
        out.append(f"- {names.get(slug, slug)} ({slug}): {h['owner']} — {codes}")
    if out:
        return out
    wanted = set(terms(req.user_text))
    sender = (req.packet or {}).get("from_slug")
    for p in req.partners:
        if p.slug != sender and wanted & set(terms(p.collaboration)):
            out.append(f"- {p.role_label} ({p.slug}): {h['collab']} — {p.collaboration}")
    return out[:2]


class OfflineModel:
    """Deterministic stand-in for an LLM: tool calls first, then a composed answer."""

    offline = True
    model = "offline"

    def complete(self, request: ModelRequest) -> ModelResponse:
        last = request.messages[-1] if request.messages else {}
        if last.get("role") != "tool":
            offered = {t["function"]["name"] for t in request.tools}
            path = getattr(request.persona, "path", None)
            planned = plan_tool_calls(request.user_text, offered, persona_path=path, attachments=request.attachments)
            if planned:
                calls = [ToolCall(_call_id(name, args), name, json.dumps(args, ensure_ascii=False))
                         for name, args in planned]
                return ModelResponse("", calls, Usage(), self.model)
        text = compose(request)
        if request.on_token:
            request.on_token(text)
        return ModelResponse(text, [], Usage(), self.model)


def _call_id(name: str, args: dict) -> str:
    digest = hashlib.sha1(json.dumps([name, args], sort_keys=True).encode()).hexdigest()[:12]
    return f"call_{digest}"
