"""The repository around a change: where a class, a function or a module is defined, read on demand.

A changed file says `for check in Check.objects.filter(...)` or `from app.cache import redis_client`;
whether `check.project` runs a query or `redis_client` is a synchronous client is written in another
file. A :class:`Project` answers those questions from a :class:`Source` (the given files, or a git
tree through ``agent.review.GitSource``), parsing only the files a question needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tools.codecheck import pyparse

if TYPE_CHECKING:
    from tools.codecheck.pyctx import Module

# One line per definition: enough to find where a name is defined without parsing every file.
DEFINITION = r"^[ \t]*(async[ \t]+def|def|class)[ \t]+[A-Za-z_][A-Za-z0-9_]*"
_DEFINITION = re.compile(r"^[ \t]*(async[ \t]+def|def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")
MAX_MODULE_BYTES = 2_000_000


class Source(Protocol):
    """Where a Project reads the repository's Python files."""

    def paths(self) -> list[str]: ...

    def read(self, path: str) -> str | None: ...

    def grep(self, pattern: str) -> list[tuple[str, int, str]]:
        """(path, line, text) of every line of a Python file matching the extended regex ``pattern``."""
        ...


@dataclass
class FilesSource:
    """A Source over files already in memory (the change's files, a test's files)."""

    files: dict[str, str]

    def paths(self) -> list[str]:
        return [p for p in self.files if p.endswith((".py", ".pyi"))]

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def grep(self, pattern: str) -> list[tuple[str, int, str]]:
        return [hit for path in self.paths() for hit in grep_text(path, self.files[path], pattern)]


def grep_text(path: str, text: str, pattern: str) -> list[tuple[str, int, str]]:
    """(path, line, text) of the lines of ``text`` matching ``pattern`` (one regex pass over the whole text)."""
    regex = re.compile(f"^.*(?:{pattern}).*$", re.MULTILINE)
    out = []
    for m in regex.finditer(text):
        out.append((path, text.count("\n", 0, m.start()) + 1, m.group(0)))
    return out


@dataclass
class Project:
    source: Source
    overlay: dict[str, str] = field(default_factory=dict)  # the change's new contents win over the source
    _defs: dict[str, list[tuple[str, int, str]]] | None = None
    _paths: list[str] | None = None
    _modules: dict[str, Module | None] = field(default_factory=dict)
    _greps: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    memo: dict[object, object] = field(default_factory=dict)  # per-question results (orm.py)

    # -- files ---------------------------------------------------------------------------------------
    def paths(self) -> list[str]:
        if self._paths is None:
            self._paths = sorted(set(self.source.paths()) | {p for p in self.overlay if p.endswith(".py")})
        return self._paths

    def read(self, path: str) -> str | None:
        if path in self.overlay:
            return self.overlay[path]
        return self.source.read(path)

    def module(self, path: str) -> Module | None:
        """The parsed, indexed module at ``path`` (None when absent, too big or unparsable)."""
        if path not in self._modules:
            from tools.codecheck.pyctx import Module

            text = self.read(path)
            mod = None
            if text is not None and len(text) <= MAX_MODULE_BYTES:
                try:
                    mod = Module.parse(text, path)
                except pyparse.Unparsable:
                    mod = None
            if mod is not None:
                mod.project = self
            self._modules[path] = mod
        return self._modules[path]

    def parsed(self, path: str, text: str) -> Module | None:
        """The module already parsed for ``path`` when it was parsed from exactly ``text``."""
        mod = self._modules.get(path)
        return mod if mod is not None and mod.source == text else None

    def adopt(self, mod: Module) -> None:
        """Use an already parsed module of the change (same path) instead of parsing it again."""
        self._modules.setdefault(mod.path, mod)
        mod.project = self

    # -- names ---------------------------------------------------------------------------------------
    def definitions(self, name: str) -> list[tuple[str, int, str]]:
        """(path, line, "class"|"def") of every top-level or nested definition of ``name``."""
        if self._defs is None:
            self._defs = {}
            changed = {p for p in self.overlay if p.endswith(".py")}
            hits = [h for h in self._grep(DEFINITION) if h[0] not in changed]
            for path in sorted(changed):  # the change's version of its own files
                hits += grep_text(path, self.overlay[path], DEFINITION)
            for path, line, text in hits:
                m = _DEFINITION.match(text)
                if m:
                    kind = "class" if m.group(1) == "class" else "def"
                    self._defs.setdefault(m.group(2), []).append((path, line, kind))
        return self._defs.get(name, [])

    def grep(self, pattern: str) -> list[tuple[str, int, str]]:
        """Lines matching ``pattern`` in the repository (the change's files as changed)."""
        key = ("grep", pattern)
        if key not in self.memo:
            found = [hit for hit in self._grep(pattern) if hit[0] not in self.overlay]
            for path, text in self.overlay.items():
                if path.endswith(".py"):
                    found += grep_text(path, text, pattern)
            self.memo[key] = found
        return self.memo[key]  # type: ignore[return-value]

    def _grep(self, pattern: str) -> list[tuple[str, int, str]]:
        if pattern not in self._greps:
            self._greps[pattern] = self.source.grep(pattern)
        return self._greps[pattern]

    def module_path(self, dotted: str) -> str | None:
        """The file of module ``a.b`` (a/b.py or a/b/__init__.py, also under src/ or any prefix)."""
        key = ("module_path", dotted)
        if key not in self.memo:
            tail = dotted.replace(".", "/")
            candidates = [p for p in self.paths()
                          if p == f"{tail}.py" or p.endswith(f"/{tail}.py")
                          or p == f"{tail}/__init__.py" or p.endswith(f"/{tail}/__init__.py")]
            self.memo[key] = min(candidates, key=len) if candidates else None
        return self.memo[key]  # type: ignore[return-value]

    def resolve(self, qualified: str) -> tuple[str, str] | None:
        """``pkg.mod.name`` → (path of pkg/mod.py, "name"): the module that defines an imported name."""
        if "." not in qualified:
            return None
        module, _, name = qualified.rpartition(".")
        path = self.module_path(module)
        return (path, name) if path else None


def cached(project: Project | None, key: object, compute: Callable[[], object]) -> object:
    """``compute()`` once per project and key (or every time without a project)."""
    if project is None:
        return compute()
    if key not in project.memo:
        project.memo[key] = None  # a cycle (a class its own base, a module importing itself) ends here
        project.memo[key] = compute()
    return project.memo[key]
