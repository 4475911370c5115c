"""Handoffs, in one place: the transfer tool a persona is offered for each partner, the rules that
refuse a handoff (hop limit, no return to a persona that already answered this turn), the typed
packet that crosses a handoff instead of the whole history, and the runtime's own handoffs (a
finding names the owner of the fix, or a persona defers to a partner in prose).

agent/graph.py applies these (LangGraph commands, events, state); the offline composer reads the
packet; nothing here imports LangGraph.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from agent.fence import fence, new_boundary
from agent.language import say
from agent.registry import Partner
from tools.catalogue import describe
from tools.findings import SEVERITY_RANK, Finding, Location, Report
from tools.text import CHARS_PER_TOKEN, fold

# --- The transfer tool ------------------------------------------------------------------------------

TRANSFER_PREFIX = "transfer_to_"


def transfer_tool(slug: str, name: str, collaboration: str) -> dict[str, Any]:
    """The OpenAI function schema that hands the conversation to the partner ``slug``."""
    return {"type": "function", "function": {
        "name": f"{TRANSFER_PREFIX}{slug}",
        "description": f"Hand the conversation to the {name} ({collaboration}). Use when they own the fix.",
        "parameters": {"type": "object", "properties": {
            "reason": {"type": "string", "description": "why they own this"},
            "summary": {"type": "string", "description": "what is known so far, with the numbers"},
            "open_question": {"type": "string", "description": "what they should answer"},
        }, "required": ["reason"]},
    }}


def transfer_target(tool_name: str) -> str | None:
    """The persona a tool call hands off to, or None when it is not a transfer."""
    return tool_name[len(TRANSFER_PREFIX):] if tool_name.startswith(TRANSFER_PREFIX) else None


# --- The rules ----------------------------------------------------------------------------------------

def refusal(trail: list[dict[str, Any]], hops: int, dst: str, name: str, max_hops: int,
            lang: str) -> tuple[str, str] | None:
    """(kind, sentence for the user) when the rules forbid handing off to ``dst`` (named ``name``) after
    ``trail`` (this turn's personas) and ``hops`` handoffs; None when it is allowed."""
    chain = " → ".join([t["persona"] for t in trail] + [dst])
    if any(t["persona"] == dst for t in trail):
        return "ping_pong", say(lang, "ping_pong", chain=chain, name=name)
    if hops >= max_hops:
        return "hop_limit", say(lang, "hop_limit", name=name, limit=max_hops, chain=chain, slug=dst)
    return None


def runtime_candidates(reports: list[dict[str, Any]], slug: str, hop: int, text: str, partners: list[Partner],
                       names: dict[str, str], lang: str, read_text: bool) -> list[tuple[str, str, str]]:
    """(persona, by, reason) the runtime may hand off to after ``slug`` answered: the owners its tool
    findings name (not info), then a partner its answer defers to (``read_text``: a model's answer;
    the offline composer's own text names partners without deferring)."""
    candidates: list[tuple[str, str, str]] = []
    for entry in reports:
        if entry["persona"] != slug or entry["hop"] != hop:
            continue
        for f in Report.model_validate(entry["report"]).ranked():
            if f.handoff and f.handoff != slug and f.severity != "info":
                candidates.append((f.handoff, "finding", f"{f.code} {f.kind}: {describe(f, lang)}"))
    if read_text and text:
        deferred = detect_deference(text, partners, names)
        if deferred:
            candidates.append((deferred[0], "text", f"«{deferred[1][:160]}»"))
    return candidates


# --- The packet ----------------------------------------------------------------------------------------

EVIDENCE_CHARS = 80  # an evidence string longer than this (a whole query, a filter) stays with the tool
EVIDENCE_ITEMS = 8


class FindingBrief(BaseModel):
    code: str
    kind: str = ""  # the receiver's next steps are keyed by kind (tools.catalogue)
    severity: str
    message: str
    suggestion: str | None = None
    tool: str = ""
    location: Location | None = None  # plan node, path:line or metric, as the sender's tool named it
    handoff: str | None = None  # the persona that owns the fix: a receiver puts its own findings first
    evidence: dict[str, Any] = Field(default_factory=dict)  # the numbers, for the receiver's own language

    @classmethod
    def of(cls, finding: Finding, tool: str = "") -> FindingBrief:
        return cls(code=finding.code, kind=finding.kind, severity=finding.severity, message=finding.message,
                   suggestion=finding.suggestion, tool=tool, location=finding.location, handoff=finding.handoff,
                   evidence=_brief_evidence(finding))

    def finding(self) -> Finding:
        return Finding(code=self.code, kind=self.kind, severity=self.severity, message=self.message,
                       suggestion=self.suggestion, location=self.location, handoff=self.handoff,
                       evidence=self.evidence)


def _brief_evidence(finding: Finding) -> dict[str, Any]:
    """What the receiver's sentences quote (the values its rule's templates name, for a known code),
    as numbers, short names and short lists of them: nothing bulky."""
    from tools import catalogue

    def small(v: Any) -> bool:
        return isinstance(v, (int, float)) or (isinstance(v, str) and len(v) <= EVIDENCE_CHARS)

    entry = catalogue.get(finding.code)
    quoted = entry.quotes if entry is not None else None
    return {key: value for key, value in finding.evidence.items()
            if (quoted is None or key in quoted)
            and (small(value) or (isinstance(value, list) and len(value) <= EVIDENCE_ITEMS and all(map(small, value))))}


class HandoffPacket(BaseModel):
    """What crosses a handoff instead of the whole history."""

    from_persona: str  # names, as the receiver reads them
    to_persona: str
    from_slug: str = ""
    to_slug: str = ""
    reason: str
    summary: str = ""
    findings: list[FindingBrief] = Field(default_factory=list)  # the receiver's own first, then by severity
    artifacts: list[str] = Field(default_factory=list)  # "explain: 3 findings, hottest node Sort 820 ms"
    open_question: str = ""

    def render(self, boundary: str | None = None) -> str:
        """What the receiver reads in its system prompt. Everything but the sender's name comes from
        the conversation (the user's question, the sender's words, findings that quote input), so it
        is fenced as data (agent.fence) with ``boundary``, one the text does not hold (drawn if None)."""
        body = self._body()
        boundary = boundary or new_boundary(body)
        return f"{self._heading()}\n{fence('handoff', body, boundary)}"

    def _heading(self) -> str:
        return f"## Handoff from {self.from_persona}"

    def _body(self) -> str:
        lines = [f"Reason: {self.reason}"]
        if self.summary:
            lines.append(f"What is known: {self.summary}")
        if self.findings:
            lines.append("Findings so far:")
            lines += [f"- {f.code} [{f.severity}] {f.message}"
                      + (f" (at {f.location})" if f.location is not None and str(f.location) else "")
                      + (" [yours to fix]" if self.to_slug and f.handoff == self.to_slug else "")
                      + (f" → {f.suggestion}" if f.suggestion else "")
                      for f in self.findings]
        if self.artifacts:
            lines.append("Artifacts: " + "; ".join(self.artifacts))
        if self.open_question:
            lines.append(f"Open question for you: {self.open_question}")
        return "\n".join(lines)

    def size(self) -> int:
        """Characters the packet costs: its text plus the evidence it carries in the state (the fence
        around the text is a constant frame, like the heading, and is not counted)."""
        return (len(self._heading()) + 1 + len(self._body())
                + sum(len(json.dumps(f.evidence, ensure_ascii=False)) for f in self.findings))

    def fit(self, budget_tokens: int) -> HandoffPacket:
        """Trim to the token budget: artifacts, then findings from the end (the least severe of those not
        the receiver's), go before the summary."""
        budget = budget_tokens * CHARS_PER_TOKEN  # characters
        packet = self.model_copy(deep=True)
        packet.open_question = _clip(packet.open_question, budget // 5)
        packet.summary = _clip(packet.summary, budget * 2 // 5)
        while packet.size() > budget and (packet.findings or packet.artifacts):
            if packet.artifacts:
                packet.artifacts.pop()
            else:
                packet.findings.pop()
        if packet.size() > budget:
            packet.summary = _clip(packet.summary, max(0, len(packet.summary) - (packet.size() - budget)))
        return packet


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def make_packet(src: str, dst: str, names: dict[str, str], reason: str, summary: str, open_question: str,
                reports: list[dict[str, Any]], budget_tokens: int) -> HandoffPacket:
    """The packet for ``src`` → ``dst``: the turn's findings (the receiver's own first), one line per
    tool run, the sender's summary and the question, trimmed to ``budget_tokens``."""
    findings = [FindingBrief.of(f, r.tool) for r in (Report.model_validate(e["report"]) for e in reports)
                for f in r.ranked()]
    # The findings the receiver owns come first: they are why it was called, and the budget trims from the end.
    findings.sort(key=lambda f: (f.handoff != dst, -SEVERITY_RANK[f.severity]))
    artifacts = [f"{e['tool']}: {e['report'].get('summary') or len(e['report'].get('findings', []))}"
                 for e in reports]
    return HandoffPacket(
        from_persona=names[src], to_persona=names[dst], from_slug=src, to_slug=dst, reason=reason,
        summary=summary, findings=findings, artifacts=artifacts, open_question=open_question,
    ).fit(budget_tokens)


# --- Deference: "esto es para el Data Engineer", a persona handing off in prose -------------------

_CUES = (
    # Spanish
    "es para", "corresponde", "deberia", "debe ", "derivar", "derivo", "deriva ", "pasar", "paso esto",
    "transfer", "consultar", "consulta con", "hablar con", "habla con", "se encarga", "encargarse", "le toca",
    "que lo revise", "que lo vea", "competencia", "traspas",
    # English
    "should", "is for the", "hand off", "hand this", "hand it", "handoff", "ask the", "ask your", "consult",
    "owns", "better suited", "defer", "loop in", "escalate", "take this", "take over", "talk to", "reach out",
)
_SENTENCE = re.compile(r"[^.!?\n]+")


def detect_deference(text: str, partners: list[Partner], names: dict[str, str]) -> tuple[str, str] | None:
    """(partner slug, the sentence) when a sentence names a partner together with a deferring cue.

    ``names`` maps slug → persona name. Matching is accent- and case-insensitive on whole words.
    """
    variants: list[tuple[str, str]] = []
    for p in partners:
        for v in {p.role_label, names.get(p.slug, ""), p.slug.replace("-", " ")}:
            v = fold(v).strip()
            if len(v) >= 3:
                variants.append((p.slug, v))
    variants.sort(key=lambda sv: -len(sv[1]))  # "data engineer" before "data"
    for sentence in _SENTENCE.findall(text):
        folded = fold(sentence)
        if not any(c in folded for c in _CUES):
            continue
        for slug, v in variants:
            if re.search(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])", folded):
                return slug, sentence.strip()
    return None
