"""One pass over a Python module that gives every rule the context it needs.

For each call: the enclosing function (async? a web handler?) and the loops around it within that
function, with a loop's own iterable excluded (it is evaluated once). Imports are resolved so
``rq.get`` is ``requests.get`` and ``from time import sleep`` makes ``sleep`` ``time.sleep``; simple
assignments are tracked so ``r = redis.Redis()`` marks ``r`` (and ``r.pipeline()``) as a sync Redis
client. No type inference beyond that: rules stay cheap and predictable.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tools.codecheck import pyparse

if TYPE_CHECKING:
    pass

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
Loop = ast.For | ast.AsyncFor | ast.While | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp

# Constructor (resolved name) -> client kind it returns.
CLIENT_CONSTRUCTORS: dict[str, str] = {
    **dict.fromkeys(("redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url",
                     "redis.StrictRedis.from_url", "redis.client.Redis", "redis.RedisCluster"), "redis"),
    **dict.fromkeys(("redis.asyncio.Redis", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url",
                     "aioredis.from_url", "aioredis.Redis", "aioredis.create_redis_pool"), "async_redis"),
    **dict.fromkeys(("psycopg.connect", "psycopg2.connect", "sqlite3.connect", "pymysql.connect",
                     "MySQLdb.connect", "psycopg.Connection.connect"), "sync_db"),
    **dict.fromkeys(("requests.Session", "requests.session"), "requests_session"),
    "httpx.Client": "httpx_client",
    "httpx.AsyncClient": "httpx_async_client",
    "aiohttp.ClientSession": "aiohttp_session",
}
HTTP_CLIENTS = frozenset({"requests_session", "httpx_client", "httpx_async_client", "aiohttp_session"})
# Methods whose result is a client of the same kind (pipelines, cursors).
_DERIVED = {"pipeline": ("redis", "async_redis"), "cursor": ("sync_db",)}
_HANDLER_DECORATORS = {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route",
                       "websocket", "api_view", "require_http_methods", "require_GET", "require_POST",
                       "view_config"}


@dataclass(frozen=True)
class Scope:
    function: Function | None = None
    is_async: bool = False
    is_handler: bool = False
    loops: tuple[Loop, ...] = ()  # enclosing loops inside ``function``, innermost last

    def in_loop(self, loop: Loop) -> Scope:
        return Scope(self.function, self.is_async, self.is_handler, (*self.loops, loop))


@dataclass(frozen=True)
class CallSite:
    call: ast.Call
    scope: Scope
    parent: ast.AST | None


@dataclass
class Module:
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    clients: dict[str, str] = field(default_factory=dict)  # dotted expression -> client kind
    sites: list[CallSite] = field(default_factory=list)  # every call, with its scope
    strings: list[ast.Constant | ast.JoinedStr] = field(default_factory=list)  # str literals, f-strings
    memo: dict[tuple[str, int], object] = field(default_factory=dict)  # per-node results rules reuse
    _bound: dict[int, frozenset[str]] = field(default_factory=dict)

    lines: list[str] = field(default_factory=list)
    path: str = ""
    loops: list[tuple[Loop, Scope]] = field(default_factory=list)  # every loop, with the scope it is in
    globals: dict[str, ast.AST] = field(default_factory=dict)  # module-level NAME = value
    rewritten: list[int] = field(default_factory=list)  # lines read through a newer-syntax rewrite
    unread: list[int] = field(default_factory=list)  # lines left out because they still did not parse
    project: Any = None  # the Project this module belongs to (tools.codecheck.project), when known
    source: str = ""

    @classmethod
    def parse(cls, source: str, filename: str) -> Module:
        """Raises pyparse.Unparsable when the source does not parse even with the newer-syntax rewrites."""
        parsed = pyparse.parse(source, filename)
        mod = cls(parsed.tree, lines=source.split("\n"), path=filename, rewritten=parsed.rewritten,
                  unread=parsed.unread, source=source)
        mod._index()
        return mod

    def assignments(self, fn: ast.AST | None) -> dict[str, list[ast.AST]]:
        """NAME -> values assigned to it in ``fn``'s own body (not nested functions), in source order;
        the module's globals for ``fn=None``."""
        if fn is None:
            return {k: [v] for k, v in self.globals.items()}
        key = ("assignments", id(fn))
        if key not in self.memo:
            found: dict[str, list[ast.AST]] = {}
            stack = list(getattr(fn, "body", []))
            nodes = []
            while stack:
                node = stack.pop()
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    continue
                nodes.append(node)
                stack.extend(ast.iter_child_nodes(node))
            for node in sorted(nodes, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            found.setdefault(target.id, []).append(node.value)
                elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None \
                        and isinstance(node.target, ast.Name):
                    found.setdefault(node.target.id, []).append(node.value)
            self.memo[key] = found
        return self.memo[key]  # type: ignore[return-value]

    def column(self, node: ast.AST) -> int:
        """1-based character column of a node (ast gives UTF-8 byte offsets)."""
        line = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else ""
        return len(line.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore")) + 1

    # -- names ---------------------------------------------------------------------------------
    def qualname(self, expr: ast.AST) -> str | None:
        """``rq.get`` → ``requests.get``; calls in a chain are written ``name()``."""
        parts: list[str] = []
        while True:
            if isinstance(expr, ast.Attribute):
                parts.append(expr.attr)
                expr = expr.value
            elif isinstance(expr, ast.Call):
                parts.append("()")
                expr = expr.func
            elif isinstance(expr, ast.Name):
                parts.append(self.aliases.get(expr.id, expr.id))
                break
            else:
                return None
        dotted = ""
        for part in reversed(parts):
            dotted = dotted + part if part == "()" or not dotted else f"{dotted}.{part}"
        return dotted

    def client_kind(self, expr: ast.AST) -> str | None:
        """The client kind of a receiver expression, from assignments, constructors or pipelines."""
        name = dotted_name(expr)
        if name and name in self.clients:
            return self.clients[name]
        if isinstance(expr, ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Call):
            qual = self.qualname(expr.func)
            if qual in CLIENT_CONSTRUCTORS:
                return CLIENT_CONSTRUCTORS[qual]
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in _DERIVED:
                base = self.client_kind(expr.func.value)
                if base in _DERIVED[expr.func.attr]:
                    return base
        return None

    def loop_bound_names(self, loop: Loop) -> frozenset[str]:
        """Names (re)bound on each iteration: loop targets and assignments in the body."""
        cached = self._bound.get(id(loop))
        if cached is not None:
            return cached
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            roots: list[ast.AST] = [loop.target, *loop.body]
        elif isinstance(loop, ast.While):
            roots = [*loop.body]
        else:
            roots = [g.target for g in loop.generators] + [loop]
        names: set[str] = set()
        for root in roots:
            for node in ast.walk(root):
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    names.add(node.id)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
        bound = frozenset(names)
        self._bound[id(loop)] = bound
        return bound

    # -- traversal -----------------------------------------------------------------------------
    def calls(self) -> list[CallSite]:
        return self.sites

    def _index(self) -> None:
        """One iterative walk (deep expressions never hit the recursion limit) that collects call
        sites with their scope, imports, assignments that create clients, and string literals."""
        pairs: list[tuple[str | None, ast.AST]] = []
        annotated: list[ast.arg] = []
        stack: list[tuple[ast.AST, Scope, ast.AST | None]] = [(self.tree, Scope(), None)]
        while stack:
            node, scope, parent = stack.pop()
            kind = type(node)
            if kind is ast.Call:
                self.sites.append(CallSite(node, scope, parent))
            elif kind is ast.Constant:
                if isinstance(node.value, str) and type(parent) is not ast.JoinedStr:
                    self.strings.append(node)
            elif kind is ast.JoinedStr:
                self.strings.append(node)
            elif kind is ast.Assign:
                pairs += [(dotted_name(t), node.value) for t in node.targets]
            elif kind in (ast.AnnAssign, ast.NamedExpr):
                if node.value is not None:
                    pairs.append((dotted_name(node.target), node.value))
            elif kind in (ast.With, ast.AsyncWith):
                pairs += [(dotted_name(i.optional_vars), i.context_expr) for i in node.items if i.optional_vars]
            elif kind is ast.arg:
                if node.annotation is not None:
                    annotated.append(node)
            elif kind is ast.Import:
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
            elif kind is ast.ImportFrom and node.module and not node.level:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            if kind in _LOOP_SET:
                self.loops.append((node, scope))
            if kind in _SCOPING_SET:
                stack += [(child, child_scope, node) for child, child_scope in _children(node, scope)]
                continue
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    stack += [(item, scope, node) for item in value if isinstance(item, ast.AST)]
                elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
                    stack.append((value, scope, node))
        self.sites.reverse()  # source order, for stable output
        self.loops.reverse()
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self.globals[target.id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
                self.globals[stmt.target.id] = stmt.value
        for arg in annotated:
            kind = CLIENT_CONSTRUCTORS.get(self.qualname(arg.annotation) or "")
            if kind:
                self.clients[arg.arg] = kind
        # Twice, so `p = r.pipeline()` resolves even when it appears before `r = redis.Redis()`.
        for _ in range(2):
            for name, value in pairs:
                if name:
                    kind = self.client_kind(value)
                    if kind:
                        self.clients[name] = kind


def dotted_name(expr: ast.AST | None) -> str | None:
    """``self.cache`` → "self.cache"; None for anything that is not a plain name chain."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def is_handler(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A web request handler: a route decorator (FastAPI/Flask/DRF...) or a Django-style `request` arg."""
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in _HANDLER_DECORATORS:
            return True
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args][:2]
    return "request" in params


_LOOP_SET = frozenset((ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp))
# Nodes whose children are evaluated in another scope (a new function, or once per iteration).
_SCOPING_SET = frozenset((ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.For, ast.AsyncFor, ast.While,
                          ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp))


def _children(node: ast.AST, scope: Scope):
    """Child nodes with the scope each is evaluated in."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        inner = Scope(node, isinstance(node, ast.AsyncFunctionDef), is_handler(node))
        yield from ((d, scope) for d in node.decorator_list)
        yield from ((d, scope) for d in node.args.defaults + [d for d in node.args.kw_defaults if d])
        yield from ((s, inner) for s in node.body)
    elif isinstance(node, ast.Lambda):
        yield from ((d, scope) for d in node.args.defaults + [d for d in node.args.kw_defaults if d])
        yield node.body, Scope(node)
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        looped = scope.in_loop(node)
        yield node.iter, scope
        yield node.target, looped
        yield from ((s, looped) for s in node.body)
        yield from ((s, scope) for s in node.orelse)
    elif isinstance(node, ast.While):
        looped = scope.in_loop(node)
        yield node.test, looped
        yield from ((s, looped) for s in node.body)
        yield from ((s, scope) for s in node.orelse)
    elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        looped = scope.in_loop(node)
        first, *rest = node.generators
        yield first.iter, scope  # evaluated once, before the first iteration
        yield first.target, looped
        yield from ((c, looped) for c in first.ifs)
        for gen in rest:
            yield gen.iter, looped
            yield gen.target, looped
            yield from ((c, looped) for c in gen.ifs)
        elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        yield from ((e, looped) for e in elts)
