"""What a persona sees: its system prompt, the handoff packet it receives, and deference detection.

A system prompt is built from the persona file, not the whole file: the role, the "Rol" section,
the sections whose words match the message (scored with the router's own term normalization, so
Spanish and English meet), the handoff partners, and the packet when the persona was handed the
conversation. Everything is bounded in characters so a long persona cannot crowd out the question.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from agent.llm import CHARS_PER_TOKEN
from agent.persona import Persona
from agent.registry import Partner
from agent.router import terms
from tools.markdown import Section
from tools.text import fold

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


_INDEX_CACHE: dict[tuple[str, str], tuple[tuple[str, Section, frozenset[str], frozenset[str]], ...]] = {}


def _section_index(persona: Persona) -> tuple[tuple[str, Section, frozenset[str], frozenset[str]], ...]:
    """(title path, section, title terms, body terms) for every section worth retrieving.

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
    _INDEX_CACHE[key] = tuple(out)
    return _INDEX_CACHE[key]


def relevant_sections(persona: Persona, message: str, limit_chars: int = PROMPT_SECTIONS_CHARS,
                      max_sections: int = 4) -> list[ScoredSection]:
    """Sections ranked by how many of the message's terms they share (title words count double)."""
    wanted = frozenset(terms(message))
    scored = []
    for path, section, title_terms, body_terms in _section_index(persona):
        score = 2.0 * len(wanted & title_terms) + len(wanted & body_terms)
        if score > 0:
            scored.append(ScoredSection(path, section, score))
    scored.sort(key=lambda s: (-s.score, s.section.line))
    out, used = [], 0
    for s in scored[:max_sections]:
        size = min(len(s.section.text), SECTION_CHARS)
        if used + size > limit_chars and out:
            break
        out.append(s)
        used += size
    return out


def system_prompt(persona: Persona, partners: list[Partner], sections: list[ScoredSection],
                  language: str, tool_names: list[str], packet: HandoffPacket | None = None) -> str:
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


class FindingBrief(BaseModel):
    code: str
    kind: str = ""  # the receiver's next steps are keyed by kind (agent.advice)
    severity: str
    message: str
    suggestion: str | None = None
    tool: str = ""


class HandoffPacket(BaseModel):
    """What crosses a handoff instead of the whole history."""

    from_persona: str  # names, as the receiver reads them
    to_persona: str
    from_slug: str = ""
    reason: str
    summary: str = ""
    findings: list[FindingBrief] = Field(default_factory=list)
    artifacts: list[str] = Field(default_factory=list)  # "explain: 3 findings, hottest node Sort 820 ms"
    open_question: str = ""

    def render(self) -> str:
        lines = [f"## Handoff from {self.from_persona}", f"Reason: {self.reason}"]
        if self.summary:
            lines.append(f"What is known: {self.summary}")
        if self.findings:
            lines.append("Findings so far:")
            lines += [f"- {f.code} [{f.severity}] {f.message}" + (f" → {f.suggestion}" if f.suggestion else "")
                      for f in self.findings]
        if self.artifacts:
            lines.append("Artifacts: " + "; ".join(self.artifacts))
        if self.open_question:
            lines.append(f"Open question for you: {self.open_question}")
        return "\n".join(lines)

    def fit(self, budget_tokens: int) -> HandoffPacket:
        """Trim to the token budget: findings (least severe first) and artifacts go before the summary."""
        budget = budget_tokens * CHARS_PER_TOKEN  # characters
        packet = self.model_copy(deep=True)
        packet.open_question = _clip(packet.open_question, budget // 5)
        packet.summary = _clip(packet.summary, budget * 2 // 5)
        while len(packet.render()) > budget and (packet.findings or packet.artifacts):
            if packet.artifacts:
                packet.artifacts.pop()
            else:
                packet.findings.pop()
        if len(packet.render()) > budget:
            packet.summary = _clip(packet.summary, max(0, len(packet.summary) - (len(packet.render()) - budget)))
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
