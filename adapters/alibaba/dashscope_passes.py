"""The two async whole-file passes of dialogue mode.

- ``DashScopeSpeakerPass``: ``fun-asr`` with diarization (``Transcription``; input ``file_urls``,
  language as ``language_hints``); the finished task lists results in ``output.results[]``.
- ``DashScopeTimedTextPass``: ``qwen3-asr-flash-filetrans`` with word times (``QwenTranscription``
  from ``dashscope.audio.qwen_asr``; input ``file_url``, language as ``language`` -- ``language_hints``
  is wrong for this model); the finished task has one ``output.result``.

Languages: each pass sends the language only when its model documents that code (``domain.models``);
otherwise it leaves it out and the model detects it -- the speaker pass only has to tell voices apart.

Both: ``submit`` (the SDK adds ``X-DashScope-Async: enable``) returns the task id, which the worker
checkpoints; ``collect`` polls ``GET /tasks/{id}`` every ``poll_interval_s`` on the injected clock
for at most ``wait_s`` (what is left of the worker's step) and returns None while the task runs,
so a long task is collected by a later step without a second submit; a finished task's JSON at
``transcription_url`` (the SDK never does) and parse it with ``adapters.alibaba.dashscope_results``.
Whatever the model, a finished task is read in **both** shapes, plural ``results[]`` (each with its
``subtask_status``) and singular ``result`` -- the filetrans models answer in the singular shape, so
reading only the list would lose every filetrans result.

Failure rules: a FAILED / CANCELED / UNKNOWN task, or a failed subtask, is permanent (moderation
codes → ContentRejected); the deadline passing is transient (``PollTimeout``); polls answered
with 429/5xx/408 or a dropped connection keep polling until the deadline, other 4xx are permanent.
The audio URL must be ``https://`` (the service refuses HTTP signed URLs, commit ``e75a4d8``);
loopback ``http://`` is accepted for tests. The SDK itself resends a submit that hit a timeout or
connection error (3 times, 2 s apart): that is its behaviour, not a retry policy of ours. Polls are
plain ``GET /tasks/{id}`` requests of ours (``fetch_task``): the SDK's ``fetch`` ignores any timeout
and waits up to 300 s. Every request has an explicit timeout (``domain.policy.Timeouts``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.alibaba import dashscope_results
from adapters.alibaba.dashscope_calls import DashScopeClient, checked_call, fetch_task, plain
from adapters.alibaba.dashscope_config import (
    audio_url_problem,
    failure_from_exception,
    failure_from_response,
    failure_from_status,
    is_content_rejection,
    sdk_base_kwargs,
)
from domain import models
from domain.transcript import SpeakerPassResult, TextPassResult
from ports.clock import Clock
from ports.errors import ContentRejected, PermanentFailure, PortError, TransientFailure
from ports.speech import SpeakerPass, TimedTextPass

_DONE_BAD = frozenset({"FAILED", "CANCELED", "UNKNOWN"})
_KEEP_POLLING_STATUS = frozenset({408, 429})
MAX_RESULT_BYTES = 64 * 1024 * 1024


def _task_failure(provider: str, code: Any, request_id: str, what: str) -> PortError:
    code = str(code or "")[:100]
    if is_content_rejection(code):
        return ContentRejected(provider, f"{what}: content refused by moderation", code=code, request_id=request_id)
    return PermanentFailure(provider, what, code=code, request_id=request_id)


def transcription_url_of(provider: str, output: dict[str, Any], audio_url: str, request_id: str = "") -> str:
    """The result file URL of a SUCCEEDED task, from ``results[]`` or ``result`` (pure; both shapes)."""
    results = output.get("results")
    if isinstance(results, list) and results:
        entries = [r for r in results if isinstance(r, dict)]
        mine = [r for r in entries if r.get("file_url") == audio_url] or entries
        for entry in mine:
            status = str(entry.get("subtask_status") or "SUCCEEDED").upper()
            if status != "SUCCEEDED":
                raise _task_failure(provider, entry.get("code") or f"Subtask{status.title()}", request_id,
                                    f"subtask {status.lower()}")
        for entry in mine:
            if entry.get("transcription_url"):
                return str(entry["transcription_url"])
    single = output.get("result")
    if isinstance(single, dict):
        status = str(single.get("subtask_status") or "SUCCEEDED").upper()
        if status != "SUCCEEDED":
            raise _task_failure(provider, single.get("code") or f"Subtask{status.title()}", request_id,
                                f"subtask {status.lower()}")
        if single.get("transcription_url"):
            return str(single["transcription_url"])
    raise PermanentFailure(provider, "succeeded task has no transcription_url in results[] or result",
                           code="NoResult", request_id=request_id)


class _AsyncPass(DashScopeClient):
    provider = "dashscope-async"

    def __init__(
        self,
        api_key: str,
        *,
        clock: Clock,
        model: str,
        base_url: str,
        poll_interval_s: float = 5.0,
        poll_timeout_s: float = 240.0,
        request_timeout_s: float = 25.0,
        submit_timeout_s: float = 5.0,
        poll_request_timeout_s: float = 10.0,
        connect_timeout_s: float = 2.0,
    ) -> None:
        """Timeouts: ``submit_timeout_s`` per submit request (the SDK resends one that timed out 3
        times), ``poll_request_timeout_s`` per task poll, ``request_timeout_s`` for the result
        file; ``connect_timeout_s`` for each connection."""
        super().__init__(api_key, base_url=base_url, model=model, role=self.provider)
        if poll_interval_s <= 0 or poll_timeout_s <= 0:
            raise ValueError("poll interval and timeout must be positive")
        self._clock = clock
        self._interval = poll_interval_s
        self._timeout = poll_timeout_s
        self._request_timeout = request_timeout_s
        self._submit_timeout = (connect_timeout_s, submit_timeout_s)  # requests: (connect, read)
        self._poll_timeout = poll_request_timeout_s
        self._connect_timeout = connect_timeout_s

    # --- the SDK class and submit arguments differ per model -------------------------------
    def _sdk(self) -> Any:
        raise NotImplementedError

    def _submit(self, sdk: Any, audio_url: str, **options: Any) -> Any:
        raise NotImplementedError

    # --- shared flow -------------------------------------------------------------------------
    def _start(self, audio_url: str, **options: Any) -> str:
        """Submit the task; its id (the worker checkpoints it: a later step never submits again)."""
        problem = audio_url_problem(audio_url)
        if problem:
            raise PermanentFailure(self.provider, problem, code="InsecureAudioURL")
        sdk = self._sdk()
        # a 200 submit reply without output.task_status crashes the SDK's output class
        malformed = PermanentFailure(self.provider, "submit reply lacks task_id/task_status",
                                     code="MalformedSubmitReply")
        submitted = checked_call(self.provider, lambda: self._submit(
            sdk, audio_url, **{k: v for k, v in options.items() if v is not None}), malformed=malformed,
            model=self._model)
        output = plain(getattr(submitted, "output", None) or {})
        task_id = str(output.get("task_id") or "")
        if not task_id:
            raise PermanentFailure(self.provider, "submit reply has no task_id", code="MalformedSubmitReply",
                                   request_id=str(getattr(submitted, "request_id", "") or ""))
        return task_id

    def _collect(self, task_id: str, parse: Callable[[dict[str, Any]], Any], wait_s: float, *,
                 ask_now: bool = True) -> Any:
        """The parsed result of a finished task, or None while it still runs after ``wait_s``.

        ``ask_now=False`` waits one interval before the first poll (the task was just submitted).
        """
        final = self._poll(self._sdk(), task_id, wait_s, ask_now=ask_now)
        if final is None:
            return None
        url = transcription_url_of(self.provider, final, "", task_id)
        document = self._download(url, task_id)
        try:
            return parse(document)
        except dashscope_results.ResultShapeError:
            raise PermanentFailure(self.provider, "result file does not have the documented shape",
                                   code="ResultShape", request_id=task_id) from None

    def _run(self, audio_url: str, parse: Callable[[dict[str, Any]], Any], **options: Any) -> Any:
        """Submit and wait up to ``poll_timeout_s`` (one call; tools and tests use it)."""
        task_id = self._start(audio_url, **options)
        result = self._collect(task_id, parse, self._timeout, ask_now=False)
        if result is None:
            raise TransientFailure(self.provider, f"task not finished after {self._timeout:g} s (timeout)",
                                   code="PollTimeout", request_id=task_id)
        return result

    def _poll(self, sdk: Any, task_id: str, wait_s: float, *, ask_now: bool) -> dict[str, Any] | None:
        """Ask for the task every ``poll_interval_s`` until it ends or ``wait_s`` passed."""
        deadline = self._clock.now() + max(0.0, wait_s)
        first = ask_now
        while True:
            if not first:
                remaining = deadline - self._clock.now()
                if remaining <= 0:
                    return None
                self._clock.sleep(min(self._interval, remaining))
            first = False
            try:
                reply = fetch_task(self._base_url, self._api_key, task_id, connect_s=self._connect_timeout,
                                   read_s=self._poll_timeout)
            except (TypeError, KeyError):
                raise PermanentFailure(self.provider, "task reply lacks task_status", code="MalformedTaskReply",
                                       request_id=task_id) from None
            except Exception as exc:
                failure = failure_from_exception(self.provider, exc)
                if isinstance(failure, TransientFailure):
                    continue  # the task lives on the server: a lost poll costs nothing
                raise failure from None
            code = getattr(reply, "status_code", None)
            if code != 200:
                if code in _KEEP_POLLING_STATUS or (isinstance(code, int) and code >= 500):
                    continue
                raise failure_from_response(self.provider, reply)
            output = plain(getattr(reply, "output", None) or {})
            status = str(output.get("task_status") or "UNKNOWN").upper()
            if status == "SUCCEEDED":
                return output
            if status in _DONE_BAD:
                raise _task_failure(self.provider, output.get("code") or f"Task{status.title()}", task_id,
                                    f"task {status.lower()}")

    def _download(self, url: str, task_id: str) -> dict[str, Any]:
        import httpx  # lazy

        try:
            timeout = httpx.Timeout(self._request_timeout, connect=self._connect_timeout,
                                    write=self._connect_timeout, pool=self._connect_timeout)
            with httpx.Client(timeout=timeout, follow_redirects=True) as client:
                response = client.get(url)
        except Exception as exc:
            raise failure_from_exception(self.provider, exc) from None
        if response.status_code != 200:
            raise failure_from_status(self.provider, response.status_code, f"ResultHTTP{response.status_code}",
                                      task_id)
        if len(response.content) > MAX_RESULT_BYTES:
            raise PermanentFailure(self.provider, "result file too large", code="ResultTooLarge", request_id=task_id)
        try:
            document = response.json()
        except ValueError:
            raise PermanentFailure(self.provider, "result file is not JSON", code="ResultNotJSON",
                                   request_id=task_id) from None
        if not isinstance(document, dict):
            raise PermanentFailure(self.provider, "result file is not a JSON object", code="ResultShape",
                                   request_id=task_id)
        return document


class DashScopeSpeakerPass(_AsyncPass, SpeakerPass):
    """Pass 1: ``fun-asr`` (diarization) → speaker turns."""

    provider = "dashscope-speaker-pass"

    def __init__(self, api_key: str, *, clock: Clock, model: str,
                 **settings: Any) -> None:
        """``settings``: ``base_url`` and the poll and request timings of ``_AsyncPass``."""
        super().__init__(api_key, clock=clock, model=model, **settings)

    def _sdk(self) -> Any:
        from dashscope.audio.asr import Transcription

        return Transcription

    def _submit(self, sdk: Any, audio_url: str, **options: Any) -> Any:
        return sdk.async_call(model=self._model, file_urls=[audio_url], api_key=self._api_key,
                              request_timeout=self._submit_timeout, **sdk_base_kwargs(self._base_url), **options)

    def _options(self, speaker_count: int | None, language: str | None) -> dict[str, Any]:
        return {"diarization_enabled": True, "speaker_count": speaker_count,
                "language_hints": [language] if models.documents(self._model, language) else None,
                "channel_id": [0]}

    def submit(self, audio_url: str, *, speaker_count: int | None = None, language: str | None = None) -> str:
        return self._start(audio_url, **self._options(speaker_count, language))

    def collect(self, task_id: str, *, wait_s: float) -> SpeakerPassResult | None:
        result: SpeakerPassResult | None = self._collect(task_id, dashscope_results.speaker_pass, wait_s)
        return result

    def speaker_turns(
        self, audio_url: str, *, speaker_count: int | None = None, language: str | None = None
    ) -> SpeakerPassResult:
        """Submit and wait up to the poll timeout (tools and contract tests)."""
        result: SpeakerPassResult = self._run(audio_url, dashscope_results.speaker_pass,
                                              **self._options(speaker_count, language))
        return result


class DashScopeTimedTextPass(_AsyncPass, TimedTextPass):
    """Pass 2: ``qwen3-asr-flash-filetrans`` with word times → timed sentences."""

    provider = "dashscope-text-pass"

    def __init__(self, api_key: str, *, clock: Clock, model: str,
                 enable_itn: bool = False, **settings: Any) -> None:
        """``settings``: ``base_url`` and the poll and request timings of ``_AsyncPass``."""
        super().__init__(api_key, clock=clock, model=model, **settings)
        self._enable_itn = enable_itn

    def _sdk(self) -> Any:
        from dashscope.audio.qwen_asr import QwenTranscription

        return QwenTranscription

    def _submit(self, sdk: Any, audio_url: str, **options: Any) -> Any:
        return sdk.async_call(model=self._model, file_url=audio_url, api_key=self._api_key,
                              request_timeout=self._submit_timeout, **sdk_base_kwargs(self._base_url), **options)

    def _options(self, language: str | None) -> dict[str, Any]:
        return {"enable_words": True, "enable_itn": self._enable_itn,
                "language": language if models.documents(self._model, language) else None,
                "channel_id": [0]}

    def submit(self, audio_url: str, *, language: str | None = None) -> str:
        return self._start(audio_url, **self._options(language))

    def collect(self, task_id: str, *, wait_s: float) -> TextPassResult | None:
        result: TextPassResult | None = self._collect(task_id, dashscope_results.text_pass, wait_s)
        return result

    def timed_text(self, audio_url: str, *, language: str | None = None) -> TextPassResult:
        """Submit and wait up to the poll timeout (tools and contract tests)."""
        result: TextPassResult = self._run(audio_url, dashscope_results.text_pass, **self._options(language))
        return result
