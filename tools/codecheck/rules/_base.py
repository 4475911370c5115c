"""What a rule returns, and small helpers several rules share."""

from __future__ import annotations

import ast
import shlex
from dataclasses import dataclass, field
from typing import Any

from tools.findings import Severity


@dataclass
class Hit:
    """One match of a rule; the engine builds the finding from the rule's catalogue entry (code, kind,
    default severity, and the suggestion from its fix template filled with ``evidence``)."""

    node: ast.AST
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # only when this match is milder/harsher than the rule default


def method_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def receiver(call: ast.Call) -> ast.AST | None:
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def keyword_names(call: ast.Call) -> set[str | None]:
    """Keyword argument names; None stands for a ``**kwargs`` splat (which may carry anything)."""
    return {k.arg for k in call.keywords}


def short(expr: ast.AST, limit: int = 60) -> str:
    """Source of an expression for a message, shortened (messages stay one line)."""
    text = " ".join(ast.unparse(expr).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def key_template(expr: ast.AST) -> str | None:
    """A cache key expression as a template: f"user:{uid}" → "user:{uid}"; "user:*" → "user:{id}"."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value.replace("*", "{id}")
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for v in expr.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                name = ast.unparse(v.value).split(".")[-1]
                parts.append("{" + (name if name.isidentifier() else "id") + "}")
        return "".join(parts)
    return None


def cache_pattern_command(pattern: str, key: str | None, ttl: int = 300) -> str:
    """The `lmagent cache-pattern` invocation that generates the fix (key shell-quoted: it comes from the diff)."""
    return f"lmagent cache-pattern {pattern} --key {shlex.quote(key or 'KEY')} --ttl {ttl}"
