"""Rule templates and how they render: optional ``[[...]]`` segments, numbers in each language's style.

A template quotes a finding's evidence by key: ``{field}`` placeholders only appear inside optional
``[[...]]`` segments, which are dropped when the finding lacks that value, so every template renders
for every finding of its rule. Values are written the way a sentence in the language quotes them:

- numbers grouped by thousands (``1,000,000`` in English, ``1.000.000`` in Spanish), at most two
  decimals for small ones; lists joined with commas; ``*_line`` keys (and a ``lines`` list) as
  plain line numbers;
- ``share`` and ``*_share`` keys are fractions, quoted as percentages (``0.96`` → ``96%``);
- ``*_kb`` and ``*_bytes`` keys are sizes (``20480`` kB → ``20 MB``).

A few words come from the finding itself rather than its evidence: ``at`` (its location), ``node``
and ``metric`` (parts of it), ``measured`` (``value`` with its ``unit``), ``verdict``/``rating`` (a
measured metric's severity in words) and ``direction`` (an estimate's direction in words). Every
other number a sentence needs is computed by the tool that emits the finding, into its evidence.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.findings import Finding

Lang = str  # "en" or "es"
LANGS = ("en", "es")

_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)


def render(template: str, values: dict[str, str]) -> str:
    """A template with its optional ``[[...]]`` segments filled, or dropped where a value is missing."""
    return _OPTIONAL.sub(lambda m: _fill(m.group(1), values), template)


def placeholders(template: str) -> set[str]:
    """Field names a template quotes."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def outside_segments(template: str) -> str:
    """The template's text that is always said (a placeholder there would break the rule above)."""
    return _OPTIONAL.sub("", template)


def _fill(segment: str, values: dict[str, str]) -> str:
    """The segment with its numbers, or nothing when the finding lacks one of them."""
    names = placeholders(segment)
    if not all(values.get(n) for n in names):
        return ""
    return segment.format_map(values)


_WORDS = {
    # severity → the verdict of a metric against the persona's targets, and of a good/poor Web Vital
    "verdict": {"es": {"error": "supera el límite crítico", "warning": "no cumple el objetivo"},
                "en": {"error": "breaks the critical bound", "warning": "misses the target"}},
    "rating": {"es": {"error": "es malo", "warning": "necesita mejorar"},
               "en": {"error": "is poor", "warning": "needs improvement"}},
    "direction": {"es": {"under": "subestimación", "over": "sobreestimación"},
                  "en": {"under": "underestimate", "over": "overestimate"}},
}


def values(finding: Finding, lang: Lang) -> dict[str, str]:
    """Every value a template may quote, as ``lang`` writes it: the evidence, plus the words that come
    from the finding itself (where it is, the measured value with its unit, a verdict)."""
    evidence: dict[str, Any] = dict(finding.evidence or {})
    out = {k: evidence_value(k, v, lang) for k, v in evidence.items() if v is not None}
    where = finding.location
    if where is not None and str(where):
        out["at"] = str(where)
        for field in ("node", "metric"):
            if getattr(where, field):
                out[field] = getattr(where, field)
    value, unit = evidence.get("value"), evidence.get("unit")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(unit, str):
        from tools.metrics_text import format_value

        out["measured"] = format_value(float(value), unit)
    words = {word: table.get(lang, table["en"]) for word, table in _WORDS.items()}
    if "value" in evidence:  # a measured metric: its verdict is the finding's severity
        for word in ("verdict", "rating"):
            if finding.severity in words[word]:
                out[word] = words[word][finding.severity]
    if evidence.get("direction") in words["direction"]:
        out["direction"] = words["direction"][evidence["direction"]]
    return out


def evidence_value(key: str, value: Any, lang: Lang) -> str:
    """One evidence value as a sentence in ``lang`` quotes it (see the module docstring)."""
    if key.endswith("_line") or (key == "lines" and isinstance(value, list)):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)  # names, not amounts
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is not None and (key == "share" or key.endswith("_share")):
        return f"{number:.0%}"
    if number is not None and key.endswith(("_kb", "_bytes")):
        return size(number / 1024 if key.endswith("_bytes") else number, lang) if number else ""
    return show(value, lang)


def size(kb: float, lang: Lang) -> str:
    """A size in kB as people say it: 512 kB, 20 MB, 1.5 MB."""
    return show(round(kb / 1024, 1), lang) + " MB" if kb >= 1024 else show(round(kb), lang) + " kB"


def show(value: Any, lang: Lang) -> str:
    """A value as a sentence quotes it: integers grouped by thousands, lists joined, small numbers with
    two decimals at most, each language with its own separators."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(show(v, lang) for v in value if v is not None)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = f"{value:,}"
        return text.replace(",", ".") if lang == "es" else text
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
        return text.translate(str.maketrans(",.", ".,")) if lang == "es" else text
    return str(value)
