"""What Django and SQLAlchemy code does to the database: which call runs a query, which attribute of a
model lazy-loads a relation, which model method or property queries, and what a loop iterates over.

Names are resolved before anything is called a query: a `.objects`/`.query` chain must start at a class
that is a model (or at least a class: `Check.objects`), a `.execute()` must be called on something
that is a database session, connection or cursor (by its client kind, its annotation or its name),
and relations come from the models' own definitions in the changed files or the repository
(:class:`tools.codecheck.project.Project`). No type inference beyond that: what cannot be resolved is
not reported.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from tools.codecheck.project import Project, cached
from tools.codecheck.pyctx import Module, dotted_name

# -- what runs a query -----------------------------------------------------------------------------------

# Django QuerySet/manager methods that hit the database when called (the rest build a lazy queryset).
DJANGO_EXEC = frozenset({
    "get", "first", "last", "count", "exists", "update", "delete", "create", "get_or_create",
    "update_or_create", "aggregate", "latest", "earliest", "in_bulk", "bulk_create", "bulk_update", "contains",
    "explain", "aget", "acount", "aexists", "afirst", "alast", "acreate", "aupdate", "adelete",
})
DJANGO_LAZY = frozenset({
    "all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "only", "defer", "annotate",
    "distinct", "using", "values", "values_list", "restrict", "reverse", "none", "alias", "select_for_update",
    "extra", "iterator", "union", "intersection", "difference", "dates", "datetimes",
})
# SQLAlchemy Query (and Flask-SQLAlchemy) methods that run the statement.
SQLA_EXEC = frozenset({
    "all", "first", "one", "one_or_none", "scalar", "count", "get", "delete", "update", "get_or_404",
    "first_or_404", "one_or_404", "paginate", "exists_or_404",
})
# Methods of a session/connection/cursor that send a statement.
SESSION_EXEC = frozenset({"execute", "exec", "scalars", "scalar", "get", "merge", "refresh", "executemany",
                          "fetch", "fetchrow", "fetchval", "fetchone", "fetchall", "fetchmany", "get_one"})
# Receiver names that are a database session, connection or cursor by convention.
_DB_NAME = re.compile(r"^(?:db|database|session|sess|conn|connection|con|cursor|cur|engine|tx|txn|pool|"
                      r"transaction|[a-z0-9_]*_(?:session|db|conn|connection|cursor|cur|engine))$")
_DB_ANNOTATIONS = {"Session", "AsyncSession", "Connection", "AsyncConnection", "Engine", "Cursor", "scoped_session"}
# Django's `related_manager` methods served from a prefetch cache when the relation was prefetched.
CACHED_BY_PREFETCH = frozenset({"all", "count", "exists", "first", "last"})
# Iterating or materializing a lazy queryset runs it.
EVALUATORS = frozenset({"list", "len", "bool", "sorted", "set", "tuple", "sum", "max", "min", "any", "all", "dict"})

# -- models ---------------------------------------------------------------------------------------------------

_DJANGO_FK = {"ForeignKey", "OneToOneField", "ParentalKey", "TreeForeignKey"}
_DJANGO_MANY = {"ManyToManyField", "ParentalManyToManyField", "TaggableManager"}
_EAGER_LAZY = {"joined", "selectin", "subquery", "immediate", "raise", "raise_on_sql", "noload", "write_only"}
_EAGER_OPTIONS = {"joinedload", "selectinload", "subqueryload", "contains_eager", "immediateload", "raiseload",
                  "noload", "defaultload", "lazyload"}
_MODEL_BASES = {"Model", "DeclarativeBase", "SQLModel", "Base", "DeclarativeMeta", "AbstractBaseUser",
                "AbstractUser", "PolymorphicModel", "MPTTModel", "TimeStampedModel"}
_SQLA_FIELD = {"Column", "mapped_column", "relationship", "Relationship", "Field", "column_property",
               "association_proxy", "synonym", "deferred", "composite", "backref", "hybrid_property"}


@dataclass
class Relation:
    name: str
    many: bool  # a collection / related manager (True) or one related object (False)
    framework: str  # "django" or "sqlalchemy"
    target: str | None = None  # the related model's class name, when written as a name
    eager: bool = False  # loaded with its owner (SQLAlchemy lazy="joined"/"selectin"/...)
    dynamic: bool = False  # SQLAlchemy lazy="dynamic": the attribute is a query


def relation(model: Model, name: str) -> Relation | None:
    """The relation ``name`` of ``model``; Django's default reverse manager ``<model>_set`` counts too."""
    rel = model.relations.get(name)
    if rel is None and model.framework == "django" and name.endswith("_set") and len(name) > 4:
        rel = Relation(name, True, "django", None)
    return rel


@dataclass
class Model:
    name: str
    path: str
    framework: str
    node: ast.ClassDef
    module: Module
    relations: dict[str, Relation] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)  # plain columns: reading them runs nothing


def find_model(project: Project | None, mod: Module, name: str) -> Model | None:
    """The model class ``name`` (a bare or dotted name as written in ``mod``), or None."""
    if not name or not name[:1].isupper() and "." not in name:
        return None
    qual = mod.aliases.get(name.split(".")[0], name.split(".")[0]) + ("." + name.split(".", 1)[1] if "." in name
                                                                    else "")
    short = qual.rsplit(".", 1)[-1]
    if not short[:1].isupper():
        return None
    return cached(project, ("model", mod.path, qual), lambda: _find_model(project, mod, qual, short))  # type: ignore


def _find_model(project: Project | None, mod: Module, qual: str, short: str) -> Model | None:
    local = _class_in(mod, short)
    if local is not None and "." not in qual:
        return _model_of(project, mod, local)
    if project is None:
        return None
    candidates: list[tuple[str, ast.ClassDef, Module]] = []
    resolved = project.resolve(qual)
    if resolved is not None:
        target = project.module(resolved[0])
        node = _class_in(target, short) if target else None
        if node is not None:
            return _model_of(project, target, node)
        # `from app.models import User` where app/models/__init__.py re-exports it: fall through.
    for path, _, kind in project.definitions(short):
        if kind != "class":
            continue
        other = project.module(path)
        node = _class_in(other, short) if other else None
        if node is not None:
            candidates.append((path, node, other))
    models = [m for m in (_model_of(project, other, node) for _, node, other in candidates) if m is not None]
    return models[0] if len(models) == 1 else None


def _class_in(mod: Module | None, name: str) -> ast.ClassDef | None:
    if mod is None:
        return None
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    return None


def _model_of(project: Project | None, mod: Module, node: ast.ClassDef) -> Model | None:
    """A Model when the class is a Django or SQLAlchemy model (by its fields or its bases)."""
    framework = _framework(project, mod, node)
    if framework is None:
        return None
    model = Model(node.name, mod.path, framework, node, mod)
    for stmt in node.body:
        target, value = _field_assignment(stmt)
        if target is None or not isinstance(value, ast.Call):
            continue
        func = _call_name(value.func)
        if func in _DJANGO_FK:
            model.relations[target] = Relation(target, False, "django", _target_name(value))
        elif func in _DJANGO_MANY:
            model.relations[target] = Relation(target, True, "django", _target_name(value))
        elif func in ("relationship", "Relationship", "dynamic_loader"):
            lazy = _keyword_str(value, "lazy") or ("dynamic" if func == "dynamic_loader" else "select")
            many = _keyword_const(value, "uselist") is not False
            model.relations[target] = Relation(target, many, "sqlalchemy", _target_name(value),
                                               eager=lazy in _EAGER_LAZY, dynamic=lazy == "dynamic")
        else:
            model.fields.add(target)
    for base in _base_models(project, mod, node):
        for name, rel in base.relations.items():
            model.relations.setdefault(name, rel)
        model.fields |= base.fields
    for name, rel in model.relations.items():
        if rel.framework == "sqlalchemy" and f"{name}_id" in model.fields:
            rel.many = False  # a many-to-one: its foreign key column is on this model
    if project is not None:
        for rel in _reverse_relations(project, node.name, framework):
            model.relations.setdefault(rel.name, rel)
    return model


def _framework(project: Project | None, mod: Module, node: ast.ClassDef) -> str | None:
    for stmt in node.body:
        _, value = _field_assignment(stmt)
        if isinstance(value, ast.Call):
            func = value.func
            owner = dotted_name(func.value) if isinstance(func, ast.Attribute) else None
            name = _call_name(func)
            if owner in ("models", "django.db.models") or name in _DJANGO_FK | _DJANGO_MANY:
                return "django"
            if name in _SQLA_FIELD or owner in ("db", "sa", "sqlalchemy"):
                return "sqlalchemy"
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__tablename__"
                                                for t in stmt.targets):
            return "sqlalchemy"
    for base in node.bases:
        name = dotted_name(base) or ""
        qual = mod.aliases.get(name.split(".")[0], name)
        if name in ("models.Model",) or qual.startswith("django.db.models"):
            return "django"
        if name in ("db.Model", "Base", "DeclarativeBase", "SQLModel") or "sqlalchemy" in qual or "sqlmodel" in qual:
            return "sqlalchemy"
    for base in _base_models(project, mod, node):
        return base.framework
    return None


def _base_models(project: Project | None, mod: Module, node: ast.ClassDef) -> list[Model]:
    out = []
    for base in node.bases:
        name = dotted_name(base)
        if name and name.rsplit(".", 1)[-1] not in _MODEL_BASES and name.rsplit(".", 1)[-1] != node.name:
            found = find_model(project, mod, name)
            if found is not None:
                out.append(found)
    return out


def _reverse_relations(project: Project, model: str, framework: str) -> list[Relation]:
    """Relations other models declare towards ``model`` with a name on this side (related_name, backref)."""
    key = ("reverse", model)

    def compute() -> list[Relation]:
        out: list[Relation] = []
        word = re.compile(rf"\b{model}\b")
        hits = project.grep(r"related_name|backref|back_populates")  # one scan for every model's question
        for path in sorted({hit[0] for hit in hits if word.search(hit[2])}):
            other = project.module(path)
            if other is None:
                continue
            for cls in ast.walk(other.tree):
                if not isinstance(cls, ast.ClassDef):
                    continue
                for stmt in cls.body:
                    _, value = _field_assignment(stmt)
                    if not isinstance(value, ast.Call) or _target_name(value) != model:
                        continue
                    func = _call_name(value.func)
                    name = _keyword_str(value, "related_name")
                    if func in _DJANGO_FK | _DJANGO_MANY and name and name != "+" and not name.endswith("+"):
                        out.append(Relation(name, func in _DJANGO_MANY or func in _DJANGO_FK, "django", cls.name))
                    backref = _backref_name(value)
                    if func in ("relationship", "Relationship") and backref:
                        out.append(Relation(backref, True, "sqlalchemy", cls.name))
        return out

    return cached(project, key, compute)  # type: ignore[return-value]


def _field_assignment(stmt: ast.stmt) -> tuple[str | None, ast.AST | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def _call_name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _target_name(call: ast.Call) -> str | None:
    """The related model of ForeignKey(Target)/relationship("Target"): its class name."""
    arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("to", "argument")), None)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value.rsplit(".", 1)[-1]
    name = dotted_name(arg) if arg is not None else None
    return name.rsplit(".", 1)[-1] if name else None


def _keyword_str(call: ast.Call, name: str) -> str | None:
    for k in call.keywords:
        if k.arg == name and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
            return k.value.value
    return None


def _keyword_const(call: ast.Call, name: str) -> object:
    for k in call.keywords:
        if k.arg == name and isinstance(k.value, ast.Constant):
            return k.value.value
    return None


def _backref_name(call: ast.Call) -> str | None:
    for k in call.keywords:
        if k.arg == "backref":
            if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                return k.value.value
            if isinstance(k.value, ast.Call) and k.value.args and isinstance(k.value.args[0], ast.Constant):
                return str(k.value.args[0].value)
    return None


# -- members that query -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Querying:
    """A model member (method or property) that runs queries; ``via`` are the relations of ``self`` they go
    through (a prefetch of all of them serves it from memory), ``direct`` when some query does not."""

    kind: str  # "method" or "property"
    direct: bool
    via: frozenset[str]


def querying_member(model: Model, name: str, project: Project | None) -> Querying | None:
    members = cached(project, ("members", model.path, model.name), lambda: _querying_members(model, project))
    return members.get(name)  # type: ignore[union-attr]


def _querying_members(model: Model, project: Project | None) -> dict[str, Querying]:
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for stmt in model.node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods[stmt.name] = stmt
    direct: dict[str, bool] = {}
    via: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for name, fn in methods.items():
        direct[name], via[name], calls[name] = _member_queries(fn, model, project)
    changed = True
    while changed:  # a method calling another querying method of self queries too
        changed = False
        for name in methods:
            for callee in calls[name]:
                if callee in methods and (direct[callee] or via[callee]):
                    new_direct = direct[name] or direct[callee]
                    new_via = via[name] | via[callee]
                    if (new_direct, new_via) != (direct[name], via[name]):
                        direct[name], via[name], changed = new_direct, new_via, True
    out: dict[str, Querying] = {}
    for name, fn in methods.items():
        if direct[name] or via[name]:
            is_property = any((dotted_name(d) or "").endswith(("property", "cached_property")) for d in fn.decorator_list)
            out[name] = Querying("property" if is_property else "method", direct[name], frozenset(via[name]))
    # A cached_property runs once per object, still once per object of a loop.
    for base in _base_models(project, model.module, model.node):
        for name, q in _querying_members(base, project).items():
            out.setdefault(name, q)
    return out


def _member_queries(fn: ast.AST, model: Model, project: Project | None) -> tuple[bool, set[str], set[str]]:
    """(runs a query not through a relation of self, relations of self it queries through, methods of
    self it calls)."""
    direct = False
    via: set[str] = set()
    calls: set[str] = set()
    mod = model.module
    evaluated = evaluated_calls(fn)
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                calls.add(func.attr)
            how = query_call(node, mod, project, evaluated=id(node) in evaluated, self_model=model)
            if how is not None:
                if how.via_self:
                    via.add(how.via_self)
                else:
                    direct = True
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
                and isinstance(node.ctx, ast.Load):
            rel = relation(model, node.attr)
            if rel is None or rel.eager:
                continue
            if rel.framework == "sqlalchemy" and not rel.dynamic:
                via.add(node.attr)  # a lazy relationship of self: loads unless eager-loaded by the caller
            elif rel.framework == "django" and not rel.many:
                via.add(node.attr)  # self.project: a foreign key, loads unless select_related
    return direct, via, calls


def evaluated_calls(root: ast.AST) -> set[int]:
    """ids of the calls under ``root`` whose value is iterated or materialized right away: a loop's or a
    comprehension's iterable, the argument of list()/len()/sorted()..."""
    out: set[int] = set()
    for node in ast.walk(root):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            out.add(id(node.iter))
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            out |= {id(g.iter) for g in node.generators}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in EVALUATORS:
            out |= {id(a) for a in node.args}
    return out


# -- query calls -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueryCall:
    what: str  # for messages: "ORM query", "query", "related manager"
    root: ast.AST | None  # the expression the chain starts at (a model class, a session, an instance)
    via_self: str | None = None  # the relation of `self` it goes through (model members)
    method: str = ""


@dataclass(frozen=True)
class Link:
    name: str  # attribute or method name
    call: ast.Call | None  # the call when the link is a method call
    receiver: ast.AST  # what the attribute is taken from


def chain(expr: ast.AST) -> list[Link]:
    """The attribute/method links of ``a.b(...).c.d(...)``, root first (subscripts are looked through)."""
    links: list[Link] = []
    while True:
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            links.append(Link(expr.func.attr, expr, expr.func.value))
            expr = expr.func.value
        elif isinstance(expr, ast.Attribute):
            links.append(Link(expr.attr, None, expr.value))
            expr = expr.value
        elif isinstance(expr, ast.Subscript):
            expr = expr.value
        else:
            break
    links.reverse()
    return links


def query_call(call: ast.Call, mod: Module, project: Project | None, *,
               evaluated: bool = False, self_model: Model | None = None) -> QueryCall | None:
    """How ``call`` runs a query now, or None. ``evaluated``: the call's value is iterated or materialized
    right away (a for loop's iterable, ``list(...)``), so a lazy queryset runs too."""
    if not isinstance(call.func, ast.Attribute):
        return None
    links = chain(call)
    method = links[-1].name
    for link in links[:-1]:
        # Django: Model.objects...<method>(); Flask-SQLAlchemy: Model.query...<method>()
        if link.call is None and link.name in ("objects", "_default_manager", "_base_manager", "query"):
            if not _is_class_like(link.receiver):
                return None
            runs = SQLA_EXEC if link.name == "query" else DJANGO_EXEC
            if method in runs or evaluated:
                return QueryCall("ORM query", link.receiver, method=method)
            return None
        # SQLAlchemy: session.query(Model)...<method>()
        if link.call is not None and link.name == "query" and _is_session(link.receiver, mod, project):
            if method in SQLA_EXEC or evaluated:
                return QueryCall("ORM query", link.receiver, method=method)
            return None
    receiver = call.func.value
    if method in SESSION_EXEC and _is_session(receiver, mod, project):
        if method == "get" and len(call.args) < 2 and not call.keywords:
            return None  # an HTTP-style .get(url): a session's get wants (Model, pk)
        return QueryCall("query", receiver, method=method)
    # A related manager: self.items.filter(...).count() (model members), x.item_set.count()
    first = links[0]
    if len(links) >= 2 and first.call is None and isinstance(first.receiver, ast.Name):
        runs_now = method in DJANGO_EXEC or (evaluated and method in DJANGO_LAZY)
        if self_model is not None and first.receiver.id == "self":
            rel = relation(self_model, first.name)
            if rel is not None and (rel.many or rel.dynamic) and runs_now:
                cached_by_prefetch = method in CACHED_BY_PREFETCH and len(links) == 2
                return QueryCall("related manager", first.receiver,
                                 via_self=first.name if cached_by_prefetch else None, method=method)
        elif first.name.endswith("_set") and runs_now:
            return QueryCall("related manager", first.receiver, method=method)
    return None


def _is_class_like(expr: ast.AST) -> bool:
    """A name that reads as a class (CapWords, possibly through a module: models.Check)."""
    name = dotted_name(expr)
    if not name:
        return False
    last = name.rsplit(".", 1)[-1]
    return last[:1].isupper() and not last.isupper()


def _is_session(expr: ast.AST | None, mod: Module, project: Project | None) -> bool:
    """A database session, connection or cursor: by client kind, by its name, or by its annotation."""
    if expr is None:
        return False
    kind = mod.client_kind(expr)
    if kind in ("sync_db", "async_db", "sync_session", "async_session"):
        return True
    if kind is not None:
        return False  # a Redis or HTTP client
    if isinstance(expr, ast.Call):
        # session() / engine.connect() / conn.cursor(): a factory call; anything else (api.list().execute()) is not
        inner = expr.func.attr if isinstance(expr.func, ast.Attribute) else getattr(expr.func, "id", "")
        return inner in ("cursor", "connect", "begin", "connection", "session", "Session", "get_session",
                         "SessionLocal", "get_db", "scoped_session")
    name = dotted_name(expr)
    if not name:
        return False
    last = name.rsplit(".", 1)[-1]
    if _DB_NAME.match(last):
        return True
    return session_annotation(mod, name) is not None


def session_annotation(mod: Module, name: str, fn: ast.AST | None = None) -> str | None:
    """The annotation class of a parameter named ``name`` when it is a database session type: the
    parameter of ``fn`` when given (two functions may type ``session`` differently), else any in the module."""
    if fn is not None and isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for arg in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
            if arg.arg == name:
                return _annotation_name(arg.annotation, mod) if arg.annotation is not None else None
    found = mod.memo.get(("session_params", 0))
    if found is None:
        found = {}
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.arg) and node.annotation is not None:
                ann = _annotation_name(node.annotation, mod)
                if ann:
                    found.setdefault(node.arg, ann)
        mod.memo[("session_params", 0)] = found
    return found.get(name)  # type: ignore[union-attr]


def _annotation_name(ann: ast.AST, mod: Module) -> str | None:
    """"Session" for `Session`, `sqlalchemy.orm.Session`, `Annotated[Session, Depends(...)]`, `Optional[...]`,
    and aliases defined in this module or imported (`SessionDep`)."""
    if isinstance(ann, ast.Subscript):
        head = dotted_name(ann.value) or ""
        inner = ann.slice.elts[0] if isinstance(ann.slice, ast.Tuple) and ann.slice.elts else ann.slice
        if head.rsplit(".", 1)[-1] in ("Annotated", "Optional", "Union"):
            return _annotation_name(inner, mod)
        return None
    name = dotted_name(ann)
    if not name:
        return None
    last = name.rsplit(".", 1)[-1]
    if last in _DB_ANNOTATIONS:
        qual = mod.aliases.get(name.split(".")[0], name)
        if "redis" in qual or "requests" in qual or "httpx" in qual:
            return None
        return last
    alias = mod.globals.get(name)
    if alias is not None and alias is not ann:
        return _annotation_name(alias, mod)
    project = mod.project
    qual = mod.aliases.get(name)
    if project is not None and qual:
        resolved = project.resolve(qual)
        other = project.module(resolved[0]) if resolved else None
        if other is not None and other is not mod and resolved[1] in other.globals:
            return _annotation_name(other.globals[resolved[1]], other)
    return None


# -- what a loop iterates over --------------------------------------------------------------------------------------

@dataclass
class Rows:
    """A loop iterable whose items are instances of ``model``; ``eager`` are the relations loaded with them."""

    model: Model
    eager: set[str] = field(default_factory=set)
    prefetched: set[str] = field(default_factory=set)  # Django prefetch_related (served from memory)
    via_relation: bool = False  # the rows of a relation of another row (team.members), not a query of their own


def iterable_rows(expr: ast.AST, mod: Module, fn: ast.AST | None, depth: int = 0) -> Rows | None:
    """The model instances ``expr`` yields, when it is a query of a known model (or a name assigned one)."""
    if depth > 4:
        return None
    project = mod.project
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in (
            "list", "sorted", "reversed", "tuple", "set", "enumerate", "iter") and expr.args:
        return iterable_rows(expr.args[0], mod, fn, depth + 1)
    if isinstance(expr, ast.Subscript):
        return iterable_rows(expr.value, mod, fn, depth + 1)
    if isinstance(expr, ast.Name):
        values = mod.assignments(fn).get(expr.id, [])
        rows = None
        for value in values:
            if _mentions(value, expr.id):  # q = q.select_related(...): adds eager loading to the same rows
                if rows is not None:
                    _collect_eager(value, rows, mod)
                continue
            found = iterable_rows(value, mod, fn, depth + 1)
            if found is None or (rows is not None and found.model.name != rows.model.name):
                return None  # assigned something else too (a list built by hand, another model): unknown
            rows = found
        return rows
    if not isinstance(expr, (ast.Call, ast.Attribute)):
        return None
    links = chain(expr)
    names = [link.name for link in links]
    if not links or {"values", "values_list", "scalar", "count", "exists"} & set(names):
        return None
    model: Model | None = None
    for link in links:
        if link.call is None and link.name in ("objects", "_default_manager", "query"):
            model = find_model(project, mod, dotted_name(link.receiver) or "")
            break
        if link.call is not None and link.name == "query" and link.call.args:
            model = find_model(project, mod, dotted_name(link.call.args[0]) or "")
            break
        if link.call is not None and link.name in ("scalars", "execute", "exec") and link.call.args:
            model = _select_model(link.call.args[0], mod)
            break
    else:
        # x.items.all() / x.members: a relation of an instance a loop is over
        first = links[0]
        owner = None
        if first.call is None:
            owner = loop_target_model(mod, fn, first.receiver)
            if owner is None and isinstance(first.receiver, ast.Subscript):  # rows[i].members
                owner = iterable_rows(first.receiver.value, mod, fn, depth + 1)
        rel = relation(owner.model, first.name) if owner else None
        if rel is not None and rel.many and rel.target:
            model = find_model(project, owner.model.module, rel.target)
            if model is not None:
                rows = Rows(model, via_relation=True)
                _collect_eager(expr, rows, mod)
                return rows
    if model is None:
        return None
    rows = Rows(model)
    _collect_eager(expr, rows, mod)
    return rows


def _select_model(expr: ast.AST, mod: Module) -> Model | None:
    """select(Model)...: the model of a 2.0-style select statement."""
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        expr = expr.func.value
    if isinstance(expr, ast.Call) and (dotted_name(expr.func) or "").rsplit(".", 1)[-1] == "select" and expr.args:
        return find_model(mod.project, mod, dotted_name(expr.args[0]) or "")
    return None


def loop_target_model(mod: Module, fn: ast.AST | None, expr: ast.AST) -> Rows | None:
    """The rows type of a name bound by a loop over rows (recorded by the loop scan, for nested loops)."""
    if not isinstance(expr, ast.Name):
        return None
    typed = mod.memo.get(("loop_target", id(fn), expr.id))
    return typed if isinstance(typed, Rows) else None


def _collect_eager(expr: ast.AST, rows: Rows, mod: Module) -> None:
    for node in ast.walk(expr):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr == "select_related":
            rows.eager |= {a.value.split("__")[0] for a in node.args if isinstance(a, ast.Constant)
                           and isinstance(a.value, str)}
            if not node.args:
                rows.eager |= {n for n, r in rows.model.relations.items() if not r.many}
        elif node.func.attr == "prefetch_related":
            for a in node.args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    rows.prefetched.add(a.value.split("__")[0])
                elif isinstance(a, ast.Call) and a.args and isinstance(a.args[0], ast.Constant):
                    rows.prefetched.add(str(a.args[0].value).split("__")[0])
        elif node.func.attr == "options" or _call_name(node.func) in _EAGER_OPTIONS:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _call_name(inner.func) in _EAGER_OPTIONS:
                    for a in inner.args:
                        if isinstance(a, ast.Attribute):
                            rows.eager.add(a.attr)
                        elif isinstance(a, ast.Constant) and isinstance(a.value, str):
                            rows.eager.add(a.value.split(".")[0])


def _mentions(expr: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(expr))


# -- what a loop is over ----------------------------------------------------------------------------------------

def is_data_loop(loop: ast.AST, mod: Module) -> bool:
    """A loop over data that grows (query rows, a request's list, a file's lines), not over a fixed set
    (literal tuples, CONSTANTS, enum classes, settings, range(literal)), and not a `while` retry/poll loop
    (a `while items:` that drains a collection is one)."""
    if isinstance(loop, ast.While):
        # `while queue:` drains a collection; `while True`, `while x is not None`, `while not done`,
        # `while cursor.nextset()` retry, poll, page or probe.
        name = dotted_name(loop.test) if isinstance(loop.test, (ast.Name, ast.Attribute)) else None
        return name is not None and _drains(loop, name)
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        iterables, targets = [loop.iter], [loop.target]
    else:
        iterables = [g.iter for g in loop.generators]  # type: ignore[attr-defined]
        targets = [g.target for g in loop.generators]  # type: ignore[attr-defined]
    names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if names & _CONFIGURATION_ITEMS:
        return False  # projects, organizations, plugins, models, fields: configuration-sized sets
    return not all(_fixed(it, mod) for it in iterables)


# Loop variables that name configuration-level things: a handful per deployment, not rows that grow with use.
_CONFIGURATION_ITEMS = frozenset({
    "project", "project_id", "project_slug", "organization", "organization_id", "organization_slug", "org", "org_id",
    "tenant", "tenant_id", "schema", "plugin", "plugin_slug", "plugin_type", "app", "app_config", "app_label",
    "model", "model_class", "model_name", "klass", "cls", "field", "field_name", "extension", "backend", "queue",
    "queue_name", "setting", "attempt", "retry",
})


def _drains(loop: ast.While, name: str) -> bool:
    """The loop body takes items out of ``name`` (``name.pop()``, ``name.popleft()``)."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("pop", "popleft")
               and dotted_name(n.func.value) == name for stmt in loop.body for n in ast.walk(stmt))


def _fixed(expr: ast.AST, mod: Module) -> bool:
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return all(isinstance(e, (ast.Constant, ast.Name, ast.Attribute, ast.Tuple)) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return True
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.Call):
        func = dotted_name(expr.func) or ""
        last = func.rsplit(".", 1)[-1]
        if func in ("range", "xrange") and all(isinstance(a, ast.Constant) for a in expr.args):
            return True
        if func in ("enumerate", "sorted", "reversed", "list", "tuple", "iter", "zip") and expr.args:
            return all(_fixed(a, mod) for a in expr.args)
        if last in ("items", "keys", "values") and isinstance(expr.func, ast.Attribute):
            return _fixed(expr.func.value, mod)
        if last in ("get_fields", "get_models", "get_app_configs", "subclasses", "__subclasses__"):
            return True  # the models, fields or subclasses of the code base: a fixed set
        # plugins.all(): a registry built at import time
        return last in ("all", "values", "items", "keys") and isinstance(expr.func, ast.Attribute) \
            and _imported_object(expr.func.value, mod)
    name = dotted_name(expr)
    if name:
        last = name.rsplit(".", 1)[-1]
        if last.isupper() and len(last) > 1:
            return True  # CONSTANT, settings.CONSTANT
        if name.startswith("settings.") or name.startswith("self.settings.") or name.startswith("config."):
            return True
        if last[:1].isupper():
            return True  # an enum or a class: iterating its members
        value = mod.globals.get(name)
        if value is not None and value is not expr and isinstance(value, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            return _fixed(value, mod)
        if _imported_object(expr, mod):
            return True
    return False


def _imported_object(expr: ast.AST, mod: Module) -> bool:
    """A lowercase name imported from another module: a module-level object (a registry, a settings list),
    fixed when the module was imported. Classes (CapWords) and modules are not."""
    if not isinstance(expr, ast.Name) or expr.id not in mod.aliases or not expr.id[:1].islower():
        return False
    qual = mod.aliases[expr.id]
    return qual.rsplit(".", 1)[-1] == expr.id and "." in qual and mod.project is not None \
        and mod.project.module_path(qual) is None  # `from pkg import registry`, not `from pkg import module`


def depends_on(expr: ast.AST, names: frozenset[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))
