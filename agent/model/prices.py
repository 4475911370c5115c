"""Prices: USD per million tokens, per model, for the cost ledger.

No built-in table: prices change, and a wrong number is worse than "unpriced". Set LMAGENT_PRICES
or ``[tool.lmagent.prices]`` in pyproject.toml.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.model.protocol import Usage


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, usage: Usage) -> float:
        return (usage.prompt_tokens * self.input_per_mtok + usage.completion_tokens * self.output_per_mtok) / 1e6


def _parse_price(value: Any) -> Price:
    if isinstance(value, dict):
        return Price(float(value["input"]), float(value["output"]))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return Price(float(value[0]), float(value[1]))
    if isinstance(value, str) and "/" in value:
        a, b = value.split("/", 1)
        return Price(float(a), float(b))
    raise ValueError(f"price must be [input, output], {{input, output}} or 'in/out', got {value!r}")


def load_prices(pyproject: Path | None = None) -> dict[str, Price]:
    """Prices from pyproject.toml ``[tool.lmagent.prices]``, overridden by LMAGENT_PRICES.

    LMAGENT_PRICES is JSON (``{"gpt-4o-mini": [0.15, 0.6]}``) or ``model=in/out,model=in/out``.
    """
    from tools.errors import InputError

    prices: dict[str, Price] = {}
    path = pyproject or Path.cwd() / "pyproject.toml"
    if path.is_file():
        import tomllib

        try:
            table = tomllib.loads(path.read_text()).get("tool", {}).get("lmagent", {}).get("prices", {})
            prices.update({m: _parse_price(v) for m, v in table.items()})
        except (tomllib.TOMLDecodeError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"bad [tool.lmagent.prices]: {exc}", str(path)) from None
    raw = os.environ.get("LMAGENT_PRICES", "").strip()
    if raw:
        try:
            if raw.startswith("{"):
                prices.update({m: _parse_price(v) for m, v in json.loads(raw).items()})
            else:
                for item in filter(None, (s.strip() for s in raw.split(","))):
                    model, value = item.split("=", 1)
                    prices[model.strip()] = _parse_price(value.strip())
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"bad LMAGENT_PRICES: {exc}", "LMAGENT_PRICES") from None
    return prices
