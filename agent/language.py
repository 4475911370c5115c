"""Spanish or English? A deterministic guess from the prose of a message, and the runtime's phrases.

Plans, code and diffs are mostly English keywords whatever the user speaks, so only prose lines
count: fenced blocks and lines that look like plans or code are dropped before counting.
"""

from __future__ import annotations

import re

from tools.text import fold

_ES = frozenset(
    "de la el que en los las por para con una un es esta este como mi del se no muy mas pero porque "
    "tengo tiene hay cuando donde cual cuales hacer puedo necesito quiero tarda lento lenta consulta "
    "consultas endpoint despues antes sobre tambien ayuda ayudame deberia podrias revisa revisar al lo "
    "le nos estan son eso esto aqui ahora".split()
)
_EN = frozenset(
    "the is are and of to my with why how what this it slow for our we can could should does do in on "
    "query takes taking was were be please help me you your an which when where there that have has "
    "after before about also need want review check".split()
)
_FENCE = re.compile(r"```.*?(```|\Z)", re.S)
_CODE_LINE = re.compile(r"^\s*(->|[-+@]{1,3}\s|\s{2,}\S|[{}\[\]]|QUERY PLAN|\(\d+ rows?\)|"
                        r"(?:Planning|Execution) Time:)|cost=|actual time=")
_WORD = re.compile(r"[a-z]+")


def prose(text: str) -> str:
    """The lines a person wrote: fenced blocks and lines that look like plans or code dropped."""
    return "\n".join(line for line in _FENCE.sub(" ", text).splitlines() if not _CODE_LINE.search(line))


def detect_language(text: str) -> str:
    """'es' or 'en'. Spanish punctuation (¿ ¡ ñ) is decisive; otherwise function words are counted."""
    prose_text = prose(text)
    if any(ch in prose_text for ch in "¿¡ñÑ"):
        return "es"
    words = _WORD.findall(fold(prose_text))
    es = sum(w in _ES for w in words) + 2 * sum(ch in prose_text for ch in "áéíóú")
    en = sum(w in _EN for w in words)
    return "es" if es > en else "en"


# The runtime's own user-facing sentences, in both languages.
PHRASES: dict[str, dict[str, str]] = {
    "handoff": {
        "en": "→ handed off to {name}: {reason}",
        "es": "→ traspaso a {name}: {reason}",
    },
    "offer": {
        "en": "→ {name} could take this next ({reason}); ask with /{slug} or --persona {slug}",
        "es": "→ {name} podría seguir con esto ({reason}); pregúntale con /{slug} o --persona {slug}",
    },
    "hop_limit": {
        "en": "Handoff to {name} stopped: the hop limit ({limit}) is reached ({chain}). "
              "Ask {name} directly with /{slug} if you want their view.",
        "es": "Traspaso a {name} detenido: se alcanzó el límite de {limit} traspasos ({chain}). "
              "Pregunta a {name} directamente con /{slug} si quieres su opinión.",
    },
    "ping_pong": {
        "en": "Handoff loop stopped: {chain} would return to {name}, who already answered in this turn.",
        "es": "Bucle de traspasos detenido: {chain} volvería a {name}, que ya respondió en este turno.",
    },
    "max_cost": {
        "en": "Stopped before calling the model: this conversation has spent ${spent:.4f} and the next call "
              "would cost about ${next:.4f}, over the limit of ${limit:.4f} (--max-cost).",
        "es": "Detenido antes de llamar al modelo: esta conversación lleva ${spent:.4f} y la siguiente llamada "
              "costaría unos ${next:.4f}, por encima del límite de ${limit:.4f} (--max-cost).",
    },
    "masked": {
        "en": "Masked {count} secret(s) ({kinds}): neither the model nor the conversation store sees them.",
        "es": "Se ocultaron {count} secreto(s) ({kinds}): ni el modelo ni el historial guardado los ven.",
    },
    "empty": {
        "en": "{name} returned an empty answer.",
        "es": "{name} devolvió una respuesta vacía.",
    },
    "tool_limit": {
        "en": "Tool-call budget ({limit} rounds) used up; answering with what is known.",
        "es": "Presupuesto de herramientas ({limit} rondas) agotado; respondo con lo que se sabe.",
    },
}


def say(lang: str, key: str, **values) -> str:
    table = PHRASES[key]
    return table.get(lang, table["en"]).format(**values)
