"""PERF104 http_without_timeout: an outgoing HTTP call that can wait forever."""

from __future__ import annotations

import ast

from tools.codecheck.pyctx import CallSite, Module
from tools.codecheck.rules._base import Hit, keyword_names, method_name, receiver

VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# requests has no default timeout: a missing `timeout=` waits forever on a stuck peer.
REQUESTS = {f"requests.{v}" for v in VERBS}
# httpx defaults to 5 s, so only an explicit `timeout=None` disables it.
HTTPX = {f"httpx.{v}" for v in (*VERBS, "stream")} | {"httpx.Client", "httpx.AsyncClient"}


def check(site: CallSite, mod: Module) -> Hit | None:
    call = site.call
    qual = mod.qualname(call.func) or ""
    name = method_name(call)
    client = mod.client_kind(receiver(call)) if name in VERBS else None
    kwargs = keyword_names(call)
    if None in kwargs:  # **kwargs may carry the timeout
        return None
    if qual in REQUESTS or client == "requests_session":
        if "timeout" in kwargs and not _timeout_is_none(call):
            return None
        label = qual if qual in REQUESTS else f"Session.{name}"
    elif qual in HTTPX or client in ("httpx_client", "httpx_async_client"):
        if not _timeout_is_none(call):
            return None
        label = qual if qual in HTTPX else f"Client.{name}"
    elif qual == "urllib.request.urlopen":
        if "timeout" in kwargs or len(call.args) >= 3:
            return None
        label = qual
    else:
        return None
    return Hit(
        call,
        f"{label}(...) has no timeout: one slow upstream holds this worker until the OS gives up",
        {"call": label},
    )


def _timeout_is_none(call: ast.Call) -> bool:
    return any(k.arg == "timeout" and isinstance(k.value, ast.Constant) and k.value.value is None
               for k in call.keywords)
