"""Small helpers over sqlglot trees shared by the rules, the index advisor and the fingerprints."""

from __future__ import annotations

from sqlglot import exp


def flatten(node: exp.Expression, kind: type) -> list[exp.Expression]:
    """Operands of a chain of one binary operator (AND or OR), looking through parentheses."""
    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, kind):
            stack.extend([cur.expression, cur.this])
        elif isinstance(cur, exp.Paren):
            stack.append(cur.this)
        else:
            out.append(cur)
    return out


def is_comma_join(join: exp.Join) -> bool:
    """`FROM a, b`: sqlglot's Join with no ON/USING and no kind."""
    return not any(join.args.get(k) for k in ("on", "using", "kind", "side", "method"))
