"""The one place that calls sqlglot's parser, so every caller gets the same quiet, typed failure."""

from __future__ import annotations

import logging
import re

from tools.sql.split import neutralize_placeholders

# sqlglot warns on stderr whenever it falls back to an opaque Command; tools never print.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


_TOKEN_REPR = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+.*?>")


class SqlParseError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse_statement(sql: str, dialect: str = "postgres"):
    """Parse one statement into a sqlglot expression; raise SqlParseError with a 1-based line."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = [t for t in sqlglot.parse(neutralize_placeholders(sql, dialect), read=dialect) if t is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        message = _TOKEN_REPR.sub(r"'\1'", first.get("description") or str(exc).splitlines()[0])
        raise SqlParseError(message, int(first.get("line") or 1)) from None
    except TokenError as exc:
        raise SqlParseError(str(exc).splitlines()[0] if str(exc) else "cannot tokenize") from None
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # sqlglot raises assorted errors on hostile input; none of them may escape a tool.
        raise SqlParseError(f"cannot parse ({type(exc).__name__})") from None
    if not trees:
        raise SqlParseError("empty statement")
    if len(trees) > 1:
        raise SqlParseError("more than one statement")
    return trees[0]
