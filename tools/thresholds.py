"""The persona's performance targets, checked against real measurements.

Targets are read from the persona file itself, from every table whose header fits one of the two
shapes the seed uses (edit the table and the checks change):

    | Metric | Target | Critical |                  pass inside Target, warn inside Critical, else fail
    | Metric | Good | Needs Improvement | Poor |     pass when Good holds, fail when Poor holds, else warn

Cells are bounds like "< 100ms", "> 0.9", "< 0.1%", "2.5s - 4s"; "Variable" or "-" means no bound.
Measurements come from files (tools.metrics_files), from free text (tools.metrics_text) or from a
plain {name: value} mapping. Core Web Vitals are judged at p75; when the persona has no row for
one (the seed has no INP or FCP row) the web.dev thresholds are used and the check says so.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.catalogue import Rule as CatalogueRule
from tools.catalogue import thr
from tools.errors import InputError, read_text
from tools.findings import Finding, Location, Report
from tools.markdown import parse_markdown
from tools.metrics_files import (
    WEB_VITALS,
    Measurement,
    PercentileMethod,
    Source,
    named_measurements,
    read_metrics_file,
)
from tools.metrics_text import (
    TextMetric,
    extract_metrics,
    format_value,
    metric_key,
    parse_number,
    parse_quantity,
    percentile_of_key,
    quantity_pattern,
    scaled,
    unit_of,
)
from tools.paths import default_personas_dir
from tools.readpath import ReadPath
from tools.text import fold

__all__ = ["ThresholdsInput", "TextMetric", "extract_metrics", "thresholds_tool", "load_targets", "check"]

Verdict = Literal["pass", "warn", "fail", "no-bound", "unchecked", "unit-mismatch"]
DEFAULT_PERSONA = "performance-engineer.md"
DEFAULT_APDEX_T_MS = 500.0  # New Relic's default T (0.5 s) when neither the persona nor --apdex-t give one


class ThresholdsInput(BaseModel):
    paths: list[ReadPath] = Field(default_factory=list, description=(
        "Files to check: k6 summary JSON, Locust *_stats.csv, Lighthouse/PageSpeed JSON, vegeta JSON report, "
        "latency samples (one a line) or a YAML/JSON of named metrics."))
    text: str | None = Field(None, description="A message stating metrics, e.g. 'P95 de 1.8 segundos, error rate 2%'.")
    metrics: dict[str, float] | None = Field(None, description=(
        "Named metrics in canonical units: latencies in ms, rates as ratios (0.02 = 2%), Apdex 0..1."))
    persona_path: ReadPath | None = Field(None, description="Persona markdown file with the target tables "
                                                       "(default: the shipped Performance Engineer).")
    apdex_t_ms: float | None = Field(None, gt=0, allow_inf_nan=False,
                                      description="Apdex threshold T in ms (default: from the persona).")
    percentile_method: PercentileMethod = Field("nearest-rank", description="How percentiles of raw samples are computed.")


# --- bounds and rules ------------------------------------------------------------------------------

class Bound(BaseModel):
    op: Literal["<", "<=", ">", ">=", "between"]
    value: float
    high: float | None = None  # upper end of a "between" range
    unit: str = ""

    def holds(self, x: float) -> bool:
        if self.op == "between":
            return self.value <= x <= (self.high if self.high is not None else math.inf)
        return {"<": x < self.value, "<=": x <= self.value, ">": x > self.value, ">=": x >= self.value}[self.op]

    def k6(self) -> str | None:
        """The bound as a k6 threshold expression suffix ('<500'), when k6 can say it."""
        return None if self.op == "between" else f"{self.op}{self.value:g}"


_NO_BOUND = {"", "-", "—", "–", "variable", "n/a", "na", "tbd", "varies", "depende", "ninguno", "none"}
_OPS = {"≤": "<=", "≥": ">=", "=<": "<=", "=>": ">=", "&lt;": "<", "&gt;": ">", "&lt;=": "<=", "&gt;=": ">="}
_SINGLE = re.compile(rf"^(?P<op><=|>=|<|>)?\s*{quantity_pattern()}$", re.IGNORECASE)
_RANGE = re.compile(rf"^{quantity_pattern('_lo')}\s*(?:-|–|—|to|a|\.\.)\s*{quantity_pattern()}$", re.IGNORECASE)
_HIGHER_IS_BETTER = {"apdex", "throughput", "lighthouse_performance"}
_HIGHER_WORDS = ("hit", "uptime", "availability", "disponibilidad", "score", "coverage", "cobertura")


def parse_bound(cell: str, metric: str = "") -> Bound | None:
    """'< 100ms' -> Bound('<', 100, unit='ms'); 'Variable' / '-' -> None; unreadable -> ValueError."""
    text = re.sub(r"[*`_]", "", cell).strip()
    for spelled, op in sorted(_OPS.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(spelled, op)
    if fold(text) in _NO_BOUND:
        return None
    m = _SINGLE.match(text)
    if m:
        unit, factor = unit_of(m.group("unit"))
        op = m.group("op") or (">=" if metric in _HIGHER_IS_BETTER or any(w in metric for w in _HIGHER_WORDS)
                               else "<=")
        return Bound(op=op, value=scaled(parse_number(m.group("num")), factor), unit=unit)
    m = _RANGE.match(text)
    if m:
        hi_unit, hi_factor = unit_of(m.group("unit"))
        lo_unit, lo_factor = unit_of(m.group("unit_lo")) if m.group("unit_lo") else (hi_unit, hi_factor)
        if lo_unit != hi_unit:
            raise ValueError(f"range {cell!r} mixes {lo_unit or 'plain numbers'} and {hi_unit or 'plain numbers'}")
        return Bound(op="between", value=scaled(parse_number(m.group("num_lo")), lo_factor),
                     high=scaled(parse_number(m.group("num")), hi_factor), unit=hi_unit)
    raise ValueError(f"cannot read the bound {cell!r}")


class Rule(BaseModel):
    metric: str
    label: str  # the Metric cell as written
    shape: Literal["target-critical", "good-poor"]
    target: Bound | None = None  # Target / Good: holds -> pass
    critical: Bound | None = None  # Critical: must hold, else fail. Poor: holds -> fail
    target_text: str = ""
    critical_text: str = ""
    middle_text: str = ""  # the Needs Improvement cell
    origin: str = ""  # "persona.md:42" or "web.dev default"
    notes: list[str] = Field(default_factory=list)

    def verdict(self, value: float) -> Verdict:
        if self.target is None and self.critical is None:
            return "no-bound"
        if self.target is not None and self.target.holds(value):
            return "pass"
        if self.shape == "good-poor":
            return "fail" if self.critical is not None and self.critical.holds(value) else "warn"
        if self.critical is None:
            return "warn"
        return "pass" if self.target is None and self.critical.holds(value) else (
            "warn" if self.critical.holds(value) else "fail")

    def bounds(self) -> list[Bound]:
        return [b for b in (self.target, self.critical) if b is not None]


# web.dev thresholds (p75), used only for a Core Web Vital the persona has no row for.
_WEB_DEV = {"lcp": (2500, 4000, "ms"), "inp": (200, 500, "ms"), "cls": (0.1, 0.25, ""), "fcp": (1800, 3000, "ms"),
            "ttfb": (800, 1800, "ms"), "fid": (100, 300, "ms")}


def _web_dev_rule(key: str) -> Rule:
    good, poor, unit = _WEB_DEV[key]
    return Rule(metric=key, label=key.upper(), shape="good-poor",
                target=Bound(op="<=", value=good, unit=unit), critical=Bound(op=">", value=poor, unit=unit),
                target_text=f"≤ {format_value(good, unit)}", critical_text=f"> {format_value(poor, unit)}",
                middle_text=f"{format_value(good, unit)} - {format_value(poor, unit)}", origin="web.dev default",
                notes=[f"the persona has no {key.upper()} row; web.dev thresholds used"])


class Targets(BaseModel):
    persona: str
    rules: dict[str, Rule]
    apdex_t_ms: float | None = None
    apdex_t_origin: str | None = None
    notes: list[str] = Field(default_factory=list)

    def rule(self, metric: str) -> Rule | None:
        if metric in self.rules:
            return self.rules[metric]
        return _web_dev_rule(metric) if metric in _WEB_DEV else None


_APDEX_T_LABEL = re.compile(r"^(?:apdex\s*\(?\s*(?:t|threshold|umbral)\b|(?:umbral|t)\s+(?:de\s+)?apdex\b)")
_APDEX_T_TEXT = re.compile(rf"apdex[^\n|]{{0,40}}?\bT\s*(?:=|:)\s*{quantity_pattern()}", re.IGNORECASE)


def load_targets(path: str | Path | None = None) -> Targets:
    """Rules from every fitting table of a persona file, keyed by canonical metric."""
    persona = str(path) if path else str(default_personas_dir() / DEFAULT_PERSONA)
    doc = parse_markdown(read_text(persona))
    targets = Targets(persona=persona, rules={})
    for table in doc.tables:
        metric_col = table.column("Metric", "Métrica", "Metrica", "Métricas", "Metrics", "KPI")
        target_col = table.column("Target", "Objetivo", "Meta")
        critical_col = table.column("Critical", "Crítico", "Critico", "Límite", "Limite")
        good_col = table.column("Good", "Bueno", "Bien")
        poor_col = table.column("Poor", "Malo", "Pobre", "Deficiente")
        middle_col = table.column("Needs Improvement", "Necesita mejora", "Mejorable")
        if not metric_col or not ((target_col and critical_col) or (good_col and poor_col)):
            continue
        shape = "target-critical" if target_col and critical_col else "good-poor"
        first_col, second_col = (target_col, critical_col) if shape == "target-critical" else (good_col, poor_col)
        for i, row in enumerate(table.rows):
            label = row.get(metric_col, "").strip()
            if not label:
                continue
            line = table.line + 2 + i
            origin = f"{persona}:{line}"
            first_text, second_text = row.get(first_col, "").strip(), row.get(second_col, "").strip()
            if _APDEX_T_LABEL.match(fold(label)):
                quantity = parse_quantity(first_text)
                if quantity is not None and quantity.unit == "ms":
                    targets.apdex_t_ms, targets.apdex_t_origin = quantity.value, origin
                else:  # "0.5" could be seconds (the Apdex spec's unit) or ms: ask instead of guessing
                    targets.notes.append(f"Apdex T {first_text!r} at {origin} needs a time unit (e.g. 500ms)")
                continue
            key = metric_key(label)
            rule = Rule(metric=key, label=label, shape=shape, target_text=first_text, critical_text=second_text,
                        middle_text=row.get(middle_col, "").strip() if middle_col else "", origin=origin)
            for attr, cell in (("target", first_text), ("critical", second_text)):
                try:
                    setattr(rule, attr, parse_bound(cell, key))
                except ValueError as exc:
                    rule.notes.append(f"{exc} ({origin}); no bound used")
            if key in targets.rules:
                targets.notes.append(f"{label} at {origin} repeats {targets.rules[key].origin}; the first row is used")
                continue
            targets.rules[key] = rule
    if targets.apdex_t_ms is None:
        m = _APDEX_T_TEXT.search(doc.preamble + "\n" + "\n".join(s.text for s in doc.walk()))
        if m:
            unit, factor = unit_of(m.group("unit"))
            if unit == "ms":
                targets.apdex_t_ms = parse_number(m.group("num")) * factor
                targets.apdex_t_origin = f"{persona} (text)"
    return targets


# --- evaluation ------------------------------------------------------------------------------------

class MetricCheck(BaseModel):
    metric: str
    label: str
    scope: str | None = None
    source: str
    value: float
    unit: str
    display: str  # the value as people read it
    before: float | None = None
    target: str | None = None
    critical: str | None = None
    needs_improvement: str | None = None
    verdict: Verdict
    method: str = ""
    rule_origin: str | None = None
    notes: list[str] = Field(default_factory=list)


class ThresholdsData(BaseModel):
    persona: str
    verdict: Literal["pass", "warn", "fail", "none"]
    percentile_method: PercentileMethod
    apdex_t_ms: float
    apdex_t_source: str
    checks: list[MetricCheck] = Field(default_factory=list)
    unmeasured: list[str] = Field(default_factory=list)  # persona rows with bounds that nothing measured
    sources: list[Source] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


# The catalogue entry per metric; other percentiles share THR007, other persona rows THR030.
_RULES = {
    "p50": thr.P50_LATENCY, "p95": thr.P95_LATENCY, "p99": thr.P99_LATENCY, "error_rate": thr.ERROR_RATE,
    "apdex": thr.APDEX, "throughput": thr.THROUGHPUT, "lcp": thr.LCP, "inp": thr.INP, "cls": thr.CLS,
    "fcp": thr.FCP, "ttfb": thr.TTFB, "fid": thr.FID, "tbt": thr.TBT,
}
# Shown even without a persona rule; other computed values (p66, p98...) only when a rule asks for them.
_HEADLINE = {"p50", "p90", "p95", "p99", "avg", "max", "error_rate", "throughput", "apdex", *WEB_VITALS}
_DISPLAY_ORDER = {k: i for i, k in enumerate(
    ["p50", "p90", "p95", "p99", "avg", "max", "error_rate", "apdex", "throughput", "lcp", "inp", "cls", "fcp",
     "ttfb", "fid", "tbt"])}
FID_NOTE = "FID was replaced by INP as a Core Web Vital in March 2024; it is still checked against its row"


def _rule_of(metric: str) -> CatalogueRule:
    if metric in _RULES:
        return _RULES[metric]
    if percentile_of_key(metric) is not None:
        return thr.LATENCY_PERCENTILE
    return thr.PERSONA_METRIC


def _compatible(m: Measurement, rule: Rule) -> bool:
    for bound in rule.bounds():
        if bound.unit == m.unit or not bound.unit:
            continue
        # A plain number is in the canonical unit, except a "95" against a percentage bound.
        if m.unit == "" and not (bound.unit == "ratio" and m.value > 1):
            continue
        return False
    return True


def check(measurements: list[Measurement], sources: list[Source], targets: Targets, *, apdex_t_ms: float,
          apdex_t_source: str, method: PercentileMethod = "nearest-rank", tool: str = "thresholds") -> Report:
    """Judge every measurement against its rule; one finding per metric that warns or fails."""
    data = ThresholdsData(persona=targets.persona, verdict="none", percentile_method=method,
                          apdex_t_ms=apdex_t_ms, apdex_t_source=apdex_t_source, sources=sources,
                          notes=list(targets.notes))
    findings: list[Finding] = []
    for m in measurements:
        rule = targets.rule(m.metric)
        if rule is None and m.metric not in _HEADLINE:
            continue
        item = MetricCheck(metric=m.metric, label=rule.label if rule else m.metric, scope=m.scope, source=m.source,
                           value=m.value, unit=m.unit, display=format_value(m.value, m.unit), before=m.before,
                           method=m.method, verdict="unchecked", notes=[m.note] if m.note else [])
        if rule:
            item.target, item.critical = rule.target_text, rule.critical_text
            item.needs_improvement = rule.middle_text or None
            item.rule_origin = rule.origin
            item.notes += rule.notes
            if _compatible(m, rule):
                item.verdict = rule.verdict(m.value)
            else:
                item.verdict = "unit-mismatch"
                item.notes.append(f"{item.display} cannot be compared with {rule.target_text or rule.critical_text}")
        if m.metric == "fid":
            item.notes.append(FID_NOTE)
        data.checks.append(item)
        finding = _finding(item, rule, m)
        if finding:
            findings.append(finding)
    fid_sources = sorted({c.source for c in data.checks if c.metric == "fid"})
    for src in fid_sources:
        has_inp = any(c.metric == "inp" and c.source == src for c in data.checks)
        findings.append(thr.FID_REPLACED_BY_INP.finding(
            FID_NOTE + ("; INP is checked too" if has_inp else "; this input has no INP to check"),
            location=_location(src, None, "FID")))
    source_rank = {src.path: i for i, src in enumerate(sources)}
    data.checks.sort(key=lambda c: (source_rank.get(c.source, len(sources)), c.scope is not None, c.scope or "",
                                    _DISPLAY_ORDER.get(c.metric, len(_DISPLAY_ORDER)), c.metric))
    measured = {c.metric for c in data.checks}
    data.unmeasured = [r.label for k, r in targets.rules.items() if k not in measured and r.bounds()]
    verdicts = {c.verdict for c in data.checks}
    data.verdict = ("fail" if "fail" in verdicts else "warn" if "warn" in verdicts
                    else "pass" if verdicts & {"pass", "no-bound", "unchecked"} else "none")
    return Report(tool=tool, findings=findings, data=data, summary=_summary(data))


def _location(source: str, line: int | None, metric: str) -> Location:
    is_file = source not in ("message", "metrics")
    return Location(path=source if is_file else None, line=line if is_file else None, metric=metric)


def _finding(item: MetricCheck, rule: Rule | None, m: Measurement) -> Finding | None:
    where = f"{item.label}" + (f" [{item.scope}]" if item.scope else "")
    was = f", was {format_value(item.before, item.unit)}" if item.before is not None else ""
    evidence = {"value": item.value, "unit": item.unit, "target": item.target, "critical": item.critical,
                "source": item.source, "scope": item.scope, "method": item.method, "rule": item.rule_origin}
    if item.verdict == "unit-mismatch":
        return thr.UNIT_MISMATCH.finding(
            f"{where} = {item.display} is not in the unit of its bound ({item.target or item.critical}); not checked",
            location=_location(m.source, m.line, where), evidence={**evidence, "bound": item.target or item.critical})
    if item.verdict not in ("warn", "fail") or rule is None:
        return None
    if rule.shape == "good-poor":
        message = (f"{where} = {item.display}{was} is poor ({rule.critical_text}; good {rule.target_text})"
                   if item.verdict == "fail" else
                   f"{where} = {item.display}{was} needs improvement ({rule.middle_text or 'between good and poor'}; "
                   f"good {rule.target_text})")
    elif item.verdict == "fail":
        message = f"{where} = {item.display}{was} breaks the critical bound {rule.critical_text} (target {rule.target_text})"
    else:
        message = f"{where} = {item.display}{was} misses the target {rule.target_text} (critical {rule.critical_text})"
    cost = None
    if item.unit == "ms" and rule.target is not None and rule.target.op in ("<", "<="):
        cost = max(0.0, item.value - rule.target.value)
    return _rule_of(item.metric).finding(message, location=_location(m.source, m.line, where), evidence=evidence,
                                         severity="error" if item.verdict == "fail" else "warning", cost_ms=cost)


def _summary(data: ThresholdsData) -> str:
    judged = [c for c in data.checks if c.verdict in ("pass", "warn", "fail")]
    if not data.checks:
        return "no metrics found to check"
    fails = sum(c.verdict == "fail" for c in judged)
    warns = sum(c.verdict == "warn" for c in judged)
    persona = Path(data.persona).name
    return (f"{data.verdict.upper()}: {len(judged)} metric(s) checked against {persona}: "
            f"{fails} break a critical bound, {warns} miss the target, {len(judged) - fails - warns} pass")


def resolve_apdex_t(inp_t: float | None, targets: Targets) -> tuple[float, str]:
    if inp_t:
        return inp_t, "--apdex-t"
    if targets.apdex_t_ms:
        return targets.apdex_t_ms, targets.apdex_t_origin or targets.persona
    return DEFAULT_APDEX_T_MS, "default: the persona states no Apdex T"


def text_measurements(text: str) -> list[Measurement]:
    return [Measurement(metric=t.metric, value=t.value, unit=t.unit, before=t.before, source="message",
                        method=f"message: {t.raw!r}", note=t.note)
            for t in extract_metrics(text)]


def thresholds_tool(inp: ThresholdsInput) -> Report:
    """Check files, a message and/or named metrics against the persona's target tables."""
    if not inp.paths and inp.text is None and inp.metrics is None:
        raise InputError("nothing to check: give files, a message text or metrics")
    targets = load_targets(inp.persona_path)
    apdex_t, apdex_source = resolve_apdex_t(inp.apdex_t_ms, targets)
    measurements: list[Measurement] = []
    sources: list[Source] = []
    for path in inp.paths:
        found, source = read_metrics_file(path, read_text(path), apdex_t_ms=apdex_t, method=inp.percentile_method)
        measurements += found
        sources.append(source)
    if inp.text is not None:
        measurements += text_measurements(inp.text)
        sources.append(Source(path="message", format="text"))
    if inp.metrics:
        found, source = named_measurements(dict(inp.metrics), "metrics", apdex_t_ms=apdex_t,
                                           method=inp.percentile_method)
        measurements += found
        sources.append(source)
    return check(measurements, sources, targets, apdex_t_ms=apdex_t, apdex_t_source=apdex_source,
                 method=inp.percentile_method)

