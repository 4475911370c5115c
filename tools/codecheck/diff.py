"""Unified / git diff parser: which new-side lines each file adds, and which lines a review may anchor to.

Handles `git diff` output (renames, copies, mode changes, binary files, `GIT binary patch`,
deleted and new files, quoted paths), plain `diff -u` output (with timestamps), CRLF line endings
and ``\\ No newline at end of file`` markers. Lines are 1-based new-file line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from tools.errors import InputError

Status = Literal["added", "modified", "deleted", "renamed", "copied"]

# Hunk headers beyond this are not a real file; refusing them keeps reconstruction bounded.
MAX_LINE = 1_000_000
_HUNK = re.compile(r"^@@ -([0-9]+)(?:,([0-9]+))? \+([0-9]+)(?:,([0-9]+))? @@")
_GIT_HEADER = re.compile(r"^diff --git (.+)$")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass
class FileDiff:
    path: str  # new path; the old path for a deleted file
    old_path: str | None = None
    status: Status = "modified"
    binary: bool = False
    added: dict[int, str] = field(default_factory=dict)  # new line number -> text of an added line
    new_side: dict[int, str] = field(default_factory=dict)  # context and added lines of every hunk
    hunks: list[tuple[int, int]] = field(default_factory=list)  # new-side (first, last) line per hunk
    text: str = ""  # this file's part of the diff, as given (for excerpts)
    undecodable: bool = False  # its lines are not UTF-8 (shown with U+FFFD; only the secret rule reads them)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (diff line, what was not read and why)

    def in_hunk(self, line: int) -> bool:
        """Can a review comment anchor to this new-side line (it is shown in the diff)?"""
        return any(first <= line <= last for first, last in self.hunks)


def decode_diff(data: bytes) -> str:
    """A diff's bytes as text: UTF-8, with bytes that are not kept as surrogate escapes so that
    :func:`parse_diff` can tell which files were not UTF-8 (one latin-1 file must not fail the review)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte-order mark some editors write
    return data.decode("utf-8", "surrogateescape")


_UNDECODED = re.compile("[\udc80-\udcff]+")


def parse_diff(text: str, source: str = "<diff>") -> list[FileDiff]:
    """Parse a unified or git diff. Raises InputError for text that is not a diff.

    What cannot be read is recorded on the file it belongs to (``FileDiff.problems``): a malformed hunk
    header, lines outside any hunk; a file whose lines were not UTF-8 is marked ``undecodable``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    files: list[FileDiff] = []
    current: FileDiff | None = None
    start_index = 0
    old_left = new_left = 0  # lines still expected in the current hunk
    new_line = 0
    in_binary_patch = False
    skipping = False  # after a malformed hunk header, until the next file

    def close(end: int) -> None:
        if current is not None:
            current.text = "\n".join(lines[start_index:end])
            files.append(current)

    for i, raw in enumerate(lines):
        line = raw[:-1] if raw.endswith("\r") else raw
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            # A new-side line needs room left on the new side ('@@ -1 +0,0 @@' then '+x' put x at line
            # 0, and the rebuilt file's rows[-1] raised IndexError); past the count, the hunk ends.
            if tag == "+" and new_left > 0:
                current.added[new_line] = current.new_side[new_line] = line[1:]
                new_line += 1
                new_left -= 1
                continue
            if tag == "-":
                old_left -= 1
                continue
            if tag in (" ", "") and new_left > 0:  # some tools strip the space of empty context lines
                current.new_side[new_line] = line[1:]
                new_line += 1
                old_left -= 1
                new_left -= 1
                continue
            if tag == "\\":
                continue
            # A short hunk (hand-edited diff) or a long one: end it and read this line as a header.
            old_left = new_left = 0
        if line.startswith("\\"):
            continue
        git = _GIT_HEADER.match(line)
        if git:
            close(i)
            current, start_index, in_binary_patch = FileDiff(path=_split_git_paths(git.group(1))), i, False
            skipping = False
            continue
        if in_binary_patch:
            continue
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old = _header_path(line[4:])
            new = _header_path(lines[i + 1].rstrip("\r")[4:])
            if current is None or current.hunks or current.added or current.problems:
                # A plain unified diff has no `diff --git` line: `---` starts the next file.
                close(i)
                current, start_index = FileDiff(path=new or old or ""), i
            _apply_header_paths(current, old, new)
            skipping = False
            continue
        if skipping:
            continue
        if current is None:
            if _HUNK.match(line):
                raise InputError("hunk header before any file header", path=source, line=i + 1)
            continue  # e-mail preamble of `git format-patch`, or commentary
        if line.startswith("+++ "):
            continue
        if line.startswith("@@") and not _HUNK.match(line):
            current.problems.append((i + 1, "malformed hunk header: the lines of this hunk were not reviewed"))
            skipping = True  # to the next file header: the following lines belong to no hunk
            continue
        if current.hunks and line[:1] in ("+", "-") and not line.startswith(("+++", "---")) and line != "-- ":
            if not any(p[1].startswith("lines outside") for p in current.problems):
                current.problems.append((i + 1, "lines outside any hunk (the hunk's line counts do not match its "
                                                "lines): not reviewed"))
            continue
        hunk = _HUNK.match(line)
        if hunk:
            # int() refuses more than 4300 digits; more than 9 are beyond MAX_LINE anyway.
            if any(g is not None and len(g) > 9 for g in hunk.groups()):
                raise InputError(f"hunk line numbers beyond {MAX_LINE}", path=source, line=i + 1)
            old_start, old_count, new_start, new_count = (
                int(g) if g is not None else 1 for g in hunk.groups()
            )
            if new_start + new_count > MAX_LINE or old_start + old_count > MAX_LINE:
                raise InputError(f"hunk line numbers beyond {MAX_LINE}", path=source, line=i + 1)
            if new_start == 0 and new_count:  # lines are 1-based; git writes +0,0 for an empty new side
                raise InputError("hunk header puts new lines at line 0", path=source, line=i + 1)
            old_left, new_left, new_line = old_count, new_count, new_start
            if new_count:
                current.hunks.append((new_start, new_start + new_count - 1))
            continue
        _read_extended_header(current, line)
        if line == "GIT binary patch":
            in_binary_patch = True
    close(len(lines))
    if not files and text.strip():
        raise InputError("not a unified diff (no file headers found)", path=source, line=1)
    for f in files:
        _clean_undecoded(f)
    return files


def _clean_undecoded(f: FileDiff) -> None:
    """Bytes that were not UTF-8 (surrogate escapes) become U+FFFD, and the file says it was not UTF-8."""
    if not _UNDECODED.search(f.text):
        return
    f.undecodable = True
    f.text = _UNDECODED.sub("\ufffd", f.text)
    f.path = _UNDECODED.sub("\ufffd", f.path)
    for table in (f.added, f.new_side):
        for n, value in table.items():
            table[n] = _UNDECODED.sub("\ufffd", value)


def _read_extended_header(f: FileDiff, line: str) -> None:
    if line.startswith("new file mode"):
        f.status = "added"
    elif line.startswith("deleted file mode"):
        f.status = "deleted"
    elif line.startswith(("rename from ", "copy from ")):
        f.old_path = _unquote(line.split(" ", 2)[2])
        f.status = "renamed" if line.startswith("rename") else "copied"
    elif line.startswith(("rename to ", "copy to ")):
        f.path = _unquote(line.split(" ", 2)[2])
    elif line.startswith("Binary files ") or line == "GIT binary patch":
        f.binary = True


def _apply_header_paths(f: FileDiff, old: str | None, new: str | None) -> None:
    if new is None:  # +++ /dev/null
        f.status, f.path = "deleted", old or f.path
    elif old is None:
        f.status, f.path = "added", new
    else:
        f.path = new
        if old != new and f.status == "modified":
            f.status, f.old_path = "renamed", old


def _header_path(value: str) -> str | None:
    """Path of a `---`/`+++` line: unquoted, timestamp dropped, a/ b/ prefix stripped."""
    value = value.split("\t", 1)[0].rstrip()
    if value == "/dev/null":
        return None
    value = _unquote(value)
    return value[2:] if value[:2] in ("a/", "b/") else value


def _split_git_paths(rest: str) -> str:
    """New path from `diff --git a/X b/Y` (later `+++`/`rename to` lines refine it)."""
    if rest.startswith('"'):
        end = _closing_quote(rest)
        rest = rest[end + 1:].lstrip()
        return _header_path(rest) or ""
    if rest.startswith("a/"):
        # Same path on both sides (the common case, spaces allowed): split in the middle.
        half = (len(rest) - 1) // 2
        if rest[half] == " " and rest[half + 1: half + 3] == "b/" and rest[2:half] == rest[half + 3:]:
            return rest[half + 3:]
        idx = rest.rfind(" b/")
        if idx > 0:
            return rest[idx + 3:]
    return _header_path(rest.split(" ")[-1]) or rest


def _closing_quote(value: str) -> int:
    i = 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == '"':
            return i
        i += 1
    return len(value) - 1


def _unquote(value: str) -> str:
    """Git's C-style quoted path ("caf\\303\\251.py") → str."""
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value
    body = value[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1: i + 4]):
                out.append(int(body[i + 1: i + 4], 8) & 0xFF)
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt) if ord(nxt) < 128 else 63))
            i += 2
            continue
        out += ch.encode("utf-8", "surrogatepass")
        i += 1
    return out.decode("utf-8", "replace")
