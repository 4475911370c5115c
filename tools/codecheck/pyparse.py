"""Parse Python source that may use syntax newer than the running interpreter understands.

The review runs on Python 3.11; the code it reviews may be written for 3.12+ (PEP 695 type parameters
and ``type`` aliases) or 3.14 (PEP 758 ``except A, B:`` without parentheses). Those forms are
rewritten, on their own lines and keeping every line where it was, into what 3.11 reads with the
same meaning for the rules (a type parameter list says nothing about queries or blocking calls).
What still does not parse is reported, never guessed at.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

# `def f[T](...)`, `async def f[T: int](...)`, `class C[T](Base):` - the bracket right after the name.
_TYPE_PARAMS = re.compile(r"^(\s*(?:async\s+)?(?:def|class)\s+\w+)\[[^\]\n]*(?:\[[^\]\n]*\][^\]\n]*)*\]")
# `type Alias[T] = ...` (a soft keyword: only at the start of a statement, followed by a name and `=`).
_TYPE_ALIAS = re.compile(r"^(\s*)type\s+(\w+)\s*(?:\[[^\]\n]*\])?\s*=")
# `except A, B:` / `except* A, B:` (PEP 758: parentheses optional when there is no `as`).
_BARE_EXCEPT_TUPLE = re.compile(r"^(\s*except\*?\s+)([^()\n:#]+,[^()\n:#]+?)(\s*:)")
MAX_REWRITES = 200


@dataclass
class Parsed:
    tree: ast.Module
    rewritten: list[int] = field(default_factory=list)  # lines read through a newer-syntax rewrite
    unread: list[int] = field(default_factory=list)  # single-line statements left out (still unparsable)


class Unparsable(Exception):
    """The source does not parse even after the rewrites; ``line`` is where the parser stopped."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def parse(source: str, filename: str = "<unknown>") -> Parsed:
    try:
        return Parsed(ast.parse(source, filename=filename))
    except (SyntaxError, ValueError) as exc:
        first = exc
    except (RecursionError, MemoryError):
        raise Unparsable("too deeply nested to parse", None) from None
    lines = source.split("\n")
    rewritten: list[int] = []
    unread: list[int] = []
    for _ in range(MAX_REWRITES):
        line = getattr(first, "lineno", None)
        # The parser may stop after the line that holds the newer form (`def f[T](` is reported at `[`,
        # a `type` alias at its name): try the reported line and the few before it.
        fixed = next((n for n in _candidates(line, len(lines)) if _rewrite(lines, n)), None)
        if fixed is None:
            fixed = _rewrite_anywhere(lines, rewritten)
        if fixed is not None:
            rewritten.append(fixed)
        elif line and 0 < line <= len(lines) and line not in unread and _single_statement(lines[line - 1]):
            # Last resort (PEP 701 f-strings nesting their own quotes...): leave that one statement out.
            lines[line - 1] = _indent(lines[line - 1]) + "pass"
            unread.append(line)
        else:
            raise Unparsable(_describe(first), line) from None
        try:
            return Parsed(ast.parse("\n".join(lines), filename=filename), sorted(set(rewritten)), sorted(unread))
        except (SyntaxError, ValueError) as exc:
            first = exc
        except (RecursionError, MemoryError):
            raise Unparsable("too deeply nested to parse", None) from None
    raise Unparsable(_describe(first), getattr(first, "lineno", None))  # pragma: no cover - MAX_REWRITES forms


def _candidates(line: int | None, total: int) -> list[int]:
    if not line:
        return []
    return [n for n in range(line, max(0, line - 3), -1) if 0 < n <= total]


def _rewrite(lines: list[str], n: int) -> bool:
    """Rewrite line ``n`` (1-based) in place when it holds a newer form; True if it did."""
    text = lines[n - 1]
    for pattern, replace in ((_TYPE_PARAMS, r"\1"), (_TYPE_ALIAS, r"\1\2 ="), (_BARE_EXCEPT_TUPLE, r"\1(\2)\3")):
        new = pattern.sub(replace, text, count=1)
        if new != text:
            lines[n - 1] = new
            return True
    return False


def _single_statement(text: str) -> bool:
    """A line that is a whole simple statement by its look (not a block opener, not a continuation)."""
    body = text.strip()
    return bool(body) and not body.endswith((":", "(", "[", "{", ",", "\\")) and not body.startswith(
        (")", "]", "}", "#", "@", "elif", "else", "except", "finally"))


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def _rewrite_anywhere(lines: list[str], done: list[int]) -> int | None:
    """The parser pointed elsewhere (an unclosed bracket it blames later): the first newer form anywhere."""
    for n in range(1, len(lines) + 1):
        if n not in done and _rewrite(lines, n):
            return n
    return None


def _describe(exc: BaseException) -> str:
    return getattr(exc, "msg", None) or str(exc)
