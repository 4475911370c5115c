"""Numbers out of untrusted JSON, YAML and pstats input.

json.loads reads ``1e400`` and ``Infinity`` as inf and ``NaN`` as nan, keeps a 400-digit integer
as an int that float() and math.isfinite() refuse with OverflowError, and raises a plain
ValueError (not JSONDecodeError) for an integer of more than 4300 digits. None of those is a
measurement; parsers use :func:`finite` and :data:`TOO_MANY_DIGITS` to say so clearly.
"""

from __future__ import annotations

import math
from typing import Any

TOO_MANY_DIGITS = "a number with more than 4300 digits"


def finite(value: Any) -> float | None:
    """A JSON/YAML number as a finite float; None for inf, nan, out-of-range integers and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
