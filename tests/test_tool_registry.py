"""The one tool registry: every entry loads, gives a valid OpenAI schema, and side effects are flagged."""

from __future__ import annotations

import jsonschema
import pytest

from tools.findings import Report
from tools.registry import TOOLS, available_tools


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_tool_loads_and_has_a_valid_function_schema(name):
    spec = TOOLS[name]
    assert spec.available(), f"{spec.target} does not import"
    schema = spec.openai_schema()
    assert schema["function"]["name"] == name
    jsonschema.Draft202012Validator.check_schema(schema["function"]["parameters"])
    assert schema["function"]["parameters"]["type"] == "object"


def test_tools_with_side_effects_are_flagged_and_left_out_for_untrusted_callers():
    flagged = {s.name for s in TOOLS.values() if s.side_effects}
    assert flagged == {"loadtest", "db_explain", "db_health"}
    safe = {s.name for s in available_tools(allow_side_effects=False)}
    assert not safe & flagged and safe == set(TOOLS) - flagged


def test_a_registry_call_validates_arguments_and_returns_a_report():
    report = TOOLS["sql"].call({"sql": "SELECT * FROM users ORDER BY random()"})
    assert isinstance(report, Report) and report.tool == "sql"
    assert {"select_star", "order_by_random"} <= {f.kind for f in report.findings}
    with pytest.raises(Exception, match="validation error"):
        TOOLS["sql"].call({"sql": 42})
