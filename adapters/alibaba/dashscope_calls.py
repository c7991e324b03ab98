"""How the HTTP DashScope adapters hold their settings and make one SDK call (pure apart from the call).

- ``DashScopeClient``: the base of the recognizer, the formatter and the async passes. It checks the
  configuration (``check_dashscope_config``) and refuses an empty key at construction, keeps key,
  base URL and model, and its ``repr`` never shows the key.
- ``checked_call(provider, call)``: one SDK call whose failures become port errors: an exception
  raised under it through ``failure_from_exception``, a reply whose ``status_code`` is not 200
  through ``failure_from_response`` (``model`` names the model asked for, so "Model not exist."
  becomes ``ModelUnavailable``). ``malformed`` is raised instead for a ``TypeError`` /
  ``KeyError``, which the SDK throws when a 200 reply lacks a field it reads.
- ``plain(value)``: the SDK's DictMixin objects (and lists of them) as plain dicts/lists.
- The SDK's own logger: dashscope logs every request that raised at ERROR with its whole traceback
  (``logger.exception("Request failed")``) before raising it, so a provider outage printed eight
  chained tracebacks per retried request (96 for one file) and alerted the owner on each, while the
  adapter translates the very same exception and the use case reports the failure once. A client
  therefore installs ``_QuietTransportFailures`` on that logger (once per process): a transport
  failure (transient for ``failure_from_exception``) becomes one WARNING line naming the exception
  class only (its text can hold a signed URL); anything else keeps its traceback, as a bug should.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import attrs

from adapters.alibaba.dashscope_config import (
    check_dashscope_config,
    failure_from_exception,
    failure_from_response,
)
from ports.errors import PortError, TransientFailure

SDK_LOGGER = "dashscope"


class _QuietTransportFailures(logging.Filter):
    """One WARNING line, without traceback, for a request the SDK saw fail in transport (module doc)."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        if failure is not None and isinstance(failure_from_exception("dashscope", failure), TransientFailure):
            record.msg = f"request failed in transport ({type(failure).__name__}); the adapter reports it"
            record.args = None
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True


_QUIET = _QuietTransportFailures()


def quiet_sdk_transport_failures() -> None:
    logger = logging.getLogger(SDK_LOGGER)
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)


class DashScopeClient:
    def __init__(self, api_key: str, *, base_url: str, model: str, role: str) -> None:
        """``role`` names the model in configuration errors (``"asr"``, ``"llm"``, ...)."""
        check_dashscope_config(base_url, {role: model})
        if not api_key:
            raise ValueError("DashScope API key is empty")
        quiet_sdk_transport_failures()
        self._api_key = api_key
        self._base_url = base_url
        self._model = model

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(model={self._model!r}, base_url={self._base_url!r})"


def checked_call(provider: str, call: Callable[[], Any], *, malformed: PortError | None = None,
                 model: str = "") -> Any:
    """The SDK reply of ``call()`` when its status is 200; otherwise raise the port failure."""
    try:
        response = call()
    except Exception as exc:  # the SDK raises transport errors as they come from requests
        if malformed is not None and isinstance(exc, (TypeError, KeyError)):
            raise malformed from None
        raise failure_from_exception(provider, exc) from None
    if getattr(response, "status_code", None) != 200:
        raise failure_from_response(provider, response, model=model)
    return response


@attrs.frozen
class TaskReply:
    """``GET /tasks/{id}`` as the SDK's response object would carry it (status, ids, output)."""

    status_code: int
    request_id: str = ""
    code: str = ""
    output: Any = None
    headers: dict[str, str] = attrs.field(factory=dict)


def fetch_task(base_url: str, api_key: str, task_id: str, *, connect_s: float, read_s: float) -> TaskReply:
    """One poll of an async task, with explicit timeouts.

    Not ``Transcription.fetch`` / ``QwenTranscription.fetch``: dashscope 2.0.2 sends those with its
    fixed 300 s timeout whatever it is told (``AsyncTaskGetMixin._get``) and resends a timed-out
    one 3 times, so a single poll could outlast the whole poll budget. Transport errors propagate
    (``failure_from_exception`` translates them).
    """
    import httpx  # lazy

    url = f"{base_url.rstrip('/')}/tasks/{quote(task_id, safe='')}"
    timeout = httpx.Timeout(read_s, connect=connect_s, write=connect_s, pool=connect_s)
    with httpx.Client(timeout=timeout) as client:
        response = client.get(url, headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return TaskReply(status_code=response.status_code, request_id=str(body.get("request_id") or ""),
                     code=str(body.get("code") or ""), output=body.get("output"), headers=dict(response.headers))


def plain(value: Any) -> Any:
    """The SDK's DictMixin objects (and lists of them) as plain dicts/lists, for the pure parsers."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
