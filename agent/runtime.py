"""The Python API: ``Runtime.from_dir(...).ask("...")`` → a :class:`TurnResult`.

A Runtime owns a team (Registry), a model, a compiled graph and a checkpointer. Conversations are
threads: SQLite by default (a file under the user's data dir), PostgreSQL when the checkpoint URL
is ``postgres://`` (so several instances share one store), in memory or none on request.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.graph import GraphSettings, RunContext, build_graph, turn_input
from agent.model import ChatModel, load_prices, make_model
from agent.registry import Registry
from tools.errors import InputError
from tools.findings import Finding
from tools.secrets import mask_secrets


def default_checkpoint_url() -> str:
    env = os.environ.get("LMAGENT_CHECKPOINT_URL")
    if env:
        return env
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("lmagent")) / "threads.sqlite")


def open_checkpointer(url: str | None, stack: ExitStack):
    """A LangGraph checkpointer for ``url``: postgres://…, sqlite path (or sqlite:///path), ``memory`` or ``none``."""
    url = url or default_checkpoint_url()
    if url == "none":
        return None
    if url == "memory":
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        try:
            conn = psycopg.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise InputError(f"cannot connect to the checkpoint database: {str(exc).strip()}", "LMAGENT_CHECKPOINT_URL") from None
        stack.callback(conn.close)
        saver = PostgresSaver(conn)
        saver.setup()
        return saver
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        # WAL: readers never block the writer, and a killed process leaves a consistent file.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"cannot open the checkpoint database: {exc}", str(path)) from None
    stack.callback(conn.close)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def attach(path: str) -> str:
    """The resolved path of a file the user attaches, or an InputError (missing, or a key, credentials,
    .env file or system location: the deny-list of tools.readpath)."""
    from tools.readpath import ReadRefused, attachable

    try:
        return attachable(path)
    except ReadRefused as exc:
        raise InputError(f"cannot attach: {str(exc).removeprefix(path + ': ').removeprefix('refused, ')}", path) from None


class HandoffStep(BaseModel):
    persona: str
    by: str  # router | forced | continue | model | finding | text
    reason: str = ""
    from_persona: str | None = Field(default=None, alias="from")

    model_config = {"populate_by_name": True}


class ToolCallRecord(BaseModel):
    tool: str
    persona: str
    arguments: dict[str, Any]
    summary: str | None = None
    findings: int = 0


class UsageLine(BaseModel):
    persona: str
    hop: int
    model: str
    prompt_tokens: int
    completion_tokens: int
    usd: float | None


class TurnUsage(BaseModel):
    calls: list[UsageLine] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usd: float | None = 0.0  # None when a call was made with an unpriced model
    by_persona: dict[str, float | None] = Field(default_factory=dict)
    thread_usd: float | None = 0.0  # the whole conversation so far


class Segment(BaseModel):
    persona: str
    text: str


class TurnResult(BaseModel):
    thread_id: str
    persona: str  # who answered last
    trail: list[HandoffStep]
    answer: str
    segments: list[Segment]
    notices: list[str]
    findings: list[Finding]
    tool_calls: list[ToolCallRecord]
    usage: TurnUsage


def _sum_usd(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else round(sum(values), 6)  # type: ignore[arg-type]


def turn_result(thread_id: str, state: dict[str, Any], names: dict[str, str]) -> TurnResult:
    messages = state.get("messages", [])
    start = state.get("turn_start", 0)
    segments = [Segment(persona=m.get("name", ""), text=m["content"])
                for m in messages[start + 1:] if m["role"] == "assistant" and m.get("content")]
    turn = sum(1 for m in messages if m["role"] == "user")
    lines = [UsageLine(**{k: u[k] for k in UsageLine.model_fields}) for u in state.get("usage", []) if u["turn"] == turn]
    by_persona: dict[str, list[float | None]] = {}
    for line in lines:
        by_persona.setdefault(line.persona, []).append(line.usd)
    usage = TurnUsage(
        calls=lines, prompt_tokens=sum(x.prompt_tokens for x in lines),
        completion_tokens=sum(x.completion_tokens for x in lines), usd=_sum_usd([x.usd for x in lines]),
        by_persona={p: _sum_usd(v) for p, v in by_persona.items()},
        thread_usd=_sum_usd([u["usd"] for u in state.get("usage", [])]),
    )
    seen: set[tuple] = set()
    findings: list[Finding] = []
    calls: list[ToolCallRecord] = []
    for entry in state.get("reports", []):
        report = entry["report"]
        calls.append(ToolCallRecord(tool=entry["tool"], persona=entry["persona"], arguments=entry["arguments"],
                                    summary=report.get("summary"), findings=len(report.get("findings", []))))
        for f in report.get("findings", []):
            # The same code at the same place is one problem, even when a second persona judged it
            # against its own target (a different message): keep the first persona's finding.
            key = (f["code"], json.dumps(f.get("location"), sort_keys=True) if f.get("location") else f["message"])
            if key not in seen:
                seen.add(key)
                findings.append(Finding.model_validate(f))
    parts = []
    for seg in segments:
        parts.append(f"**{names.get(seg.persona, seg.persona)}**\n\n{seg.text}" if len(segments) > 1 else seg.text)
    answer = "\n\n".join(parts + list(state.get("notices", [])))
    return TurnResult(
        thread_id=thread_id, persona=state.get("active") or "", answer=answer, segments=segments,
        trail=[HandoffStep.model_validate(t) for t in state.get("trail", [])], notices=state.get("notices", []),
        findings=findings, tool_calls=calls, usage=usage,
    )


class Runtime:
    """A team of personas answering in persistent threads."""

    def __init__(self, registry: Registry, model: ChatModel | None = None, *, checkpoint: str | None = None,
                 settings: GraphSettings | None = None, durability: str | None = None) -> None:
        self.registry = registry
        self.model = model or make_model()
        self.prices = load_prices()
        self._stack = ExitStack()
        self.checkpointer = open_checkpointer(checkpoint, self._stack)
        self.graph = build_graph(registry, self.model, checkpointer=self.checkpointer, settings=settings,
                                 prices=self.prices)
        # "exit": one checkpoint write per turn. A turn killed midway is lost as a whole and the
        # thread stays at the previous turn, consistent; "sync" trades speed for mid-turn resumes.
        self.durability = durability or os.environ.get("LMAGENT_DURABILITY", "exit")
        self.names = {p.slug: p.name for p in registry}
        self._router = None

    @classmethod
    def from_dir(cls, personas_dir: str | Path | None = None, *, offline: bool | None = None,
                 model: ChatModel | None = None, **kwargs: Any) -> Runtime:
        return cls(Registry.from_dir(personas_dir), model or make_model(offline), **kwargs)

    def ask(self, message: str, *, thread_id: str | None = None, persona: str | None = None,
            max_cost: float | None = None, on_event: Callable[[dict[str, Any]], None] | None = None,
            attachments: list[str] | None = None) -> TurnResult:
        """One user turn. ``on_event`` receives streamed tokens and handoffs as they happen.

        ``attachments``: files (or directories) the user gives as paths; the team's tools may read
        them, in this turn and the thread's later ones. A path written in the message itself is only
        text: pasted content cannot make a tool open a file."""
        if not message.strip():
            raise InputError("the message is empty")
        granted = [attach(path) for path in attachments or []]
        if persona is not None:
            self.registry.get(persona)  # unknown slug → InputError listing the known ones
        if max_cost is not None and not self.model.offline and self.model.model not in self.prices:
            raise InputError(f"--max-cost needs a price for model '{self.model.model}': set LMAGENT_PRICES "
                             f"(e.g. '{self.model.model}=0.15/0.60', USD per million input/output tokens)")
        # Masked before it enters the graph: LangGraph stores a run's input as it was given.
        message = mask_secrets(message)
        thread_id = thread_id or uuid.uuid4().hex[:12]
        config = {"configurable": {"thread_id": thread_id}}
        kwargs: dict[str, Any] = {"context": RunContext(on_event=on_event)}
        if self.checkpointer is not None:
            kwargs["durability"] = self.durability
        state = self.graph.invoke(turn_input(message, persona=persona, max_cost=max_cost, attachments=granted),
                                  config, **kwargs)
        return turn_result(thread_id, state, self.names)

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """The thread's transcript: user messages and each persona's answers (``name`` = persona slug)."""
        if self.checkpointer is None:
            return []
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return list(snapshot.values.get("messages", []))

    @property
    def router(self):
        from agent.router import Router

        if self._router is None:
            self._router = Router(list(self.registry))
        return self._router

    def thread_usage(self, thread_id: str) -> dict[str, Any]:
        """Tokens and USD over the whole conversation (``usd`` None when a call was unpriced)."""
        usage = []
        if self.checkpointer is not None:
            usage = self.graph.get_state({"configurable": {"thread_id": thread_id}}).values.get("usage", [])
        return {"calls": len(usage), "prompt_tokens": sum(u["prompt_tokens"] for u in usage),
                "completion_tokens": sum(u["completion_tokens"] for u in usage),
                "usd": _sum_usd([u["usd"] for u in usage])}

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
