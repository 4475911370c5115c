"""Mask secrets before text leaves the machine (LLM calls, review comments).

Deterministic regexes for the credentials people paste by accident: API keys with a known prefix,
private key blocks, passwords inside connection URLs and ``password=...`` assignments. The masked
text keeps the shape (``sk-…[masked:openai_key]``) so a model can still reason about "a key was here".
"""

from __future__ import annotations

import re
from functools import lru_cache

# (kind, pattern). A pattern's group "secret" (when present) is the part to hide; otherwise the
# whole match is hidden. Order matters: specific prefixes before generic assignments.
# (kind, cheap substrings one of which must be present, pattern). A pattern's group "secret" (when
# present) is the part to hide; otherwise the whole match is hidden. Order matters: specific
# prefixes before generic assignments. The hints skip a regex scan when it cannot match: prompts
# are mostly free of secrets, and this runs on every message of every model call.
_PATTERNS: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [
    ("private_key", ("-----BEGIN",), re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)")),
    ("anthropic_key", ("sk-ant-",), re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("openai_key", ("sk-",), re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("github_token", ("gh", "github_pat_"), re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("aws_access_key", ("AKIA", "ASIA"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("slack_token", ("xox",), re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("google_api_key", ("AIza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("stripe_key", ("_live_", "_test_"), re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("jwt", ("eyJ",), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("bearer_token", ("bearer",), re.compile(r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{20,})")),
    ("url_password", ("://",), re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<secret>[^\s@/]+)@")),
    ("password", ("pass", "pwd", "secret", "key", "token", "contrase"), re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|contraseña)"
        r"\s*[:=]\s*[\"']?(?P<secret>[^\s\"',;]{4,})")),
]


def mask_secrets(text: str) -> tuple[str, list[str]]:
    """Return (masked text, kinds of the secrets found, one entry per occurrence)."""
    masked, found = _mask(text)
    return masked, list(found)


@lru_cache(maxsize=512)  # system prompts repeat on every call of a persona
def _mask(text: str) -> tuple[str, tuple[str, ...]]:
    found: list[str] = []
    lowered = text.lower()
    for kind, hints, pattern in _PATTERNS:
        if not any(h.lower() in lowered for h in hints):
            continue
        def hide(m: re.Match[str], kind: str = kind) -> str:
            found.append(kind)
            marker = f"[masked:{kind}]"
            if "secret" in m.re.groupindex and m.group("secret") is not None:
                start, end = m.span("secret")
                whole = m.group(0)
                return whole[: start - m.start()] + marker + whole[end - m.start():]
            head = m.group(0)[:3] if kind not in ("private_key", "jwt") else ""
            return f"{head}…{marker}" if head else marker

        text = pattern.sub(hide, text)
    return text, tuple(found)
