"""A tool nobody registered yet, for tests/test_untrusted_runtime.py: its path field is not called
path or paths, and it returns what it reads (the worst case for a leak)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.findings import Report
from tools.readpath import ReadPath


class PeekInput(BaseModel):
    config_location: ReadPath = Field(description="the configuration to look at")


def peek_tool(inp: PeekInput) -> Report:
    with open(inp.config_location, encoding="utf-8") as fh:
        return Report(tool="peek", summary=fh.read(200))
