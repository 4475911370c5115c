"""Persona files: markdown with YAML front-matter, parsed into a Persona value object.

Three formats are read:
- lmagent personas (the seed): an optional `# title` line, then front-matter with name, role,
  expertise and activates_on, then a Spanish body of sections, tables and code;
- Claude Code subagents: front-matter with name, description, tools, model;
- Agent Skills ``SKILL.md``: name, description and ``metadata.triggers`` as a comma list.
description maps onto role, triggers onto activates_on. Unknown keys are kept in ``extra``.
Every problem is an InputError with the file line (YAML error positions included).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from tools.errors import InputError, read_text
from tools.markdown import CodeBlock, Section, Table, parse_markdown
from tools.safe_yaml import safe_load
from tools.text import fold

Format = Literal["lmagent", "claude-subagent", "skill"]
_INTERACTION_TITLES = ("interaccion con otros roles", "interaction with other roles", "handoffs")
_KNOWN_KEYS = {"name", "role", "expertise", "activates_on", "description", "tools", "model", "metadata"}


class Persona(BaseModel):
    name: str
    slug: str
    role: str
    expertise: list[str] = Field(default_factory=list)
    activates_on: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    title: str = ""
    format: Format = "lmagent"
    tools: list[str] = Field(default_factory=list)
    model: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    path: str | None = None
    body: str = ""
    body_line: int = 1
    sections: list[Section] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    code_blocks: list[CodeBlock] = Field(default_factory=list)

    def walk_sections(self):
        for s in self.sections:
            yield from s.walk()

    def section(self, title: str) -> Section | None:
        wanted = fold(title)
        return next((s for s in self.walk_sections() if fold(s.title) == wanted), None)

    def interaction_roles(self) -> list[tuple[str, str]]:
        """(role name, collaboration) pairs from the interaction table."""
        out = []
        for table in self.tables:
            if any(t in fold(table.section) for t in _INTERACTION_TITLES):
                role_col = table.column("Rol", "Role", "Persona")
                if not role_col:
                    continue
                other = next((h for h in table.headers if h != role_col), None)
                out += [(r[role_col].strip(), (r.get(other) or "").strip() if other else "")
                        for r in table.rows if r.get(role_col, "").strip()]
        return out


def slug_for(path: Path) -> str:
    stem = path.parent.name if path.name.upper() == "SKILL.MD" else path.stem
    return re.sub(r"[^a-z0-9]+", "-", fold(stem)).strip("-") or "persona"


def load_persona(path: str | Path) -> Persona:
    p = Path(path)
    return parse_persona(read_text(str(p)), path=str(p), slug=slug_for(p))


def parse_persona(text: str, path: str = "<persona>", slug: str | None = None) -> Persona:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    start, end, title = _find_front_matter(lines, path)
    fm_lines = [_untab(line) for line in lines[start + 1 : end]]
    meta = _load_yaml("\n".join(fm_lines), path, first_line=start + 2)
    body_lines = lines[end + 1 :]
    doc = parse_markdown("\n".join(body_lines), first_line=end + 2)
    fmt = _detect_format(meta, path)
    fields = _map_fields(meta, fmt, path, key_lines=_key_lines(fm_lines, start + 2))
    return Persona(
        slug=slug or slug_for(Path(path)),
        title=title,
        format=fmt,
        path=path,
        body="\n".join(body_lines).strip(),
        body_line=end + 2,
        sections=doc.sections,
        tables=doc.tables,
        code_blocks=doc.code_blocks,
        **fields,
    )


def _find_front_matter(lines: list[str], path: str) -> tuple[int, int, str]:
    """Index of the opening and closing `---` lines, and a `# title` seen before them."""
    title = ""
    start = None
    for i, line in enumerate(lines):
        s = line.strip()
        if s == "---":
            start = i
            break
        if not s or s.startswith("<!--"):
            continue
        if s.startswith("#") and not title:
            title = s.lstrip("#").strip()
            continue
        raise InputError("expected YAML front-matter ('---' line) before the body", path, i + 1)
    if start is None:
        raise InputError("no YAML front-matter: add a '---' block with name and role", path, 1)
    opening = start
    # A duplicated opening '---' (a common copy-paste slip) is one delimiter.
    while start + 1 < len(lines) and lines[start + 1].strip() == "---":
        start += 1
    for j in range(start + 1, len(lines)):
        if lines[j].strip() in ("---", "..."):
            return start, j, title
    raise InputError("front-matter is not closed: missing the second '---' line", path, opening + 1)


def _untab(line: str) -> str:
    """YAML forbids tabs in indentation; people paste them anyway. Two spaces per leading tab."""
    stripped = line.lstrip("\t ")
    lead = line[: len(line) - len(stripped)]
    return lead.replace("\t", "  ") + stripped if "\t" in lead else line


def _load_yaml(source: str, path: str, first_line: int) -> dict[str, Any]:
    try:
        data = safe_load(source)  # 'created: 2024-13-01' is a YAMLError with a line, not a ValueError
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"invalid YAML front-matter: {problem}", path, line) from None
    if data is None:
        raise InputError("front-matter is empty: name and role are required", path, first_line)
    if not isinstance(data, dict):
        raise InputError(f"front-matter must be a mapping of keys, got {type(data).__name__}", path, first_line)
    return data


def _key_lines(fm_lines: list[str], first_line: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, line in enumerate(fm_lines):
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if m:
            out.setdefault(m.group(1), first_line + i)
    return out


def _detect_format(meta: dict[str, Any], path: str) -> Format:
    if any(k in meta for k in ("role", "activates_on", "expertise")) or "description" not in meta:
        return "lmagent"
    if Path(path).name.upper() == "SKILL.MD" or isinstance(meta.get("metadata"), dict):
        return "skill"
    return "claude-subagent"


def _map_fields(meta: dict[str, Any], fmt: Format, path: str, key_lines: dict[str, int]) -> dict[str, Any]:
    def line(key: str) -> int:
        return key_lines.get(key, next(iter(key_lines.values()), 1))

    def text(key: str, required: bool) -> str:
        value = meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise InputError(f"missing required key '{key}'", path, line(key) if key in meta else min(key_lines.values(), default=1))
            return ""
        if not isinstance(value, (str, int, float)):
            raise InputError(f"'{key}' must be text, got {type(value).__name__}", path, line(key))
        return str(value).strip()

    def text_list(key: str, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            bad = [v for v in value if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
            if bad:
                raise InputError(f"'{key}' items must be text, got {type(bad[0]).__name__}", path, line(key))
            return [str(v).strip() for v in value if str(v).strip()]
        raise InputError(f"'{key}' must be a list, got {type(value).__name__}", path, line(key))

    name = text("name", required=True)
    metadata = meta.get("metadata") if isinstance(meta.get("metadata"), dict) else {}
    if fmt == "lmagent":
        role = text("role", required=True)
        activates = text_list("activates_on", meta.get("activates_on"))
    else:
        role = text("description", required=True)
        activates = text_list("metadata", metadata.get("triggers")) if fmt == "skill" else []
    extra = {k: v for k, v in meta.items() if k not in _KNOWN_KEYS}
    if fmt != "lmagent" and "description" in meta and "role" in meta:
        extra["description"] = meta["description"]
    if metadata:
        extra["metadata"] = {k: v for k, v in metadata.items() if k != "triggers"} or None
        if extra["metadata"] is None:
            del extra["metadata"]
    return {
        "name": name,
        "role": role,
        "expertise": text_list("expertise", meta.get("expertise")),
        "activates_on": activates,
        "aliases": text_list("aliases", meta.get("aliases")),
        "tools": text_list("tools", meta.get("tools")),
        "model": str(meta["model"]) if meta.get("model") is not None else None,
        "extra": {k: v for k, v in extra.items() if k != "aliases"},
    }
