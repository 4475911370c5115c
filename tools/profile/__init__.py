"""Find the bottleneck in a CPU profile: cProfile/pstats dumps, speedscope JSON, collapsed stacks.

Every format is loaded into one :class:`Profile` (tools/profile/model.py): per-function self and
cumulative time (and call counts when the format records them) plus a call tree. One module per
format reads it (pstats.py, speedscope.py, collapsed.py; loaders.py picks one), classify.py says what
a function is (a wait, regex/JSON, a database driver) and rules.py holds the PROF findings.

Library use::

    from tools.profile import load_profile, analyze
    profile = load_profile("out.prof")       # Profile (any format; "-" is stdin)
    report = analyze(profile, top=20)        # Report(findings=..., data=ProfileData)

Tool use (registry entry "profile"): ``profile_tool(ProfileInput(path="out.prof"))``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from pydantic import BaseModel, Field, model_validator

from tools.errors import InputError
from tools.findings import Finding, Report
from tools.profile.loaders import detect_profile, load_profile, parse_profile
from tools.profile.model import (
    MAX_AMOUNT,
    MAX_SECONDS,
    MIN_TOTAL,
    FuncKey,
    FuncStat,
    FunctionRow,
    HotFrame,
    Node,
    Profile,
    ProfileData,
    Rows,
    display_name,
)
from tools.profile.rules import find_problems, fmt_seconds
from tools.readpath import ReadPath

__all__ = [
    "FuncKey",
    "FuncStat",
    "FunctionRow",
    "HotFrame",
    "Node",
    "Profile",
    "ProfileData",
    "ProfileInput",
    "analyze",
    "detect_profile",
    "display_name",
    "hot_path",
    "load_profile",
    "parse_profile",
    "profile_tool",
]

HOT_PATH_MIN_SHARE = 0.05  # the hot path stops where the heaviest child carries less than this
HOT_PATH_MAX_DEPTH = 64


class ProfileInput(BaseModel):
    """A profile to analyze: a file path (.prof/.pstats, speedscope .json, collapsed .txt) or pasted text."""

    path: ReadPath | None = Field(None, description="path to a cProfile/pstats dump, speedscope JSON or collapsed stacks")
    text: str | None = Field(None, description="pasted speedscope JSON or collapsed-stack text")
    top: int = Field(20, ge=1, le=500, description="how many functions to list by self and cumulative time")

    @model_validator(mode="after")
    def _one_source(self) -> ProfileInput:
        if (self.path is None) == (self.text is None):
            raise ValueError("give exactly one of path or text")
        return self


def profile_tool(inp: ProfileInput) -> Report:
    return analyze(load_profile(inp.path, inp.text), top=inp.top)


def analyze(profile: Profile, top: int = 20) -> Report:
    total = profile.total
    if not total >= MIN_TOTAL:
        raise InputError("empty profile: no time recorded")
    if total > (MAX_SECONDS if profile.seconds else MAX_AMOUNT):
        raise InputError(f"the profile adds up to {total:g} {profile.unit}, more than a profile measures")
    funcs = profile.funcs
    rows = Rows(profile)
    by_self = heapq.nlargest(top, funcs, key=lambda k: funcs[k].self_time)
    by_cum = heapq.nlargest(top, funcs, key=lambda k: funcs[k].cum_time)
    data = ProfileData(
        format=profile.format,
        unit=profile.unit,
        total=total,
        functions=len(profile.funcs),
        top_self=[rows[k] for k in by_self],
        top_cumulative=[rows[k] for k in by_cum],
        hot_path=hot_path(profile),
        skipped=profile.skipped,
    )
    findings = find_problems(profile, rows, by_self[0], total)
    return Report(tool="profile", findings=findings, data=data, summary=_summary(data, findings))


def hot_path(profile: Profile) -> list[HotFrame]:
    """Follow the heaviest child from the root while it still carries a real share of the time."""
    total = profile.total
    node = profile.tree()
    frames: list[HotFrame] = []
    while node.children and len(frames) < HOT_PATH_MAX_DEPTH:
        node = max(node.children.values(), key=lambda n: n.total)
        if node.total < total * HOT_PATH_MIN_SHARE:
            break
        stat = profile.funcs.get(node.key)
        frames.append(HotFrame(
            name=display_name(node.key), file=node.key[0], line=node.key[1], total=node.total,
            self_time=node.self_time, pct=100.0 * node.total / total, calls=stat.calls if stat else None,
        ))
    return frames


def _summary(data: ProfileData, findings: Iterable[Finding]) -> str:
    amount = fmt_seconds(data.total) if data.unit == "seconds" else f"{data.total:,.0f} {data.unit}"
    parts = [f"{data.format} profile: {amount}, {data.functions:,} functions"]
    if data.hot_path:
        parts.append(f"hot path ends in `{data.hot_path[-1].name}` ({data.hot_path[-1].pct:.0f}%)")
    n = len(list(findings))
    parts.append(f"{n} finding{'s' if n != 1 else ''}")
    if data.skipped:
        parts.append(f"skipped: {'; '.join(data.skipped)}")
    return "; ".join(parts)
