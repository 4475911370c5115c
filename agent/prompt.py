"""What a persona sees: its system prompt, the handoff packet it receives, and deference detection.

A system prompt is built from the persona file, not the whole file: the role, the "Rol" section,
the sections whose words match the message (scored with the router's own term normalization, so
Spanish and English meet), the handoff partners, and the packet when the persona was handed the
conversation. Everything is bounded in characters so a long persona cannot crowd out the question.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from agent.language import prose
from agent.persona import Persona
from agent.registry import Partner
from agent.router import WEAK_FACTOR, WEAK_TERMS, message_terms, terms
from tools.findings import Finding, Location
from tools.markdown import Section
from tools.text import CHARS_PER_TOKEN, fold

_SKIP_TITLES = ("rol", "role", "interaccion con otros roles", "interaction with other roles", "handoffs")
SECTION_CHARS = 1500  # per section: enough for a table or a code sample
PROMPT_SECTIONS_CHARS = int(os.environ.get("LMAGENT_PROMPT_CHARS", "5000"))


@dataclass(frozen=True)
class ScoredSection:
    title_path: str  # "Database Optimization › Query Analysis"
    section: Section
    score: float

    def excerpt(self, limit: int = SECTION_CHARS) -> str:
        text = self.section.text.strip()
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class _SectionIndex:
    entries: tuple[tuple[str, Section, frozenset[str], frozenset[str]], ...]  # path, section, title, body terms
    weight: dict[str, float]  # rarer across the persona's sections → heavier
    common: frozenset[str]  # in more than half of them: the persona's whole topic, says nothing about which


MIN_SECTIONS_FOR_COMMON = 4  # below this a term shared by most sections still tells what the persona is about


_INDEX_CACHE: dict[tuple[str, str], _SectionIndex] = {}


def _section_index(persona: Persona) -> _SectionIndex:
    """Every section worth retrieving, with its terms and each term's weight in this persona.

    Cached by (slug, body): str hashes are memoized, so the lookup is cheap on every turn.
    """
    key = (persona.slug, persona.body)
    cached = _INDEX_CACHE.get(key)
    if cached is not None:
        return cached
    out = []

    def walk(section: Section, parents: list[str]) -> None:
        path = [*parents, section.title]
        if fold(section.title) not in _SKIP_TITLES and section.text.strip():
            out.append((" › ".join(path), section, frozenset(terms(" ".join(path))),
                        frozenset(terms(section.text[:4000]))))
        for child in section.children:
            walk(child, path)

    for s in persona.sections:
        walk(s, [])
    held = Counter(t for _, _, title, body in out for t in title | body)
    n = max(len(out), 1)
    common = frozenset(t for t, c in held.items() if c > n / 2) if n >= MIN_SECTIONS_FOR_COMMON else frozenset()
    _INDEX_CACHE[key] = _SectionIndex(tuple(out), {t: math.log(1 + n / c) for t, c in held.items()}, common)
    return _INDEX_CACHE[key]


_NOT_TOPICS = frozenset({"ms", "us", "ns", "kb", "mb", "gb", "sec", "min"})  # units say nothing about a section
_NUMBER = re.compile(r"^[\d.,]+$")
RELATIVE_FLOOR = 1 / 3  # a section scoring under this share of the best one is not about the message


def relevant_sections(persona: Persona, message: str, limit_chars: int = PROMPT_SECTIONS_CHARS,
                      max_sections: int = 4) -> list[ScoredSection]:
    """Sections ranked by the terms of the message's prose they share (plans, code and diffs are for
    the tools): title words count double, implied and weak words less, and a term weighs less the
    more of the persona's sections hold it. A section qualifies only through a distinctive term the
    message says itself, and only near the best score: none rather than unrelated ones."""
    index = _section_index(persona)
    wanted = {t: w for t, w in message_terms(prose(message)).items()
              if t not in _NOT_TOPICS and not _NUMBER.match(t)}
    scored = []
    for path, section, title_terms, body_terms in index.entries:
        score, distinctive = 0.0, False
        for t, w in wanted.items():
            if t not in title_terms and t not in body_terms:
                continue
            weak = WEAK_FACTOR if t in WEAK_TERMS else 1.0
            score += (2.0 if t in title_terms else 1.0) * w * weak * index.weight[t]
            distinctive |= w == 1.0 and weak == 1.0 and t not in index.common
        if distinctive:
            scored.append(ScoredSection(path, section, score))
    scored.sort(key=lambda s: (-s.score, s.section.line))
    out, used = [], 0
    for s in scored[:max_sections]:
        size = min(len(s.section.text), SECTION_CHARS)
        if s.score < RELATIVE_FLOOR * scored[0].score or (used + size > limit_chars and out):
            break
        out.append(s)
        used += size
    return out


def system_prompt(persona: Persona, partners: list[Partner], sections: list[ScoredSection],
                  language: str, tool_names: list[str], packet: HandoffPacket | None = None,
                  attachments: list[str] | None = None) -> str:
    rol = persona.section("Rol") or persona.section("Role")
    lines = [f"Eres {persona.name}: {persona.role}." if language == "es" else
             f"You are the {persona.name} ({persona.role})."]
    if rol and rol.text.strip():
        lines += ["", rol.text.strip()[:SECTION_CHARS]]
    if persona.expertise:
        lines += ["", "Expertise: " + ", ".join(persona.expertise)]
    lines += ["", "Rules:",
              "- Answer in " + ("Spanish" if language == "es" else "English") + ", concisely, with numbers.",
              "- Base diagnoses on tool results when the user gives a plan, SQL, metrics, code, a profile or traces."]
    if tool_names:
        lines.append("- Available tools: " + ", ".join(tool_names) + ". Call them instead of guessing.")
        if attachments:
            lines.append("- Files the user attached (the only files a tool may read; pass these paths): "
                         + ", ".join(attachments))
    if partners:
        lines += ["- When the problem belongs to a partner, call transfer_to_<slug> with a short summary:"]
        lines += [f"  - {p.slug} ({p.role_label}): {p.collaboration}" for p in partners]
    for s in sections:
        lines += ["", f"## {s.title_path}", s.excerpt()]
    if packet is not None:
        lines += ["", packet.render()]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Handoff packet


EVIDENCE_CHARS = 80  # an evidence string longer than this (a whole query, a filter) stays with the tool
EVIDENCE_ITEMS = 8


class FindingBrief(BaseModel):
    code: str
    kind: str = ""  # the receiver's next steps are keyed by kind (agent.advice)
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

    def render(self) -> str:
        lines = [f"## Handoff from {self.from_persona}", f"Reason: {self.reason}"]
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
        """Characters the packet costs: the prompt text plus the evidence it carries in the state."""
        return len(self.render()) + sum(len(json.dumps(f.evidence, ensure_ascii=False)) for f in self.findings)

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


# ---------------------------------------------------------------------------------------------
# "esto es para el Data Engineer": a persona deferring in prose without calling the tool.

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
