"""PERF190 secret_in_diff: is this added line a credential that works somewhere real?

tools/secrets.py finds everything secret-looking (recall first: it all gets masked before an LLM or an
output sees it). Whether it deserves a finding, and at what severity, is decided here from four things:

- **what it is**: a known token format (an issuer's prefix: `ghp_`, `AKIA`, `sk_live_`, a private key)
  says more than a value next to the word "password";
- **the name** it is assigned to: an environment-style setting (`DB_PASSWORD`, `STRIPE_SECRET`) is
  configuration, a `password=` keyword in a call is usually a test login;
- **the value**: placeholders (`changeme`, `your-api-key`, `${DB_PASSWORD}`, `EXAMPLE`), words
  (`"password": "Passwort"` in a catalogue), paths, and the well-known `guest:guest` are not secrets;
  otherwise length, character classes and entropy tell a random credential from a weak one;
- **where** it is (tools/codecheck/context.py): application code, or tests, docs, examples, CI
  containers, translation catalogues, vendored files.

Nothing returned quotes the value: messages name the kind and the setting, evidence too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from tools.findings import Severity
from tools.secrets import KNOWN_TOKENS, find_secrets

KNOWN = frozenset({r.kind for r in KNOWN_TOKENS} | {"slack_webhook", "discord_webhook", "aws_secret_access_key"})
ASSIGNMENTS = frozenset({"hardcoded_password", "password_assignment", "secret_assignment"})
# Token formats whose samples are everywhere (JWTs in fixtures and docs): a warning at most.
SOFT_KNOWN = frozenset({"jwt"})
_PLACEHOLDER_WORDS = re.compile(
    r"example|sample|dummy|fake|placeholder|change[-_ ]?(?:me|this|it)|replace|redacted|your[-_ ]|(?:^|[-_])my[-_]|"
    r"insecure|\btodo\b|xxx|\*\*\*|secret|password|passwd|^test|[-_]test|test[-_]|^foo|^bar|^demo|^default|"
    r"^admin$|^root$|^guest$|^user(name)?$|^pass$|^none$|^null$|^empty$|^string$|^token$|^value$", re.I)
_TEMPLATE = re.compile(r"^(?:\$\{?[\w.]+\}?|\$\(.*\)|\{\{.*\}\}|\{[\w.]*\}|<[^>]*>|%\(?\w*\)?[sd]|%\w+%|@\w+@|"
                       r"\*+|x+|X+|\.\.\.|…|-+)$")
_WORDS = re.compile(r"^[^\W\d_]+(?:[ _.,:/'-]+[^\W\d_]+)*[.!?:]?$")
# Dotted names and paths: a module ("pkg.mod:Class"), a file ("models/users/token.md"), a Redis key prefix.
_CODE_OR_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:[./:][A-Za-z_][\w-]*)+(?:\.\w+)?$")
# Source files: a credential there is a string literal; an unquoted value is code (`token = resp.data`).
_CODE_FILE = re.compile(r"\.(py|pyi|js|jsx|mjs|cjs|ts|tsx|vue|svelte|go|rb|java|kt|php|cs|swift|rs|scala|map)$")
_LOOSE_ONLY = frozenset({"token_in_url"})  # https://<public key>@host (Sentry DSNs): info at most
_SHELL_NAMES = frozenset({"PWD", "OLDPWD"})
_NAME_BEFORE = re.compile(r"([A-Za-z_][\w.-]*)\\?[\"']?\s*[:=]\s*\\?[\"'`]?$")


@dataclass
class SecretHit:
    severity: Severity
    column: int
    message: str
    evidence: dict = field(default_factory=dict)


def judge(text: str, path: str, context: str) -> list[SecretHit]:
    """The secrets in one added line worth a finding, with the severity their kind, name, value and
    place earn; placeholders, words and well-known defaults give none."""
    if context == "vendored":
        return []  # minified libraries and vendored code: dictionaries, not credentials
    out = []
    code_file = _CODE_FILE.search(path) is not None
    for match in find_secrets(text, loose=True):
        value = text[match.start:match.end]
        name = match.name or _name_before(text, match.start)
        if code_file and match.kind not in KNOWN and match.kind != "password_in_url" and not _quoted(text, match):
            continue  # `token = response.data.value`, `apiKey: PropTypes.string`: code, not a literal
        severity, strength = _severity(match.kind, value, name, text, match.start, context)
        if severity is None:
            continue
        out.append(SecretHit(severity, match.start + 1, _message(match.kind, name, strength, context),
                             {"secret_kind": match.kind, "strength": strength, "path_kind": context,
                              **({"setting": name} if name and match.kind in ASSIGNMENTS else {})}))
    return out


def _severity(kind: str, value: str, name: str | None, text: str, start: int,
              context: str) -> tuple[Severity | None, str]:
    if kind in KNOWN:
        if re.search(r"example|EXAMPLE|xxxx|XXXX|0000000000|1234567890", value) or (
                kind != "private_key" and _strength(_body(value)) == "weak"):
            return None, "placeholder"
        if kind in SOFT_KNOWN:
            return ("warning" if context == "app" else "info"), "known format"
        return ({"app": "error", "ci": "error", "example": "warning", "docs": "warning"}.get(context, "info"),
                "known format")
    if context == "i18n" or (name and name.upper() in _SHELL_NAMES):
        return None, "not a secret"
    if kind in _LOOSE_ONLY:
        return ("info" if context == "app" and _strength(value) == "strong" else None), "public key in a URL"
    if _placeholder(value, kind, text, start):
        return None, "placeholder"
    strength = _strength(value)
    env_style = bool(name) and re.fullmatch(r"[A-Z][A-Z0-9_]*", name.rsplit(".", 1)[-1] or "") is not None
    if context != "app":
        return ("info" if strength != "weak" else None), strength
    if kind in ASSIGNMENTS or kind == "password_in_url":
        if strength == "strong":
            return "error", strength
        if strength == "moderate":
            return ("warning" if env_style or kind == "password_in_url" else "info"), strength
        return ("info" if env_style else None), strength
    # Headers, command lines, cookies, SQL and XML passwords: the loose forms, a warning at most.
    return ("warning" if strength == "strong" else "info" if strength == "moderate" else None), strength


def _placeholder(value: str, kind: str, text: str, start: int) -> bool:
    v = value.strip().strip("\"'`")
    if len(v) < 4 or _TEMPLATE.match(v) or _PLACEHOLDER_WORDS.search(v):
        return True
    if v.startswith(("/", "./", "~/", "http://", "https://")) or " " in v or _CODE_OR_PATH.match(v):
        return True  # a path, a URL, a module or key name, or words
    user_pass = v.split(":")
    if len(user_pass) == 2 and user_pass[0] == user_pass[1]:
        return True  # dispatch:dispatch
    if _WORDS.match(v) and (re.search(r"[ _.,:/'-]", v) or not _random_letters(v)):
        return True  # "Passwort", "Enter_the_Client_Secret_Here": words, not a credential
    if len(set(v)) <= 2 or v.lower() in ("12345678", "123456789", "1234567890", "abcdefgh", "qwertyui"):
        return True
    if kind == "password_in_url":
        user = re.search(r"://([^:/@\s]*):$", text[:start])
        if user and user.group(1) and user.group(1) == v:
            return True  # guest:guest, ctfd:ctfd: the user name again
    return False


def _random_letters(v: str) -> bool:
    """Letters only, yet random: long, mixed case, high entropy (a token without digits)."""
    return len(v) >= 20 and v != v.lower() and v != v.upper() and _entropy(v) >= 3.5 and \
        sum(c.isupper() for c in v[1:]) >= 3


def _quoted(text: str, match) -> bool:
    """The value is a string literal: a quote right before it and the same quote right after."""
    before = text[match.start - 1] if match.start > 0 else ""
    after = text[match.end] if match.end < len(text) else ""
    return before in "\"'`" and before != "" and after == before


def _strength(value: str) -> str:
    """strong (random, long), moderate (a real-looking password), or weak."""
    v = value
    classes = sum((any(c.islower() for c in v), any(c.isupper() for c in v), any(c.isdigit() for c in v),
                   any(not c.isalnum() for c in v)))
    entropy = _entropy(v)
    if (len(v) >= 16 and entropy >= 3.5 and classes >= 2) or (len(v) >= 12 and entropy >= 3.2 and classes >= 3):
        return "strong"
    if len(v) >= 8 and classes >= 2 and entropy >= 2.5:
        return "moderate"
    return "weak"


def _entropy(v: str) -> float:
    if not v:
        return 0.0
    counts = Counter(v)
    return -sum(n / len(v) * math.log2(n / len(v)) for n in counts.values())


def _body(token: str) -> str:
    """A token without its issuer prefix (ghp_, sk_live_, AKIA...), for the entropy check."""
    return re.sub(r"^(?:[a-z]+[_-](?:live|test|proj|ant)?[_-]?|AKIA|ASIA|A3T[A-Z0-9]|hooks\.slack\.com/\w+/)", "",
                  token)


def _name_before(text: str, start: int) -> str | None:
    m = _NAME_BEFORE.search(text[:start])
    return m.group(1) if m else None


_KIND_WORDS = {"password_in_url": "a password in a URL", "private_key": "a private key",
               "aws_access_key_id": "an AWS access key ID", "aws_secret_access_key": "an AWS secret access key",
               "github_token": "a GitHub token", "slack_webhook": "a Slack webhook URL", "jwt": "a JWT"}


def _message(kind: str, name: str | None, strength: str, context: str) -> str:
    what = _KIND_WORDS.get(kind)
    if what is None:
        what = f"a {kind.replace('_', ' ')}" if kind in KNOWN else "a literal credential"
    if name and kind in ASSIGNMENTS:
        what += f" in `{name}`"
    where = "" if context == "app" else f" (in {context} code: lower severity)" if context != "docs" \
        else " (in the docs: lower severity)"
    return (f"{what} is added here{where}; it is masked before any text is sent to an LLM, but it is now in the "
            "repository history")
