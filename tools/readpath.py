"""File paths in tool inputs, as types: what a tool reads (``ReadPath``) and what only names a file
(``PathLabel``), and the rule for what a *model's* tool call may open.

A tool's input model types every path field: ``path: ReadPath | None``, ``paths: list[ReadPath]``.
The rule is enforced on the type, wherever it sits (any field name, nested, in lists or dicts): when
a model's call is validated with a :class:`ReadGrant` in the validation context
(``model.model_validate(args, context={READ_GRANT: grant})``), every ``ReadPath`` value must pass
:func:`check_read`, and the tool then gets the resolved path. Without a grant (the CLI, where the
user typed the path themself, or Python callers) the value is left alone.

:func:`check_read` is a small pure function of the path and the allowed roots/paths: a model may open
only what the user gave *as a path* (a file or a directory under which it may read), compared after
resolving symlinks, and never a sensitive location, even one the user gave (keys, credentials,
``.env`` files, ``/proc``, ``/sys``, ``/etc``, ``/dev``, dotfiles outside the project).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo
from pydantic_core import PydanticCustomError

READ_GRANT = "read_grant"  # the validation-context key that carries a ReadGrant
REFUSED = "read_refused"  # the pydantic error type of a refusal

# Whole trees a model never reads.
DENIED_ROOTS = ("/proc", "/sys", "/dev", "/etc", "/run", "/var/run", "/boot")
# Under the home directory.
DENIED_HOME = (".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", ".config/gcloud", ".password-store",
               ".netrc", ".pgpass", ".git-credentials", ".npmrc", ".pypirc", ".my.cnf")
# File names anywhere: keys, keystores, credentials and environment files.
DENIED_NAMES = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "authorized_keys", "known_hosts", ".netrc", ".pgpass",
                ".git-credentials", ".envrc", ".htpasswd")
DENIED_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".ppk", ".gpg", ".asc", ".env")
DENIED_WORDS = ("credential", "secret", "private", "token")  # in a file name: credentials.json, secrets.toml


class ReadRefused(Exception):
    """A model's tool call may not open this path; the message says why, for the model and the user."""


def sensitive_reason(path: str, *, project: str, home: str | None = None) -> str | None:
    """Why ``path`` (absolute, normalized) is a location no model may read; None when it is not."""
    home = home or os.path.expanduser("~")
    for root in DENIED_ROOTS:
        if _under(path, root):
            return f"{root} is a system location"
    for name in DENIED_HOME:
        if _under(path, os.path.join(home, name)):
            return f"~/{name} holds keys or credentials"
    base = os.path.basename(path).lower()
    if base in DENIED_NAMES or base.startswith(("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")):
        return f"{base} is a key or credentials file"
    if base.endswith(DENIED_SUFFIXES) or base.startswith(".env") or base == ".env":
        return f"{base} is a key, certificate or environment file"
    if any(word in base for word in DENIED_WORDS):
        return f"{base} looks like a secrets file"
    parts = [p for p in path.split(os.sep) if p]
    if ".git" in parts:
        return "files inside .git may hold credentials (remote URLs, hooks)"
    if not _under(path, project) and any(p.startswith(".") for p in parts):
        return "dotfiles outside the project are private settings"
    return None


def attachable(path: str, *, project: str | None = None) -> str:
    """The resolved path of a file or directory a user attaches; raises :class:`ReadRefused` for a missing
    one or a sensitive location (the deny-list holds for attachments too, so a model never opens them)."""
    resolved = check_read(path, [path], project=project)
    if not os.path.exists(resolved):
        raise ReadRefused(f"{path}: no such file or directory")
    return resolved


def check_read(path: str, allowed: Iterable[str], *, project: str | None = None, home: str | None = None) -> str:
    """The resolved path when a model may open ``path``; raises :class:`ReadRefused` otherwise.

    ``allowed``: the files and directories the user gave as paths (a directory allows what is under
    it). Everything is compared after resolving symlinks and ``..``, and the deny-list is checked on
    both the path as written and where it leads, so a symlink cannot escape and an innocent-looking
    link cannot reach a key.
    """
    if not isinstance(path, str) or not path or "\x00" in path:
        raise ReadRefused("not a file path")
    project = os.path.realpath(project or os.getcwd())
    written = os.path.normpath(os.path.abspath(os.path.expanduser(path)))
    real = os.path.realpath(written)
    for candidate in dict.fromkeys((written, real)):
        reason = sensitive_reason(candidate, project=project, home=home)
        if reason:
            raise ReadRefused(f"{path}: refused, {reason}")
    for entry in allowed:
        entry_real = os.path.realpath(os.path.expanduser(entry))
        if real == entry_real or (os.path.isdir(entry_real) and _under(real, entry_real)):
            return real
    raise ReadRefused(f"{path}: not a file the user gave as a path")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class ReadGrant:
    """What a model's tool calls may read in one run: the user's paths, checked with :func:`check_read`,
    and ``trusted`` files the runtime itself supplies (the active persona's file), taken as they are.
    ``refused`` collects what was refused."""

    allowed: tuple[str, ...] = ()
    trusted: tuple[str, ...] = ()
    project: str = field(default_factory=os.getcwd)
    refused: list[str] = field(default_factory=list, compare=False)

    def check(self, path: str) -> str:
        if self.trusted and isinstance(path, str) and path:
            real = os.path.realpath(os.path.expanduser(path))
            if any(real == os.path.realpath(t) for t in self.trusted):
                return real
        try:
            return check_read(path, self.allowed, project=self.project)
        except ReadRefused as exc:
            self.refused.append(str(exc))
            raise


class _ReadMarker:
    """Annotation metadata that marks a ``str`` as a path a tool opens."""

    def __repr__(self) -> str:
        return "ReadPath"


class _LabelMarker:
    """Annotation metadata that marks a ``str`` as a file name used only in messages (never opened)."""

    def __repr__(self) -> str:
        return "PathLabel"


def _guard(value: str, info: ValidationInfo) -> str:
    grant = (info.context or {}).get(READ_GRANT) if isinstance(info.context, dict) else None
    if grant is None:
        return value
    try:
        return grant.check(value)
    except ReadRefused as exc:
        raise PydanticCustomError(REFUSED, "{reason}", {"reason": str(exc)}) from None


READ_MARKER = _ReadMarker()
LABEL_MARKER = _LabelMarker()
ReadPath = Annotated[str, READ_MARKER, AfterValidator(_guard), Field(json_schema_extra={"format": "path"})]
PathLabel = Annotated[str, LABEL_MARKER]


def path_fields(model: type[BaseModel]) -> dict[str, str]:
    """Field name → "read" / "label" for every field whose type holds a ReadPath or a PathLabel
    (looked for inside ``X | None``, lists, dicts and nested models)."""
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        kind = _marker_kind(info.metadata) or _marker_kind_in(info.annotation, set())
        if kind:
            out[name] = kind
    return out


def _marker_kind(metadata: Iterable[Any]) -> str | None:
    for item in metadata:
        if item is READ_MARKER:
            return "read"
        if item is LABEL_MARKER:
            return "label"
    return None


def _marker_kind_in(annotation: Any, seen: set[int]) -> str | None:
    if id(annotation) in seen:
        return None
    seen.add(id(annotation))
    kind = _marker_kind(getattr(annotation, "__metadata__", ()))
    if kind:
        return kind
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "read" if "read" in path_fields(annotation).values() else None
    for arg in get_args(annotation):
        kind = _marker_kind_in(arg, seen)
        if kind:
            return kind
    return None
