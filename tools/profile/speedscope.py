"""speedscope JSON (`py-spy record -f speedscope`, speedscope exports): sampled and evented profiles."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, FiniteFloat

from tools.errors import InputError
from tools.numbers import TOO_MANY_DIGITS
from tools.profile.model import FuncKey, Profile, from_stacks

UNIT_SECONDS = {"nanoseconds": 1e-9, "microseconds": 1e-6, "milliseconds": 1e-3, "seconds": 1.0}


class _SpeedscopeFrame(BaseModel):
    name: str
    file: str | None = None
    line: int | None = None


class _SpeedscopeEvent(BaseModel):
    type: str
    frame: int
    at: FiniteFloat  # json.loads reads Infinity, NaN and 1e400


class _SpeedscopeProfile(BaseModel):
    type: str
    name: str = ""
    unit: str = "none"
    samples: list[list[int]] = Field(default_factory=list)
    weights: list[FiniteFloat] = Field(default_factory=list)
    events: list[_SpeedscopeEvent] = Field(default_factory=list)


class _SpeedscopeShared(BaseModel):
    frames: list[_SpeedscopeFrame]


class _SpeedscopeFile(BaseModel):
    shared: _SpeedscopeShared
    profiles: list[_SpeedscopeProfile]


def speedscope(text: str, where: str) -> Profile:
    from pydantic import ValidationError

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=where, line=exc.lineno) from None
    except ValueError:  # int() refuses more than 4300 digits
        raise InputError(f"invalid JSON: {TOO_MANY_DIGITS}", path=where) from None
    try:
        parsed = _SpeedscopeFile.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(f"not a speedscope profile: {loc}: {err['msg']}", path=where) from None
    frames = [(f.file or "", f.line or 0, f.name) for f in parsed.shared.frames]
    units = {p.unit for p in parsed.profiles}
    unit = units.pop() if len(units) == 1 else "none"
    scale = UNIT_SECONDS.get(unit, 1.0)
    stacks: dict[tuple[FuncKey, ...], float] = {}
    calls: dict[FuncKey, int] = {}
    skipped: list[str] = []
    many = len(parsed.profiles) > 1
    for prof in parsed.profiles:
        prefix: tuple[FuncKey, ...] = (("", 0, f"thread {prof.name}"),) if many else ()
        try:
            if prof.type == "sampled":
                _speedscope_sampled(prof, frames, prefix, scale, stacks)
            elif prof.type == "evented":
                _speedscope_evented(prof, frames, prefix, scale, stacks, calls)
            else:
                skipped.append(f"profile {prof.name!r}: unknown type {prof.type!r}")
        except IndexError:
            skipped.append(f"profile {prof.name!r}: refers to a frame that does not exist")
    if not stacks:
        raise InputError("empty profile: no samples" + (f" ({'; '.join(skipped)})" if skipped else ""),
                         path=where)
    prof_unit = "seconds" if unit in UNIT_SECONDS else ("samples" if unit == "none" else unit)
    profile = from_stacks("speedscope", prof_unit, stacks, skipped)
    for key, n in calls.items():
        if key in profile.funcs:  # a frame opened and closed at one instant holds no time, so no entry
            profile.funcs[key].calls = n
    return profile


def _speedscope_sampled(prof, frames, prefix, scale, stacks) -> None:
    weights = prof.weights or [1.0] * len(prof.samples)
    if len(weights) != len(prof.samples):
        raise IndexError
    use_scale = scale if prof.weights else 1.0
    for sample, weight in zip(prof.samples, weights, strict=True):
        if any(i < 0 for i in sample):
            raise IndexError
        stack = prefix + tuple(frames[i] for i in sample)
        if stack and weight > 0:
            stacks[stack] = stacks.get(stack, 0.0) + weight * use_scale


def _speedscope_evented(prof, frames, prefix, scale, stacks, calls) -> None:
    """Replay open/close events; the time between two events belongs to the stack open at that moment."""
    open_stack: list[FuncKey] = []
    last = None
    for ev in sorted(prof.events, key=lambda e: e.at):
        if ev.frame < 0:
            raise IndexError
        frame = frames[ev.frame]
        if last is not None and open_stack and ev.at > last:
            stack = prefix + tuple(open_stack)
            stacks[stack] = stacks.get(stack, 0.0) + (ev.at - last) * scale
        last = ev.at
        if ev.type == "O":
            open_stack.append(frame)
            calls[frame] = calls.get(frame, 0) + 1
        elif ev.type == "C" and frame in open_stack:
            # Close the innermost matching frame (tolerates unbalanced exports).
            del open_stack[len(open_stack) - 1 - open_stack[::-1].index(frame)]
