"""Small text helpers shared by the router, persona matching and free-text parsers."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case and strip accents: 'Optimización' -> 'optimizacion', 'caché' -> 'cache'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
