"""Credentials in text: find them (the review bot's finding) and mask them (before any text reaches an
LLM, the conversation store or any output).

Deterministic regexes for what people commit or paste by accident: tokens with a known format
(cloud, forge, chat and payment keys, JWTs, private key blocks), credentials inside URLs,
Authorization headers, and ``NAME = value`` settings whose name says they hold a secret, in every
syntax people paste: ``.env`` and shell (``export DB_PASSWORD=…``), YAML, JSON (also JSON-escaped
inside JSON), TOML, connection strings (``Password=…;AccountKey=…``), command lines (``--password
…``, ``curl -u user:pw``, ``mysql -p…``), SQL (``PASSWORD '…'``, ``IDENTIFIED BY '…'``) and prose
(``the password is hunter2``). Nothing here ever returns the secret itself: callers get its kind and
span, or the masked text.

Two strengths:

- :func:`find_secrets` (strict, the default): known token formats, private keys, passwords in URLs
  and quoted literals assigned to a password-like name. This is what the review bot reports as a
  finding (PERF190); its precision (tests, fixtures, placeholders) is judged by its caller.
- :func:`mask_secrets` / :func:`mask_and_list_secrets` / :func:`mask_value`: everything above plus
  the loose forms (unquoted values, any ``*_PASSWORD``/``*_SECRET``/``*_TOKEN``/``*_KEY`` setting,
  headers, command lines, prose). Recall first: hiding a harmless word costs nothing, leaking a
  password costs a lot. Overlapping spans are merged, so a secret that two patterns see partly is
  hidden whole. Masking is idempotent (``[masked:<kind>]`` never matches again).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

MASK_FORMAT = "[masked:{kind}]"
MASKED = re.compile(r"\[masked:[a-z0-9_]+\]")


@dataclass(frozen=True)
class _Rule:
    """One pattern. ``needles``: lower-case substrings one of which every match holds (tested first,
    cheaply). ``lower``: the pattern is written in lower case and runs on the lower-cased text, so
    it may start with a literal (the regex engine then skips fast; ``(?i)`` and a leading ``\b``
    make it try every position). ``prev_not``: characters that may not come right before a match
    (``\b`` checked in Python for the same reason). ``anchors``: lower-case words every match starts
    with; when given, the pattern is tried only where ``str.find`` sees one (a pattern that starts with
    an alternation of words is slow to search for)."""

    kind: str
    needles: tuple[str, ...]
    source: str
    lower: bool = False
    prev_not: str | None = None
    anchors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile(self.source))
        object.__setattr__(self, "folded", re.compile("(?i)" + self.source) if self.lower else self.pattern)
        object.__setattr__(self, "prev", re.compile(f"[{self.prev_not}]") if self.prev_not else None)


_WORD = "A-Za-z0-9_"
_URL_STOP = r"""\s"'<>`"""
_PASSWORD_WORD_NEEDLES = ("pass", "pwd", "secret", "token", "key", "auth", "cred", "contraseña", "clave", "senha")


def _token(kind: str, needles: tuple[str, ...], source: str) -> _Rule:
    """A token format that starts a word (``sk-…`` but not ``task-…``)."""
    return _Rule(kind, needles, source, prev_not=_WORD)


# Tokens whose shape alone says what they are (each issuer's documented prefix, as the gitleaks and
# detect-secrets rule sets list them). Group "secret", when present, is the part to hide; else the
# whole match. Specific prefixes come first so a key is named by its issuer.
KNOWN_TOKENS: list[_Rule] = [
    _Rule("private_key", ("private key",), r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
                                           r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
    _token("anthropic_api_key", ("sk-ant-",), r"sk-ant-[A-Za-z0-9_-]{20,}"),
    _token("openai_api_key", ("sk-",), r"sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
    _token("github_token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
           r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    _token("gitlab_token", ("glpat-", "gldt-", "glptt-", "glrt-", "glcbt-", "gloas-", "glft-", "glimt-", "glsoat-",
                            "glagent-", "gr1348941"),
           r"(?:gl(?:pat|dt|ptt|rt|cbt|oas|ft|imt|soat|agent)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})"),
    _token("aws_access_key_id", ("akia", "asia", "a3t", "abia", "acca"),
           r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    _Rule("aws_secret_access_key", ("aws",),
          r"""aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?(?P<secret>[a-z0-9/+=]{40})(?![a-z0-9/+=])""",
          lower=True),
    _token("slack_token", ("xox", "xapp-"), r"(?:xox[abeoprs]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"),
    _Rule("slack_webhook", ("hooks.slack.com",),
          r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_+-]{10,})"),
    _Rule("discord_webhook", ("/api/webhooks/",), r"/api/webhooks/(?P<secret>\d+/[A-Za-z0-9_-]{20,})"),
    _token("stripe_key", ("_live_", "_test_", "whsec_"),
           r"(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})"),
    _token("google_api_key", ("aiza",), r"AIza[0-9A-Za-z_-]{35}"),
    _token("google_oauth", ("gocspx-", "ya29."), r"(?:GOCSPX-[A-Za-z0-9_-]{20,}|ya29\.[0-9A-Za-z_-]{20,})"),
    _Rule("azure_client_secret", ("q~",), r"(?<![\w~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])"),
    _token("jwt", ("eyj",), r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    _token("npm_token", ("npm_",), r"npm_[A-Za-z0-9]{36}\b"),
    _token("pypi_token", ("pypi-",), r"pypi-AgE[A-Za-z0-9_-]{50,}"),
    _token("huggingface_token", ("hf_",), r"hf_[A-Za-z0-9]{30,}\b"),
    _token("sendgrid_key", ("sg.",), r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
    _token("digitalocean_token", ("_v1_",), r"do[por]_v1_[a-f0-9]{64}\b"),
    _token("shopify_token", ("shp",), r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    _token("databricks_token", ("dapi",), r"dapi[a-f0-9]{32}(?:-\d)?\b"),
    _token("vault_token", ("hvs.", "hvb.", "hvr."), r"hv[sbr]\.[A-Za-z0-9_-]{20,}"),
    _token("grafana_token", ("glsa_", "glc_"), r"(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})"),
    _token("age_secret_key", ("age-secret-key-",), r"AGE-SECRET-KEY-1[0-9A-Z]{58}\b"),
    _token("telegram_bot_token", (":aa",), r"\d{8,10}:AA[0-9A-Za-z_-]{33}\b"),
    _token("twilio_key", ("sk",), r"SK[0-9a-fA-F]{32}\b"),
    _token("mailgun_key", ("key-",), r"key-[0-9a-f]{32}\b"),
    _token("square_token", ("sq0",), r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,}"),
    _token("api_token", ("lin_api_", "pmak-", "nrak-", "dp.", "ops_"),
           r"(?:lin_api_[A-Za-z0-9]{40}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|NRAK-[A-Z0-9]{27}"
           r"|dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}|ops_eyJ[A-Za-z0-9+/]{100,}={0,3})"),
]

# The strict set: what a finding in committed code reports.
_STRICT_RULES: list[_Rule] = [
    *KNOWN_TOKENS,
    # scheme://user:password@host. The password runs to the *last* '@' before the host ("p@ss@host")
    # and may hold ':' or '/' (unencoded, as people type them).
    _Rule("password_in_url", ("://",),
          rf"://(?<=[A-Za-z0-9]://)[^{_URL_STOP}:/?#@]*:(?P<secret>[^{_URL_STOP}]+?)@"
          rf"(?=[^{_URL_STOP}@/?#]*(?:[/?#{_URL_STOP}]|$))"),
    # A quoted literal assigned to a password-like name.
    _Rule("hardcoded_password", _PASSWORD_WORD_NEEDLES,
          r"""(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)["']?"""
          r"""\s*[:=]\s*["'](?P<secret>[^\s"']{8,})["']""", lower=True, prev_not=_WORD,
          anchors=("passw", "pwd", "secret", "api", "access", "auth")),
]
PATTERNS: list[tuple[str, re.Pattern[str]]] = [(r.kind, r.folded) for r in _STRICT_RULES]

_Q = r"""\\?["']?"""  # an optional quote, maybe JSON-escaped
# Masking only: the loose forms.
_LOOSE_RULES: list[_Rule] = [
    # https://TOKEN@host: a user name that is a token (16+ characters with a digit).
    _Rule("token_in_url", ("://",),
          rf"://(?<=[A-Za-z0-9]://)(?P<secret>(?=[^{_URL_STOP}:/?#@]*\d)[^{_URL_STOP}:/?#@]{{16,}})@"),
    _Rule("secret_in_url", ("key=", "sig=", "signature=", "code=", "x-amz-", "x-goog-"),
          r"[?&](?:key|sig|signature|code|x-amz-signature|x-amz-credential|x-amz-security-token"
          rf"|x-goog-signature|x-goog-credential)=(?P<secret>[^&#{_URL_STOP}]+)", lower=True),
    _Rule("authorization_header", ("authorization",),
          rf"authorization{_Q}[ \t]*[:=][ \t]*{_Q}"
          r"(?:(?:basic|bearer|token|digest|negotiate|ntlm|apikey|sso-key|key|otp|hmac|aws4-hmac-sha256)[ \t]+)?"
          r"""(?P<secret>[^\s"'\\][^\n"'\\]*)""", lower=True),
    # A bearer token has a digit or a symbol, or is long: "bearer authentication" is prose.
    _Rule("bearer_token", ("bearer",),
          r"bearer[ \t]+(?P<secret>(?=[a-z]*[0-9._~+/=-])[a-z0-9._~+/=-]{8,}|[a-z]{20,})", lower=True, prev_not=_WORD),
    _Rule("cookie", ("cookie",), rf"""cookie{_Q}[ \t]*:[ \t]*(?P<secret>[^\s"'\\][^\n"'\\]*)""", lower=True),
    _Rule("password_in_command", ("-u", "--user"),
          r"""(?:-u|--user)[ \t]+["']?[^\s:"']+:(?P<secret>[^\s"']+)""", prev_not=r"^\s\"'"),
    _Rule("password_in_command", _PASSWORD_WORD_NEEDLES,
          r"-[\w-]*(?:password|passwd|pwd|pass|token|secret|api-?key|access-key|secret-key)(?:[ \t]+|=)"
          r"""(?P<secret>[^\s"'-][^\s"']*)""", lower=True, prev_not=r"\w-"),
    _Rule("password_in_command", ("mysql", "mariadb"),
          r"""(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?[ \t]-p(?P<secret>[^\s'"-][^\s'"]*)""", lower=True,
          anchors=("mysql", "mariadb")),
    _Rule("password_in_command", ("redis-cli",), r"redis-cli\b[^\n]*?[ \t](?:-a|--pass)[ \t]+(?P<secret>\S+)",
          lower=True),
    _Rule("password_in_config", ("requirepass", "masterauth"), r"(?:requirepass|masterauth)[ \t]+(?P<secret>\S+)",
          lower=True, prev_not=r"^\s", anchors=("requirepass", "masterauth")),
    _Rule("password_in_sql", ("identified",),
          r"""identified[ \t]+by[ \t]+(?:password[ \t]+)?(?P<q>["'])(?P<secret>[^\n]+?)(?P=q)""", lower=True),
    _Rule("password_in_xml", ("</",),
          r"<(?P<tag>[\w:.-]*(?:password|passwd|pwd|secret|token|apikey|api_key))>(?P<secret>[^<\n]+)</(?P=tag)>",
          lower=True),
]
LOOSE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(r.kind, r.folded) for r in _LOOSE_RULES]
# One of these is in every text that holds a secret: one scan lets most short strings go at once.
_ANY_NEEDLE = re.compile("|".join(sorted(
    {re.escape(n) for r in _STRICT_RULES + _LOOSE_RULES for n in r.needles}, key=len, reverse=True)))

# `NAME <sep> value`: found by the secret word right before a separator (cheap to scan for), then
# the whole name is read backwards and judged by _secret_name_kind, and the value forwards. A closing
# quote or a cast may sit between the name and the separator: "password": …, ((password)::text = '…'.
_WORD_BEFORE_SEP = _Rule("secret_assignment", _PASSWORD_WORD_NEEDLES,
    r"(?:passw(?:or)?d|passphrase|pass|pwd|secret|token|credentials?|key(?:_?base)?|auth|contraseña|clave"
    r"|passwort|senha)(?P<close>\\?[\"']|\)*(?:::[a-z_]+(?: [a-z_]+)?\)*)?)?(?P<sep>[ \t]*(?::=|=>|==|=|:)[ \t]*|[ \t]+(?=\\?[\"'`]))", lower=True,
    anchors=("pass", "pwd", "secret", "token", "cred", "key", "auth", "contraseña", "clave", "senha"))
_NAME_CHAR = re.compile(r"[\w.-]")
_VALUE = re.compile(
    r"(?P<q>\\?[\"'`])(?P<qv>[^\n]*?)(?P=q)"  # quoted, on one line (also JSON-escaped: \"...\")
    r"|(?P<uv>(?:[^\s\"'`\\]|\\(?![nrt\"'\\]))+)")  # unquoted: to the next space ("…;Database=x" goes too)
_PROSE = _Rule("password_assignment", (" is ", " was ", " es ", " era ", " será", " sería"),
    r"(?:password|passwd|passphrase|contraseña|clave|token|secret|api key)[ \t]+(?:is|was|es|era|será|sería)"
    r"[ \t]+[\"'«]?(?P<secret>[^\s\"'»]+)", lower=True, prev_not=_WORD,
    anchors=("passw", "passphrase", "contraseña", "clave", "token", "secret", "api key"))

_PASSWORD_WORDS = ("password", "passwd", "passphrase", "pwd", "contraseña", "clave", "passwort", "senha")
_SECRET_WORDS = ("secret", "token", "credential", "credentials", "auth")
_KEY_QUALIFIERS = frozenset({
    "api", "secret", "private", "access", "account", "auth", "client", "encryption", "master",
    "session", "signing", "app", "license", "webhook", "hmac", "deploy", "ssh", "storage", "subscription",
    "consumer", "service", "admin", "root", "crypt", "aes", "jwt", "sas", "gpg", "pgp", "rsa", "partner",
    "merchant",
})
_FUSED_KEYS = ("apikey", "accesskey", "secretkey", "privatekey", "accountkey", "sharedaccesskey", "authkey",
               "clientkey", "signingkey", "masterkey", "encryptionkey")
# Values that are obviously placeholders, not credentials.
_PLACEHOLDER = re.compile(
    r"^(?:\$\{?\w+\}?|\{\{?[^}]*\}?\}|<[^>]*>|\*+|x+|X+|\.\.\.|…|%\(?\w*\)?s|%\w+%|changeme|\[masked:[a-z0-9_]+\])$", re.I)
# Unquoted values that are code, types or flags, not secrets.
_NOT_A_VALUE = frozenset({
    "str", "string", "int", "bytes", "bool", "boolean", "float", "number", "any", "none", "null", "nil",
    "undefined", "true", "false", "yes", "no", "on", "off", "secretstr", "optional", "required", "text",
    "varchar", "password", "secret", "token", "env", "|", ">", "|-", ">-", "~",
    "lambda", "not", "await", "yield", "new", "function", "async", "def", "return", "typeof", "if", "else",
})
_CODE_VALUE = re.compile(
    r"^(?:\$(?:[{(]|[A-Za-z_]\w*$)|[{\[(<]|![A-Za-z]+$|[A-Za-z_][\w.]*[(\[]|(?:self|cls|this|os|sys|settings|config"
    r"|conf|cfg|env|process|request|req|args|opts|options|params|kwargs|ctx|context|secrets|vault|props|data|user"
    r"|credentials|creds)\.)")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_WORD_IN = re.compile(r"(?i)pass|pwd|secret|token|key|cred")
_ANNOTATED = re.compile(r"[ \t]*=(?!=)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class SecretMatch:
    kind: str
    start: int  # span of the secret part within the scanned text
    end: int
    name: str | None = None  # the setting's name for ``NAME = value`` forms ("DB_PASSWORD")


def find_secrets(text: str, *, loose: bool = False) -> list[SecretMatch]:
    """Every credential-looking span in ``text`` (non-overlapping, in order; the first pattern wins).

    ``loose=False`` (default) is the strict set a finding is built from; ``loose=True`` adds every
    form masking hides.
    """
    found: list[SecretMatch] = []
    for match in _candidates(text, loose):
        if not any(match.start < f.end and f.start < match.end for f in found):
            found.append(match)
    return sorted(found, key=lambda s: s.start)


def _candidates(text: str, loose: bool):
    """Every match of every pattern, in priority order (may overlap)."""
    low = text.lower()
    if not _ANY_NEEDLE.search(low):
        return
    # What is masked already stays as it is: "[masked:kind]" is never part of a new match.
    done = [m.span() for m in MASKED.finditer(text)] if "[masked:" in text else []
    for match in _all_candidates(text, low, loose):
        if not any(match.start < e and s < match.end for s, e in done):
            yield match


def _all_candidates(text: str, low: str, loose: bool):
    for rule in _STRICT_RULES + _LOOSE_RULES if loose else _STRICT_RULES:
        group = "secret" if "secret" in rule.pattern.groupindex else 0
        for m in _matches(rule, text, low):
            start, end = m.span(group)
            if start == end or (group and _PLACEHOLDER.match(text[start:end])):
                continue
            yield SecretMatch(rule.kind, start, end)
    if loose:
        yield from _assignments(text, low)
        yield from _prose(text, low)


def _matches(rule: _Rule, text: str, low: str):
    """The rule's matches in ``text`` (found in ``low`` when the rule is written in lower case)."""
    if not any(n in low for n in rule.needles):
        return
    if rule.anchors and len(low) == len(text):
        found = _anchored(rule, low)
    elif rule.lower:
        # str.lower() keeps the length except for a few letters (İ); then the slower (?i) form runs.
        found = rule.pattern.finditer(low) if len(low) == len(text) else rule.folded.finditer(text)
    else:
        found = rule.pattern.finditer(text)
    for m in found:
        if rule.prev is None or m.start() == 0 or not rule.prev.match(text, m.start() - 1):
            yield m


def _anchored(rule: _Rule, low: str):
    """Matches of a lower-case rule that start where one of its anchor words is."""
    starts: set[int] = set()
    for word in rule.anchors:
        at = low.find(word)
        while at != -1:
            starts.add(at)
            at = low.find(word, at + 1)
    for at in sorted(starts):
        m = rule.pattern.match(low, at)
        if m is not None:
            yield m


def _assignments(text: str, low: str):
    """``NAME <sep> value`` where NAME says it holds a secret."""
    for m in _matches(_WORD_BEFORE_SEP, text, low):
        start = m.start()
        while start > 0 and _NAME_CHAR.match(text, start - 1):
            start -= 1
        name = text[start:m.end() - len(m.group("sep")) - len(m.group("close") or "")]
        kind = _secret_name_kind(name)
        if kind is None and name.lower() == "key" and start >= 2 and text[start - 1] == " " and text[start - 2].isalpha():
            # "API key: …", "secret key = …": the word before a bare "key" qualifies it.
            word_start = start - 1
            while word_start > 0 and text[word_start - 1].isalpha():
                word_start -= 1
            name = text[word_start:start - 1] + "_" + name
            kind = _secret_name_kind(name)
        if kind is None:
            continue
        value = _VALUE.match(text, m.end())
        if value is None:
            continue
        if value.group("q") is not None:
            v_start, v_end = value.span("qv")
            secret = value.group("qv")
            if not secret.strip() or _PLACEHOLDER.match(secret.strip()):
                continue
        else:
            v_start, v_end = value.span("uv")
            secret = value.group("uv")
            trimmed = secret.rstrip(",)]}>")
            v_end -= len(secret) - len(trimmed)
            secret = trimmed
            if not _looks_like_a_value(secret, m.group("sep")):
                continue
            if m.group("sep").strip() == ":" and _ANNOTATED.match(text, v_end):
                continue  # `ROOT_KEY: FuncKey = …`: a type annotation, the value comes after
        yield SecretMatch(kind, v_start, v_end, name=name)


def _looks_like_a_value(value: str, sep: str) -> bool:
    """An unquoted value that may be a secret (not a type, a flag, a reference or code)."""
    if not value or _PLACEHOLDER.match(value) or value.lower() in _NOT_A_VALUE or _CODE_VALUE.match(value):
        return False
    if sep.strip() == ":" and value.endswith(":"):
        return False  # a YAML/dict key: "token:" followed by another key
    if value.isdigit() and len(value) <= 3:
        return False  # CHARS_PER_TOKEN = 4, MAX_TOKEN: 512: a setting, not a PIN
    # `password=db_password`, `secret=SECRETS`: passing a variable along, not a literal.
    return not (_IDENTIFIER.match(value) and (_secret_name_kind(value) is not None or (
        ("_" in value or value.isupper()) and _SECRET_WORD_IN.search(value))))


def _secret_name_kind(name: str) -> str | None:
    """'password_assignment' / 'secret_assignment' when a setting's name says it holds a secret."""
    parts = [p for p in re.split(r"[_.\- ]+", _CAMEL.sub("_", name).lower()) if p]
    if not parts:
        return None
    last = parts[-1]
    before = parts[-2] if len(parts) > 1 else ""
    # A bare "pass" is pass/fail more often than a password; DB_PASS, dbPass and PASS are not.
    if (last == "pass" and (len(parts) > 1 or name.isupper())) or any(last.endswith(w) for w in _PASSWORD_WORDS):
        return "password_assignment"
    if last in _SECRET_WORDS or last.endswith(("secret", "token")) or last in _FUSED_KEYS:
        return "secret_assignment"
    if last in ("key", "keybase") or (last == "base" and before == "key"):
        if last == "base":
            return "secret_assignment"  # SECRET_KEY_BASE
        env_style = re.search(r"[A-Z0-9]_KEY\Z", name) is not None
        if env_style or before in _KEY_QUALIFIERS:
            return "secret_assignment"
    return None


def _prose(text: str, low: str):
    """'the password is hunter2': only values with a digit or a symbol (not 'the token is expired')."""
    for m in _matches(_PROSE, text, low):
        secret = text[m.start("secret"):m.end("secret")].rstrip(".,;:!?)")
        if secret and not _PLACEHOLDER.match(secret) and re.search(r"[\d@#$%^&*+=/\\_~!-]", secret):
            yield SecretMatch("password_assignment", m.start("secret"), m.start("secret") + len(secret))


def mask_secrets(text: str) -> str:
    """``text`` with every secret (loose forms included) replaced by ``[masked:<kind>]``."""
    return mask_and_list_secrets(text)[0]


def mask_and_list_secrets(text: str) -> tuple[str, list[str]]:
    """(masked text, the kind of each secret hidden), for callers that report what they masked.

    Spans that overlap are merged (the kind is the first pattern's), so a secret two patterns each
    see part of is hidden whole.
    """
    spans = sorted(_candidates(text, loose=True), key=lambda s: s.start)
    if not spans:
        return text, []
    merged: list[list[Any]] = []  # [start, end, kind]
    for s in spans:
        if merged and s.start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], s.end)
        else:
            merged.append([s.start, s.end, s.kind])
    parts: list[str] = []
    pos = 0
    for start, end, kind in merged:
        parts += [text[pos:start], MASK_FORMAT.format(kind=kind)]
        pos = end
    parts.append(text[pos:])
    return "".join(parts), [kind for _, _, kind in merged]


def secret_name_kind(name: str) -> str | None:
    """The masking kind for a setting or field named ``name`` (``DB_PASSWORD``, ``apiKey``), else None."""
    return _secret_name_kind(name)


def mask_value(value: Any, kinds: list[str] | None = None) -> Any:
    """``value`` with every string in it masked: str, list, tuple, dict, pydantic models and dataclasses,
    walked deeply (without recursion: a profile's call tree can be thousands of levels deep). A string
    under a key or field whose name holds a secret (``{"password": "…"}``) is hidden whole, since on
    its own it looks like any word. Returns the same object when nothing changed (no copy); appends
    the kind of each secret hidden to ``kinds`` when given."""
    kinds = kinds if kinds is not None else []
    done: list[Any] = []  # masked values, in visiting order
    stack: list[tuple[bool, Any, Any]] = [(False, value, None)]  # (children masked?, value, name | parts)
    open_ids: set[int] = set()  # containers being walked: a reference back to one is left as it is
    while stack:
        built, item, extra = stack.pop()
        if built:
            open_ids.discard(id(item))
            count = len(extra)
            new = done[len(done) - count:] if count else []
            del done[len(done) - count:]
            done.append(_rebuild(item, extra, new))
            continue
        if isinstance(item, str):
            done.append(_mask_string(item, extra, kinds))
            continue
        parts = None if id(item) in open_ids else _parts(item)
        if parts is None:
            done.append(item)
            continue
        open_ids.add(id(item))
        stack.append((True, item, parts))
        stack.extend((False, child, name) for name, child in reversed(parts))
    return done[0]


def _mask_string(text: str, name: Any, kinds: list[str]) -> str:
    if isinstance(name, str) and text.strip() and not MASKED.fullmatch(text.strip()):
        kind = _secret_name_kind(name)
        if kind is not None and not _PLACEHOLDER.match(text.strip()):
            kinds.append(kind)
            return MASK_FORMAT.format(kind=kind)
    masked, found = mask_and_list_secrets(text)
    kinds += found
    return masked


def _parts(value: Any) -> list[tuple[Any, Any]] | None:
    """(name, child) pairs of a container (the name decides whether a string is a secret), or None."""
    if isinstance(value, dict):
        return [(k if isinstance(k, str) else None, v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [(None, v) for v in value]
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:  # a pydantic model
        return [(name, getattr(value, name, None)) for name in fields]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    return None


def _rebuild(value: Any, parts: list[tuple[Any, Any]], new: list[Any]) -> Any:
    """``value`` itself when no child changed, else a copy holding the masked children."""
    changed = [i for i, ((_, old), masked) in enumerate(zip(parts, new, strict=True)) if masked is not old]
    if not changed:
        return value
    if isinstance(value, dict):
        return dict(zip(value.keys(), new, strict=True))
    if isinstance(value, (list, tuple)):
        return type(value)(new) if not hasattr(value, "_fields") else type(value)(*new)
    update = {parts[i][0]: new[i] for i in changed}
    if getattr(type(value), "model_fields", None) is not None:
        copied = value.model_copy(update=update)
        for name, attr in getattr(type(value), "__private_attributes__", {}).items():
            setattr(copied, name, attr.get_default())  # caches built from the unmasked fields go
        return copied
    try:
        return dataclasses.replace(value, **update)
    except (TypeError, ValueError):  # fields outside __init__: copy and set instead
        copied = copy.copy(value)
        for name, masked in update.items():
            object.__setattr__(copied, name, masked)
        return copied
