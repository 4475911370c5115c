"""codecheck: performance anti-patterns in changed code (the deterministic half of `lmagent review`).

Input is a diff, full files, or both: with a diff only added/changed lines produce findings; the
full new file (when given) is what gets parsed, so loops and `async def` around a changed line are
seen. Python rules work on the `ast`; SQL rules come from tools.sql; secrets are found in every
added line of any text file. Inline `# lmagent: ignore[CODE]` (or a bare `# lmagent: ignore`)
silences a finding on that line.
"""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from typing import Any

from pydantic import BaseModel, Field

from tools import catalogue
from tools.codecheck import pyparse
from tools.codecheck.config import ReviewConfig, parse_config
from tools.codecheck.context import cap, path_context
from tools.codecheck.diff import FileDiff, parse_diff
from tools.codecheck.project import FilesSource, Project
from tools.codecheck.pyctx import Module
from tools.codecheck.rules import PYTHON_RULES, RULES, SECRET_RULE, secret_in_diff
from tools.errors import InputError
from tools.findings import Finding, Location, Report
from tools.readpath import PathLabel
from tools.secrets import mask_secrets

__all__ = ["CodecheckInput", "codecheck_tool", "run_codecheck", "parse_diff", "FileDiff", "RULES", "Skipped"]

_SUPPRESS = re.compile(r"(?:#|--)\s*lmagent:\s*ignore(?:\[([^\]]*)\])?", re.I)
MAX_CALL_SPAN = 50  # lines of a multi-line call checked against the added lines
MAX_REPAIRS = 40  # parse attempts when rebuilding a Python file from its hunks


class CodecheckInput(BaseModel):
    diff: str | None = Field(None, description="unified or git diff; only its added lines are reviewed")
    files: dict[PathLabel, str] | None = Field(None, description="path -> full new content (context for the diff)")
    config: dict[str, Any] | None = Field(
        None, description="[tool.lmagent.review] table: select, ignore, severity, exclude")


class FileResult(BaseModel):
    path: str
    old_path: str | None = None
    status: str
    binary: bool = False
    added_lines: int = 0
    hunks: list[tuple[int, int]] = Field(default_factory=list)  # new-side line ranges shown in the diff
    checked: list[str] = Field(default_factory=list)  # "python", "sql", "secrets"
    context: str = "none"  # "file" (full new file), "diff" (rebuilt from hunks), "none"
    kind: str = "app"  # what the path is: app, test, migration, docs, example, ci, vendored, i18n
    skipped: str | None = None
    rewritten_lines: list[int] = Field(default_factory=list)  # read through a newer-syntax rewrite
    unread_lines: list[int] = Field(default_factory=list)  # statements left out (still unparsable)


class Skipped(BaseModel):
    """Something the review did not read, and why: every output format shows these."""

    path: str
    reason: str
    line: int | None = None  # the file's line, when one statement (not the whole file) was not read


class CodecheckData(BaseModel):
    files: list[FileResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)


def codecheck_tool(inp: CodecheckInput) -> Report:
    if inp.diff is None and not inp.files:
        raise InputError("codecheck needs a diff, files, or both")
    diffs = parse_diff(inp.diff) if inp.diff is not None else None
    return run_codecheck(diffs, inp.files or {}, parse_config(inp.config))


def run_codecheck(diffs: list[FileDiff] | None, files: dict[str, str], config: ReviewConfig,
                  project: Project | None = None) -> Report:
    """Check parsed diffs (or, with ``diffs=None``, every line of ``files``). ``project`` is the repository
    around the change (where models and imported names are defined); by default, ``files`` alone."""
    if diffs is None:
        diffs = [_whole_file(path, text) for path, text in files.items()]
    project = project or Project(FilesSource(files))
    project.overlay.update(files)
    data = CodecheckData()
    findings: list[Finding] = []
    for fd in diffs:
        result = FileResult(path=fd.path, old_path=fd.old_path, status=fd.status, binary=fd.binary,
                            added_lines=len(fd.added), hunks=fd.hunks, kind=path_context(fd.path))
        data.files.append(result)
        for diff_line, problem in fd.problems:
            data.skipped.append(Skipped(path=fd.path, reason=f"{problem} (line {diff_line} of the diff)"))
        if fd.binary or fd.status == "deleted" or not fd.added:
            continue
        if config.skips(fd.path):
            result.skipped = "excluded by [tool.lmagent.review] exclude"
            continue
        if _context_setting(config, result.kind) == "skip":
            result.skipped = f"{result.kind} code, skipped by [tool.lmagent.review] {result.kind}s = \"skip\""
            continue
        findings += _check_file(fd, files.get(fd.path), config, result, data, project)
    # A call chain (`session.query(X).filter(...).first()`) starts every call at the same spot: one finding.
    unique = {(f.code, f.location.path, f.location.line, f.location.column): f for f in reversed(findings)}
    findings = sorted(unique.values(), key=lambda f: (f.location.path or "", f.location.line or 0, f.code))
    _number_fingerprints(findings)
    return Report(tool="codecheck", findings=findings, data=data, summary=_summary(findings, data))


def _context_setting(config: ReviewConfig, kind: str) -> str:
    return {"test": config.tests, "migration": config.migrations}.get(kind, "full")


def _check_file(fd: FileDiff, content: str | None, config: ReviewConfig, result: FileResult,
                data: CodecheckData, project: Project) -> list[Finding]:
    if content is not None and not _matches_diff(content, fd):
        data.notes.append(f"{fd.path}: the given file does not match the diff; context rebuilt from the hunks")
        content = None
    # split("\n"), not splitlines(): form feeds and other separators are not line breaks in a diff.
    lines = content.split("\n") if content is not None else None
    result.context = "file" if content is not None else "diff"
    out: list[Finding] = []
    if config.enabled(SECRET_RULE.code, SECRET_RULE.kind):
        result.checked.append("secrets")
        out += _secret_findings(fd, config, result.kind)
    if fd.undecodable:
        result.skipped = "not UTF-8 text: only the secret rule read it"
        data.skipped.append(Skipped(path=fd.path, reason=result.skipped))
    elif fd.path.endswith((".py", ".pyi")):
        result.checked.append("python")
        if content is None:
            parsed = _rebuilt_modules(fd)
            if not parsed:
                result.skipped = "Python source does not parse, even rebuilt from the diff's hunks"
        else:
            cached = project.parsed(fd.path, content)  # a rule may have parsed it already (a model file)
            parsed, why = ([cached], None) if cached is not None else _parse(content, fd.path)
            if why is not None:
                result.skipped = why
        if result.skipped:
            data.skipped.append(Skipped(path=fd.path, reason=result.skipped))
        for mod in parsed:
            project.adopt(mod)
            _report_rewrites(mod, fd, result, data)
            out += _python_findings(mod, fd, config)
            out += _sql_in_python(mod, fd, config, data)
    elif fd.path.endswith(".sql"):
        result.checked.append("sql")
        text = content if content is not None else "\n".join(_sparse_rows(fd.new_side))
        out += _sql_findings(text, fd, 0, config, data)
    kept = []
    ceiling = "info" if _context_setting(config, result.kind) == "info" else None
    for f in out:
        text = _line_text(f.location.line, lines, fd)
        if not _suppressed(f, text, _line_text(f.location.end_line or f.location.line, lines, fd)):
            if ceiling and not (result.kind == "migration" and f.code.startswith("SQL")):
                f.severity = cap(f.severity, ceiling)
            elif result.kind == "tooling" and f.code == "PERF101":
                f.severity = cap(f.severity, "info")  # a data generator: query counts do not matter
            kept.append(f)
            f.evidence["fingerprint"] = _fingerprint(f, text)
    return kept


def _report_rewrites(mod: Module, fd: FileDiff, result: FileResult, data: CodecheckData) -> None:
    """Say which lines were read through a rewrite of newer syntax and which were left out."""
    result.rewritten_lines = sorted(set(result.rewritten_lines) | set(mod.rewritten))
    result.unread_lines = sorted(set(result.unread_lines) | set(mod.unread))
    for line in mod.unread:
        if line in fd.added:
            data.skipped.append(Skipped(path=fd.path, line=line,
                                        reason="statement not parsed (syntax newer than this Python reads); "
                                               "the rest of the file was reviewed"))


def _python_findings(mod: Module, fd: FileDiff, config: ReviewConfig) -> list[Finding]:
    rules = [r for r in PYTHON_RULES if config.enabled(r.code, r.kind)]
    out: list[Finding] = []
    for site in mod.calls():
        call = site.call
        end = min(call.end_lineno or call.lineno, call.lineno + MAX_CALL_SPAN)
        if not any(n in fd.added for n in range(call.lineno, end + 1)):
            continue
        for rule in rules:
            hit = rule.check(site, mod)
            if hit is not None:
                out.append(_finding(rule.entry, config, fd.path, mod, hit.node, hit.message, hit.evidence,
                                    hit.severity))
    for rule in rules:
        if rule.scan is None:
            continue
        for hit in rule.scan(mod):
            node = hit.node
            end = min(getattr(node, "end_lineno", None) or node.lineno, node.lineno + MAX_CALL_SPAN)
            if any(n in fd.added for n in range(node.lineno, end + 1)):
                out.append(_finding(rule.entry, config, fd.path, mod, node, hit.message, hit.evidence, hit.severity))
    return out


def _finding(rule: catalogue.Rule, config: ReviewConfig, path: str, mod: Module, node: ast.AST, message: str,
             evidence: dict[str, Any], severity: str | None = None) -> Finding:
    return _masked(rule.finding(
        message, severity=config.severity_for(rule.code, rule.kind, severity or rule.severity),
        location=Location(path=path, line=node.lineno, end_line=getattr(node, "end_lineno", None),
                          column=mod.column(node)),
        evidence=evidence,
    ))


def _masked(f: Finding) -> Finding:
    """Message and suggestion quote the diff (a key, a call): a secret in it never reaches an output."""
    f.message, f.suggestion = mask_secrets(f.message), f.suggestion and mask_secrets(f.suggestion)
    return f


def _secret_findings(fd: FileDiff, config: ReviewConfig, kind: str) -> list[Finding]:
    rule = SECRET_RULE
    out: list[Finding] = []
    for line, text in fd.added.items():
        for hit in secret_in_diff.judge(text, fd.path, kind):
            out.append(rule.finding(
                hit.message, severity=config.severity_for(rule.code, rule.kind, hit.severity),
                location=Location(path=fd.path, line=line, column=hit.column),
                evidence=hit.evidence,
            ))
    return out


def _sql_in_python(mod: Module, fd: FileDiff, config: ReviewConfig, data: CodecheckData) -> list[Finding]:
    from tools.codecheck.sql import sql_literals

    out: list[Finding] = []
    for text, first, last in sql_literals(mod.strings):
        if any(n in fd.added for n in range(first, last + 1)):
            out += _sql_findings(text, fd, first - 1, config, data, literal=(first, last))
    return out


def _sql_findings(text: str, fd: FileDiff, line_offset: int, config: ReviewConfig, data: CodecheckData,
                  literal: tuple[int, int] | None = None) -> list[Finding]:
    from tools.codecheck.sql import check_sql

    try:
        found = check_sql(text, fd.path, line_offset)
    except InputError as exc:
        data.notes.append(f"{fd.path}:{line_offset + (exc.line or 1)}: SQL not analyzed: {exc.message}")
        return []
    except Exception as exc:  # a peer analyzer's bug must not fail the whole review
        data.notes.append(f"{fd.path}:{line_offset + 1}: SQL analyzer failed ({type(exc).__name__})")
        return []
    out: list[Finding] = []
    for f in found:
        if not config.enabled(f.code, f.kind):
            continue
        line = (f.location.line if f.location and f.location.line else line_offset + 1)
        end = (f.location.end_line if f.location and f.location.end_line else line)
        if literal is None and not any(n in fd.added for n in range(line, end + 1)):
            continue
        f = f.model_copy(update={
            "severity": config.severity_for(f.code, f.kind, f.severity),
            "location": Location(path=fd.path, line=line, end_line=end if end != line else None,
                                 column=f.location.column if f.location else None),
        })
        out.append(f)
    return out


def _line_text(n: int, lines: list[str] | None, fd: FileDiff) -> str:
    return lines[n - 1] if lines is not None and 0 < n <= len(lines) else fd.new_side.get(n, "")


def _suppressed(f: Finding, *texts: str) -> bool:
    for text in texts:
        m = _SUPPRESS.search(text)
        if m and (m.group(1) is None or {c.strip() for c in m.group(1).split(",")} & {f.code, f.kind}):
            return True
    return False


def _fingerprint(f: Finding, line_text: str) -> str:
    """Code, file and the flagged line's text (masked, trimmed): survives the line moving up or down."""
    text = mask_secrets(line_text) if f.code == SECRET_RULE.code else line_text
    basis = f"{f.code}|{f.location.path}|{text.strip()}"
    return hashlib.sha256(basis.encode()).hexdigest()[:24]


def _number_fingerprints(findings: list[Finding]) -> None:
    """Identical lines in one file get :1, :2... so every fingerprint is unique."""
    seen: dict[str, int] = {}
    for f in findings:
        digest = f.evidence["fingerprint"]
        seen[digest] = seen.get(digest, 0) + 1
        f.evidence["fingerprint"] = f"{digest}:{seen[digest]}"


def _matches_diff(content: str, fd: FileDiff) -> bool:
    lines = content.split("\n")
    return all(0 < n <= len(lines) and lines[n - 1].rstrip("\r") == text.rstrip("\r")
               for n, text in fd.added.items())


def _sparse_rows(numbered: dict[int, str]) -> list[str]:
    """Lines at their own numbers, blanks elsewhere (so finding lines are file lines)."""
    rows = [""] * (max(numbered) if numbered else 0)
    for n, text in numbered.items():
        rows[n - 1] = text
    return rows


def _rebuilt_modules(fd: FileDiff) -> list[Module]:
    """Without the new file: the hunks at their own line numbers, repaired until they parse.

    A hunk usually starts inside a function, so its first line is indented with nothing above it.
    When the unknown lines above are free, `if True:` openers (one per indentation level the hunk
    uses) are put there, which keeps the hunk's loops and `async def`s around the changed lines;
    a line that still does not fit is blanked. Last resort: each hunk dedented on its own.
    """
    rows = _sparse_rows(fd.new_side)
    for _ in range(MAX_REPAIRS):
        try:
            return [Module.parse("\n".join(rows), fd.path)]
        except pyparse.Unparsable as exc:
            line = exc.line
            if not line or line > len(rows) or not rows[line - 1].strip():
                break
            if not _open_blocks_above(rows, line, fd.new_side):
                rows[line - 1] = ""
    out = []
    for first, last in fd.hunks:
        body = textwrap.dedent("\n".join(fd.new_side.get(n, "") for n in range(first, last + 1)))
        mod, _ = _parse("\n" * (first - 1) + body, fd.path)
        out += mod
    return out


def _open_blocks_above(rows: list[str], line: int, known: dict[int, str]) -> bool:
    """Write `if True:` openers into the unknown lines right above an unexpectedly indented line."""
    indent = _indent(rows[line - 1])
    if indent == 0:
        return False
    levels = {0}
    for text in rows[line:]:
        if text.strip():
            if _indent(text) == 0:
                break
            if _indent(text) < indent:
                levels.add(_indent(text))
    free = 0
    while line - 1 - free >= 1 and (line - 1 - free) not in known and not rows[line - 2 - free].strip():
        free += 1
    if free < len(levels):
        return False
    for i, level in enumerate(sorted(levels, reverse=True)):
        rows[line - 2 - i] = " " * level + "if True:"
    return True


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def _parse(source: str, path: str) -> tuple[list[Module], str | None]:
    """([the module], None), or ([], why it was not reviewed)."""
    try:
        return [Module.parse(source, path)], None
    except pyparse.Unparsable as exc:
        where = f" at line {exc.line}" if exc.line else ""
        return [], f"Python source does not parse{where} ({exc}); not reviewed"


def _whole_file(path: str, text: str) -> FileDiff:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    numbered = {i + 1: line.rstrip("\r") for i, line in enumerate(lines)}
    return FileDiff(path=path, status="added", added=numbered, new_side=numbered,
                    hunks=[(1, len(lines))] if lines else [])


def _summary(findings: list[Finding], data: CodecheckData) -> str:
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    checked = sum(1 for f in data.files if f.checked)
    text = (f"{len(findings)} findings ({counts['error']} errors, {counts['warning']} warnings, "
            f"{counts['info']} info) in {checked} checked files of {len(data.files)} changed")
    if data.skipped:
        text += f"; {len(data.skipped)} not reviewed (see skipped)"
    return text
