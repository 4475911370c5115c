"""Near-numbers for the parsers' fuzz tests, and the checks every parser's answer must pass.

A near-number passes one check and fails the next: '²' is str.isdigit() but int() refuses it, '.'
matches [\\d.]+ but float() refuses it, '1e400' is float('inf') and int(inf) raises, 5000 digits
are too many for int(), and json.loads reads Infinity, NaN and 1e400 without complaint.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from tools.errors import InputError

NEAR_NUMBERS = [
    "²", "١٢", "５", "١.٥", "١٢٣٤", ".", "-", "+", "", " ", "1e400", "-1e400", "1e308", "1e-400", "nan", "NaN",
    "inf", "-inf", "Infinity", "1_000", "0x10", "9" * 400, "9" * 5000, "-5", "-0", "0", "12ms", "1.5 s", "3µs",
    "2 MB", "50%", "1,000,000,000,000,000,000", "1.2.3",
]
# JSON values where a number is expected: non-finite, out of range, and of the wrong type.
JSON_NEAR_NUMBERS = [
    "Infinity", "-Infinity", "NaN", "1e400", "-1e400", "1e308", "1.7976931348623157e308", "5e-324", "-1", "0",
    "9" * 400, "9" * 5000, "null", "true", "false", "[]", "{}", '"12"', '"²"', '"1e400"', '"nan"', '"12ms"',
]

near_number = st.one_of(
    st.sampled_from(NEAR_NUMBERS),
    st.floats().map(repr),
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.text(alphabet="0123456789.,-+eE_%² ١٢５µms", max_size=12),
)
json_number = st.one_of(
    st.sampled_from(JSON_NEAR_NUMBERS),
    st.floats().map(json.dumps),  # Infinity and NaN included: json.loads reads them
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
)


def _refuse(constant: str):
    raise ValueError(f"{constant} is not JSON")


def strict_json(text: str):
    """Parse JSON refusing Infinity and NaN (what other JSON parsers do)."""
    return json.loads(text, parse_constant=_refuse)


def check_result(result) -> None:
    """A tool's result renders as strict JSON: no inf or nan anywhere in it."""
    from agent.render import to_jsonable

    json.dumps(to_jsonable(result), allow_nan=False)


def check_error(error: InputError) -> None:
    assert "\n" not in str(error), str(error)


def check_cli(code: int, out: str, err: str, *, json_output: bool = True) -> None:
    """Exit 0/1 with valid JSON, or 2 with one `path:line: message` line (or argparse's usage error);
    never a crash, which the CLI also turns into exit 2 but with 'internal error'."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 1, 2), (code, err)
    if code == 2 and err.startswith("usage:"):  # argparse refused an option value: usage, then one error line
        assert ": error: " in err.strip().splitlines()[-1], err
    elif code == 2:
        assert err.strip() and "\n" not in err.strip(), err
    elif json_output:
        strict_json(out)
