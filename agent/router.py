"""Deterministic, offline router: which persona should answer this message?

Every persona contributes terms from its activates_on triggers, expertise, name, role and aliases,
and, with low weights, from its body: headings and metric names, then the words of its prose
and tables (the interaction table is skipped: it names other personas, not this one's work).
Terms are accent-folded, mapped from Spanish to a shared English vocabulary and lightly stemmed, so
"optimización", "optimize" and "optimization" meet, as do "consultas", "queries" and "query". A
small domain vocabulary adds the concept a word implies ("p99" → latency, "hpa" → autoscale), at a
reduced weight. Scoring walks an inverted index (term → personas) weighted by how rare a term is
across the team, so routing cost grows with the message, not with the number of personas.
Explicit mentions (`/perf`, `@performance-engineer`) always win.
"""

from __future__ import annotations

import bisect
import heapq
import math
import operator
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, Field

from agent.persona import Persona
from tools.text import fold

# Field weights: a trigger is the persona's own claim; body words are weak evidence.
WEIGHTS = {"alias": 3.0, "activates_on": 3.0, "expertise": 2.0, "name": 2.0, "role": 1.5,
           "heading": 0.6, "body": 0.25}
IMPLIED_WEIGHT = 0.7  # a concept the message implies counts less than a word it says
PHRASE_BONUS = 2.0  # every word of a multi-word trigger or expertise entry present
STRENGTH_SCALE = 3.0  # score at which strength reaches 1 - 1/e: a few body words, or part of one trigger
DEFAULT_FLOOR = 0.25
MIN_POSTING = 0.05  # index entries worth less than this cannot change a ranking; dropping them keeps lists short
MAX_REASONS = 12
TOP = 5  # personas ranked per message: the winner and its alternatives
_STRONG_WEIGHT = WEIGHTS["role"]  # a term at this weight or above counts fully in document frequency

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
    "plan de ejecucion": "explain", "planes de ejecucion": "explain", "query plan": "explain",
    "execution plan": "explain", "explain analyze": "explain",
    "event loop": "eventloop", "error budget": "errorbudget", "burn rate": "burnrate",
    "layout shift": "cls", "dead letter": "deadletter", "read replica": "replica",
    "connection pool": "connpool", "pool de conexiones": "connpool", "pool of connections": "connpool",
    "code splitting": "codesplit", "idle in transaction": "idletx", "transaction id": "xid",
    "high availability": "highavailability", "alta disponibilidad": "highavailability",
    "cache hit ratio": "hitratio", "hit ratio": "hitratio", "status code": "statuscode",
    "codigo de estado": "statuscode", "max_connections": "maxconnections",
    "too many connections": "maxconnections", "demasiadas conexiones": "maxconnections",
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
    "fiabilidad": "reliability", "disco": "disk", "nodo": "node", "postgresql": "postgres", "pg": "postgres",
    "k8s": "kubernetes", "reintento": "retry", "reintentar": "retry",
}
# Concepts a word implies: "slow" is a performance problem even if no trigger says "slow".
IMPLIES = {
    "slow": ("performance",), "fast": ("performance",), "latency": ("performance",),
    "p50": ("latency", "performance"), "p90": ("latency", "performance"),
    "p95": ("latency", "performance"), "p99": ("latency", "performance"),
    "bottleneck": ("performance",), "throughput": ("performance",), "apdex": ("performance",),
    "timeout": ("latency",),
    # Tools and products → the concept a persona claims.
    "asyncio": ("async",), "eventloop": ("async",), "await": ("async",), "coroutine": ("async",),
    "statuscode": ("api",), "graphql": ("api",), "openapi": ("api",),
    "kubectl": ("kubernetes",), "helm": ("kubernetes",), "pod": ("kubernetes",), "oomkilled": ("kubernetes",),
    "hpa": ("autoscale",), "keda": ("autoscale",),
    "psql": ("postgres",), "autovacuum": ("vacuum",), "pgbouncer": ("postgres",),
    "webpack": ("bundle",), "vite": ("bundle",), "rollup": ("bundle",), "esbuild": ("bundle",),
    "next.js": ("react", "ssr"), "nextjs": ("react", "ssr"),
    "lcp": ("webvitals",), "inp": ("webvitals",), "cls": ("webvitals",), "fid": ("webvitals",),
    "celery": ("queue", "worker"), "rabbitmq": ("queue",), "kafka": ("queue",), "sqs": ("queue",),
    "sqlalchemy": ("orm",), "django": ("orm",), "hibernate": ("orm",), "activerecord": ("orm",),
    "prisma": ("orm",),
}
# Words that say little on their own ("strategy" in "Caching strategies"): a fraction of their weight.
WEAK_WORDS = (
    "strategy", "pattern", "problem", "problema", "analysis", "management", "issue", "system",
    "service", "code", "best", "practice", "high", "time", "work", "use", "new", "general", "basic",
)
WEAK_FACTOR = 0.3
STOPWORDS = set(
    "a al algo como con cual cuando de del desde donde el ella en entre era es esa ese eso esta este esto "
    "estoy va van voy ir hay la las le lo los mas me mi mis muy no nos o para pero por porque que se si sin sobre su sus "
    "tambien te tengo tiene tu un una uno unos y ya yo puedo puedes podemos hace hacer necesito quiero "
    "the an and are as at be but by can could do does for from has have how i in into is it its me my of "
    "on or our please should so that this to was we what when where which why will with you your would "
    "help need want get got there their them they then than very just about also any some".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.+#][a-z0-9]+)*")
_MENTION = re.compile(r"(?:^|(?<=\s))[/@]([a-z][a-z0-9_-]*)")
_FENCED = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
_INTERACTION_TITLES = ("interaccion con otros roles", "interaction with other roles", "handoffs")


_IZ_SUFFIXES = ("izaciones", "izacion", "izations", "ization", "izando", "izing", "izar", "ized",
                "izes", "izado", "ize", "iza")
_AT_SUFFIXES = ("aciones", "acion", "ations", "ation")


def _stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(_IZ_SUFFIXES):  # one C-level check before trying suffixes one by one
        for suffix in _IZ_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)] + "iz"
    if word.endswith(_AT_SUFFIXES):
        for suffix in _AT_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)] + "at"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("ment") and len(word) > 7:
        return word[:-4]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


WEAK_TERMS = frozenset(_stem(w) for w in WEAK_WORDS)
# Keyed by stem, so "bottlenecks" implies what "bottleneck" does.
_IMPLIED_BY_STEM = {_stem(word): tuple(_stem(c) for c in concepts) for word, concepts in IMPLIES.items()}


@lru_cache(maxsize=8192)
def _normalize_token(tok: str) -> tuple[tuple[str, bool], ...]:
    """(canonical term, implied?) pairs for one token."""
    base = SYNONYMS.get(tok)
    if base is None and tok.startswith("cache"):
        base = "cache"  # Spanish conjugates the loanword: cachea, cacheamos, cacheado, cachees
    if base is None and tok.endswith("s"):
        base = SYNONYMS.get(tok[:-1]) or SYNONYMS.get(tok[:-2] if tok.endswith("es") else tok)
    stem = _stem(base or tok)
    return ((stem, False), *((c, True) for c in _IMPLIED_BY_STEM.get(stem, ())))


_IDENTIFIER = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b|(?:~|\.{0,2})?/[^\s]+")


@lru_cache(maxsize=4096)
def _analyze(text: str) -> tuple[tuple[str, bool], ...]:
    # snake_case identifiers (get_user, user_id) and file paths name the user's code, not the topic.
    folded = _IDENTIFIER.sub(" ", fold(text))
    for phrase, canon in PHRASES.items():
        if phrase in folded:
            folded = folded.replace(phrase, f" {canon} ")
    out: list[tuple[str, bool]] = []
    for tok in _TOKEN.findall(folded):
        if tok in STOPWORDS or len(tok) < 2 or tok.isdigit():
            continue  # a bare number ("10 minutos") says nothing about who should answer
        out.extend(_normalize_token(tok))
    return tuple(out)


def terms(text: str) -> tuple[str, ...]:
    """Canonical terms of a text, in order, duplicates kept (callers dedupe when they need to)."""
    return tuple(t for t, _ in _analyze(text))


def _said_terms(text: str) -> frozenset[str]:
    """The terms a text states itself, without implied concepts: what a persona claims."""
    return frozenset(t for t, implied in _analyze(text) if not implied)


def message_terms(text: str) -> dict[str, float]:
    """Each term of a message with its weight: 1 when said, IMPLIED_WEIGHT when only implied."""
    out: dict[str, float] = {}
    for t, implied in _analyze(text):
        w = IMPLIED_WEIGHT if implied else 1.0
        if w > out.get(t, 0.0):
            out[t] = w
    return out


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
class Router:
    personas: list[Persona]
    floor: float = DEFAULT_FLOOR
    fallback: str | None = None
    # term → [(persona index, score)], highest score first, and that first score (the term's bound)
    _index: dict[str, list[tuple[int, float]]] = field(default_factory=dict, repr=False)
    _bound: dict[str, float] = field(default_factory=dict, repr=False)
    _forward: list[dict[str, float]] = field(default_factory=list, repr=False)  # per persona: term → score
    # Multi-word triggers/expertise: (persona, terms), each filed under its rarest term only.
    _phrases_by_term: dict[str, list[tuple[int, frozenset[str]]]] = field(default_factory=dict, repr=False)
    _aliases: dict[str, int] = field(default_factory=dict, repr=False)
    _sorted_aliases: list[str] = field(default_factory=list, repr=False)
    # Per persona, for explanations: its phrases as "field: text" labels in field order, the label
    # positions of each term, and the terms only its body has.
    _labels: list[list[str]] = field(default_factory=list, repr=False)
    _label_positions: list[dict[str, list[int]]] = field(default_factory=list, repr=False)
    _body_only: list[frozenset[str]] = field(default_factory=list, repr=False)

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
        phrases_found: list[tuple[int, frozenset[str]]] = []
        for idx, p in enumerate(self.personas):
            phrases = [("alias", a) for a in p.aliases]
            phrases += [("activates_on", t) for t in p.activates_on]
            phrases += [("expertise", e) for e in p.expertise]
            phrases += [("name", p.name), ("role", p.role)]
            phrases += [("heading", h) for h in _heading_keys(p)]
            labels: list[str] = []
            positions: dict[str, list[int]] = {}
            for fld, text in phrases:
                ts = _said_terms(text)
                if not ts:
                    continue
                for t in ts:
                    positions.setdefault(t, []).append(len(labels))
                    weights[(t, idx)] = max(weights.get((t, idx), 0.0), _weight(t, fld))
                labels.append(f"{fld}: {text}")
                if len(ts) > 1 and fld != "heading":
                    phrases_found.append((idx, ts))
            body = _said_terms(_body_text(p))
            for t in body:
                weights[(t, idx)] = max(weights.get((t, idx), 0.0), _weight(t, "body"))
            self._labels.append(labels)
            self._label_positions.append(positions)
            self._body_only.append(body.difference(positions))
            for alias in [p.slug, *p.aliases, fold(p.name).replace(" ", "")]:
                self._aliases[fold(alias)] = idx
        self._sorted_aliases = sorted(self._aliases)
        # Document frequency where a weak (body) mention counts as a fraction of a persona, so a
        # word one persona claims and others merely use stays distinctive. BM25's idf: a term
        # nearly every persona has is worth almost nothing, and its postings are dropped.
        n = len(self.personas)
        df: dict[str, float] = defaultdict(float)
        for (t, _), w in weights.items():
            df[t] += min(1.0, w / _STRONG_WEIGHT)
        self._forward = [{} for _ in self.personas]
        for (t, idx), w in weights.items():
            d = max(df[t], 1.0)  # weak-only terms get no rarity boost
            score = w * math.log2(1.0 + (n - d + 0.5) / (d + 0.5))
            if score >= MIN_POSTING:
                self._index.setdefault(t, []).append((idx, score))
                self._forward[idx][t] = score
        for postings in self._index.values():
            postings.sort(key=lambda posting: -posting[1])
        self._bound = {t: postings[0][1] for t, postings in self._index.items()}
        for idx, ts in phrases_found:
            rarest = min(ts, key=lambda t: (len(self._index.get(t, ())), t))
            self._phrases_by_term.setdefault(rarest, []).append((idx, ts))

    def resolve_mention(self, name: str) -> str | None:
        """`perf`, `performance-engineer`, `data` → a slug, when it names exactly one persona."""
        name = fold(name)
        if name in self._aliases:
            return self.personas[self._aliases[name]].slug
        hits = set()
        for alias in self._sorted_aliases[bisect.bisect_left(self._sorted_aliases, name):]:
            if not alias.startswith(name):
                break
            hits.add(self._aliases[alias])
            if len(hits) > 1:
                return None
        return self.personas[hits.pop()].slug if hits else None

    def scores(self, msg: dict[str, float], top: int = TOP) -> dict[int, float]:
        """Exact scores of every persona that can rank in the ``top`` for these message terms.

        MaxScore: terms are walked from the highest possible contribution down. Once what the
        remaining terms could add at most is below the current ``top``-th score, no persona not
        seen yet can reach the top, so those terms' posting lists (the common words, the long
        lists) are not walked: the personas still in reach get them from their forward index.
        """
        scores: dict[int, float] = {}
        for t in msg:
            for idx, ts in self._phrases_by_term.get(t, ()):
                if ts.issubset(msg):
                    scores[idx] = scores.get(idx, 0.0) + PHRASE_BONUS
        ordered = sorted(((self._bound[t] * mw, t, mw) for t, mw in msg.items() if t in self._bound), reverse=True)
        left = sum(bound for bound, _, _ in ordered)
        for i, (bound, t, mw) in enumerate(ordered):
            if len(scores) >= top and left < (threshold := _kth_largest(scores, top)):
                reach = [idx for idx, sc in scores.items() if sc + left >= threshold]
                rest = [(t2, mw2) for _, t2, mw2 in ordered[i:]]
                # Lookups for the personas in reach, unless walking the lists is cheaper.
                if len(reach) * len(rest) <= sum(len(self._index[t2]) for t2, _ in rest):
                    return {idx: scores[idx] + sum(self._forward[idx].get(t2, 0.0) * mw2 for t2, mw2 in rest)
                            for idx in reach}
            get = scores.get
            for idx, w in self._index[t]:
                scores[idx] = get(idx, 0.0) + w * mw
            left -= bound
        return scores

    def route(self, message: str) -> RouteResult:
        for mention in _MENTION.findall(fold(message)):
            slug = self.resolve_mention(mention)
            if slug:
                return RouteResult(persona=slug, confidence=1.0, matched=[f"mention: {mention}"],
                                   explicit=True, reason=f"explicit mention of {slug}")
        msg = message_terms(message)
        scores = self.scores(msg)
        # (score, -index) tuples compare in C; equal scores go to the persona listed first.
        pairs = zip(scores.values(), map(operator.neg, scores), strict=True)
        ranked = [(-neg, sc) for sc, neg in heapq.nlargest(TOP, pairs)]
        alternatives = [Alternative(persona=self.personas[i].slug, score=round(sc, 3)) for i, sc in ranked]
        if not ranked or ranked[0][1] <= 0:
            return RouteResult(persona=self.fallback, confidence=0.0, alternatives=alternatives,
                               fallback=True, reason="no persona's triggers match this message")
        top, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        strength = 1.0 - math.exp(-s1 / STRENGTH_SCALE)
        lead = (s1 - s2) / s1  # 1 when nobody else matched, 0 on a tie
        confidence = round(strength * lead, 3)
        reasons = self._explain(top, msg)
        slug = self.personas[top].slug
        if confidence < self.floor:
            return RouteResult(persona=self.fallback, confidence=confidence, matched=reasons,
                               alternatives=alternatives, fallback=True,
                               reason=f"best match {slug} is below the confidence floor {self.floor}")
        return RouteResult(persona=slug, confidence=confidence, matched=reasons,
                           alternatives=alternatives[1:], reason=f"matched {len(reasons)} terms of {slug}")

    def _explain(self, idx: int, msg: dict[str, float]) -> list[str]:
        """The persona's phrases that share a term with the message (strongest field first), then
        the message terms only its body has."""
        positions = self._label_positions[idx]
        hit = sorted({pos for t in msg for pos in positions.get(t, ())})
        out = [self._labels[idx][pos] for pos in hit]
        out += [f"body: {t}" for t in sorted(msg) if t in self._body_only[idx]]
        return out[:MAX_REASONS]


def _kth_largest(scores: dict[int, float], k: int) -> float:
    return heapq.nlargest(k, scores.values())[-1] if len(scores) >= k else 0.0


def _weight(term: str, fld: str) -> float:
    return WEIGHTS[fld] * (WEAK_FACTOR if term in WEAK_TERMS else 1.0)


def _interaction(title: str) -> bool:
    return any(t in fold(title) for t in _INTERACTION_TITLES)


def _heading_keys(p: Persona) -> list[str]:
    """Section titles and the first column of tables (metric names), except the interaction table."""
    keys = [s.title for s in p.walk_sections() if s.level >= 2 and not _interaction(s.title)]
    for table in p.tables:
        if _interaction(table.section) or not table.headers:
            continue
        keys += [row.get(table.headers[0], "") for row in table.rows]
    return [k for k in keys if k]


def _body_text(p: Persona) -> str:
    """Prose and tables of every section except the interaction table. Code blocks are left out:
    they triple the text to index and, measured on the labelled sets, add no routing accuracy."""
    return "\n".join(_FENCED.sub(" ", s.text) for s in p.walk_sections() if not _interaction(s.title))
