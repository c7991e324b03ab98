"""A loopback Gemini REST server: ``POST /{v1|v1beta}/models/{model}:generateContent``.

Both API-version prefixes are routed (``google-genai`` 3.x defaults to ``v1``); the
``x-goog-api-key`` header is checked (a ``?key=`` query parameter is accepted too, as Google does,
and recorded so tests can assert it was *not* used). Replies are scripted in order with ``reply`` /
``reply_text`` / ``reply_blocked`` / ``reply_error``; when the script is empty the server answers
with ``default`` (a function of the request's user text; echo by default). ``delay_s`` makes it slow.

Models, as the Gemini API documents them (docs/provider-contracts.md, checked 2026-12-06): a model
not in ``models`` (shut down, like ``gemini-2.5-flash`` and ``gemini-2.0-flash``, or never existing)
gets 404 ``NOT_FOUND`` "models/<id> is not found for API version <v>, or is not supported for
generateContent. ..."; a ``thinkingConfig`` with both ``thinkingBudget`` and ``thinkingLevel``
gets 400 ``INVALID_ARGUMENT``, and ``thinkingLevel`` on a Gemini 2.x model too.

    with running_gemini_server("test-key") as gm:
        gm.reply_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retry_delay="7s")
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from tests.loopback._serving import LoopbackHandler, LoopbackHTTPServer, serve

_ROUTE = re.compile(r"^/(v1|v1beta)/models/([^/:]+):generateContent$")

# Flash-class models the Gemini API lists today (models and deprecations pages, 2026-12-06).
AVAILABLE_MODELS = frozenset({
    "gemini-3.8-flash", "gemini-3.7-flash", "gemini-3.6-flash", "gemini-3.5-flash", "gemini-3.5-flash-lite",
    "gemini-3.1-flash-lite", "gemini-3-flash-preview", "gemini-2.5-flash-lite",
})


@attrs.define
class GeminiRequest:
    path: str
    api_version: str
    model: str
    headers: dict[str, str]
    query: dict[str, list[str]]
    body: Any

    @property
    def user_text(self) -> str:
        try:
            return "".join(p.get("text", "") for c in self.body["contents"] for p in c["parts"])
        except (KeyError, TypeError):
            return ""

    @property
    def system_text(self) -> str:
        try:
            return "".join(p.get("text", "") for p in self.body["systemInstruction"]["parts"])
        except (KeyError, TypeError):
            return ""


def text_reply(text: str, finish_reason: str = "STOP", *, thought: str | None = None,
               model: str = "gemini-3.8-flash") -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if thought is not None:
        parts.append({"text": thought, "thought": True})
    parts.append({"text": text})
    return {
        "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": finish_reason, "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 3, "totalTokenCount": 15},
        "modelVersion": model, "responseId": "loopback",
    }


def error_body(code: int, status: str, message: str, retry_delay: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if retry_delay is not None:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]
    return {"error": error}


class GeminiLoopback:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.base_url = ""
        self.requests: list[GeminiRequest] = []
        self.default: Callable[[GeminiRequest], dict[str, Any]] = lambda r: text_reply(r.user_text, model=r.model)
        self.models: set[str] = set(AVAILABLE_MODELS)
        self.delay_s = 0.0
        self._script: list[tuple[int, Any, dict[str, str]]] = []
        self._lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------------
    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Queue one raw reply (``body`` a dict → JSON, bytes/str → sent as is)."""
        with self._lock:
            self._script.append((status, body, headers or {}))

    def reply_text(self, text: str, finish_reason: str = "STOP", **kwargs: Any) -> None:
        self.reply(200, text_reply(text, finish_reason, **kwargs))

    def reply_blocked(self, reason: str = "PROHIBITED_CONTENT") -> None:
        self.reply(200, {"promptFeedback": {"blockReason": reason}, "usageMetadata": {"promptTokenCount": 9}})

    def reply_error(self, code: int, status: str, message: str, *, retry_delay: str | None = None,
                    headers: dict[str, str] | None = None) -> None:
        self.reply(code, error_body(code, status, message, retry_delay), headers)

    # -- serving ---------------------------------------------------------------------------------
    def answer(self, request: GeminiRequest) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append(request)
            scripted = self._script.pop(0) if self._script else None
        if self.delay_s:
            time.sleep(self.delay_s)
        given = request.headers.get("x-goog-api-key") or (request.query.get("key") or [""])[0]
        if not given:
            return 403, error_body(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."), {}
        if given != self.api_key:
            return 400, error_body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."), {}
        if request.model not in self.models:
            return 404, error_body(404, "NOT_FOUND", (
                f"models/{request.model} is not found for API version {request.api_version}, or is not supported "
                "for generateContent. Call ListModels to see the list of available models and their supported "
                "methods.")), {}
        problem = _thinking_problem(request)
        if problem:
            return 400, error_body(400, "INVALID_ARGUMENT", problem), {}
        if scripted is not None:
            return scripted
        return 200, self.default(request), {}


def _thinking_problem(request: GeminiRequest) -> str | None:
    config = request.body.get("generationConfig") if isinstance(request.body, dict) else None
    thinking = config.get("thinkingConfig") if isinstance(config, dict) else None
    if not isinstance(thinking, dict):
        return None
    if "thinkingBudget" in thinking and "thinkingLevel" in thinking:
        return "You can only set one of thinking budget and thinking level."
    if "thinkingLevel" in thinking and request.model.startswith(("gemini-1.", "gemini-2.")):
        return "Thinking level is not supported for this model."
    return None


class _Handler(LoopbackHandler):
    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.reply(status, data, [("Content-Type", "application/json; charset=UTF-8"), *headers.items()])

    def do_POST(self) -> None:  # noqa: N802
        raw = self.read_body()
        split = urlsplit(self.path)
        match = _ROUTE.match(split.path)
        if match is None:
            self._send(404, error_body(404, "NOT_FOUND", f"no route {split.path}"), {})
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._send(400, error_body(400, "INVALID_ARGUMENT", "Invalid JSON payload received."), {})
            return
        request = GeminiRequest(split.path, match.group(1), match.group(2),
                                {k.lower(): v for k, v in self.headers.items()}, parse_qs(split.query), body)
        loopback: GeminiLoopback = self.server.backend
        self._send(*loopback.answer(request))


@contextlib.contextmanager
def running_gemini_server(api_key: str) -> Iterator[GeminiLoopback]:
    """Serve the fake Gemini API on 127.0.0.1 (a free port) in a thread for the ``with`` block."""
    loopback = GeminiLoopback(api_key)
    server = LoopbackHTTPServer(_Handler, loopback)
    loopback.base_url = server.url
    with serve(server, "gemini-loopback"):
        yield loopback
