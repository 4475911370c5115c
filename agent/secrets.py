"""Mask secrets before text leaves the machine (LLM calls, review comments).

Deterministic regexes for the credentials people paste by accident: API keys with a known prefix,
private key blocks, passwords inside connection URLs and ``password=...`` assignments. The masked
text keeps the shape (``sk-…[masked:openai_key]``) so a model can still reason about "a key was here".
"""

from __future__ import annotations

import re

# (kind, pattern). A pattern's group "secret" (when present) is the part to hide; otherwise the
# whole match is hidden. Order matters: specific prefixes before generic assignments.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("private_key", re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)")),
    ("anthropic_key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("slack_token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("bearer_token", re.compile(r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{20,})")),
    ("url_password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<secret>[^\s@/]+)@")),
    ("password", re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|contraseña)"
        r"\s*[:=]\s*[\"']?(?P<secret>[^\s\"',;]{4,})")),
]


def mask_secrets(text: str) -> tuple[str, list[str]]:
    """Return (masked text, kinds of the secrets found, one entry per occurrence)."""
    found: list[str] = []
    for kind, pattern in _PATTERNS:
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
    return text, found
