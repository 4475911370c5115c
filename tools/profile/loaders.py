"""Load a profile in any supported format: detect it, read it (a file, stdin or pasted text), parse it."""

from __future__ import annotations

from pathlib import Path

from tools.errors import InputError
from tools.profile.collapsed import COLLAPSED_LINE, collapsed
from tools.profile.model import Profile
from tools.profile.pstats import pstats_from_bytes
from tools.profile.speedscope import speedscope


def detect_profile(data: str | bytes) -> str | None:
    """The profile format of pasted or attached content ("pstats", "speedscope", "collapsed"), or None."""
    if isinstance(data, bytes):
        if data[:1] in (b"{", b"\xfb"):
            try:
                pstats_from_bytes(data, "<input>")
                return "pstats"
            except InputError:
                pass
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    stripped = data.lstrip()
    if stripped.startswith("{"):
        head = stripped[:4096]
        return "speedscope" if "speedscope" in head or ('"profiles"' in head and '"shared"' in head) else None
    lines = [ln for ln in data.split("\n") if ln.strip()]
    if lines and any(";" in ln for ln in lines) and all(COLLAPSED_LINE.match(ln) for ln in lines):
        return "collapsed"
    return None


def load_profile(path: str | None = None, text: str | None = None) -> Profile:
    """Load a profile from a file (any supported format; ``-`` is stdin) or from pasted text."""
    if path is None:
        return parse_profile(text or "", "<input>")
    try:
        if path == "-":
            import sys

            raw = sys.stdin.buffer.read()
        else:
            raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None
    return parse_profile(raw, path)


def parse_profile(data: bytes | str, where: str = "<input>") -> Profile:
    """Parse profile content: binary is a pstats dump; text is speedscope JSON or collapsed stacks."""
    if isinstance(data, bytes):
        if where.endswith((".prof", ".pstats")):
            return pstats_from_bytes(data, where)
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return pstats_from_bytes(data, where)
    if not data.strip():
        raise InputError("empty profile", path=where)
    if data.lstrip().startswith("{"):
        return speedscope(data, where)
    return collapsed(data, where)
