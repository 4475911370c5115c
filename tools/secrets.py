"""Credentials in text: find them (the review bot's finding) and mask them (before any text reaches an LLM).

Deterministic regexes for what people commit or paste by accident: keys with a known prefix,
private key blocks, bearer tokens, passwords inside URLs and ``password = "..."`` assignments.
Nothing here ever returns the secret itself: callers get its kind and span, or the masked text.

Two strengths: findings in code use the strict patterns (a quoted literal, so ``password =
get_password()`` is not reported); masking adds loose ones (``password=s3cr3t`` in a chat message),
because hiding a harmless word costs nothing and leaking a password costs a lot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (kind, pattern). Group "secret", when present, is the part to hide; else the whole match.
# Specific prefixes come before the generic assignment so a key is named by its issuer.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("private_key", re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)")),
    ("openai_api_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("aws_access_key_id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("aws_secret_access_key", re.compile(
        r"(?i)aws_?secret_?access_?key\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{40})")),
    ("slack_token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("password_in_url", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@\"']+:(?P<secret>[^\s@/\"']+)@")),
    ("hardcoded_password", re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)[\"']?"
        r"\s*[:=]\s*[\"'](?P<secret>[^\s\"']{8,})[\"']")),
]
# Masking only: what people paste in chat without quotes.
LOOSE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("bearer_token", re.compile(r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{20,})")),
    ("password_assignment", re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|contraseña)"
        r"\s*[:=]\s*[\"']?(?P<secret>[^\s\"',;]{4,})")),
]
# Every pattern above needs one of these (lower-cased) substrings: plain `in` checks skip the
# great majority of lines far faster than the regexes would.
_NEEDLES = ("private key", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "akia", "asia",
            "secret", "xox", "aiza", "_live_", "_test_", "eyj", "://", "passw", "pwd", "api_key", "api-key",
            "apikey", "token", "bearer", "contraseña")
# Values that are obviously placeholders, not credentials.
_PLACEHOLDER = re.compile(r"^(?:\$\{?\w+\}?|\{\{?[^}]*\}?\}|<[^>]*>|\*+|x+|\.\.\.|%\(?\w*\)?s|changeme)$", re.I)


@dataclass(frozen=True)
class SecretMatch:
    kind: str
    start: int  # span of the secret part within the scanned text
    end: int


def find_secrets(text: str, *, loose: bool = False) -> list[SecretMatch]:
    """Every credential-looking span in ``text`` (non-overlapping, in order)."""
    low = text.lower()
    if not any(needle in low for needle in _NEEDLES):
        return []
    found: list[SecretMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in PATTERNS + LOOSE_PATTERNS if loose else PATTERNS:
        for m in pattern.finditer(text):
            group = "secret" if "secret" in pattern.groupindex else 0
            start, end = m.span(group)
            if group and _PLACEHOLDER.match(m.group(group)):
                continue
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append(SecretMatch(kind, start, end))
    return sorted(found, key=lambda s: s.start)


def mask_secrets(text: str) -> str:
    """``text`` with every secret (loose patterns included) replaced by ``[masked:<kind>]``."""
    return mask_and_list_secrets(text)[0]


def mask_and_list_secrets(text: str) -> tuple[str, list[str]]:
    """(masked text, the kind of each secret hidden), for callers that report what they masked."""
    matches = find_secrets(text, loose=True)
    if not matches:
        return text, []
    parts: list[str] = []
    pos = 0
    for m in matches:
        parts += [text[pos:m.start], f"[masked:{m.kind}]"]
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts), [m.kind for m in matches]
