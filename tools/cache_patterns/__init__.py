"""Cache-pattern generator: production-grade Redis caching code for seven patterns.

``generate(pattern, key, ttl, ...)`` returns the source of a self-contained module for redis-py (or
redis.asyncio) whose decorators build keys from the decorated function's arguments, jitter TTLs,
treat a cached None/0/"" as a hit, fall back to the source when Redis or serialization fails, and
(for the stampede patterns) hold a token lock with renewal and compare-and-delete release.
``cache_pattern_tool`` wraps it as a registry tool; ``suggest_pattern`` reads a free-text request.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from tools.cache_patterns.generator import (
    MAX_TTL,
    PATTERN_NAMES,
    PATTERNS,
    SERIALIZERS,
    SPECS,
    generate,
    key_fields,
    module_name,
    requirements,
    usage,
)
from tools.catalogue import cache
from tools.findings import Report

__all__ = [
    "PATTERNS",
    "PATTERN_NAMES",
    "SERIALIZERS",
    "CachePatternInput",
    "GeneratedCache",
    "cache_pattern_tool",
    "generate",
    "suggest_pattern",
]

PatternName = Literal[PATTERN_NAMES]  # type: ignore[valid-type]
Serializer = Literal[SERIALIZERS]  # type: ignore[valid-type]


class CachePatternInput(BaseModel):
    """What to generate. Every field has a default so a bare call yields a sound cache-aside module."""

    pattern: PatternName = Field("cache-aside", description="the caching pattern to generate")
    key: str = Field(
        "item:{item_id}",
        description="key template over the cached function's parameter names, e.g. 'user:{user_id}'",
    )
    ttl: int = Field(300, gt=0, le=MAX_TTL, description="time to live in seconds (jittered +/-10%)")
    use_async: bool = Field(False, description="generate for redis.asyncio and async def functions")
    serializer: Serializer = Field("json", description="value encoding: json, pickle or msgpack")

    @field_validator("key")
    @classmethod
    def _valid_key(cls, value: str) -> str:
        key_fields(value)  # raises ValueError with a readable message
        return value


class GeneratedCache(BaseModel):
    """The tool's result: the module source plus what a reader needs to use it."""

    pattern: str
    key: str
    ttl: int
    use_async: bool
    serializer: str
    module: str  # suggested file name without .py
    code: str
    usage: str
    explanation: str
    requirements: list[str]
    doc: str  # the pattern's documentation page in this repository


def cache_pattern_tool(inp: CachePatternInput) -> Report:
    spec = SPECS[inp.pattern]
    code = generate(inp.pattern, inp.key, inp.ttl, inp.use_async, inp.serializer)
    findings = []
    if inp.serializer == "pickle":
        findings.append(cache.PICKLE_DESERIALIZATION.finding(
            "pickle runs code chosen by whoever can write to this Redis when it loads an entry",
            evidence={"serializer": "pickle"},
        ))
    data = GeneratedCache(
        pattern=inp.pattern,
        key=inp.key,
        ttl=inp.ttl,
        use_async=inp.use_async,
        serializer=inp.serializer,
        module=module_name(inp.pattern),
        code=code,
        usage=usage(inp.pattern, inp.key, inp.ttl, inp.use_async),
        explanation=spec.explanation,
        requirements=requirements(inp.serializer),
        doc=f"docs/cache-patterns/{inp.pattern}.md",
    )
    flavour = "redis.asyncio" if inp.use_async else "redis-py"
    summary = (
        f"{inp.pattern} for {flavour} ({inp.serializer}), key {inp.key!r}, TTL {inp.ttl}s: "
        f"{code.count(chr(10))} lines, save as {data.module}.py"
    )
    return Report(tool="cache_pattern", findings=findings, data=data, summary=summary)


def suggest_pattern(text: str) -> CachePatternInput | None:
    """Pick pattern, key and TTL from a free-text request (Spanish or English); None if it is not
    about caching. Example: "cachea get_user por user_id 10 minutos"."""
    from tools.cache_patterns.suggest import suggest

    return suggest(text)
