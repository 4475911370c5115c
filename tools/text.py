"""Small text helpers shared by the router, persona matching and free-text parsers."""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case and strip accents: 'Optimización' -> 'optimizacion', 'caché' -> 'cache'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


CHARS_PER_TOKEN = 3  # over-counts code and English (about 4 characters a token), so a budget holds


def estimate_tokens(value: Any) -> int:
    """The one token estimate: ceil(characters / CHARS_PER_TOKEN) of the text, or of a value's JSON.

    Used for budgets (history, handoff packets, the review excerpt without tiktoken, the cost
    ceiling); tokenizing every turn would cost more than the turn.
    """
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return -(-len(text) // CHARS_PER_TOKEN)
