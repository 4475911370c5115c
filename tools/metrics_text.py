"""Quantities with units, metric names, and metrics found in free text (Spanish and English).

One place knows that "1,8 segundos" is 1800 ms, that "2 %" is the ratio 0.02 and that "P95 Latency",
"percentil 95" and "p(95)" are the same metric, so persona tables, metric files and chat messages
all meet on the same canonical keys and units:

- durations in milliseconds (unit ``"ms"``), rates as ratios 0..1 (``"ratio"``), request rates in
  ``"req/s"``, sizes in bytes (``"B"``), and plain numbers (Apdex, CLS) with unit ``""``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from tools.text import fold

# Canonical unit and factor for every spelling; longest spellings first so the regex prefers them.
_UNITS: dict[str, tuple[str, float]] = {}
for _unit, _factor, _spellings in (
    ("ms", 1e-6, "ns nanosegundos nanosegundo nanoseconds nanosecond"),
    ("ms", 1e-3, "µs μs us microsegundos microsegundo microseconds microsecond"),
    ("ms", 1.0, "ms msec msecs milisegundos milisegundo milliseconds millisecond"),
    ("ms", 1000.0, "s sec secs seg segs sg segundos segundo seconds second"),
    ("ms", 60000.0, "min mins minutos minuto minutes minute"),
    ("ms", 3600000.0, "h hr hrs horas hora hours hour"),
    ("ms", 86400000.0, "d dias dia days day"),
    ("ratio", 0.01, "% pct percent porciento"),
    ("req/s", 1.0, "rps req/s reqs/s requests/s qps"),
    ("B", 1.0, "b bytes"),
    ("B", 1000.0, "kb"),
    ("B", 1024.0, "kib"),
    ("B", 1e6, "mb"),
    ("B", 1024.0**2, "mib"),
):
    for _s in _spellings.split():
        _UNITS[_s] = (_unit, _factor)
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True)) + r"|por\s+ciento"

# "1,800" (English thousands) but "0,250" and "1,8" (Spanish decimal comma). The integer part is
# bounded (at most 15 digits): a float holds every match, so "999...9" (400 digits) is not read as
# a quantity instead of becoming inf. \d also takes other scripts' digits ('١٢'), which float() reads.
_NUMBER_RE = r"(?:[1-9]\d{0,2}(?:,\d{3}){1,4}(?:\.\d+)?|\d{1,15}(?:[.,]\d+)?)"


def quantity_pattern(suffix: str = "") -> str:
    """A number with an optional unit, as groups ``num<suffix>`` and ``unit<suffix>``; not part of a
    word, a clock time (10:30) or a longer number."""
    return rf"(?<![\w.,:])(?P<num{suffix}>{_NUMBER_RE})(?:\s*(?P<unit{suffix}>{_UNIT_RE}))?(?![\w/]|:\d)"


QUANTITY_RE = re.compile(quantity_pattern(), re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    value: float  # in the canonical unit
    unit: str  # "ms", "ratio", "req/s", "B" or "" (a plain number)


def scaled(value: float, factor: float) -> float:
    """value * factor without binary noise: 70 % is 0.7, not 0.7000000000000001."""
    return float(f"{value * factor:.12g}")


def parse_number(text: str) -> float:
    if re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


@lru_cache(maxsize=1024)
def unit_of(spelling: str | None) -> tuple[str, float]:
    if not spelling:
        return "", 1.0
    key = re.sub(r"\s+", "", fold(spelling))
    return _UNITS.get(key, _UNITS.get(spelling.lower(), ("", 1.0)))


def parse_quantity(text: str) -> Quantity | None:
    """'2.5s' -> 2500 ms, '< 0.1%' is not a quantity (see parse_bound), '0.9' -> 0.9."""
    m = QUANTITY_RE.fullmatch(text.strip())
    if not m:
        return None
    unit, factor = unit_of(m.group("unit"))
    return Quantity(scaled(parse_number(m.group("num")), factor), unit)


# --- metric names -------------------------------------------------------------------------------

# Canonical key -> spellings (folded). Percentiles are recognised by pattern, not listed.
METRIC_ALIASES: dict[str, tuple[str, ...]] = {
    "error_rate": ("error rate", "errors rate", "error ratio", "failure rate", "tasa de error",
                   "tasa de errores", "tasa de fallos", "porcentaje de errores", "errores", "errors",
                   "http req failed", "http_req_failed"),
    "apdex": ("apdex", "apdex score", "indice apdex"),
    "throughput": ("throughput", "rps", "requests per second", "peticiones por segundo", "req/s"),
    "avg": ("avg", "average", "mean", "average latency", "mean latency", "latencia media",
            "latencia promedio", "promedio"),
    "max": ("max", "maximum", "maximo", "max latency", "latencia maxima"),
    "lcp": ("lcp", "largest contentful paint"),
    "inp": ("inp", "interaction to next paint"),
    "cls": ("cls", "cumulative layout shift"),
    "fcp": ("fcp", "first contentful paint"),
    "ttfb": ("ttfb", "time to first byte"),
    "fid": ("fid", "first input delay"),
    "tbt": ("tbt", "total blocking time"),
    "lighthouse_performance": ("lighthouse performance", "lighthouse score", "performance score",
                               "lighthouse"),
}
_ALIAS_TO_KEY = {alias: key for key, aliases in METRIC_ALIASES.items() for alias in aliases}
# Words that qualify a metric without changing which one it is: "P95 Latency" is p95.
_FILLER_WORDS = {"latency", "latencia", "score", "puntuacion", "response", "time", "tiempo", "de",
                 "respuesta", "http", "req", "duration", "duracion"}
_PCT_NAME = re.compile(r"^(?:p\(?\s*(\d{1,2}(?:[.,]\d+)?)\s*\)?|percentil(?:e)?\s*(\d{1,2}(?:[.,]\d+)?)"
                       r"|(\d{1,2}(?:[.,]\d+)?)\s*(?:th|st|nd|rd|o|º|°)?\s*percentil(?:e)?)$")


def percentile_key(p: float | str) -> str:
    """95 -> 'p95', 99.9 -> 'p99.9'."""
    value = float(str(p).replace(",", "."))
    return f"p{value:g}"


def metric_key(name: str) -> str:
    """Canonical key of a metric name: 'P95 Latency' -> 'p95', 'Tasa de error' -> 'error_rate'.

    Names that are not known metrics become a slug ('Cache Hit Ratio' -> 'cache_hit_ratio'), so a
    persona table row and a metrics file entry with the same name still meet.
    """
    folded = re.sub(r"\s+", " ", fold(name).replace("_", " ").replace("-", " ")).strip()
    # "Largest Contentful Paint (LCP)": the abbreviation in parentheses decides when it is known.
    for inner in re.findall(r"\(([^)]*)\)", folded):
        if inner.strip() in _ALIAS_TO_KEY:
            return _ALIAS_TO_KEY[inner.strip()]
    if folded in _ALIAS_TO_KEY:
        return _ALIAS_TO_KEY[folded]
    words = [w for w in folded.split(" ") if w not in _FILLER_WORDS]
    core = " ".join(words)
    if core in ("median", "mediana", "med"):
        return "p50"
    m = _PCT_NAME.match(core)
    if m:
        return percentile_key(next(g for g in m.groups() if g))
    if core in _ALIAS_TO_KEY:
        return _ALIAS_TO_KEY[core]
    return re.sub(r"[^a-z0-9.]+", "_", folded).strip("_") or "metric"


def metric_unit(key: str) -> str:
    """The canonical unit a known metric is measured in ('' when unknown or unitless)."""
    if percentile_of_key(key) is not None or key in ("avg", "max", "lcp", "inp", "fcp", "ttfb", "fid", "tbt"):
        return "ms"
    return {"error_rate": "ratio", "throughput": "req/s"}.get(key, "")


def percentile_of_key(key: str) -> Fraction | None:
    m = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", key)
    return Fraction(m.group(1)) if m else None


# --- free text ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TextMetric:
    """One metric stated in a message: 'p99 went from 300ms to 2s' -> p99 = 2000 ms, before 300."""

    metric: str  # canonical key
    value: float  # canonical unit
    unit: str
    before: float | None = None
    raw: str = ""  # the matched text
    start: int = 0
    end: int = 0
    note: str | None = None  # e.g. "no unit given: read as ms"


_NAME_PATTERNS: list[tuple[str, str]] = [
    (r"\bp\(?(\d{1,2}(?:\.\d)?)\)?(?![\w.])", "pct"),
    (r"\bpercentil(?:e)?\s+(\d{1,2}(?:[.,]\d)?)\b", "pct"),
    # "95th percentile" needs the ordinal, or "0 percentil 95" would read as p0.
    (r"\b(\d{1,2})\s?(?:th|st|nd|rd|º|°)\s+percentil(?:e)?\b", "pct"),
    (r"\bmedian[ao]?\b", "p50"),
    (r"\b(?:error|failure)s?[ -](?:rate|ratio)\b|\btasa\s+de\s+(?:errores|error|fallos?)\b"
     r"|\bporcentaje\s+de\s+errores\b", "error_rate"),
    (r"\bapdex(?:\s+score)?\b", "apdex"),
    (r"\blargest contentful paint\b|\blcp\b", "lcp"),
    (r"\binteraction to next paint\b|\binp\b", "inp"),
    (r"\bcumulative layout shift\b|\bcls\b", "cls"),
    (r"\bfirst contentful paint\b|\bfcp\b", "fcp"),
    (r"\btime to first byte\b|\bttfb\b", "ttfb"),
    (r"\bfirst input delay\b|\bfid\b", "fid"),
    (r"\btotal blocking time\b|\btbt\b", "tbt"),
    (r"\bthroughput\b", "throughput"),
    (r"\b(?:average|mean)\s+latency\b|\blatencia\s+(?:media|promedio)\b", "avg"),
]
_NAME_RE = re.compile("|".join(f"(?P<g{i}>{pat})" for i, (pat, _) in enumerate(_NAME_PATTERNS)),
                      re.IGNORECASE)
# "went from 300ms to 2s", "pasó de 300 ms a 2 s", "300ms -> 2s"
_TRANSITION_RE = re.compile(r"\s*(?:to|a|al|hasta|->|→|=>|⇒)\s*", re.IGNORECASE)
# "5 % de errores", "2% error rate": the number comes first.
_PERCENT_FIRST_RE = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUMBER_RE})\s*(?:%|por\s*ciento|percent)\s*(?:de\s+|of\s+)?"
    r"(?:errores|errors|error rate|fallos|failures)\b",
    re.IGNORECASE,
)
_WINDOW = 48  # characters after a metric name in which its value must appear
_DEFAULT_UNIT = {"error_rate": "ratio", "throughput": "req/s", "apdex": "", "cls": "",
                 "lighthouse_performance": ""}


def _key_for(match: re.Match) -> str:
    for i, (_, key) in enumerate(_NAME_PATTERNS):
        if match.group(f"g{i}") is not None:
            if key != "pct":
                return key
            digits = re.search(r"\d{1,2}(?:[.,]\d)?", match.group(f"g{i}"))
            return percentile_key(digits.group(0)) if digits else "p50"
    return "metric"


def _normalise(key: str, num: str, unit_text: str | None) -> tuple[float, str, str | None]:
    """Value in the metric's canonical unit, plus a note when the unit had to be assumed."""
    value = parse_number(num)
    unit, factor = unit_of(unit_text)
    wanted = _DEFAULT_UNIT.get(key, "ms")
    if unit == wanted or (unit and wanted == ""):
        return scaled(value, factor), unit if wanted else "", None
    if wanted == "ratio" and not unit:
        # People state error rates in percent: "error rate 0.5" is 0.5 %, not half the requests.
        return value / 100, "ratio", "no unit given: read as a percentage"
    if wanted == "ms" and not unit:
        return value, "ms", "no unit given: read as ms"
    if wanted == "" or not unit:
        return value, wanted, None
    return scaled(value, factor), unit, f"unit {unit_text!r} is unusual for {key}"


def extract_metrics(text: str) -> list[TextMetric]:
    """Metrics stated in a chat message, in order of appearance. Never raises on any text."""
    text = text[:100_000]
    found: list[TextMetric] = []
    names = list(_NAME_RE.finditer(text))
    for i, name in enumerate(names):
        limit = min(name.end() + _WINDOW, names[i + 1].start() if i + 1 < len(names) else len(text))
        window = text[name.end():limit]
        # The value is the first number after the name, with only words or punctuation between.
        first = QUANTITY_RE.search(window)
        if not first or re.search(r"[\d\n]", window[: first.start()]):
            continue
        key = _key_for(name)
        nums = [(first.group("num"), first.group("unit"))]
        end = first.end()
        trans = _TRANSITION_RE.match(window, end)
        second = QUANTITY_RE.match(window, trans.end()) if trans else None
        if second:
            nums.append((second.group("num"), second.group("unit")))
            end = second.end()
            # "from 300 to 2000 ms": one unit written for both numbers.
            shared = nums[0][1] or nums[1][1]
            nums = [(n, u or shared) for n, u in nums]
        values = [_normalise(key, n, u) for n, u in nums]
        value, unit, note = values[-1]
        found.append(TextMetric(
            metric=key, value=value, unit=unit,
            before=values[0][0] if len(values) > 1 else None,
            raw=text[name.start(): name.end() + end], start=name.start(), end=name.end() + end,
            note=note,
        ))
    taken = [(m.start, m.end) for m in found]
    for m in _PERCENT_FIRST_RE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        found.append(TextMetric(metric="error_rate", value=scaled(parse_number(m.group("num")), 0.01),
                                unit="ratio", raw=m.group(0), start=m.start(), end=m.end()))
    return sorted(found, key=lambda t: t.start)


def format_value(value: float, unit: str) -> str:
    """A measurement as people write it: 812 ms, 1.8 s, 2%, 0.72, 1200 req/s."""
    if unit == "ms":
        if value >= 1000:
            return f"{value / 1000:.3g} s"
        return f"{value:.3g} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "ratio":
        return f"{value * 100:.3g}%"
    if unit == "B":
        return f"{value / 1000:.3g} kB" if value >= 1000 else f"{value:.0f} B"
    if unit:
        return f"{value:.4g} {unit}"
    return f"{value:.3g}"
