"""Views of a code review (agent.review.ReviewResult): terminal, Markdown comment, SARIF 2.1.0,
reviewdog rdjsonl and the JSON body of a GitHub pull request review.

Finding text comes from the rules (never from the LLM); the LLM's optional review is shown as a
separate, clearly labelled section and only in the human-facing views.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from agent.render import SEVERITY_ICON, console, findings_markdown, markdown_text, print_report, sink
from tools.findings import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
RDJSON_SEVERITY = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}
MAX_REVIEW_COMMENTS = 50  # GitHub rejects or truncates very large reviews
MAX_LISTED_FINDINGS = 100  # rows of a Markdown table; the rest are counted (SARIF has them all)
MAX_BODY_CHARS = 60_000  # GitHub refuses comment bodies over 65,536 characters
COMMENT_MARKER = "<!-- lmagent-review -->"  # lets a workflow find and update its own comment


@sink
def print_review(result) -> None:
    from rich.markup import escape  # paths and errors come from the diff / the network: never markup

    con = console()
    con.print(f"[bold]lmagent review[/] · reviewer [cyan]{', '.join(result.personas)}[/] "
              f"[dim]({result.routing.reason})[/]")
    print_report(result.report, title="findings")
    for note in result.report.data.notes:
        con.print(f"[dim]note: {escape(note)}[/]")
    for line in skipped_lines(result):
        con.print(f"[yellow]not reviewed:[/] {escape(line)}", highlight=False)
    if result.llm and result.llm.status == "ok":
        con.rule(f"review by {result.llm.persona} ({result.llm.model})")
        con.print(result.llm.text, markup=False, highlight=False)
    elif result.llm:
        con.print(f"[yellow]LLM review unavailable:[/] {escape(result.llm.error or '')}", highlight=False)
    else:
        con.print(f"[dim]LLM review: {result.llm_status}[/]")
    if result.excerpt and result.excerpt.omitted:
        con.print(f"[dim]not sent to the LLM (token budget {result.excerpt.budget}): "
                  f"{escape(', '.join(result.excerpt.omitted[:20]))}{' …' if len(result.excerpt.omitted) > 20 else ''}[/]")


@sink
def review_markdown(result) -> str:
    """One summary comment for the pull request."""
    report = result.report
    counts = {s: sum(f.severity == s for f in report.findings) for s in ("error", "warning", "info")}
    lines = [
        COMMENT_MARKER,
        "## lmagent review",
        "",
        f"**{len(report.findings)} findings** ({SEVERITY_ICON['error']} {counts['error']} errors, "
        f"{SEVERITY_ICON['warning']} {counts['warning']} warnings, {SEVERITY_ICON['info']} {counts['info']} info) "
        f"· reviewer: {', '.join(f'`{p}`' for p in result.personas)}",
        "",
        _findings_table(report.ranked()),
    ]
    if result.llm and result.llm.status == "ok":
        lines += ["", f"### Review by `{result.llm.persona}`", "", _quote(_defuse_mentions(result.llm.text))]
        if result.excerpt and result.excerpt.omitted:
            lines += ["", f"<details><summary>{len(result.excerpt.omitted)} files not shown to the model "
                      f"(token budget {result.excerpt.budget})</summary>", "",
                      *[f"- `{p}`" for p in result.excerpt.omitted], "", "</details>"]
    notes = report.data.notes
    if notes:
        lines += ["", *[f"> note: {n}" for n in notes]]
    skipped = skipped_lines(result)
    if skipped:
        lines += ["", f"### Not reviewed ({len(skipped)})", "",
                  *[f"- {markdown_text(line)}" for line in skipped[:MAX_LISTED_FINDINGS]]]
        if len(skipped) > MAX_LISTED_FINDINGS:
            lines.append(f"- … and {len(skipped) - MAX_LISTED_FINDINGS} more")
    return "\n".join(lines) + "\n"


@sink
def review_sarif(result, tool_version: str = "0") -> dict[str, Any]:
    """SARIF 2.1.0 as GitHub code scanning accepts it (rules with help, fingerprints, relative URIs)."""
    findings = [f for f in result.report.ranked() if f.location and f.location.path and f.location.line]
    rule_ids: list[str] = []
    rules: list[dict[str, Any]] = []
    for f in findings:
        if f.code not in rule_ids:
            rule_ids.append(f.code)
            rules.append(_sarif_rule(f))
    results = []
    for f in findings:
        region: dict[str, Any] = {"startLine": f.location.line}
        if f.location.end_line and f.location.end_line >= f.location.line:
            region["endLine"] = f.location.end_line
        if f.location.column:
            region["startColumn"] = f.location.column
        text = f.message + (f" Fix: {f.suggestion}" if f.suggestion else "")
        results.append({
            "ruleId": f.code,
            "ruleIndex": rule_ids.index(f.code),
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": quote(f.location.path), "uriBaseId": "%SRCROOT%"},
                "region": region,
            }}],
            "partialFingerprints": {"lmagentFindingHash/v1": f.evidence.get("fingerprint", "")},
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lmagent", "version": tool_version,
                                "semanticVersion": tool_version, "rules": rules}},
            "automationDetails": {"id": "lmagent-review/"},
            "columnKind": "unicodeCodePoints",
            "results": results,
            # What was not reviewed (unparsable files, malformed hunks, non-UTF-8 files) is said, not hidden.
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": [_sarif_notification(s) for s in _skipped(result)]}],
        }],
    }


def _sarif_notification(skipped) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": quote(skipped.path), "uriBaseId": "%SRCROOT%"}}
    if skipped.line:
        location["region"] = {"startLine": skipped.line}
    return {"level": "warning", "message": {"text": f"not reviewed: {skipped.reason}"},
            "locations": [{"physicalLocation": location}], "descriptor": {"id": "lmagent-not-reviewed"}}


def _skipped(result) -> list:
    return list(getattr(result.report.data, "skipped", []) or [])


def skipped_lines(result) -> list[str]:
    """`path[:line]: reason` for everything the review could not read."""
    return [f"{s.path}{f':{s.line}' if s.line else ''}: {s.reason}" for s in _skipped(result)]


def _sarif_rule(f: Finding) -> dict[str, Any]:
    """The rule's metadata from its catalogue entry; helpUri when LMAGENT_DOCS_URL says where docs/ is
    published (SARIF wants an absolute URI, and a checkout has none of its own)."""
    import os

    from tools import catalogue

    entry = catalogue.get(f.code)
    if entry is None:  # a code from outside the catalogue still gets valid metadata
        title, description, fix = f.kind.replace("_", " ").capitalize(), f.message, f.suggestion or ""
        severity, docs = f.severity, None
    else:
        title, description, fix = entry.title, entry.why.en, entry.fix_text("en")
        severity, docs = entry.severity, entry.docs
    base = os.environ.get("LMAGENT_DOCS_URL", "").strip().rstrip("/")
    url = f"{base}/{docs}" if base and docs else None
    see = f" See {docs}." if docs else ""
    tags = ["security"] if f.kind == "secret_in_diff" else ["performance"]
    out: dict[str, Any] = {
        "id": f.code,
        "name": "".join(part.capitalize() for part in f.kind.split("_")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": f"{description} Fix: {fix}{see}".strip(),
                 "markdown": f"**{title}**\n\n{description}\n\n**Fix:** {fix}"
                             + (f"\n\nSee [{docs}]({url or docs})." if docs else "")},
        "defaultConfiguration": {"level": SARIF_LEVEL[severity]},
        "properties": {"tags": tags, "precision": "medium"},
    }
    if url:
        out["helpUri"] = url
    if f.kind == "secret_in_diff":
        out["properties"]["security-severity"] = "8.0"
    return out


@sink
def review_rdjsonl(result) -> str:
    """reviewdog's rdjsonl: one diagnostic JSON object per line."""
    lines = []
    for f in result.report.ranked():
        if not (f.location and f.location.path):
            continue
        start: dict[str, int] = {"line": f.location.line or 1}
        if f.location.column:
            start["column"] = f.location.column
        diag = {
            "message": f.message + (f" Fix: {f.suggestion}" if f.suggestion else ""),
            "location": {"path": f.location.path, "range": {"start": start}},
            "severity": RDJSON_SEVERITY[f.severity],
            "source": {"name": "lmagent"},
            "code": {"value": f.code},
        }
        lines.append(json.dumps(diag, ensure_ascii=False))
    for skipped in _skipped(result):  # reviewdog shows them as notes on the file (or line) not reviewed
        start = {"line": skipped.line or 1}
        lines.append(json.dumps({
            "message": f"not reviewed: {skipped.reason}",
            "location": {"path": skipped.path, "range": {"start": start}},
            "severity": "INFO", "source": {"name": "lmagent"}, "code": {"value": "not-reviewed"},
        }, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")


@sink
def review_github(result) -> dict[str, Any]:
    """Body for POST /repos/{owner}/{repo}/pulls/{n}/reviews: line comments only on lines in the diff.

    The event is always COMMENT: the bot neither approves nor blocks, whatever the diff says.
    """
    in_diff = {fd.path: fd for fd in result.diffs}
    by_line: dict[tuple[str, int], list[Finding]] = {}
    elsewhere: list[Finding] = []
    for f in result.report.ranked():
        loc = f.location
        fd = in_diff.get(loc.path) if loc and loc.path else None
        if fd is not None and loc.line and fd.in_hunk(loc.line):
            by_line.setdefault((loc.path, loc.line), []).append(f)
        else:
            elsewhere.append(f)
    comments = []
    for (path, line), group in sorted(by_line.items()):
        if len(comments) >= MAX_REVIEW_COMMENTS:
            elsewhere += group
            continue
        body = "\n\n".join(
            f"{SEVERITY_ICON[f.severity]} **{f.code}** `{f.kind}`: {markdown_text(f.message)}"
            + (f"\n\n**Fix:** {markdown_text(f.suggestion)}" if f.suggestion else "")
            for f in group
        )
        comments.append({"path": path, "line": line, "side": "RIGHT", "body": body})
    summary = review_markdown(result)
    if elsewhere:
        summary += "\n" + _findings_table(elsewhere, heading="Findings outside the diff's lines")
    if len(summary) > MAX_BODY_CHARS:
        summary = summary[:MAX_BODY_CHARS] + "\n\n… (truncated: see the SARIF report for every finding)\n"
    return {"event": "COMMENT", "body": summary, "comments": comments}


def _findings_table(findings: list[Finding], heading: str | None = None) -> str:
    table = findings_markdown(findings[:MAX_LISTED_FINDINGS], heading=heading)
    if len(findings) > MAX_LISTED_FINDINGS:
        table += f"\n\n… and {len(findings) - MAX_LISTED_FINDINGS} more findings (see the SARIF report)."
    return table


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines())


def _defuse_mentions(text: str) -> str:
    """Model text must not ping people or teams: @name → @\u200bname."""
    return text.replace("@", "@\u200b")
