"""EXPLAIN TEXT format → the typed plan tree, under the same names and types FORMAT JSON gives.

The parser builds :class:`~tools.explain.model.PlanNode` objects directly (no intermediate dicts:
on large plans building them twice was most of the cost). Properties FORMAT JSON reports as plain
keys land in ``PlanNode.extras`` under their FORMAT JSON names and types, which is what makes a text
plan and a JSON plan of the same query give the same tree. One pass over the lines with regexes
compiled once; indentation decides parenthood exactly as PostgreSQL's ``ExplainNode`` writes it
(children are ``->`` lines indented deeper than their parent; SubPlan/InitPlan/CTE headers group
the sub-plans below them).
"""

from __future__ import annotations

import re
from typing import Any

from tools.errors import InputError
from tools.explain.model import (
    BUFFER_FIELDS,
    FIELD_SPEC,
    MAX_DEPTH,
    NUMBER_LIMIT,
    Buffers,
    PlanNode,
    add_io_times,
)

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"  # one way to match each number: no backtracking
_COST = rf"\(cost=(?P<sc>{_NUM})\.\.(?P<tc>{_NUM})\s+rows=(?P<pr>{_NUM})\s+width=(?P<pw>\d+)\)"
_ACTUAL = (
    rf"\((?:actual\s+(?:time=(?P<ast>{_NUM})\.\.(?P<att>{_NUM})\s+)?rows=(?P<ar>{_NUM})\s+loops=(?P<al>\d+)"
    r"|(?P<never>never\s+executed))\)"
)
_COST_RE = re.compile(_COST)
_ACTUAL_RE = re.compile(_ACTUAL)
_COST_THEN_ACTUAL_RE = re.compile(rf"{_COST}\s+{_ACTUAL}")
# The estimates as EXPLAIN ANALYZE prints them, with number patterns that cannot backtrack (3x
# faster than the general patterns above, which still handle COSTS OFF, never executed, exponents).
_DECIMAL = r"(\d{1,30}(?:\.\d{0,30})?)"  # bounded: a float holds it, no range check needed
_USUAL_ESTIMATES = re.compile(
    rf"\(cost={_DECIMAL}\.\.{_DECIMAL}\s+rows={_DECIMAL}\s+width=(\d{{1,30}})\)"
    rf"\s+\(actual\s+time={_DECIMAL}\.\.{_DECIMAL}\s+rows={_DECIMAL}\s+loops=(\d{{1,30}})\)$"
)
_SUBPLAN = re.compile(r"^(?P<indent>\s*)(?P<kind>SubPlan|InitPlan)\b(?P<rest>.*)$")
_CTE = re.compile(r"^(?P<indent>\s*)CTE\s+(?P<name>\S+)\s*$")
_WORKER = re.compile(
    rf"^(?P<indent>\s*)Worker\s+(?P<num>\d+):\s*(?:actual\s+(?:time=(?P<ast>{_NUM})\.\.(?P<att>{_NUM})\s+)?"
    rf"rows=(?P<ar>{_NUM})\s+loops=(?P<al>\d+)|(?P<never>never\s+executed))?\s*(?P<rest>.*)$"
)
_PROPERTY = re.compile(r"\s*(?P<key>[A-Za-z][A-Za-z0-9 /()_-]*?):(?:\s|$)")
_TIME = re.compile(rf"^\s*(?P<what>Planning|Execution|Total)\s+(?:time|runtime):\s*(?P<ms>{_NUM})\s*ms\s*$", re.I)
_TRIGGER = re.compile(rf"^\s*Trigger\s+(?P<head>.*):\s+time=(?P<time>{_NUM})\s+calls=(?P<calls>\d+)\s*$")
_KV = re.compile(r"(buffers full|[a-z/-]+)=(\S+)")
_SIZE_KB = re.compile(rf"^({_NUM})\s*kB$")
_SPLIT_2SPACES = re.compile(r"\s{2,}")
_NUMBER = re.compile(rf"^-?{_NUM}$")

# Text spellings of node names that FORMAT JSON spells as a node type plus an attribute.
_JOIN = re.compile(
    r"^(?:(Nested Loop)(?:\s+(Left|Right|Full|Semi|Anti|Right Semi|Right Anti))?(?:\s+Join)?"
    r"|(Hash|Merge)(?:\s+(Left|Right|Full|Semi|Anti|Right Semi|Right Anti))?\s+Join)$"
)
_AGG_STRATEGY = {"Aggregate": "Plain", "GroupAggregate": "Sorted", "HashAggregate": "Hashed", "MixedAggregate": "Mixed"}
_SETOP = re.compile(r"^(Hash)?SetOp\s+(.+)$")
_MODIFY = {"Insert", "Update", "Delete", "Merge"}
# FORMAT JSON node types (PostgreSQL 9.6-18), used to accept a COSTS OFF root line as a node.
KNOWN_NODE_TYPES = frozenset(
    {
        "Result", "ProjectSet", "ModifyTable", "Append", "Merge Append", "Recursive Union", "BitmapAnd",
        "BitmapOr", "Nested Loop", "Merge Join", "Hash Join", "Seq Scan", "Sample Scan", "Gather",
        "Gather Merge", "Index Scan", "Index Only Scan", "Bitmap Index Scan", "Bitmap Heap Scan", "Tid Scan",
        "Tid Range Scan", "Subquery Scan", "Function Scan", "Table Function Scan", "Values Scan", "CTE Scan",
        "Named Tuplestore Scan", "WorkTable Scan", "Foreign Scan", "Custom Scan", "Materialize", "Memoize",
        "Sort", "Incremental Sort", "Group", "Aggregate", "WindowAgg", "Unique", "SetOp", "LockRows", "Limit",
        "Hash",
    }
)
_IDENT = r'(?:"(?:[^"]|"")*"|[^\s"])+'  # no nested "+": it would backtrack exponentially
_USING = re.compile(rf"^(?P<type>.+?)\s+using\s+(?P<index>{_IDENT})(?:\s+on\s+(?P<rel>{_IDENT})(?:\s+(?P<alias>{_IDENT}))?)?$")
_ON = re.compile(rf"^(?P<type>.+?)\s+on\s+(?P<rel>{_IDENT})(?:\s+(?P<alias>{_IDENT}))?$")
_SCAN_ALIAS = re.compile(rf"^(?P<type>.+?\s+Scan)\s+(?P<alias>{_IDENT})$")  # pre-9.0 "Subquery Scan x"
_QUALIFIED = re.compile(r'^(?:(?P<schema>"(?:[^"]|"")*"|[^."\s]+)\.)?(?P<name>"(?:[^"]|"")*"|[^."\s]+)$')

# Properties FORMAT JSON emits as lists (split at top-level commas).
_LIST_KEYS = frozenset({"Output", "Sort Key", "Group Key", "Presorted Key", "Hash Key", "Merge Key", "Grouping Sets"})
_INT_KEYS = frozenset(
    {
        "Rows Removed by Filter", "Rows Removed by Index Recheck", "Rows Removed by Join Filter",
        "Heap Fetches", "Workers Planned", "Workers Launched", "Index Searches", "Disabled Nodes",
    }
)
_REMOVED_BY = {
    "Filter": "Rows Removed by Filter",
    "Join Filter": "Rows Removed by Join Filter",
    "Recheck Cond": "Rows Removed by Index Recheck",
}
# ("shared", "hit") → "Shared Hit Blocks" (the FORMAT JSON key), and → "shared_hit" (the Buffers field).
_BUFFER_JSON_KEY = {tuple(key.lower().split()[:2]): key for key in BUFFER_FIELDS}
_BUFFER_ATTR = {words: BUFFER_FIELDS[key] for words, key in _BUFFER_JSON_KEY.items()}
_ZERO_BUFFERS = dict.fromkeys(BUFFER_FIELDS, 0)
_SHARED_BUFFERS = re.compile(r"shared(?: hit=(\d+))?(?: read=(\d+))?(?: dirtied=(\d+))?(?: written=(\d+))?$")  # the usual line
_WAL_FIELDS = {"records": "WAL Records", "fpi": "WAL FPI", "bytes": "WAL Bytes", "buffers full": "WAL Buffers Full"}


def _num(text: str) -> int | float:
    if not text.lstrip("-").isdecimal():
        return _float(text)
    if len(text) > 300:  # no plan count has that many digits; int() refuses over 4300 anyway
        raise ValueError(f"number out of range: {text[:20]}… ({len(text)} digits)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not -NUMBER_LIMIT < value < NUMBER_LIMIT:  # inf: not a measurement, and arithmetic on it goes wrong
        raise ValueError(f"number out of range: {text[:20]!r}")
    return value


def _scalar(text: str) -> Any:
    if text.isdecimal():
        return _num(text)
    if text in ("true", "false"):
        return text == "true"
    first = text[:1]  # most values are expressions: skip the regex unless it could be a number
    if (not first or first in "-." or first.isdecimal()) and _NUMBER.match(text):
        return _num(text)
    return text


def split_top_level(text: str) -> list[str]:
    """Split ``a, f(b, c), 'x,y'`` at commas outside parentheses, brackets and quotes."""
    if not any(ch in text for ch in "([{'\""):
        return [p for p in (part.strip() for part in text.split(",")) if p]
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _ident(text: str) -> str:
    return text[1:-1].replace('""', '"') if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _header(name: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A node name as (node type, PlanNode fields, extras); cached per plan (plans repeat names)."""
    described = describe_node(name)
    node_type = described.pop("Node Type")
    fields: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in described.items():
        spec = FIELD_SPEC.get(key)
        if spec is None:
            extras[key] = value
        else:
            fields[spec[0]] = value
    # Attributes TEXT prints only when they differ from the default; FORMAT JSON always has them.
    if node_type == "Aggregate":
        fields.setdefault("partial_mode", "Simple")
    elif node_type == "Gather":
        extras.setdefault("Single Copy", False)
    elif node_type in ("Append", "Merge Append"):
        extras.setdefault("Subplans Removed", 0)
    return node_type, fields, extras


def describe_node(name: str) -> dict[str, Any]:
    """Split a text node name (``Parallel Index Scan Backward using i on s.t x``) into JSON keys."""
    node: dict[str, Any] = {}
    if name.startswith("Parallel "):
        node["Parallel Aware"] = True
        name = name[9:]
    if name.startswith("Async "):
        node["Async Capable"] = True
        name = name[6:]
    rel = alias = None
    # Without quotes and runs of whitespace (the usual name), identifiers are single words: split
    # on spaces instead of running the regexes (3x faster; every scan of a plan has its own name).
    words = name.split(" ") if '"' not in name and " ".join(name.split()) == name else None
    if "using" in name and (using := _split_using(name, words)):
        name, index, rel, alias = using
        node["Index Name"] = _ident(index)
    elif name.startswith("Bitmap Index Scan on "):
        node["Index Name"] = _ident(name[21:].strip())
        name = "Bitmap Index Scan"
    elif on := _split_on(name, words):
        name, rel, alias = on
    elif (match := _SCAN_ALIAS.match(name)) and match["type"] in ("Subquery Scan", "Values Scan", "CTE Scan"):
        name, alias = match["type"], match["alias"]
    for prefix, mode in (("Partial ", "Partial"), ("Finalize ", "Finalize")):
        if name.startswith(prefix) and name[len(prefix) :] in _AGG_STRATEGY:
            node["Partial Mode"] = mode
            name = name[len(prefix) :]
    if name in _AGG_STRATEGY:
        node["Strategy"] = _AGG_STRATEGY[name]
        name = "Aggregate"
    elif name.startswith(("Nested Loop", "Hash", "Merge")) and (match := _JOIN.match(name)):
        name = "Nested Loop" if match[1] else f"{match[3]} Join"
        node["Join Type"] = match[2] or match[4] or "Inner"
    elif "SetOp" in name and (match := _SETOP.match(name)):
        node["Strategy"] = "Hashed" if match[1] else "Sorted"
        node["Command"] = match[2]
        name = "SetOp"
    elif name.endswith(" Backward") and "Index" in name:
        name = name[:-9]
        node["Scan Direction"] = "Backward"
    elif name in _MODIFY:
        node["Operation"] = name
        name = "ModifyTable"
    if name in ("Index Scan", "Index Only Scan") and "Scan Direction" not in node:
        node["Scan Direction"] = "Forward"
    node["Node Type"] = name
    if rel is not None:
        _relation(node, name, rel)
    if alias is not None:
        node["Alias"] = _ident(alias)
    elif rel is not None and "Alias" not in node:
        # TEXT omits the alias when it equals the name; FORMAT JSON always states it.
        node["Alias"] = node.get("Relation Name") or node.get("CTE Name") or node.get("Function Name") or _ident(rel)
    return node


def _split_using(name: str, words: list[str] | None) -> tuple[str, str, str | None, str | None] | None:
    """``<type> using <index>[ on <relation>[ <alias>]]``: what _USING matches, from words if given."""
    if words is None:
        match = _USING.match(name)
        return match and (match["type"], match["index"], match["rel"], match["alias"])
    n = len(words)
    for at, size in ((n - 5, 4), (n - 4, 3), (n - 2, 1)):  # the shortest type first, as the lazy regex
        if at >= 1 and words[at] == "using" and (size == 1 or words[at + 2] == "on"):
            rest = words[at + 1 :]
            return " ".join(words[:at]), rest[0], rest[2] if size > 1 else None, rest[3] if size == 4 else None
    return None


def _split_on(name: str, words: list[str] | None) -> tuple[str, str, str | None] | None:
    """``<type> on <relation>[ <alias>]``: what _ON matches, from words if given."""
    if words is None:
        match = _ON.match(name)
        return match and (match["type"], match["rel"], match["alias"])
    n = len(words)
    if n >= 4 and words[n - 3] == "on":
        return " ".join(words[: n - 3]), words[n - 2], words[n - 1]
    if n >= 3 and words[n - 2] == "on":
        return " ".join(words[: n - 2]), words[n - 1], None
    return None


def _relation(node: dict[str, Any], node_type: str, target: str) -> None:
    if '"' in target:
        qualified = _QUALIFIED.match(target)
        schema, name = (qualified["schema"], qualified["name"]) if qualified else (None, target)
    else:  # what _QUALIFIED matches without quotes: "name" or "schema.name"
        parts = target.split(".")
        schema, name = parts if len(parts) == 2 and all(parts) else (None, target)
    if node_type == "CTE Scan" or node_type == "WorkTable Scan":
        node["CTE Name"] = _ident(target)
        return
    if node_type == "Function Scan":
        node["Function Name"] = _ident(name)
    elif node_type in ("Subquery Scan", "Values Scan", "Named Tuplestore Scan"):
        node["Alias"] = _ident(target)
        return
    else:
        node["Relation Name"] = _ident(name)
    if schema:
        node["Schema"] = _ident(schema)


# The parser's stack of open elements: a plan node, a SubPlan/InitPlan/CTE group, or a Worker block.
# Tuples (indent, target, owner, group, depth), not objects, because one is made per node:
# * target — where property lines go: the node itself, the group's node, or the worker's dict;
# * owner — the node that child nodes attach to (the node itself for a node);
# * group — None, or the (Parent Relationship, Subplan Name) its child nodes take;
# * depth — the owner's nesting level.
_Frame = tuple[int, Any, PlanNode, "tuple[str, str] | None", int]


def join_wrapped(lines: list[str]) -> tuple[list[int], list[str]]:
    """Logical lines and their line numbers, re-joining lines a terminal or mail client wrapped.

    A wrapped piece is recognised by content, not width: it follows a line whose parentheses are
    still open, or it starts with a cost/actual group, and it cannot start a plan element itself.
    Two parallel lists rather than (number, line) pairs: no tuple per line on large plans.
    """
    numbers: list[int] = []
    out: list[str] = []
    depth = 0
    base = None  # indentation of the first line; psql indents every plan line by one space
    for number, line in enumerate(lines, 1):
        unindented = line.lstrip()
        if not unindented:
            depth = 0
            continue
        indent = len(line) - len(unindented)
        if base is None:
            base = indent
        if depth <= 0 and indent >= base and unindented[0] != "(":  # not a wrapped piece: most lines
            numbers.append(number)
            out.append(line)
            if "(" not in line:
                depth = 0
            elif "'" not in line:  # _paren_depth's usual case, inline: this runs for every line
                depth = line.count("(") - line.count(")")
            else:
                depth = _paren_depth(line)
            continue
        if out and indent < base and not _starts_element(line):  # psql never goes left of its first column
            out[-1] += unindented
        elif out and (depth > 0 or unindented.startswith(("(cost=", "(actual", "(never"))) and not _starts_element(line):
            out[-1] = out[-1] + line if depth > 0 else out[-1].rstrip() + " " + unindented.rstrip()
        else:
            numbers.append(number)
            out.append(line)
        depth = _paren_depth(out[-1])
    return numbers, out


_ELEMENT_START = re.compile(
    r"^\s*(?:->|(?:Sub|Init)Plan\b|CTE\s|Worker\s+\d+:|Trigger\s|[A-Z][A-Za-z/ -]{1,40}:(?:\s|$))"
)


def _starts_element(line: str) -> bool:
    return _ELEMENT_START.match(line) is not None


def _paren_depth(line: str) -> int:
    if "(" not in line:
        return 0
    if "'" not in line:
        return line.count("(") - line.count(")")
    # Every other piece between single quotes is inside a string literal ('' escapes toggle twice).
    return sum(piece.count("(") - piece.count(")") for piece in line.split("'")[::2])


def parse_text(lines: list[str], path: str | None = None) -> tuple[PlanNode, list[PlanNode], dict[str, Any]]:
    """Parse unframed text plan lines into the typed tree (not yet measured), its nodes in
    pre-order, and the statement-level facts under their FORMAT JSON names (``Planning Time``...)."""
    root: dict[str, Any] = {}
    headers: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    top: PlanNode | None = None
    nodes: list[PlanNode] = []  # pre-order, as created: a node's id is its index
    stack: list[_Frame] = []
    section: dict[str, Any] | None = None  # "Planning:" / "JIT:" blocks at the top level
    section_name = ""
    last: tuple[dict[str, Any], str] | None = None  # the dict and key the previous property went to
    base_indent = 0
    saw_wal = False
    unplaced: list[dict[str, Any]] = []  # lines that belong nowhere in the plan: kept, and reported
    numbers, logical_lines = join_wrapped(lines)
    number = 0  # the line a ValueError below comes from
    try:
        for number, line in zip(numbers, logical_lines, strict=True):
            unindented = line.lstrip()
            indent = len(line) - len(unindented)
            stripped = None
            if indent > base_indent and section is None and stack:
                # The common cases first: a child node, or a node property with a well-known key (the
                # text before the first ':', which is what _PROPERTY would capture). No regex at all.
                if unindented.startswith("->"):
                    stripped = unindented.rstrip()
                else:
                    colon = unindented.find(":")
                    key = unindented[:colon]
                    if key in _NODE_KEYS and (colon + 1 == len(unindented) or unindented[colon + 1].isspace()):
                        while stack[-1][0] >= indent and len(stack) > 1:
                            stack.pop()
                        target = stack[-1][1]
                        handler = _NODE_HANDLERS.get(key) if type(target) is PlanNode else None
                        if handler is None:
                            last = _apply(target, key, unindented[colon + 1 :].strip())
                        else:  # _apply's dispatch, inline for the most frequent lines
                            handler(target, key, unindented[colon + 1 :].strip())
                            last = (target.extras, key)
                        saw_wal = saw_wal or key == "WAL"
                        continue
            if stripped is not None:
                arrow = is_node = True
            else:
                stripped = unindented.rstrip()
                if stripped.startswith(("#", "--")) or stripped in ("BEGIN", "COMMIT", "ROLLBACK", "EXPLAIN"):
                    continue
                if top is None and _PROPERTY.match(stripped) and not _has_estimates(stripped) and not _TIME.match(line):
                    continue  # psql noise before the plan ("Timing is on.", prompts...) never looks like a node
                arrow = stripped.startswith("->")
                if (
                    indent > base_indent and section is None and stack and not arrow
                    and _SPECIAL.match(stripped) is None and not _has_estimates(stripped)
                ):
                    last = _place_property(stack, last, indent, stripped, path, number, unplaced)
                    saw_wal = saw_wal or stripped.startswith("WAL:")
                    continue
                # A node line ("->") cannot match the time, trigger, SubPlan or CTE patterns: skip them.
                if not arrow and (match := _TIME.match(line)) is not None:
                    key = {"planning": "Planning Time", "execution": "Execution Time"}.get(match["what"].lower(), "Total Runtime")
                    root[key] = _num(match["ms"])
                    stack.clear()
                    section = None
                    continue
                if not arrow and (match := _TRIGGER.match(line)) is not None:
                    root.setdefault("Triggers", []).append(_trigger(match))
                    stack.clear()
                    continue
                if not arrow and stack and section is None and (match := _SUBPLAN.match(line)) and not _has_estimates(stripped):
                    _pop(stack, indent)
                    _, _, owner, _, depth = stack[-1]
                    kind = match["kind"]
                    stack.append((indent, owner, owner, (kind, (kind + match["rest"]).strip()), depth))
                    continue
                if not arrow and stack and section is None and (match := _CTE.match(line)):
                    _pop(stack, indent)
                    _, _, owner, _, depth = stack[-1]
                    stack.append((indent, owner, owner, ("InitPlan", f"CTE {match['name']}"), depth))
                    continue
                is_node = arrow or (
                    section is None and (_has_estimates(stripped) or (top is None and not _PROPERTY.match(stripped)))
                )
            if is_node:
                section = None
                node = _node_from_line(stripped[2:].lstrip() if arrow else stripped, headers)
                if top is None:
                    if not _has_estimates(stripped) and node.node_type not in KNOWN_NODE_TYPES:
                        continue  # text before the plan that is not a node (COSTS OFF roots must be known types)
                    top = node
                    nodes.append(node)
                    base_indent = indent  # psql indents everything by one space
                    stack.append((indent, node, node, None, 0))
                    continue
                if not stack:
                    raise InputError(f"plan node outside the plan tree: {stripped[:60]!r}", path=path, line=number)
                while stack[-1][0] >= indent and len(stack) > 1:
                    stack.pop()
                _, _, owner, group, depth = stack[-1]
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(f"plan nested deeper than {MAX_DEPTH} levels", path=path, line=number)
                node.id = len(nodes)
                nodes.append(node)
                if group is not None:
                    node.parent_relationship, node.subplan_name = group
                else:  # under a node, or under a Worker block of that node
                    node.parent_relationship = _relationship(owner)
                owner.children.append(node)
                stack.append((indent, node, node, None, depth))
                continue
            if (match := _WORKER.match(line)) is not None and stack:
                _pop(stack, indent)
                _, _, owner, _, depth = stack[-1]
                worker = _worker(owner, _num(match["num"]))
                if match["al"] is not None or match["never"]:
                    _actuals(worker, match)
                if match["rest"].strip():
                    _property(worker, match["rest"].strip(), path, number)
                stack.append((indent, worker, owner, None, depth))
                continue
            # Top-level sections and properties (Settings & co. can only be top-level, whatever the indent).
            if stripped.startswith(_TOP_LEVEL_ONLY) and top is not None and _top_level(root, stripped):
                stack.clear()
                section = None
                continue
            if indent <= base_indent or not stack or (section is not None and indent > base_indent):
                if stripped in ("Planning:", "JIT:"):
                    section_name = stripped[:-1]
                    section = root.setdefault(section_name, {})
                    stack.clear()
                    continue
                if section is not None and indent > base_indent:
                    _section_property(section_name, section, stripped, path, number)
                    continue
                if top is not None and _top_level(root, stripped):
                    stack.clear()
                    section = None
                    continue
            if not stack:
                if top is None:
                    continue
                unplaced.append({"Line": number, "Text": stripped[:200]})
                continue
            last = _place_property(stack, last, indent, stripped, path, number, unplaced)
    except ValueError as exc:  # a number no float can hold ("1e400", 400 digits)
        raise InputError(str(exc), path=path, line=number) from None
    if top is None:
        raise InputError("no plan found: expected EXPLAIN output (text or JSON)", path=path, line=1)
    if unplaced:
        root["Unplaced Lines"] = unplaced
    if saw_wal:
        _fill_wal(nodes)
    return top, nodes, root


def _trigger(match: re.Match[str]) -> dict[str, Any]:
    """``Trigger <name>[ for constraint <constraint>][ on <relation>]: time=… calls=…``."""
    head, _, relation = match["head"].rpartition(" on ")
    if not head:
        head, relation = relation, ""
    name, _, constraint = head.partition(" for constraint ")
    if not constraint and head.startswith("for constraint "):  # no trigger name without VERBOSE
        name, constraint = "", head[len("for constraint "):]
    trigger: dict[str, Any] = {"Trigger Name": name}
    if constraint:
        trigger["Constraint Name"] = constraint
    if relation:
        trigger["Relation"] = _ident(relation)
    trigger["Time"] = _num(match["time"])
    trigger["Calls"] = _num(match["calls"])
    return trigger


def _fill_wal(nodes: list[PlanNode]) -> None:
    """With WAL on, TEXT skips nodes that wrote none; FORMAT JSON reports zeros on every node."""
    for node in nodes:
        for key in ("WAL Records", "WAL FPI", "WAL Bytes"):
            node.extras.setdefault(key, 0)


_TOP_LEVEL_ONLY = ("Settings:", "Query Identifier:", "Serialization:")
_SPECIAL = re.compile(
    r"(?:Planning|Execution|Total runtime|Trigger\s|SubPlan|InitPlan|CTE\s|Worker\s|JIT:|Settings:"
    r"|Query Identifier:|Serialization:)"
)


# Node property keys that can never start a special line: the parser's fast path needs no regex
# for them (filtered through _SPECIAL so a key added here can never shadow a special line).
_NODE_KEYS = frozenset(
    key
    for key in (
        "Filter", "Index Cond", "Hash Cond", "Merge Cond", "Join Filter", "Recheck Cond", "One-Time Filter",
        "Rows Removed by Filter", "Rows Removed by Join Filter", "Rows Removed by Index Recheck", "Output",
        "Sort Key", "Sort Method", "Presorted Key", "Group Key", "Hash Key", "Buffers", "I/O Timings", "WAL",
        "Buckets", "Batches", "Heap Fetches", "Heap Blocks", "Cache Key", "Cache Mode", "Hits",
        "Workers Planned", "Workers Launched", "Index Searches", "Disabled Nodes", "Full-sort Groups",
        "Pre-sorted Groups", "Conflict Resolution", "Conflict Arbiter Indexes", "Tuples Inserted",
        "Conflicting Tuples", "Relations", "Remote SQL",
    )
    if _PROPERTY.fullmatch(key + ":") and _SPECIAL.match(key + ": ") is None
)


def _has_estimates(stripped: str) -> bool:
    return "(cost=" in stripped or "(actual" in stripped or "(never executed)" in stripped


def _place_property(
    stack: list[_Frame], last: tuple[dict[str, Any], str] | None, indent: int, stripped: str,
    path: str | None, number: int, unplaced: list[dict[str, Any]],
) -> tuple[dict[str, Any], str] | None:
    """Attach a property line to the node (or worker) it is indented under; returns where it went.
    A line that continues nothing (prose pasted after the plan, a line a client mangled) goes to
    ``unplaced``: the plan reports it instead of dropping it silently."""
    match = _PROPERTY.match(stripped)
    if match is None:
        if last is None:
            raise InputError(f"not a plan line: {stripped[:60]!r}", path=path, line=number)
        if not _continue_property(last, stripped):  # a value with an embedded newline (e.g. Output)
            unplaced.append({"Line": number, "Text": stripped[:200]})
        return last
    _pop(stack, indent)
    return _apply(stack[-1][1], match["key"].strip(), stripped[match.end() :].strip())


_MEMBER_PARENTS = frozenset({"Append", "Merge Append", "BitmapAnd", "BitmapOr", "Recursive Union"})


def _relationship(parent: PlanNode) -> str:
    """The ``Parent Relationship`` of a new child, which FORMAT JSON states and TEXT leaves implicit."""
    parent_type = parent.node_type
    if parent_type in _MEMBER_PARENTS and parent_type != "Recursive Union":
        return "Member"
    if parent_type == "Subquery Scan":
        return "Subquery"
    for child in parent.children:
        if child.parent_relationship in ("Outer", "Inner"):
            return "Inner"
    return "Outer"


def _continue_property(last: tuple[dict[str, Any], str], text: str) -> bool:
    """Append a continuation line to the previous property; False when that property cannot take
    one (a number, a flag): the line then has no place in the plan and must not be dropped."""
    target, key = last
    value = target.get(key)
    if isinstance(value, list):
        value.extend(split_top_level(text))
    elif isinstance(value, str):
        target[key] = f"{value} {text}"
    else:
        return False
    return True


def _pop(stack: list[_Frame], indent: int) -> None:
    while stack[-1][0] >= indent and len(stack) > 1:
        stack.pop()


def _worker(node: PlanNode, number: int) -> dict[str, Any]:
    workers = node.extras.setdefault("Workers", [])
    for worker in workers:
        if worker["Worker Number"] == number:
            return worker
    worker = {"Worker Number": number}
    workers.append(worker)
    return worker


def _actuals(target: dict[str, Any], match: re.Match[str]) -> None:
    if match["never"]:
        target["Actual Loops"] = 0
        target["Actual Rows"] = 0
        return
    if match["ast"] is not None:
        target["Actual Startup Time"] = _num(match["ast"])
        target["Actual Total Time"] = _num(match["att"])
    target["Actual Rows"] = _num(match["ar"])
    target["Actual Loops"] = _num(match["al"])


def _node_from_line(text: str, headers: dict[str, tuple[str, dict[str, Any], dict[str, Any]]]) -> PlanNode:
    """``Seq Scan on t  (cost=0.00..1.00 rows=1 width=4) (actual time=... rows=1 loops=1)``; the
    node's id is set when it joins the tree. ``headers`` caches :func:`_header` for this plan."""
    cut = text.find("(cost=")
    usual = _USUAL_ESTIMATES.match(text, cut) if cut > 0 else None
    if usual is None:
        cut = len(text)
        for marker in ("(cost=", "(actual", "(never executed)"):
            at = text.find(marker)
            if 0 <= at < cut:
                cut = at
    name = text[:cut].rstrip()
    header = headers.get(name)
    if header is None:
        header = headers[name] = _header(name)
    node_type, fields, extras = header
    if usual is not None:
        sc, tc, pr, pw, ast, att, ar, al = usual.groups()
        node = PlanNode(
            0, node_type, startup_cost=float(sc), total_cost=float(tc), plan_rows=int(pr) if pr.isdecimal() else float(pr),
            plan_width=int(pw), actual_startup_ms=float(ast), actual_total_ms=float(att),
            actual_rows=int(ar) if ar.isdecimal() else float(ar), actual_loops=int(al), extras=dict(extras), **fields,
        )
    else:
        node = PlanNode(0, node_type, extras=dict(extras), **fields)
        if cut == len(text):
            return node
        _estimates(node, text[cut:])
    if node.strategy in ("Hashed", "Mixed") and node_type == "Aggregate":
        node.extras.setdefault("Planned Partitions", 0)  # FORMAT JSON always reports it
    return node


def _estimates(node: PlanNode, text: str) -> None:
    """The general case: ``(cost=...)`` and/or ``(actual ...)``/``(never executed)``, in any spacing."""
    cost = actual = _COST_THEN_ACTUAL_RE.match(text)
    if cost is None:
        cost, actual = _COST_RE.search(text), _ACTUAL_RE.search(text)
    if cost is not None:
        node.startup_cost = _float(cost["sc"])
        node.total_cost = _float(cost["tc"])
        node.plan_rows = _num(cost["pr"])
        node.plan_width = _num(cost["pw"])
    if actual is not None:
        if actual["never"]:
            node.actual_loops = node.actual_rows = 0
        else:
            if actual["ast"] is not None:
                node.actual_startup_ms = _float(actual["ast"])
                node.actual_total_ms = _float(actual["att"])
            node.actual_rows = _num(actual["ar"])
            node.actual_loops = _num(actual["al"])


def _top_level(root: dict[str, Any], stripped: str) -> bool:
    """Plan-level lines after the tree: Settings, Query Identifier, Serialization."""
    key, _, value = stripped.partition(":")
    value = value.strip()
    if key == "Settings":
        settings = {}
        for item in split_top_level(value):
            name, _, setting = item.partition("=")
            settings[name.strip()] = setting.strip().strip("'")
        root["Settings"] = settings
        return True
    if key == "Query Identifier":
        root["Query Identifier"] = _scalar(value)
        return True
    if key == "Serialization":
        serialization: dict[str, Any] = {}
        for name, raw in _KV.findall(value):
            number = _SIZE_KB.match(raw) or re.match(rf"^({_NUM})(?:ms)?$", raw)
            serialization[{"time": "Time", "output": "Output Volume", "format": "Format"}.get(name.strip(), name)] = (
                _num(number[1]) if number and name.strip() != "format" else raw
            )
        root["Serialization"] = serialization
        return True
    return False


def _section_property(section_name: str, section: dict[str, Any], stripped: str, path: str | None, number: int) -> None:
    key, _, value = stripped.partition(":")
    value = value.strip()
    if section_name == "JIT":
        if key == "Functions":
            section["Functions"] = _scalar(value)
        elif key == "Options":
            section["Options"] = {k: v == "true" for k, v in (o.rsplit(" ", 1) for o in split_top_level(value) if " " in o)}
        elif key == "Timing":
            timing = {}
            for item in split_top_level(value):
                parts = item.split()
                if len(parts) >= 2 and _NUMBER.match(parts[1]):
                    timing[parts[0]] = _num(parts[1])
            section["Timing"] = timing
        else:
            section[key] = _scalar(value)
        return
    _property(section, stripped, path, number)


def _property(data: dict[str, Any], text: str, path: str | None, number: int) -> None:
    """One ``Key: value`` line (or several, for lines like ``Hits: 1  Misses: 2``) on a worker or a
    top-level section."""
    match = _PROPERTY.match(text)
    if match is None:
        raise InputError(f"not a plan line: {text[:60]!r}", path=path, line=number)
    _apply_property(data, match["key"].strip(), text[match.end() :].strip(), None, "Actual Loops" in data)


def _apply(target: PlanNode | dict[str, Any], key: str, value: str) -> tuple[dict[str, Any], str]:
    """A property of a node (typed fields, else extras) or of a worker; returns the dict it went to."""
    if type(target) is not PlanNode:
        _apply_property(target, key, value, None, "Actual Loops" in target)
        return target, key
    handler = _NODE_HANDLERS.get(key)
    if handler is None:
        _apply_property(target.extras, key, value, target.node_type, target.actual_loops is not None)
    else:
        handler(target, key, value)
    return target.extras, key


def _node_buffers(node: PlanNode, key: str, value: str) -> None:
    if node.buffers is None and (usual := _SHARED_BUFFERS.match(value)) is not None:
        hit, read, dirtied, written = usual.groups()
        node.buffers = Buffers(*(_num(count) if count else 0 for count in (hit, read, dirtied, written)))
        return
    counts = _buffer_counts(value, _BUFFER_ATTR)
    if node.buffers is None:
        node.buffers = Buffers(**counts)
    else:  # a second Buffers line (after I/O Timings created them): keep what is already known
        for attr, count in counts.items():
            if count:
                setattr(node.buffers, attr, count)


def _node_workers(node: PlanNode, key: str, value: str) -> None:
    if value.isdecimal():
        setattr(node, "workers_planned" if key == "Workers Planned" else "workers_launched", _num(value))
    else:
        node.extras[key] = _scalar(value)


def _node_io_timings(node: PlanNode, key: str, value: str) -> None:
    _io_timings(node.extras, value)
    add_io_times(node)


def _node_hash_sizes(node: PlanNode, key: str, value: str) -> None:
    """A Hash node's ``Buckets: 1024  Batches: 1  Memory Usage: 9kB`` in one match; other shapes
    (``originally``, HashAggregate batches) take the general path."""
    usual = _USUAL_HASH_SIZES.match(value) if node.node_type == "Hash" else None
    if usual is None:
        _hash_or_hashagg(node.extras, key, value, node.node_type)
        return
    buckets, batches, memory = (_num(number) for number in usual.groups())
    node.extras.update({"Hash Buckets": buckets, "Original Hash Buckets": buckets, "Hash Batches": batches,
                        "Original Hash Batches": batches, "Peak Memory Usage": memory})


_USUAL_HASH_SIZES = re.compile(r"(\d+)  Batches: (\d+)  Memory Usage: (\d+)kB$")


def _node_expression(node: PlanNode, key: str, value: str) -> None:
    """``Filter``, ``Index Cond``... (the most frequent lines: kept off the generic path)."""
    if key in _REMOVED_BY and node.actual_loops is not None:
        node.extras.setdefault(_REMOVED_BY[key], 0)  # TEXT omits a zero count that FORMAT JSON reports
    node.extras[key] = _scalar(value)


def _node_count(node: PlanNode, key: str, value: str) -> None:
    node.extras[key] = _count(value)


def _count(value: str) -> int | float | str:
    """A count property (Rows Removed by Filter, Heap Fetches...): a number, else the text as given."""
    return _num(value) if _NUMBER.match(value) else value


def _apply_property(data: dict[str, Any], key: str, value: str, node_type: str | None, analyzed: bool) -> None:
    """A property under its FORMAT JSON name and type into ``data`` (a node's extras, a worker...)."""
    if analyzed and key in _REMOVED_BY:
        data.setdefault(_REMOVED_BY[key], 0)  # TEXT omits a zero count that FORMAT JSON reports
    if node_type == "Aggregate" and key in ("Group Key", "Hash Key", "Sort Key") and _grouping_sets(data, key, value):
        return
    handler = _HANDLERS.get(key)
    if handler is not None:
        handler(data, value)
    elif key in _SIZES_KEYS:
        _hash_or_hashagg(data, key, value, node_type)
    elif key in _LIST_KEYS:
        data[key] = split_top_level(value)
    elif key in _INT_KEYS:
        data[key] = _count(value)
    else:
        data[key] = _scalar(value)


def _grouping_sets(node: dict[str, Any], key: str, value: str) -> bool:
    """GROUPING SETS/ROLLUP/CUBE: TEXT prints one ``Group Key``/``Hash Key`` line per set, FORMAT
    JSON nests them as ``"Grouping Sets": [{"Group Keys": [[...], ...]}, {"Hash Keys": [[...]]}]``.
    Returns False for a plain ``Group Key`` (the first one, until a second set shows up)."""
    keys = [] if value.strip() == "()" else split_top_level(value)
    sets = node.get("Grouping Sets")
    if sets is None:
        if key == "Sort Key" or (key == "Group Key" and "Group Key" not in node and value.strip() != "()"):
            return False
        sets = node["Grouping Sets"] = []
        if "Group Key" in node:  # the first line was a set after all
            first = node.pop("Group Key")
            sets.append({"Group Keys": [[] if first == ["()"] else first]})
    if key == "Hash Key":
        sets.append({"Hash Keys": [keys]})
    elif key == "Sort Key":
        sets.append({"Sort Key": keys, "Group Keys": []})
    elif sets and "Group Keys" in sets[-1]:
        sets[-1]["Group Keys"].append(keys)
    else:
        sets.append({"Group Keys": [keys]})
    return True


def _buffer_counts(value: str, names: dict[tuple[str, str], str]) -> dict[str, int]:
    """``shared hit=1 read=2, local written=3, temp read=4 written=5`` → the non-zero counts, keyed by
    ``names[(scope, counter)]``."""
    counts = {}
    for part in value.split(","):
        words = part.split()
        if not words:
            continue
        scope = words[0].lower()
        for word in words[1:]:
            counter, _, count = word.partition("=")
            name = names.get((scope, counter))
            if name is not None and count.isdecimal():
                counts[name] = _num(count)
    return counts


def _buffers(data: dict[str, Any], value: str) -> None:
    """A worker's or the planning section's ``Buffers:`` line, under FORMAT JSON keys."""
    counts = _buffer_counts(value, _BUFFER_JSON_KEY)
    for key in _ZERO_BUFFERS:  # TEXT prints only the non-zero counters; FORMAT JSON reports all
        data.setdefault(key, 0)
    data.update(counts)


def _io_timings(node: dict[str, Any], value: str) -> None:
    """All three spellings: ``read=1 write=2`` (≤14), ``shared/local ..., temp ...`` (15-16),
    ``shared ..., local ..., temp ...`` (17+), mapped to the keys FORMAT JSON uses in that version."""
    parts = split_top_level(value)
    scopes = {p.partition(" ")[0] for p in parts}
    if scopes == {"temp"}:  # PostgreSQL 15-16 spelling with only temp I/O
        node.setdefault("I/O Read Time", 0)
        node.setdefault("I/O Write Time", 0)
    elif scopes & {"shared", "local"}:
        for scope in ("Shared", "Local", "Temp"):
            for op in ("Read", "Write"):
                node.setdefault(f"{scope} I/O {op} Time", 0)
    for part in parts:
        scope, _, rest = part.partition(" ")
        if "=" in scope:  # bare "read=… write=…"
            scope, rest = "", part
        prefix = {"": "", "shared/local": "", "shared": "Shared ", "local": "Local ", "temp": "Temp "}.get(scope)
        if prefix is None:
            continue
        if scope in ("", "shared/local"):
            node.setdefault("I/O Read Time", 0)
            node.setdefault("I/O Write Time", 0)
        elif scope == "temp":
            node.setdefault("Temp I/O Read Time", 0)
            node.setdefault("Temp I/O Write Time", 0)
        for name, ms in _KV.findall(rest):
            if name in ("read", "write") and _NUMBER.match(ms):
                node[f"{prefix}I/O {name.capitalize()} Time"] = _num(ms)


def _sizes(value: str) -> list[tuple[str, str]]:
    """``Key: value`` pairs of a two-space separated line (``Buckets: 1024  Batches: 1``)."""
    pairs = []
    for chunk in _SPLIT_2SPACES.split(value.strip()):
        key, sep, rest = chunk.partition(":")
        if sep:
            pairs.append((key.strip(), rest.strip()))
        elif pairs:  # "Sort Method: external merge" keeps its single spaces
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]}  {chunk}".strip())
    return pairs


def _kb(raw: str) -> int | float | str:
    if raw.endswith("kB") and raw[:-2].isdecimal():
        return _num(raw[:-2])
    match = _SIZE_KB.match(raw.strip())
    return _num(match[1]) if match else raw


def _sort_method(node: dict[str, Any], value: str) -> None:
    pairs = _sizes("Sort Method: " + value.strip())
    for key, raw in pairs:
        if key == "Sort Method":
            node["Sort Method"] = raw
        elif key in ("Memory", "Disk"):
            node["Sort Space Used"] = _kb(raw)
            node["Sort Space Type"] = key
        else:
            node[key] = _kb(raw)


def _hash_or_hashagg(node: dict[str, Any], first_key: str, value: str, node_type: str | None) -> None:
    """``Buckets: 1024 (originally 512)  Batches: 2 (originally 1)  Memory Usage: 9kB`` (Hash) and
    ``Batches: 5  Memory Usage: 4145kB  Disk Usage: 1000kB`` (HashAggregate, PG13+)."""
    is_hash = node_type == "Hash" or first_key == "Buckets"
    for key, raw in _sizes(f"{first_key}: {value}"):
        number, _, original = raw.partition("(originally")
        number = number.strip()
        if key in ("Buckets", "Batches") and is_hash:
            node[f"Hash {key}"] = _scalar(number)
            # TEXT prints "(originally N)" only when it changed; FORMAT JSON always reports it.
            node[f"Original Hash {key}"] = _scalar(original.strip(" )")) if original else node[f"Hash {key}"]
        elif key == "Batches":
            node["HashAgg Batches"] = _scalar(number)
            node.setdefault("Disk Usage", 0)  # TEXT omits a zero disk usage
        elif key == "Memory Usage":
            node["Peak Memory Usage"] = _kb(raw)
        elif key == "Disk Usage":
            node["Disk Usage"] = _kb(raw)
        elif key == "Planned Partitions":
            node["Planned Partitions"] = _scalar(number)
        else:
            node[key] = _kb(raw)


def _heap_blocks(node: dict[str, Any], value: str) -> None:
    for name, count in _KV.findall(value):
        if count.isdecimal():
            node[f"{name.capitalize()} Heap Blocks"] = _num(count)


def _memoize(node: dict[str, Any], value: str) -> None:
    for key, raw in _sizes("Hits: " + value):
        if key in ("Hits", "Misses", "Evictions", "Overflows"):
            node[f"Cache {key}"] = _scalar(raw)
        elif key == "Memory Usage":
            node["Peak Memory Usage"] = _kb(raw)


def _wal(node: dict[str, Any], value: str) -> None:
    for name, count in _KV.findall(value):
        if name.strip() in _WAL_FIELDS and count.isdecimal():
            node[_WAL_FIELDS[name.strip()]] = _num(count)


def _sort_groups(key: str):
    """Incremental Sort: ``Full-sort Groups: 1  Sort Method: quicksort  Average Memory: 25kB ...``."""

    def handle(node: dict[str, Any], value: str) -> None:
        groups: dict[str, Any] = {}
        memory: dict[str, Any] = {}
        for name, raw in _sizes(f"{key}: {value}"):
            if name == key:
                groups["Group Count"] = _scalar(raw)
            elif name in ("Sort Method", "Sort Methods"):
                groups["Sort Methods Used"] = split_top_level(raw)
            elif name.endswith(("Memory", "Disk")):
                kind, _, which = name.rpartition(" ")
                bucket = memory if which == "Memory" else groups.setdefault("Sort Space Disk", {})
                bucket[f"{kind} Sort Space Used"] = _kb(raw)
        if memory:
            groups["Sort Space Memory"] = memory
        node[f"{key}"] = groups

    return handle


def _planning_memory(node: dict[str, Any], value: str) -> None:
    for name, raw in _KV.findall(value):
        number = _SIZE_KB.match(raw)
        key = {"used": "Memory Used", "allocated": "Memory Allocated"}.get(name.strip())
        if key and number:
            node[key] = _num(number[1])


# Node properties with a PlanNode field, or frequent enough for their own handler; the rest go
# through _apply_property into the node's extras.
_NODE_HANDLERS = {
    "Buffers": _node_buffers,
    "Workers Planned": _node_workers,
    "Workers Launched": _node_workers,
    "I/O Timings": _node_io_timings,
    "Buckets": _node_hash_sizes,
    **dict.fromkeys(("Filter", "Index Cond", "Hash Cond", "Merge Cond", "Join Filter", "Recheck Cond"), _node_expression),
    **dict.fromkeys(("Rows Removed by Filter", "Rows Removed by Index Recheck", "Rows Removed by Join Filter",
                     "Heap Fetches"), _node_count),
}
_SIZES_KEYS = frozenset({"Buckets", "Batches", "Planned Partitions"})  # Hash or HashAggregate, by node type
_HANDLERS = {
    "Buffers": _buffers,
    "I/O Timings": _io_timings,
    "Sort Method": _sort_method,
    "Heap Blocks": _heap_blocks,
    "Hits": _memoize,
    "WAL": _wal,
    "Full-sort Groups": _sort_groups("Full-sort Groups"),
    "Pre-sorted Groups": _sort_groups("Pre-sorted Groups"),
    "Memory": _planning_memory,
}
