"""The one error type for bad input.

Every command turns an :class:`InputError` into a single ``path:line: message`` line and exit
status 2, so parsers raise it instead of letting a traceback reach the user.
"""

from __future__ import annotations


class InputError(Exception):
    """Input that cannot be read or understood: unreadable file, malformed persona, bad plan."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


def read_text(path: str, *, stdin_name: str = "-") -> str:
    """Read a text file (or stdin for ``-``) and raise InputError instead of OSError/UnicodeError."""
    data = read_bytes(path, stdin_name=stdin_name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", path=path, line=line) from None


def read_bytes(path: str, *, stdin_name: str = "-") -> bytes:
    """Read a file's bytes (or stdin for ``-``) and raise InputError instead of OSError."""
    import sys

    try:
        if path == stdin_name:
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None
    return data
