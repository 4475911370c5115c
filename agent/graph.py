"""The persona graph: route → persona ⇄ tools → handoff, as a LangGraph StateGraph.

Nodes: ``route`` (the deterministic router), one node per persona (one model call per visit of
the node: the tool loop is persona → tools → persona, bounded), and ``tools`` (runs tool calls and
the handoff tools agent.handoff generates for each partner, answering with ``Command(goto=...)``).

The runtime, not the prompt, enforces the rules of a handoff (agent.handoff: a hop limit, no return
to a persona that already answered in this turn, A → B → A), says a clear sentence to the user when
a rule stops the chain, and checks a cost ceiling before every model call. It also hands off by
itself when a tool finding names the partner that owns the fix, or when the model's text defers to
a partner without calling the tool ("esto es para el Data Engineer").

The state is lean on purpose (checkpoint cost grows with it): the transcript holds only user
messages and each persona's final answer; a visit's tool-call messages live in ``scratch`` and are
dropped when the visit ends.

Untrusted text: everything written to the state is masked (tools.secrets): every node's writes by
:func:`_masked_update` (LangGraph stores a node's writes as returned), and the transcript again by its
reducer, for input that did not come through ``Runtime.ask`` (which masks the message before the
run). So neither the model nor the checkpoint store ever holds a secret. A tool
call from the model may read only the files the user attached (``attachments``, never a path
written in a message) and the active persona's own file: the grant is checked on the input models'
``ReadPath`` type (tools.readpath).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import get_runtime
from langgraph.types import Command

from agent.fence import fence_pastes, new_boundary
from agent.fence import rule as fence_rule
from agent.handoff import (
    HandoffPacket,
    make_packet,
    refusal,
    runtime_candidates,
    transfer_target,
    transfer_tool,
)
from agent.language import detect_language, say
from agent.model import ChatModel, LLMError, ModelRequest, Price, make_model
from agent.prompt import relevant_sections, system_prompt
from agent.registry import Registry
from agent.router import Router
from tools.errors import InputError
from tools.findings import Report
from tools.readpath import REFUSED, ReadGrant
from tools.registry import ToolSpec, available_tools
from tools.secrets import mask_secrets, mask_value
from tools.text import estimate_tokens


def _add_masked(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The transcript's reducer: a message is masked before it is stored (the user's input included)."""
    return left + [{**m, "content": mask_secrets(m["content"])} if isinstance(m.get("content"), str) else m
                   for m in right]


def _add_new(left: list[str], right: list[str]) -> list[str]:
    return left + [item for item in right if item not in left]


def _concat(left: list[Any], right: list[Any]) -> list[Any]:
    return left + right


class ConversationState(TypedDict, total=False):
    messages: Annotated[list[dict[str, Any]], _add_masked]  # user messages + each persona's answer, masked
    usage: Annotated[list[dict[str, Any]], _concat]  # one entry per model call, whole thread
    attachments: Annotated[list[str], _add_new]  # files the user gave as paths in this thread (resolved)
    active: str | None  # persona answering now (kept across turns)
    forced: str | None  # input: answer with this persona (skips the router)
    max_cost: float | None  # input: USD ceiling for the whole conversation
    turn_start: int  # index in ``messages`` of this turn's user message
    trail: list[dict[str, Any]]  # this turn: who answered, who handed off to whom and why
    hops: int
    scratch: list[dict[str, Any]]  # this visit's assistant tool calls and tool results
    tool_rounds: int
    packet: dict[str, Any] | None  # handoff packet the active persona received
    reports: list[dict[str, Any]]  # this turn's tool results: tool, persona, hop, arguments, report
    notices: list[str]  # sentences for the user from the runtime itself (handoffs, limits)


@dataclass
class RunContext:
    """Per-run context (not checkpointed): where streamed tokens and handoff events go.

    Without it (LangGraph Server), events go to LangGraph's "custom" stream. The Runtime passes a
    callback instead because asking for the "custom" stream makes LangGraph run every step on a
    thread pool, which costs more per turn than the rest of the runtime together.
    """

    on_event: Callable[[dict[str, Any]], None] | None = None


def _emitter() -> Callable[[dict[str, Any]], None]:
    context = get_runtime().context
    if context is not None and context.on_event is not None:
        return context.on_event
    return get_stream_writer()


@dataclass
class GraphSettings:
    max_hops: int = 3
    max_tool_rounds: int = 4
    # Token budgets by tools.text.estimate_tokens (3 characters a token): 2,400 and 12,000 characters.
    handoff_tokens: int = 800
    history_tokens: int = 4000
    tool_result_chars: int = 6000
    auto_handoff: bool = True  # perform runtime-initiated handoffs (else only offer them)
    allow_side_effects: bool = False  # offer tools that run load tests or touch live databases
    # Honour the input's ``attachments`` (files a tool may read). The Runtime checks them first; a
    # LangGraph Server's input comes from remote clients, so its graph reads no file.
    read_attachments: bool = True

    @classmethod
    def from_env(cls) -> GraphSettings:
        env = os.environ.get
        return cls(
            max_hops=int(env("LMAGENT_MAX_HOPS", "3")),
            max_tool_rounds=int(env("LMAGENT_MAX_TOOL_ROUNDS", "4")),
            handoff_tokens=int(env("LMAGENT_HANDOFF_TOKENS", "800")),
            history_tokens=int(env("LMAGENT_HISTORY_TOKENS", "4000")),
            auto_handoff=env("LMAGENT_AUTO_HANDOFF", "1") not in ("0", "false", "no"),
            allow_side_effects=env("LMAGENT_ALLOW_SIDE_EFFECTS", "0") in ("1", "true", "yes"),
        )


def turn_input(message: str, *, persona: str | None = None, max_cost: float | None = None,
               attachments: list[str] | None = None) -> dict[str, Any]:
    """The graph input for one user turn; ``attachments``: resolved paths the user gave (agent.runtime checks them)."""
    return {"messages": [{"role": "user", "content": message}], "forced": persona, "max_cost": max_cost,
            "attachments": list(attachments or [])}


def build_graph(registry: Registry, model: ChatModel, *, checkpointer=None, settings: GraphSettings | None = None,
                prices: dict[str, Price] | None = None):
    """Compile the persona graph for a team and a model."""
    return _GraphBuilder(registry, model, settings or GraphSettings.from_env(), prices or {}).compile(checkpointer)


def make_graph(config: dict | None = None):
    """The graph LangGraph Server runs (agent/server.py, named in langgraph.json): shipped personas,
    model from the environment. The server brings its own checkpointer, so none is attached here.
    """
    from agent.model import load_prices

    settings = dataclasses.replace(GraphSettings.from_env(), read_attachments=False)
    return build_graph(Registry.from_dir(), make_model(), settings=settings, prices=load_prices())


class _GraphBuilder:
    def __init__(self, registry: Registry, model: ChatModel, settings: GraphSettings, prices: dict[str, Price]):
        self.registry = registry
        self.model = model
        self.settings = settings
        self.price = prices.get(model.model)
        self.router = Router(list(registry))
        self.tools: dict[str, ToolSpec] = {}
        self.tool_schemas = []
        for spec in available_tools(allow_side_effects=settings.allow_side_effects):
            self.tools[spec.name] = spec
            self.tool_schemas.append(spec.openai_schema())
        self.names = {p.slug: p.name for p in registry}
        # Per persona, built once: the tools it is offered (registry tools + one transfer per partner).
        self.persona_tools = {
            p.slug: self.tool_schemas + [transfer_tool(x.slug, self.names[x.slug], x.collaboration)
                                         for x in registry.partners[p.slug]]
            for p in registry}
        self._prompts: dict[tuple, tuple[list[Any], str]] = {}

    def _system_prompt(self, slug: str, user_text: str, lang: str, with_tools: bool,
                       packet: dict[str, Any] | None, attachments: tuple[str, ...],
                       boundary: str) -> tuple[list[Any], str]:
        """(relevant sections, system prompt ending with the rule about this request's fences);
        memoized, but for the rule, in the common case of no packet."""
        key = (slug, user_text, lang, with_tools, attachments)
        if packet is None and key in self._prompts:
            sections, system = self._prompts[key]
            return sections, f"{system}\n\n{fence_rule(boundary)}"
        persona = self.registry.get(slug)
        sections = relevant_sections(persona, user_text)
        tool_names = list(self.tools) if with_tools else []
        system = system_prompt(persona, self.registry.partners.get(slug, []), sections, lang, tool_names,
                               HandoffPacket.model_validate(packet) if packet else None,
                               attachments=list(attachments) if with_tools else [], boundary=boundary)
        if packet is None:
            if len(self._prompts) > 256:
                self._prompts.clear()
            self._prompts[key] = (sections, system.removesuffix(f"\n\n{fence_rule(boundary)}"))
        return sections, system

    def compile(self, checkpointer):
        graph = StateGraph(ConversationState, context_schema=RunContext)
        slugs = tuple(self.names)
        for reserved in ("route", "tools"):
            if reserved in self.names:
                persona = self.registry.get(reserved)
                raise InputError(f"persona slug '{reserved}' is reserved by the runtime: rename the file", persona.path)
        graph.add_node("route", _masking(self.route), destinations=slugs)
        for slug in slugs:
            graph.add_node(slug, _masking(self.persona_node(slug)), destinations=("tools", *slugs, END))
        graph.add_node("tools", _masking(self.tools_node), destinations=slugs)
        graph.add_edge(START, "route")
        return graph.compile(checkpointer=checkpointer)

    # --- route ---------------------------------------------------------------------------------

    def route(self, state: ConversationState) -> Command:
        messages = state["messages"]
        text = messages[-1]["content"]
        forced = state.get("forced")
        if forced and forced in self.names:
            slug, by, reason, confidence = forced, "forced", "persona chosen by the user", 1.0
        else:
            result = self.router.route(text)
            slug, by, reason, confidence = result.persona, "router", result.reason, result.confidence
            active = state.get("active")
            if result.fallback and active in self.names:
                # Nothing in this message points elsewhere: the conversation stays where it is.
                slug, by, reason = active, "continue", f"follow-up for {active} (no trigger matched)"
        hidden = _MASK_KIND.findall(text)  # masked on the way in by the transcript's reducer
        notices = [say(detect_language(text), "masked", count=len(hidden), kinds=", ".join(sorted(set(hidden))))
                   ] if hidden else []
        return Command(goto=slug, update={
            "active": slug, "turn_start": len(messages) - 1, "hops": 0, "scratch": [], "tool_rounds": 0,
            "packet": None, "reports": [], "notices": notices,
            "trail": [{"persona": slug, "by": by, "reason": reason, "confidence": confidence}],
        })

    # --- persona -------------------------------------------------------------------------------

    def persona_node(self, slug: str) -> Callable[[ConversationState], Command]:
        def node(state: ConversationState) -> Command:
            return self._persona_step(slug, state)

        node.__name__ = f"persona_{slug.replace('-', '_')}"
        return node

    def _persona_step(self, slug: str, state: ConversationState) -> Command:
        persona = self.registry.get(slug)
        partners = self.registry.partners.get(slug, [])
        user_text = state["messages"][state["turn_start"]]["content"]
        lang = detect_language(user_text)
        rounds = state.get("tool_rounds", 0)
        notices = list(state.get("notices", []))
        tools: list[dict[str, Any]] = []
        if rounds < self.settings.max_tool_rounds:
            tools = self.persona_tools[slug]
        elif rounds:
            notices.append(say(lang, "tool_limit", limit=self.settings.max_tool_rounds))
        attachments = self._attachments(state)
        convo = [*self._history(state), state["messages"][state["turn_start"]], *state.get("scratch", [])]
        # One boundary per request, held by no text of it: pasted blocks and the packet are fenced with it.
        boundary = new_boundary(json.dumps([convo, state.get("packet")], ensure_ascii=False))
        sections, system = self._system_prompt(slug, user_text, lang, bool(tools), state.get("packet"),
                                               tuple(attachments), boundary)
        messages = [{"role": "system", "content": system},
                    *({**m, "content": fence_pastes(m["content"], boundary)} if m["role"] == "user" else m
                      for m in convo)]

        stop = self._over_budget(state, messages, tools, lang)
        if stop:
            return Command(goto=END, update={"notices": [*notices, stop]})

        writer = _emitter()
        hop = state.get("hops", 0)
        visit_reports = [r for r in state.get("reports", []) if r["persona"] == slug and r["hop"] == hop]
        request = ModelRequest(
            messages=messages, tools=tools, persona=persona, language=lang, user_text=user_text,
            reports=visit_reports, packet=state.get("packet"), sections=sections, partners=partners,
            attachments=attachments, on_token=lambda text: writer({"type": "token", "persona": slug, "text": text}),
        )
        try:
            response = self.model.complete(request)
        except LLMError as exc:
            raise LLMError(f"{persona.name}: {exc}") from None
        usage = [self._usage_entry(slug, state, response)]
        if response.masked:
            notices.append(say(lang, "masked", count=len(response.masked), kinds=", ".join(sorted(set(response.masked)))))

        if response.tool_calls and tools:
            assistant = {"role": "assistant", "content": response.content or None, "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in response.tool_calls]}
            writer({"type": "tools", "persona": slug, "calls": [c.name for c in response.tool_calls]})
            return Command(goto="tools", update={
                "scratch": [*state.get("scratch", []), assistant], "tool_rounds": rounds + 1,
                "usage": usage, "notices": notices})

        text = response.content.strip()
        if not text:
            notices.append(say(lang, "empty", name=persona.name))
        update: dict[str, Any] = {"usage": usage, "scratch": [], "notices": notices,
                                  "messages": [{"role": "assistant", "content": text, "name": slug}] if text else []}
        return self._after_answer(slug, state, text, lang, update)

    def _attachments(self, state: ConversationState) -> list[str]:
        return list(state.get("attachments") or []) if self.settings.read_attachments else []

    def _history(self, state: ConversationState) -> list[dict[str, Any]]:
        """Earlier turns (user messages and answers), newest first until the token budget is used."""
        earlier = state["messages"][: state["turn_start"]]
        budget = self.settings.history_tokens
        out: list[dict[str, Any]] = []
        for m in reversed(earlier):
            cost = estimate_tokens(m["content"])
            if cost > budget:
                break
            budget -= cost
            out.append({"role": m["role"], "content": m["content"]})
        return out[::-1]

    def _over_budget(self, state: ConversationState, messages, tools, lang: str) -> str | None:
        limit = state.get("max_cost")
        if limit is None or self.price is None:
            return None
        spent = sum(u.get("usd") or 0.0 for u in state.get("usage", []))
        upcoming = estimate_tokens(messages) + estimate_tokens(tools)
        next_cost = upcoming * self.price.input_per_mtok / 1e6
        if spent + next_cost > limit:
            return say(lang, "max_cost", spent=spent, next=next_cost, limit=limit)
        return None

    def _usage_entry(self, slug: str, state: ConversationState, response) -> dict[str, Any]:
        u = response.usage
        usd = None
        if self.price is not None:
            usd = self.price.cost(u)
        elif self.model.offline:
            usd = 0.0
        turn = sum(1 for m in state["messages"] if m["role"] == "user")
        return {"turn": turn, "persona": slug, "hop": state.get("hops", 0), "model": response.model or self.model.model,
                "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens, "usd": usd}

    # --- handoffs ------------------------------------------------------------------------------

    def _refusal(self, state: ConversationState, dst: str, lang: str) -> tuple[str, str] | None:
        return refusal(state.get("trail", []), state.get("hops", 0), dst, self.names[dst], self.settings.max_hops, lang)

    def _handoff(self, state: ConversationState, src: str, dst: str, by: str, reason: str, lang: str,
                 update: dict[str, Any], summary: str = "", open_question: str = "") -> Command:
        reports = update.get("reports", state.get("reports", []))
        user_text = state["messages"][state["turn_start"]]["content"]
        packet = make_packet(src, dst, self.names, reason, summary, open_question or user_text, reports,
                             self.settings.handoff_tokens)
        notice = say(lang, "handoff", name=self.names[dst], reason=reason)
        _emitter()({"type": "handoff", "from": src, "to": dst, "by": by, "reason": reason})
        trail = [*state.get("trail", []), {"persona": dst, "from": src, "by": by, "reason": reason}]
        return Command(goto=dst, update={
            **update, "active": dst, "hops": state.get("hops", 0) + 1, "trail": trail,
            "packet": packet.model_dump(), "scratch": [], "tool_rounds": 0,
            "notices": [*update.get("notices", state.get("notices", [])), notice]})

    def _after_answer(self, slug: str, state: ConversationState, text: str, lang: str,
                      update: dict[str, Any]) -> Command:
        """Runtime-initiated handoff: a finding names the owner, or the text defers to a partner."""
        partners = self.registry.partners.get(slug, [])
        candidates = runtime_candidates(state.get("reports", []), slug, state.get("hops", 0), text, partners,
                                        self.names, lang, read_text=not self.model.offline)
        notices = list(update["notices"])
        for dst, by, reason in candidates:
            if dst not in self.names:
                continue
            refused = self._refusal(state, dst, lang)
            if refused and refused[0] == "ping_pong":
                continue  # already answered in this turn: nothing new to gain
            if refused:
                notices.append(refused[1])
                break
            if dst not in {p.slug for p in partners} or not self.settings.auto_handoff:
                notices.append(say(lang, "offer", name=self.names[dst], reason=reason, slug=dst))
                break
            return self._handoff(state, slug, dst, by, reason, lang, {**update, "notices": notices},
                                 summary=text)
        return Command(goto=END, update={**update, "notices": notices})

    # --- tools ---------------------------------------------------------------------------------

    def tools_node(self, state: ConversationState) -> Command:
        slug = state["active"]
        scratch = list(state.get("scratch", []))
        calls = scratch[-1].get("tool_calls", []) if scratch else []
        reports = list(state.get("reports", []))
        user_text = state["messages"][state["turn_start"]]["content"]
        lang = detect_language(user_text)
        transfer = None
        results = []
        for call in calls:
            if transfer_target(call["function"]["name"]) is not None and transfer is None:
                transfer = call
                continue
            content, entry = self._run_tool(slug, state, call, reports)
            if entry is not None:
                reports.append(entry)
            results.append({"role": "tool", "tool_call_id": call["id"], "content": content})
        if transfer is not None:
            dst = transfer_target(transfer["function"]["name"])
            args = _loads(transfer["function"]["arguments"]) or {}
            if dst not in self.names or dst == slug:
                refused = ("unknown", f"no persona '{dst}' to hand off to")
            else:
                refused = self._refusal(state, dst, lang)
            if refused is None:
                said = scratch[-1].get("content")
                update = {"reports": reports,
                          "messages": [{"role": "assistant", "content": said, "name": slug}] if said else []}
                return self._handoff(state, slug, dst, "model", str(args.get("reason") or "requested by the model"),
                                     lang, update, summary=str(args.get("summary") or said or ""),
                                     open_question=str(args.get("open_question") or ""))
            notices = [*state.get("notices", []), refused[1]] if refused[0] != "unknown" else state.get("notices", [])
            results.append({"role": "tool", "tool_call_id": transfer["id"],
                            "content": f"handoff refused: {refused[1]} Answer the user yourself."})
            return Command(goto=slug, update={"scratch": [*scratch, *results], "reports": reports, "notices": notices})
        return Command(goto=slug, update={"scratch": [*scratch, *results], "reports": reports})

    def _run_tool(self, slug: str, state: ConversationState, call: dict[str, Any],
                  reports: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
        """Run one tool call; every failure becomes a tool message the model can recover from."""
        from pydantic import ValidationError

        name = call["function"]["name"]
        spec = self.tools.get(name)
        if spec is None:
            offered = ", ".join(sorted(self.tools)) or "none"
            return f"error: unknown tool '{name}'. Available tools: {offered}.", None
        raw = call["function"]["arguments"] or "{}"
        args = _loads(raw)
        if not isinstance(args, dict):
            return f"error: the arguments are not a JSON object ({raw[:200]!r}). Call {name} again with valid JSON.", None
        model, _ = spec.load()
        persona_path = self.registry.get(slug).path
        if "persona_path" in model.model_fields:
            args["persona_path"] = persona_path  # the persona's own targets, never the model's
        # The model (possibly steered by a pasted plan or diff) may open only what the user attached.
        grant = ReadGrant(allowed=tuple(self._attachments(state)), trusted=(persona_path,))
        key = json.dumps([name, args], sort_keys=True, ensure_ascii=False, default=str)
        cached = next((r for r in reports if r.get("key") == key), None)
        if cached is not None:
            report = Report.model_validate(cached["report"])
        else:
            try:
                report = spec.call(args, read_grant=grant)
            except ValidationError as exc:
                refused = [e["msg"] for e in exc.errors() if e["type"] == REFUSED]
                if refused:
                    return (f"error: {name} may only read files the user attached to this conversation "
                            f"({'; '.join(refused[:3])}). Ask the user to attach the file "
                            "(lmagent ask --attach PATH, or /attach PATH in chat)."), None
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
                return f"error: invalid arguments for {name}: {problems}", None
            except InputError as exc:
                return f"error: {name} could not read its input: {exc}", None
            except Exception as exc:  # a tool bug must not end the conversation
                return f"error: {name} failed: {exc.__class__.__name__}: {exc}", None
        entry = {"tool": name, "persona": slug, "hop": state.get("hops", 0), "key": key,
                 "arguments": {k: (v[:200] + "…" if isinstance(v, str) and len(v) > 200 else v) for k, v in args.items()},
                 "report": report.model_dump(mode="json", exclude_none=True)}
        return _tool_message(report, self.settings.tool_result_chars), entry


_MASK_KIND = re.compile(r"\[masked:([a-z0-9_]+)\]")
# State keys that hold no text: written as they are. (A node's writes are stored as they are
# returned, before any reducer runs: messages are masked here too, not only by their reducer.)
_NO_TEXT = frozenset({"usage", "hops", "tool_rounds", "turn_start", "active", "forced", "max_cost", "attachments"})


def _masking(node: Callable[[ConversationState], Command]) -> Callable[[ConversationState], Command]:
    """A node whose writes are masked before they reach the state (and so the checkpoint store)."""
    def masked(state: ConversationState) -> Command:
        command = node(state)
        return dataclasses.replace(command, update=_masked_update(state, command.update))

    masked.__name__ = getattr(node, "__name__", "node")
    return masked


def _masked_update(state: ConversationState, update: dict[str, Any] | None) -> dict[str, Any] | None:
    """``update`` with every text masked; report entries already in the state (masked when written)
    are not walked again."""
    if not update:
        return update
    out: dict[str, Any] = {}
    for key, value in update.items():
        if key in _NO_TEXT:
            out[key] = value
        elif key == "reports":
            old = state.get("reports") or []
            kept = 0
            while kept < min(len(old), len(value)) and value[kept] is old[kept]:
                kept += 1
            out[key] = [*value[:kept], *mask_value(value[kept:])]
        else:
            out[key] = mask_value(value)
    return out


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, AttributeError):
        return None


def _tool_message(report: Report, limit: int) -> str:
    """What the model reads: summary and ranked findings first, the tool's data as far as it fits."""
    head = {"tool": report.tool, "summary": report.summary,
            "findings": [f.model_dump(mode="json", exclude_none=True, exclude={"evidence"}) for f in report.ranked()[:15]]}
    text = json.dumps(head, ensure_ascii=False)
    if report.data is not None and len(text) < limit:
        from agent.render import to_jsonable

        data = json.dumps(to_jsonable(report.data), ensure_ascii=False, default=str)
        room = limit - len(text) - 20
        head["data"] = data if len(data) <= room else data[: max(0, room)] + "…(truncated)"
        text = json.dumps(head, ensure_ascii=False)
    return text
