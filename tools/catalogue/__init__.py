"""The rule catalogue: one entry per finding code, and the only place a finding's code and kind are written.

Every finding a tool emits comes from an entry here (``Rule.finding``), so its code, kind, owner
(the persona the finding hands off to), English suggestion and Spanish evidence line are written
once. The offline composer, the review outputs (SARIF rule metadata), ``lmagent rules`` and the docs
pages (docs/rules/<CODE>.md) read the same entries.

One module per family holds its entries as named constants (``plan.DISK_SORT``); see
docs/tools/rules.md for how to add one. Importing the catalogue is cheap: plain frozen dataclasses,
nothing parsed, no pydantic until a finding is built.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tools.catalogue.text import Lang, placeholders, render, values

if TYPE_CHECKING:
    from tools.findings import Finding, Location, Severity

# The persona that runs the tools and answers first: a finding it owns needs no handoff.
LEAD = "performance-engineer"
BACKEND = "backend-engineer"
DATA = "data-engineer"
DEVOPS = "devops-engineer"
FRONTEND = "frontend-engineer"

# Family modules, in the order `lmagent rules` lists them, with their code prefix.
FAMILIES: dict[str, str] = {
    "plan": "PLAN", "sql": "SQL", "log": "LOG", "db": "DB", "thr": "THR", "cache": "CACHE",
    "perf": "PERF", "prof": "PROF", "trc": "TRC",
}


@dataclass(frozen=True)
class Text:
    """One text in both languages the answers speak."""

    en: str
    es: str

    def __call__(self, lang: Lang) -> str:
        return self.es if lang == "es" else self.en


@dataclass(frozen=True)
class Rule:
    """One finding code: what it is, who fixes it, why it matters and how to fix it.

    ``fix`` and ``finding_es`` are templates (tools/catalogue/text.py): they quote the finding's
    evidence inside optional ``[[...]]`` segments. ``fix.en`` becomes the finding's ``suggestion``;
    ``finding_es`` is what the finding shows, in Spanish (English quotes the tool's own message).
    """

    code: str  # stable, never reused: PLAN001, SQL003, PERF101...
    kind: str  # snake_case name of the problem, unique too
    title: str  # one line, English (SARIF shortDescription, `lmagent rules`)
    severity: Severity  # the default; a tool may raise or lower it per finding
    owner: str  # persona slug that owns the fix (the finding's handoff unless it is LEAD)
    tool: str  # registry name of the tool that emits it
    why: Text  # why it matters
    fix: Text  # the next step (template)
    finding_es: str  # what the finding shows, in Spanish (template)

    @property
    def docs(self) -> str:
        """Its docs page, relative to the repository root."""
        return f"docs/rules/{self.code}.md"

    @property
    def quotes(self) -> frozenset[str]:
        """The evidence keys (and finding words) its templates quote."""
        return frozenset().union(*(placeholders(t) for t in (self.fix.en, self.fix.es, self.finding_es)))

    @property
    def handoff(self) -> str | None:
        return None if self.owner == LEAD else self.owner

    def finding(self, message: str, *, location: Location | None = None, evidence: dict[str, Any] | None = None,
                cost_ms: float | None = None, severity: Severity | None = None,
                handoff: str | None = None) -> Finding:
        """A Finding of this rule: code, kind and handoff from the entry, ``suggestion`` rendered from
        ``fix.en`` with the finding's evidence. ``severity`` and ``handoff`` override the entry's for
        this one finding (a worse case, or a fix owned by someone else for this input)."""
        from tools.findings import Finding

        found = Finding(code=self.code, kind=self.kind, severity=severity or self.severity, message=message,
                        location=location, evidence=dict(evidence or {}), handoff=handoff or self.handoff,
                        cost_ms=cost_ms)
        found.suggestion = self.advise(found, "en")
        return found

    def advise(self, finding: Finding, lang: Lang) -> str:
        """The next step for ``finding`` in ``lang``."""
        return render(self.fix(lang), values(finding, lang))

    def fix_text(self, lang: Lang) -> str:
        """The next step with no finding at hand: the template without its optional segments."""
        return render(self.fix(lang), {})

    def describe(self, finding: Finding, lang: Lang) -> str:
        """What ``finding`` shows in ``lang``: the tool's own message in English, ``finding_es`` in Spanish."""
        if lang != "es":
            return finding.message
        return render(self.finding_es, values(finding, lang))

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "title": self.title, "severity": self.severity,
                "owner": self.owner, "handoff": self.handoff, "tool": self.tool,
                "why": {"en": self.why.en, "es": self.why.es}, "fix": {"en": self.fix.en, "es": self.fix.es},
                "finding_es": self.finding_es, "docs": self.docs}


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    """Every entry, family by family in FAMILIES order, by code within a family."""
    found: list[Rule] = []
    for module_name, prefix in FAMILIES.items():
        module = importlib.import_module(f"tools.catalogue.{module_name}")
        family = [v for v in vars(module).values() if isinstance(v, Rule)]
        for entry in family:
            if not entry.code.startswith(prefix):
                raise ValueError(f"{entry.code} is in tools/catalogue/{module_name}.py, which holds {prefix} codes")
        found += sorted(family, key=lambda r: r.code)
    return tuple(found)


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, Rule], dict[str, Rule]]:
    by_code: dict[str, Rule] = {}
    by_kind: dict[str, Rule] = {}
    for entry in all_rules():
        for table, key in ((by_code, entry.code), (by_kind, entry.kind)):
            if key in table and table[key] is not entry:
                raise ValueError(f"{table[key].code} and {entry.code} share {key!r}: codes and kinds are unique")
            table[key] = entry
    return by_code, by_kind


def get(code: str) -> Rule | None:
    """The entry of ``code`` (case-insensitive), or None."""
    return _index()[0].get(code.upper())


def rule(code: str) -> Rule:
    """The entry of ``code``; KeyError when there is none."""
    entry = get(code)
    if entry is None:
        raise KeyError(code)
    return entry


def by_kind(kind: str) -> Rule | None:
    return _index()[1].get(kind)


def of(finding: Finding) -> Rule | None:
    """The entry a finding was built from."""
    return get(finding.code)


def advise(finding: Finding, lang: Lang) -> str | None:
    """The next step for ``finding`` in ``lang`` ('es' or 'en'): its entry's fix filled from its evidence;
    the tool's own suggestion for a code the catalogue does not know (a finding from elsewhere)."""
    entry = of(finding)
    return finding.suggestion if entry is None else entry.advise(finding, lang)


def describe(finding: Finding, lang: Lang) -> str:
    """What ``finding`` shows in ``lang``: the tool's message in English, its entry's ``finding_es`` filled
    from its evidence in Spanish (the message again for an unknown code)."""
    entry = of(finding)
    return finding.message if entry is None else entry.describe(finding, lang)
