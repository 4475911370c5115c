"""PERF101 query_in_loop: a database query once per item of a loop over data (N+1).

Three ways to run one, all resolved before anything is called a query (tools/codecheck/orm.py):

- a call that runs a query now (`Model.objects.get`, `Model.query...first()`, `session.execute`,
  `cursor.fetchall`...) whose arguments change with the loop;
- a relation of the loop's row read lazily: a Django foreign key without `select_related`, a related
  manager queried (`check.channel_set.count()`), a SQLAlchemy relationship without eager loading;
- a model method or property that queries (`check.to_dict()` reading `self.channel_set`), or a
  function every definition of which queries, called with the loop's item.

A loop over a fixed set (literal tuples, CONSTANTS, enum classes, settings) or a `while` loop (retries,
polling, paging) is not an N+1, nor is a query that does not depend on the loop.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tools.codecheck import orm
from tools.codecheck.pyctx import HTTP_CLIENTS, CallSite, Loop, Module
from tools.codecheck.rules._base import Hit, short

# Rows of definition tables (custom fields, templates, types, settings, plugins): as many as someone
# configured, not rows that grow with use; a query per one of them is not the N+1 that hurts.
_DEFINITIONS = re.compile(r"(Field|FieldChoiceSet|ContentType|ObjectType|Config|Configuration|Settings?|Plugin|"
                          r"PluginEvent|PluginInstance|Template|ChoiceSet|Permission|Role)$")
# Generic method names: a fallback by name alone would guess wrong (many classes define them).
# The object's own persistence: saving or deleting each row is the loop's job, not an accidental N+1.
_PERSISTENCE = frozenset({"save", "delete", "refresh_from_db", "full_clean", "clean", "clean_fields", "validate_unique",
                          "snapshot", "bulk_create", "bulk_update", "abulk_create", "abulk_update"})
# Writing one row per item: often the point of the loop (and batching it changes signals and ids): info.
_WRITES = frozenset({"create", "get_or_create", "update_or_create", "acreate", "aget_or_create", "aupdate_or_create"})
# Methods named for an action (send, notify, prune, sync...) do the loop's work; an N+1 is a read of data.
_ACTION = re.compile(r"^_?(send|notify|deliver|prune|purge|sync|process|handle|run|execute|trigger|enqueue|schedule|"
                     r"upload|import|export|rebuild|recalc|retrace|trace|migrate|cleanup|apply|update|create|delete|"
                     r"save|add|remove|set|install|uninstall|register)(_|$)")
# Statements that are not reads of rows: DDL, session and maintenance commands run per configured item.
_NOT_A_READ = re.compile(r"^\s*(install|load|create|drop|alter|set|kill|grant|revoke|vacuum|analyze|truncate|lock|"
                         r"pragma|begin|commit|rollback|savepoint|listen|notify|reindex|refresh|cluster|comment|"
                         r"select\s+(setval|pg_\w+)\s*\()\b", re.I)
_WRITE_STATEMENT = re.compile(r"^\s*(insert|update|delete|upsert|replace|merge)\b", re.I)
_WRITE_CONSTRUCTS = frozenset({"insert", "update", "delete"})  # SQLAlchemy insert(t)/update(t)/t.update()
_GENERIC = frozenset({"get", "save", "delete", "update", "create", "filter", "all", "first", "last", "count",
                      "exists", "refresh", "clean", "full_clean", "validate", "serialize", "to_dict", "as_dict",
                      "to_json", "render", "run", "process", "handle", "execute", "fetch", "load", "apply", "sync",
                      "send", "notify", "call", "dispatch", "resolve", "lookup"})


def check(site: CallSite, mod: Module) -> Hit | None:
    """A call that runs a query, depending on a loop over data."""
    if not site.scope.loops:
        return None
    call = site.call
    if not isinstance(call.func, ast.Attribute) or mod.client_kind(call.func.value) in HTTP_CLIENTS:
        return None
    evaluated = _evaluated(site)
    how = orm.query_call(call, mod, mod.project, evaluated=evaluated)
    if how is not None and how.method in _PERSISTENCE:
        return None  # bulk_create/bulk_update inside a loop is the batching idiom (flush every N rows)
    if how is not None:
        if how.what == "query" and call.args and _statement_list_or_ddl(call.args[0], site, mod):
            return None
        if _in_except_handler(call, mod) or _rereads_the_row(call, site, mod):
            return None
        if how.what == "related manager" and _typed_row(how.root, site, mod):
            return None  # the scan judges it with the rows' prefetches
        loop = _data_loop_it_depends_on(site, mod, call)
        if loop is None:
            return None
        kind = {"ORM query": "ORM query", "related manager": "related manager query"}.get(how.what, "query")
        if how.method in _WRITES or (how.what == "query" and call.args and _writes(call.args[0], site, mod)):
            return Hit(call, f"`{short(call.func)}(...)` writes one row per iteration of the loop at line {loop.lineno}"
                             " (bulk_create batches them)", {"call": short(call.func), "loop_line": loop.lineno}, "info")
        return Hit(call, f"{kind} `{short(call.func)}(...)` runs once per iteration of the loop at line "
                         f"{loop.lineno} (N+1)", {"call": short(call.func), "loop_line": loop.lineno})
    name = call.func.attr
    if name in _GENERIC or len(name) < 10 or "_" not in name or _ACTION.match(name) \
            or not _all_definitions_query(mod, name):
        return None
    loop = _data_loop_it_depends_on(site, mod, call, arguments_only=True)
    if loop is None:
        return None
    return Hit(call, f"`{short(call.func)}(...)` runs a query (every `{name}` defined in the repository does) once "
                     f"per iteration of the loop at line {loop.lineno} (N+1)",
               {"call": short(call.func), "loop_line": loop.lineno}, "warning")


def scan(mod: Module) -> Iterator[Hit]:
    """Lazy relations and querying members read on the rows of a loop over a query."""
    for loop, scope in mod.loops:
        if isinstance(loop, ast.While):
            continue
        target, rows, body = _typed_loop(loop, scope.function, mod)
        if rows is not None and _DEFINITIONS.search(rows.model.name):
            rows = None
        if rows is not None and target is not None:
            mod.memo[("loop_target", id(scope.function), target)] = rows
            # A query run inside another loop (one hop of a path, one page) yields a slice of rows, often a
            # few: its per-row loads are info. The rows of an outer row's relation (team.members) are not.
            nested = bool(scope.loops) and not rows.via_relation
            for hit in _row_accesses(loop, target, rows, body, mod):
                if nested:
                    hit.severity = "info"
                yield hit
        if orm.is_data_loop(loop, mod):
            yield from _indexed_accesses(loop, scope.function, body, mod)


def _typed_loop(loop: Loop, fn: ast.AST | None, mod: Module) -> tuple[str | None, orm.Rows | None, list[ast.AST]]:
    """(the loop variable that holds a row, the rows' model, the nodes evaluated once per row)."""
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        target, iterable, body = loop.target, loop.iter, list(loop.body)
    else:
        gen = loop.generators[0]
        target, iterable = gen.target, gen.iter
        body = [*gen.ifs, *loop.generators[1:]]
        body += [loop.key, loop.value] if isinstance(loop, ast.DictComp) else [loop.elt]
    if isinstance(target, ast.Tuple) and isinstance(iterable, ast.Call) and \
            getattr(iterable.func, "id", None) == "enumerate" and len(target.elts) == 2:
        target = target.elts[1]
    if not isinstance(target, ast.Name):
        return None, None, body
    return target.id, orm.iterable_rows(iterable, mod, fn), body


def _row_accesses(loop: Loop, target: str, rows: orm.Rows, body: list[ast.AST], mod: Module) -> Iterator[Hit]:
    if _rebound(target, body):
        return
    seen: set[str] = set()
    evaluated = set().union(*(orm.evaluated_calls(node) for node in body)) if body else set()
    parents = _parents(body)
    for node in _walk(body):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == target
                and isinstance(node.ctx, ast.Load)) or node.attr in seen:
            continue
        hit = _access(node, parents, evaluated, rows, mod, loop)
        if hit is not None:
            seen.add(node.attr)
            yield hit


def _access(node: ast.Attribute, parents: dict[int, ast.AST], evaluated: set[int], rows: orm.Rows, mod: Module,
            loop: Loop) -> Hit | None:
    model, name = rows.model, node.attr
    shown = short(node)
    rel = orm.relation(model, name)
    parent = parents.get(id(node))
    if rel is not None:
        if rel.framework == "django" and rel.many:
            # item.channel_set.count() / .filter(...).exists() / for c in item.channel_set.all()
            call, method = _manager_call(node, parents)
            if call is None:
                return None
            runs_now = method in orm.DJANGO_EXEC or (id(call) in evaluated and method in orm.DJANGO_LAZY)
            if not runs_now or (name in rows.prefetched and method in orm.CACHED_BY_PREFETCH
                                and call.func.value is node):
                return None
            return _hit(node, loop, f"`{short(call.func)}(...)` queries the {model.name}.{name} related manager "
                                    f"once per row of the loop at line {loop.lineno} (N+1)",
                        f"prefetch_related('{name}')" if method in orm.CACHED_BY_PREFETCH else None, name, model)
        if rel.eager or name in rows.eager or name in rows.prefetched:
            return None
        if rel.framework == "django":
            if isinstance(parent, ast.Attribute) and parent.attr == "pk":
                return None
            return _hit(node, loop, f"`{shown}` loads the {model.name}.{name} foreign key with its own query once per "
                                    f"row of the loop at line {loop.lineno} (N+1)", f"select_related('{name}')",
                        name, model)
        # A many-to-one is served from the session's identity map once its parent is loaded: one query per
        # distinct parent, often a handful (a data source, an organization), so info.
        return _hit(node, loop, f"`{shown}` lazy-loads the {model.name}.{name} relationship once per row of the loop "
                                f"at line {loop.lineno} (N+1)", f"selectinload({model.name}.{name})", name, model,
                    severity="warning" if rel.many or rel.dynamic else "info")
    member = orm.querying_member(model, name, mod.project) \
        if name not in _PERSISTENCE and not _ACTION.match(name) else None
    if member is None:
        return None
    if member.kind == "method" and not (isinstance(parent, ast.Call) and parent.func is node):
        return None  # a method passed along, not called here
    unloaded = member.via - rows.eager - rows.prefetched
    if not member.direct and not unloaded:
        return None  # every query it runs goes through relations the loop's query already loads
    # Only many-to-one SQLAlchemy relations left: served from the identity map after the first parent.
    identity_mapped = not member.direct and all(
        (r := model.relations.get(v)) is not None and r.framework == "sqlalchemy" and not r.many for v in unloaded)
    called = f"{shown}()" if member.kind == "method" else shown
    return _hit(node, loop, f"`{called}` runs a query ({model.name}.{name} reads the database) once per row of the "
                            f"loop at line {loop.lineno} (N+1)", None, name, model,
                severity="info" if identity_mapped else None)


def _indexed_accesses(loop: Loop, fn: ast.AST | None, body: list[ast.AST], mod: Module) -> Iterator[Hit]:
    """`rows[i].relation` where `rows` holds query rows and `i` changes with the loop."""
    bound = mod.loop_bound_names(loop)
    seen: set[tuple[str, str]] = set()
    parents = _parents(body)
    evaluated = set().union(*(orm.evaluated_calls(node) for node in body)) if body else set()
    for node in _walk(body):
        if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
                and isinstance(node.value, ast.Subscript) and isinstance(node.value.value, ast.Name)):
            continue
        sub = node.value
        if not orm.depends_on(sub.slice, bound) or (sub.value.id, node.attr) in seen:
            continue
        rows = orm.iterable_rows(sub.value, mod, fn)
        if rows is None:
            continue
        hit = _access(node, parents, evaluated, rows, mod, loop)
        if hit is not None:
            seen.add((sub.value.id, node.attr))
            yield hit


def _hit(node: ast.AST, loop: Loop, message: str, eager_hint: str | None, relation: str, model: orm.Model,
         severity: str | None = None) -> Hit:
    evidence = {"call": short(node), "loop_line": loop.lineno, "relation": relation, "model": model.name}
    if eager_hint:
        evidence["eager_load"] = eager_hint
        message += f"; load it with the rows: {eager_hint}"
    return Hit(node, message, evidence, severity or "warning")


def _manager_call(node: ast.Attribute, parents: dict[int, ast.AST]) -> tuple[ast.Call | None, str]:
    """The outermost method call of a chain on a related manager (item.items.filter(...).count())."""
    current: ast.AST = node
    call: ast.Call | None = None
    while True:
        parent = parents.get(id(current))
        if isinstance(parent, ast.Attribute) and parent.value is current:
            grand = parents.get(id(parent))
            if isinstance(grand, ast.Call) and grand.func is parent:
                call, current = grand, grand
                continue
        break
    return call, (call.func.attr if call is not None and isinstance(call.func, ast.Attribute) else "")


def _data_loop_it_depends_on(site: CallSite, mod: Module, call: ast.Call,
                             arguments_only: bool = False) -> Loop | None:
    """The innermost enclosing loop over data whose variables the call uses (in its arguments only, with
    ``arguments_only``: `ct.get_peer_termination()` on each row is a method of the row, not a lookup by it)."""
    used: ast.AST = call
    if arguments_only:
        used = ast.Tuple(elts=[*call.args, *(k.value for k in call.keywords)], ctx=ast.Load())
    fixed: set[str] = set()  # variables of enclosing loops over fixed sets (their items' lists are fixed too)
    for loop in site.scope.loops:
        if not orm.is_data_loop(loop, mod):
            fixed |= {n.id for t in [getattr(loop, "target", None)] if t is not None
                      for n in ast.walk(t) if isinstance(n, ast.Name)}
    for loop in reversed(site.scope.loops):
        iterable_root = _root_name(getattr(loop, "iter", None))
        if iterable_root in fixed:
            continue
        names = mod.loop_bound_names(loop)
        if isinstance(loop, ast.While):  # `while ids: get(ids.pop())`: the drained collection changes
            names = names | {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)}
        if orm.is_data_loop(loop, mod) and orm.depends_on(used, names):
            iterable = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else \
                loop.generators[0].iter if not isinstance(loop, ast.While) else None
            rows = orm.iterable_rows(iterable, mod, site.scope.function) if iterable is not None else None
            if rows is not None and _DEFINITIONS.search(rows.model.name):
                return None
            return loop
    return None


def _statement_list_or_ddl(arg: ast.AST, site: CallSite, mod: Module) -> bool:
    """`for stmt in statements: cursor.execute(stmt)` runs a list of statements (one each, by design);
    `execute(f"INSTALL {ext}")`, `execute("KILL ...")` are not reads of rows."""
    if isinstance(arg, ast.Name) and site.scope.loops:
        loop = site.scope.loops[-1]
        target = getattr(loop, "target", None)
        if target is not None and any(isinstance(n, ast.Name) and n.id == arg.id for n in ast.walk(target)):
            return True
    text = _statement_text(arg, site, mod)
    return text is not None and _NOT_A_READ.match(text) is not None


def _typed_row(root: ast.AST | None, site: CallSite, mod: Module) -> bool:
    """``root`` is the variable of an enclosing loop over the rows of a known model."""
    if not isinstance(root, ast.Name):
        return False
    for loop in site.scope.loops:
        target, rows, _ = _typed_loop(loop, site.scope.function, mod) if not isinstance(loop, ast.While) \
            else (None, None, [])
        if target == root.id and rows is not None:
            return True
    return False


def _root_name(expr: ast.AST | None) -> str | None:
    while isinstance(expr, (ast.Attribute, ast.Call, ast.Subscript)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _statement_text(arg: ast.AST, site: CallSite, mod: Module, depth: int = 0) -> str | None:
    """The SQL text a statement argument starts with: a literal, an f-string, "...".format(), text("..."), or a
    name assigned one of those in the function."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return str(arg.values[0].value)
    if isinstance(arg, ast.Call) and arg.args and isinstance(arg.func, ast.Name) and arg.func.id == "text":
        return _statement_text(arg.args[0], site, mod, depth + 1)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format":
        return _statement_text(arg.func.value, site, mod, depth + 1)
    if isinstance(arg, ast.Name) and depth < 3:
        values = mod.assignments(site.scope.function).get(arg.id, [])
        return _statement_text(values[-1], site, mod, depth + 1) if values else None
    return None


def _writes(arg: ast.AST, site: CallSite, mod: Module) -> bool:
    """The statement writes (INSERT/UPDATE/DELETE, or SQLAlchemy insert()/update()/delete())."""
    text = _statement_text(arg, site, mod)
    if text is not None:
        return _WRITE_STATEMENT.match(text) is not None
    assigned = mod.assignments(site.scope.function)
    pending, seen = [arg], 0
    while pending and seen < 6:  # stmt = update.where(...); update = table.update(): follow a few names
        expr = pending.pop()
        seen += 1
        for n in ast.walk(expr):
            if isinstance(n, ast.Call) and (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) \
                    in _WRITE_CONSTRUCTS:
                return True
            if isinstance(n, ast.Name) and assigned.get(n.id):
                pending.append(assigned[n.id][-1])
    return False


def _in_except_handler(call: ast.Call, mod: Module) -> bool:
    """The call is in an `except` block: it runs on the failure path, not once per item."""
    handled = mod.memo.get(("in_except", 0))
    if handled is None:
        handled = {id(n) for h in ast.walk(mod.tree) if isinstance(h, ast.ExceptHandler)
                   for stmt in h.body for n in ast.walk(stmt)}
        mod.memo[("in_except", 0)] = handled
    return id(call) in handled  # type: ignore[operator]


def _rereads_the_row(call: ast.Call, site: CallSite, mod: Module) -> bool:
    """`Model.objects.filter(pk=row.pk).exists()/update(...)` on the loop's own row: a deliberate re-check or
    write of that row, not a lookup of other data."""
    for node in ast.walk(call):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("filter", "get") and node.keywords:
            keys = {k.arg for k in node.keywords}
            if keys <= {"pk", "id"} and all(isinstance(k.value, ast.Attribute) and k.value.attr in ("pk", "id")
                                            and isinstance(k.value.value, ast.Name) for k in node.keywords):
                owner = node.keywords[0].value.value.id  # type: ignore[union-attr]
                loop = site.scope.loops[-1] if site.scope.loops else None
                target = getattr(loop, "target", None)
                if target is not None and any(isinstance(n, ast.Name) and n.id == owner for n in ast.walk(target)):
                    return True
    return False


def _evaluated(site: CallSite) -> bool:
    parent = site.parent
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is site.call:
        return True
    if isinstance(parent, ast.comprehension) and parent.iter is site.call:
        return True
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) \
        and parent.func.id in orm.EVALUATORS and site.call in parent.args


def _all_definitions_query(mod: Module, name: str) -> bool:
    project = mod.project
    if project is None:
        return False
    key = ("querying_function", name)
    if key not in project.memo:
        defs = [d for d in project.definitions(name) if d[2] == "def"]
        project.memo[key] = bool(defs) and all(_definition_queries(project, path, line, name)
                                               for path, line, _ in defs)
    return bool(project.memo[key])


def _definition_queries(project, path: str, line: int, name: str) -> bool:
    other = project.module(path)
    if other is None:
        return False
    for cls_or_mod in [other.tree, *(n for n in ast.walk(other.tree) if isinstance(n, ast.ClassDef))]:
        for fn in getattr(cls_or_mod, "body", []):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == name and fn.lineno == line:
                model = orm._model_of(project, other, cls_or_mod) if isinstance(cls_or_mod, ast.ClassDef) else None
                evaluated = orm.evaluated_calls(fn)
                return any(isinstance(n, ast.Call) and orm.query_call(n, other, project, evaluated=id(n) in evaluated,
                                                                      self_model=model) is not None
                           for n in ast.walk(fn))
    return False


def _rebound(name: str, body: list[ast.AST]) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in _walk(body))


def _walk(body: list[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of the loop body, not entering nested functions (they run later, maybe never)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _parents(body: list[ast.AST]) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in _walk(body):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents
