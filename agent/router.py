"""Deterministic, offline router: which persona should answer this message?

Every persona contributes terms from its activates_on triggers, expertise, name, role, aliases and
(with a low weight) the headings and metric names of its body. Terms are accent-folded, mapped
from Spanish to a shared English vocabulary and lightly stemmed, so "optimización", "optimize" and
"optimization" meet, as do "consultas", "queries" and "query". Scoring walks an inverted index
(term → personas), weighted by how rare a term is across the team, so routing cost grows with the
message, not with the number of triggers. Explicit mentions (`/perf`, `@performance-engineer`)
always win.
"""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, Field

from agent.persona import Persona
from tools.text import fold

# Field weights: a trigger is the persona's own claim; body words are weak evidence.
WEIGHTS = {"alias": 3.0, "activates_on": 3.0, "expertise": 2.0, "name": 2.0, "role": 1.5, "body": 0.6}
PHRASE_BONUS = 2.0  # every word of a multi-word trigger present
DEFAULT_FLOOR = 0.25

# Multi-word Spanish/English expressions folded into one canonical term before tokenizing.
PHRASES = {
    "cuello de botella": "bottleneck", "cuellos de botella": "bottleneck",
    "base de datos": "database", "bases de datos": "database",
    "prueba de carga": "loadtest", "pruebas de carga": "loadtest", "test de carga": "loadtest",
    "load testing": "loadtest", "load test": "loadtest", "load tests": "loadtest", "stress test": "loadtest",
    "tiempo de respuesta": "latency", "tiempos de respuesta": "latency", "response time": "latency",
    "core web vitals": "webvitals", "web vitals": "webvitals",
    "n+1": "nplus1", "n + 1": "nplus1",
    "tasa de error": "errorrate", "error rate": "errorrate",
    "plan de ejecucion": "explain", "query plan": "explain", "execution plan": "explain",
}
# Spanish (and spelling variants) → the shared vocabulary. Keys are folded, singular.
SYNONYMS = {
    "consulta": "query", "rendimiento": "performance", "desempeno": "performance",
    "lento": "slow", "lenta": "slow", "lentitud": "slow", "tarda": "slow", "tardan": "slow", "demora": "slow",
    "indice": "index", "indices": "index", "cache": "cache", "cachear": "cache", "cacheo": "cache",
    "escalabilidad": "scalability", "escalar": "scale", "escalado": "scale", "escala": "scale",
    "latencia": "latency", "carga": "load", "prueba": "test", "despliegue": "deploy", "desplegar": "deploy",
    "tabla": "table", "memoria": "memory", "servidor": "server", "navegador": "browser", "imagen": "image",
    "pagina": "page", "bloqueo": "lock", "replicacion": "replication", "monitoreo": "monitoring",
    "monitorizacion": "monitoring", "metrica": "metric", "alerta": "alert", "contenedor": "container",
    "errores": "error", "tasa": "rate", "optimizar": "optimize", "mejorar": "improve", "tiempo": "time",
    "respuesta": "response", "rapido": "fast", "costo": "cost", "coste": "cost",
    "infraestructura": "infrastructure", "almacenamiento": "storage", "particion": "partition",
    "esquema": "schema", "migracion": "migration", "tuberia": "pipeline", "perfilado": "profiling",
    "perfil": "profile", "traza": "trace", "trazas": "trace", "compilacion": "build", "paquete": "bundle",
    "componente": "component", "renderizado": "render", "renderizar": "render", "hilo": "thread",
    "concurrencia": "concurrency", "capacidad": "capacity", "disponibilidad": "availability",
    "registro": "log", "registros": "log", "almacen": "warehouse", "sql": "sql", "ram": "memory",
    "fuga": "leak", "cola": "queue", "colas": "queue", "frontend": "frontend", "backend": "backend",
    "endpoints": "endpoint", "vacio": "vacuum", "analisis": "analysis", "vistas": "view",
    "autoscaling": "autoscale", "autoescalado": "autoscale", "nube": "cloud", "red": "network",
    "transaccion": "transaction", "interbloqueo": "deadlock", "optimizacion": "optimize",
}
# Concepts a word implies: "slow" is a performance problem even if no trigger says "slow".
IMPLIES = {
    "slow": ("performance",), "fast": ("performance",), "latency": ("performance",),
    "p50": ("latency", "performance"), "p90": ("latency", "performance"),
    "p95": ("latency", "performance"), "p99": ("latency", "performance"),
    "bottleneck": ("performance",), "throughput": ("performance",), "apdex": ("performance",),
    "timeout": ("latency",),
}
STOPWORDS = set(
    "a al algo como con cual cuando de del desde donde el ella en entre era es esa ese eso esta este esto "
    "estoy hay la las le lo los mas me mi mis muy no nos o para pero por porque que se si sin sobre su sus "
    "tambien te tengo tiene tu un una uno unos y ya yo puedo puedes podemos hace hacer necesito quiero "
    "the an and are as at be but by can could do does for from has have how i in into is it its me my of "
    "on or our please should so that this to was we what when where which why will with you your would "
    "help need want get got there their them they then than very just about also any some".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.+#][a-z0-9]+)*")
_MENTION = re.compile(r"(?:^|(?<=\s))[/@]([a-z][a-z0-9_-]*)")


def _stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("izaciones", "izacion", "izations", "ization", "izando", "izing", "izar", "ized",
                   "izes", "izado", "ize", "iza"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + "iz"
    for suffix in ("aciones", "acion", "ations", "ation"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + "at"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


@lru_cache(maxsize=8192)
def _normalize_token(tok: str) -> tuple[str, ...]:
    base = SYNONYMS.get(tok)
    if base is None and tok.endswith("s"):
        base = SYNONYMS.get(tok[:-1]) or SYNONYMS.get(tok[:-2] if tok.endswith("es") else tok)
    word = base or tok
    out = [_stem(word)]
    out += [_stem(w) for w in IMPLIES.get(word, ())]
    return tuple(out)


@lru_cache(maxsize=4096)
def terms(text: str) -> tuple[str, ...]:
    """Canonical terms of a text, in order, duplicates kept (callers dedupe when they need to)."""
    folded = fold(text)
    for phrase, canon in PHRASES.items():
        if phrase in folded:
            folded = folded.replace(phrase, f" {canon} ")
    out: list[str] = []
    for tok in _TOKEN.findall(folded):
        if tok in STOPWORDS or len(tok) < 2:
            continue
        out.extend(_normalize_token(tok))
    return tuple(out)


class Alternative(BaseModel):
    persona: str
    score: float


class RouteResult(BaseModel):
    persona: str
    confidence: float
    matched: list[str] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    explicit: bool = False  # chosen by an explicit /mention
    fallback: bool = False  # confidence below the floor: the fallback persona answers
    reason: str = ""


@dataclass
class _Source:
    """One phrase of a persona (a trigger, an expertise entry...) that can explain a match."""

    persona: int
    field: str
    text: str
    terms: frozenset[str]


@dataclass
class Router:
    personas: list[Persona]
    floor: float = DEFAULT_FLOOR
    fallback: str | None = None
    _index: dict[str, list[tuple[int, float]]] = field(default_factory=dict, repr=False)
    _sources_by_term: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _sources: list[_Source] = field(default_factory=list, repr=False)
    _aliases: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.personas:
            raise ValueError("a router needs at least one persona")
        if self.fallback is None:
            wanted = os.environ.get("LMAGENT_FALLBACK_PERSONA", "performance-engineer")
            slugs = [p.slug for p in self.personas]
            self.fallback = wanted if wanted in slugs else slugs[0]
        floor = os.environ.get("LMAGENT_ROUTE_FLOOR")
        if floor:
            self.floor = float(floor)
        self._build()

    def _build(self) -> None:
        weights: dict[tuple[str, int], float] = {}
        for idx, p in enumerate(self.personas):
            phrases = [("alias", a) for a in p.aliases]
            phrases += [("activates_on", t) for t in p.activates_on]
            phrases += [("expertise", e) for e in p.expertise]
            phrases += [("name", p.name), ("role", p.role)]
            phrases += [("body", b) for b in _body_keys(p)]
            for fld, text in phrases:
                ts = frozenset(terms(text))
                if not ts:
                    continue
                src = len(self._sources)
                self._sources.append(_Source(idx, fld, text, ts))
                for t in ts:
                    key = (t, idx)
                    weights[key] = max(weights.get(key, 0.0), WEIGHTS[fld])
                    self._sources_by_term.setdefault(t, []).append(src)
            for alias in [p.slug, *p.aliases, fold(p.name).replace(" ", "")]:
                self._aliases[fold(alias)] = idx
        n = len(self.personas)
        df: dict[str, int] = defaultdict(int)
        for t, _ in weights:
            df[t] += 1
        for (t, idx), w in weights.items():
            idf = math.log(1.0 + n / df[t]) / math.log(2.0)  # 1.0 when every persona has the term
            self._index.setdefault(t, []).append((idx, w * idf))

    def resolve_mention(self, name: str) -> str | None:
        """`perf`, `performance-engineer`, `data` → a slug, when it names exactly one persona."""
        name = fold(name)
        if name in self._aliases:
            return self.personas[self._aliases[name]].slug
        hits = {
            idx
            for alias, idx in self._aliases.items()
            if alias.startswith(name) or any(part.startswith(name) for part in alias.split("-")[:1])
        }
        return self.personas[hits.pop()].slug if len(hits) == 1 else None

    def route(self, message: str) -> RouteResult:
        for mention in _MENTION.findall(fold(message)):
            slug = self.resolve_mention(mention)
            if slug:
                return RouteResult(persona=slug, confidence=1.0, matched=[f"mention: {mention}"],
                                   explicit=True, reason=f"explicit mention of {slug}")
        msg_terms = set(terms(message))
        scores: dict[int, float] = defaultdict(float)
        for t in msg_terms:
            for idx, w in self._index.get(t, ()):
                scores[idx] += w
        # Phrase bonus and explanations come from the phrases whose words the message contains.
        hit_terms: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for t in msg_terms:
            for src in self._sources_by_term.get(t, ()):
                s = self._sources[src]
                hit_terms[src][s.text].add(t)
        matched: dict[int, list[str]] = defaultdict(list)
        for src, by_text in hit_terms.items():
            s = self._sources[src]
            got = by_text[s.text]
            if len(s.terms) > 1 and got >= s.terms and s.field != "body":
                scores[s.persona] += PHRASE_BONUS
            label = f"{s.field}: {s.text}"
            if s.field != "body" or len(matched[s.persona]) < 8:
                matched[s.persona].append(label)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        alternatives = [Alternative(persona=self.personas[i].slug, score=round(sc, 3)) for i, sc in ranked]
        if not ranked or ranked[0][1] <= 0:
            return RouteResult(persona=self.fallback, confidence=0.0, alternatives=alternatives,
                               fallback=True, reason="no persona's triggers match this message")
        top, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        strength = 1.0 - math.exp(-s1 / 3.0)
        margin = s1 / (s1 + s2)
        confidence = round(strength * margin, 3)
        order = {"alias": 0, "activates_on": 1, "expertise": 2, "name": 3, "role": 4, "body": 5}
        reasons = sorted(set(matched[top]), key=lambda m: (order[m.split(":")[0]], m))
        slug = self.personas[top].slug
        if confidence < self.floor:
            return RouteResult(persona=self.fallback, confidence=confidence, matched=reasons,
                               alternatives=alternatives[:5], fallback=True,
                               reason=f"best match {slug} is below the confidence floor {self.floor}")
        return RouteResult(persona=slug, confidence=confidence, matched=reasons,
                           alternatives=alternatives[1:5], reason=f"matched {len(reasons)} terms of {slug}")


def _body_keys(p: Persona) -> list[str]:
    """Weak evidence from the body: section titles and the first column of its tables."""
    keys = [s.title for s in p.walk_sections() if s.level >= 2]
    for table in p.tables:
        first = table.headers[0] if table.headers else None
        keys += [row.get(first, "") for row in table.rows] if first else []
    return [k for k in keys if k]
