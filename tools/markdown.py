"""Markdown body structure: heading tree, tables (as rows) and fenced code blocks.

Used by agent.persona for persona bodies and by tools (e.g. thresholds) that read targets from a
persona's tables, so the table reading is written once. Line numbers are 1-based file lines.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]*)")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


class CodeBlock(BaseModel):
    language: str = ""
    code: str
    line: int
    section: str = ""  # title of the innermost enclosing heading


class Table(BaseModel):
    headers: list[str]
    rows: list[dict[str, str]]
    line: int
    section: str = ""
    section_path: list[str] = Field(default_factory=list)

    def column(self, *names: str) -> str | None:
        """The first header that matches one of ``names`` (case- and accent-insensitive)."""
        from tools.text import fold

        wanted = {fold(n) for n in names}
        for h in self.headers:
            if fold(h) in wanted:
                return h
        return None


class Section(BaseModel):
    title: str
    level: int
    line: int
    text: str = ""  # the section's own text, without sub-sections
    children: list[Section] = Field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def full_text(self) -> str:
        parts = [f"{'#' * self.level} {self.title}", self.text]
        parts += [c.full_text() for c in self.children]
        return "\n".join(p for p in parts if p.strip())


class Document(BaseModel):
    preamble: str = ""  # text before the first heading
    sections: list[Section] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    code_blocks: list[CodeBlock] = Field(default_factory=list)

    def walk(self):
        for s in self.sections:
            yield from s.walk()


def _split_row(line: str) -> list[str]:
    cells = line.strip()
    if cells.startswith("|"):
        cells = cells[1:]
    if cells.endswith("|") and not cells.endswith("\\|"):
        cells = cells[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", cells)]


def parse_markdown(text: str, first_line: int = 1) -> Document:
    """Parse a markdown body; ``first_line`` is the file line of ``text``'s first line."""
    lines = text.split("\n")
    doc = Document()
    stack: list[Section] = []
    own: dict[int, list[str]] = {}
    preamble: list[str] = []
    fence: str | None = None
    fence_lang = ""
    fence_start = 0
    fence_body: list[str] = []
    i = 0

    def current_text() -> list[str]:
        return own.setdefault(id(stack[-1]), []) if stack else preamble

    while i < len(lines):
        line = lines[i]
        lineno = first_line + i
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= set(fence[0]):
                doc.code_blocks.append(
                    CodeBlock(language=fence_lang, code="\n".join(fence_body), line=fence_start,
                              section=stack[-1].title if stack else "")
                )
                fence = None
            else:
                fence_body.append(line)
            current_text().append(line)
            i += 1
            continue
        m = _FENCE.match(line)
        if m:
            fence, fence_lang, fence_start, fence_body = m.group(1), m.group(2).lower(), lineno, []
            current_text().append(line)
            i += 1
            continue
        h = _HEADING.match(line)
        if h:
            section = Section(title=h.group(2).strip(), level=len(h.group(1)), line=lineno)
            while stack and stack[-1].level >= section.level:
                stack.pop()
            (stack[-1].children if stack else doc.sections).append(section)
            stack.append(section)
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            headers = _split_row(line)
            rows: list[dict[str, str]] = []
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                cells = _split_row(lines[j])
                cells += [""] * (len(headers) - len(cells))
                rows.append(dict(zip(headers, cells, strict=False)))
                j += 1
            doc.tables.append(
                Table(headers=headers, rows=rows, line=lineno,
                      section=stack[-1].title if stack else "", section_path=[s.title for s in stack])
            )
            current_text().extend(lines[i:j])
            i = j
            continue
        current_text().append(line)
        i += 1

    if fence is not None:
        # An unclosed fence keeps its content as code rather than losing it.
        doc.code_blocks.append(CodeBlock(language=fence_lang, code="\n".join(fence_body), line=fence_start,
                                         section=stack[-1].title if stack else ""))
    for section in doc.walk():
        section.text = "\n".join(own.get(id(section), [])).strip()
    doc.preamble = "\n".join(preamble).strip()
    return doc
