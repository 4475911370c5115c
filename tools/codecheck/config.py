"""Review configuration: `[tool.lmagent.review]` in pyproject.toml.

    [tool.lmagent.review]
    select = ["PERF1", "SQL"]          # codes, code prefixes or kinds (default: every rule)
    ignore = ["PERF108", "select_star"]
    exclude = ["migrations/*", "tests/data/*"]   # fnmatch globs; `*` also crosses `/`
    tests = "info"                     # findings in test code: "info" (at most), "skip", or "full"
    migrations = "info"                # PERF findings in migrations, likewise (SQL rules read them as migrations)
    [tool.lmagent.review.severity]
    PERF104 = "error"                  # by code or kind
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import InputError
from tools.findings import Severity
from tools.numbers import TOO_MANY_DIGITS


class ReviewConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    select: list[str] | None = None
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, Severity] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)
    tests: Literal["info", "skip", "full"] = "info"
    migrations: Literal["info", "skip", "full"] = "info"

    def enabled(self, code: str, kind: str) -> bool:
        def hit(names: list[str]) -> bool:
            return any(code.startswith(n) or kind == n for n in names)

        return (self.select is None or hit(self.select)) and not hit(self.ignore)

    def severity_for(self, code: str, kind: str, default: Severity) -> Severity:
        return self.severity.get(code) or self.severity.get(kind) or default

    def skips(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(path, g.rstrip("/") + "/*")
                   for g in self.exclude)


def parse_config(raw: dict[str, Any] | None, source: str = "config") -> ReviewConfig:
    try:
        return ReviewConfig.model_validate(raw or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"[tool.lmagent.review] {where}: {err['msg']}", path=source) from None


def load_config(path: str) -> dict[str, Any]:
    """The `[tool.lmagent.review]` table of a pyproject.toml file ({} when absent)."""
    from tools.errors import read_text

    return config_from_toml(read_text(path), path)


def config_from_toml(text: str, source: str) -> dict[str, Any]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(f"invalid TOML: {exc}", path=source, line=int(m.group(1)) if m else None) from None
    except ValueError:  # tomllib lets int()'s refusal of more than 4300 digits through
        raise InputError(f"invalid TOML: {TOO_MANY_DIGITS}", path=source) from None
    table: Any = data
    keys = ("tool", "lmagent", "review")
    for depth, name in enumerate(keys, 1):
        table = table.get(name, {})
        if not isinstance(table, dict):  # `tool = 1` is valid TOML; .get() on it raised AttributeError
            raise InputError(f"[{'.'.join(keys[:depth])}] must be a table", path=source)
    parse_config(table, source)  # fail early, with the file name
    return table
