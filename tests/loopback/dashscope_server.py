"""A loopback DashScope: DashScope's HTTP wire format on ``http://127.0.0.1:PORT``.

Routes (all but the result files require ``Authorization: Bearer <api_key>``):

- ``POST /api/v1/services/aigc/multimodal-generation/generation``   ``qwen3-asr-flash``   route ``"asr"``
- ``POST /api/v1/services/aigc/text-generation/generation``         Qwen LLM            route ``"llm"``
- ``POST /api/v1/services/audio/asr/transcription``  async submit (needs ``X-DashScope-Async: enable``)
                                                                                        route ``"submit"``
- ``GET  /api/v1/tasks/{id}``     PENDING → RUNNING → final, per the task's ``TaskPlan``  route ``"task"``
- ``GET  /results/{task_id}.json``  the ``transcription_url`` documents, served here    route ``"result"``

Every request is validated the way the provider documents it (a wrong one gets
``400 InvalidParameter`` with the reason, so a broken adapter fails loudly), recorded in
``server.requests``, then answered from the route's scripted queue (``server.script(route, reply...)``:
errors, delays, connection resets) or, when the queue is empty, by the default behaviour.

Use ``with running_dashscope_server() as server:`` and point an adapter at ``server.base_url``.

Models and languages (docs/provider-contracts.md, checked 2026-12-06): only the models listed
below exist; any other -- retired (``qwen-turbo`` since 2026-10-10, ``paraformer-*`` never served
internationally) or unknown -- gets ``400 InvalidParameter`` "Model not exist." as the native API
answers. A ``language`` / ``language_hints`` code a model does not document gets
``400 InvalidParameter`` (how the real service treats one is not documented: the loopback holds
the adapters to sending only documented codes). These tables are the loopback's own copy of the
provider's documentation, deliberately not imported from ``domain.models``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import itertools
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback._serving import LoopbackHandler, LoopbackHTTPServer, serve, started

DEFAULT_API_KEY = "sk-loopback-0123456789abcdef"

ROUTES = {
    ("POST", "/api/v1/services/aigc/multimodal-generation/generation"): "asr",
    ("POST", "/api/v1/services/aigc/text-generation/generation"): "llm",
    ("POST", "/api/v1/services/audio/asr/transcription"): "submit",
}
MODEL_NOT_EXIST = "Model not exist."

# Qwen3-ASR-Flash family: "11 languages" (Chinese with its dialects, English, Arabic, French, German,
# Spanish, Italian, Portuguese, Russian, Japanese, Korean).
_QWEN3_ASR_LANGUAGES = frozenset({"zh", "en", "ar", "fr", "de", "es", "it", "pt", "ru", "ja", "ko"})
# fun-asr (= fun-asr-2025-11-07): Chinese and 29 more; no Ukrainian.
_FUN_ASR_LANGUAGES = frozenset({
    "zh", "en", "ja", "ko", "vi", "th", "id", "ms", "fil", "hi", "ar", "fr", "de", "es", "pt", "ru", "it",
    "nl", "sv", "da", "fi", "no", "el", "pl", "cs", "hu", "ro", "bg", "hr", "sk"})
# fun-asr-mtl (= fun-asr-mtl-2025-08-25): no Russian, Ukrainian, German, French, Spanish or Italian.
_FUN_ASR_MTL_LANGUAGES = frozenset({
    "zh", "en", "ja", "ko", "vi", "id", "th", "ms", "fil", "ar", "hi", "bg", "hr", "cs", "da", "nl", "et",
    "fi", "el", "hu", "ga", "lv", "lt", "mt", "pl", "pt", "ro", "sk", "sl", "sv"})

# model → documented language codes, per endpoint.
ASR_MODELS: dict[str, frozenset[str]] = {
    "qwen3-asr-flash": _QWEN3_ASR_LANGUAGES,
    "qwen3-asr-flash-2025-09-08": _QWEN3_ASR_LANGUAGES,
    "qwen3-asr-flash-2026-02-10": _QWEN3_ASR_LANGUAGES,
}
SPEAKER_MODELS: dict[str, frozenset[str]] = {
    "fun-asr": _FUN_ASR_LANGUAGES,
    "fun-asr-2025-11-07": _FUN_ASR_LANGUAGES,
    "fun-asr-2025-08-25": frozenset({"zh", "en"}),
    "fun-asr-mtl": _FUN_ASR_MTL_LANGUAGES,
    "fun-asr-mtl-2025-08-25": _FUN_ASR_MTL_LANGUAGES,
}
TEXT_MODELS: dict[str, frozenset[str]] = {"qwen3-asr-flash-filetrans": _QWEN3_ASR_LANGUAGES}
# qwen3-asr-flash takes at most 10 MB per request, counted on the base64 data URI (provider-contracts).
MAX_DATA_URI_BYTES = 10 * 1024 * 1024

# Text-only generation models served on the international text-generation path.
LLM_MODELS = frozenset({"qwen-flash", "qwen-flash-2025-07-28", "qwen-plus"})


# ----------------------------------------------------------------------------- scripted replies

@dataclass
class Reply:
    """One scripted answer: ``body`` dict → JSON, str → text/plain, bytes → octet-stream."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    reset: bool = False  # drop the connection (RST) without answering


def error_reply(status: int, code: str, message: str = "scripted error", *,
                request_id: str = "req-error", headers: dict[str, str] | None = None) -> Reply:
    """An error in DashScope's shape: ``{"request_id", "code", "message"}``."""
    return Reply(status, {"request_id": request_id, "code": code, "message": message}, headers or {})


RESET = Reply(reset=True)
THROTTLED = error_reply(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
INTERNAL = error_reply(500, "InternalError", "An internal error has occured, please try again later.")
INVALID = error_reply(400, "InvalidParameter", "The audio is too long")
MODERATED = error_reply(400, "DataInspectionFailed", "Input data may contain inappropriate content.")


# ------------------------------------------------------------------------------ provider shapes

def asr_body(text: str = "Hello world.", *, language: str | None = "en", seconds: int = 2,
             request_id: str = "568e2bf0-d6f2-97f8-9f15-a57b11dc6977") -> dict[str, Any]:
    """A ``qwen3-asr-flash`` success body."""
    message: dict[str, Any] = {"role": "assistant", "content": [{"text": text}]}
    if language:
        message["annotations"] = [{"type": "audio_info", "language": language, "emotion": "neutral"}]
    return {
        "request_id": request_id,
        "output": {"choices": [{"finish_reason": "stop", "message": message}]},
        "usage": {"input_tokens_details": {"text_tokens": 0}, "output_tokens_details": {"text_tokens": 3},
                  "seconds": seconds},
    }


def llm_body(content: str, *, finish_reason: str = "stop", request_id: str = "g1") -> dict[str, Any]:
    """A text-generation success body in ``result_format="message"``."""
    return {
        "request_id": request_id,
        "output": {"choices": [{"finish_reason": finish_reason,
                                "message": {"role": "assistant", "content": content}}]},
        "usage": {"input_tokens": 20, "output_tokens": 3, "total_tokens": 23},
    }


FUN_ASR_DOCUMENT: dict[str, Any] = {
    "file_url": "https://bucket.oss-ap-southeast-1.aliyuncs.com/a.mp3",
    "properties": {"audio_format": "pcm_s16le", "channels": [0], "original_sampling_rate": 16000,
                   "original_duration_in_milliseconds": 5200},
    "transcripts": [{"channel_id": 0, "content_duration_in_milliseconds": 5000,
                     "text": "Hello there. Hi, how are you?",
                     "sentences": [
                         {"sentence_id": 1, "begin_time": 100, "end_time": 1900, "text": "Hello there.",
                          "speaker_id": 0,
                          "words": [{"begin_time": 100, "end_time": 700, "text": "Hello", "punctuation": ""},
                                    {"begin_time": 700, "end_time": 1900, "text": "there", "punctuation": ". "}]},
                         {"sentence_id": 2, "begin_time": 2100, "end_time": 5100, "text": "Hi, how are you?",
                          "speaker_id": "spk1",
                          "words": [{"begin_time": 2100, "end_time": 2500, "text": "Hi", "punctuation": ", "},
                                    {"begin_time": 2500, "end_time": 5100, "text": "how are you",
                                     "punctuation": "?"}]}]}],
}

FILETRANS_DOCUMENT: dict[str, Any] = {
    "file_url": "https://bucket.oss-ap-southeast-1.aliyuncs.com/b.mp3",
    "audio_info": {"format": "mp3", "sample_rate": 16000},
    "transcripts": [{"channel_id": 0, "text": "Welcome to Alibaba Cloud. Thank you.",
                     "sentences": [
                         {"sentence_id": 0, "begin_time": 0, "end_time": 1860, "text": "Welcome to Alibaba Cloud.",
                          "language": "en", "emotion": "neutral",
                          "words": [{"begin_time": 0, "end_time": 480, "text": "Welcome", "punctuation": ""},
                                    {"begin_time": 480, "end_time": 700, "text": "to", "punctuation": ""},
                                    {"begin_time": 700, "end_time": 1100, "text": "Alibaba", "punctuation": ""},
                                    {"begin_time": 1100, "end_time": 1860, "text": "Cloud", "punctuation": ". "}]},
                         {"sentence_id": 1, "begin_time": 2000, "end_time": 2600, "text": "Thank you.",
                          "language": "en", "emotion": "happy",
                          "words": [{"begin_time": 2000, "end_time": 2300, "text": "Thank", "punctuation": ""},
                                    {"begin_time": 2300, "end_time": 2600, "text": "you", "punctuation": "."}]}]}],
}


@dataclass
class TaskPlan:
    """How the next submitted task behaves.

    ``shape``: ``"auto"`` answers like the real models (plural ``results`` for Fun-ASR, singular
    ``result`` for filetrans); ``"results"`` / ``"result"`` force one; ``"none"`` gives neither.
    """

    polls_before_done: int = 2
    final_status: str = "SUCCEEDED"
    shape: str = "auto"
    subtask_status: str = "SUCCEEDED"
    code: str = ""
    document: dict[str, Any] | None = None
    omit_task_status: bool = False
    result_reply: Reply | None = None


@dataclass
class Task:
    task_id: str
    model: str
    file_urls: list[str]
    plan: TaskPlan
    polls: int = 0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or raw bytes
    route: str


class _Invalid(Exception):
    def __init__(self, message: str, *, status: int = 400, code: str = "InvalidParameter") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


# ------------------------------------------------------------------------------------ the server

class DashScopeServer:
    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.tasks: dict[str, Task] = {}
        self.asr_reply: dict[str, Any] = asr_body()
        self.llm_transform: Callable[[str], str] = lambda text: text
        self.speaker_document: dict[str, Any] = FUN_ASR_DOCUMENT
        self.text_document: dict[str, Any] = FILETRANS_DOCUMENT
        # Plain-http audio hosts the "provider" may fetch from (a loopback OSS in end-to-end
        # tests); the audio is really downloaded, so an expired or forged signed URL fails.
        self.loopback_audio_prefixes: list[str] = []
        self.fetched_audio: list[bytes] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._plans: deque[TaskPlan] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = LoopbackHTTPServer(_Handler, self)
        self._httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.port = self._httpd.server_address[1]
        self.root_url = self._httpd.url
        self.base_url = f"{self.root_url}/api/v1"
        self._serving = contextlib.ExitStack()

    # --- scripting -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget requests, tasks, scripts and plans; restore the default answers."""
        with self._lock:
            self.requests.clear()
            self.tasks.clear()
            self._scripts.clear()
            self._plans.clear()
            self._ids = itertools.count(1)
            self.asr_reply = asr_body()
            self.llm_transform = lambda text: text
            self.speaker_document = FUN_ASR_DOCUMENT
            self.text_document = FILETRANS_DOCUMENT

    def script(self, route: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts.setdefault(route, deque()).extend(replies)

    def plan_next_task(self, plan: TaskPlan) -> None:
        with self._lock:
            self._plans.append(plan)

    def calls(self, route: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    def _fetch_loopback(self, url: str) -> bool:
        if not any(url.startswith(prefix) for prefix in self.loopback_audio_prefixes):
            return False
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
                self.fetched_audio.append(response.read())
                return response.status == 200
        except OSError:
            return False

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._serving.enter_context(serve(self._httpd, "dashscope-loopback"))

    def stop(self) -> None:
        self._serving.close()

    # --- dispatch (called from handler threads) --------------------------------------------------
    def _route(self, method: str, path: str) -> str:
        if (method, path) in ROUTES:
            return ROUTES[(method, path)]
        if method == "GET" and path.startswith("/api/v1/tasks/") and path.count("/") == 4:
            return "task"
        if method == "GET" and path.startswith("/results/") and path.endswith(".json"):
            return "result"
        return "unknown"

    def handle(self, record: Recorded) -> Reply:
        with self._lock:
            self.requests.append(record)
        try:
            if record.route == "unknown":
                raise _Invalid(f"no route {record.method} {record.path}", status=404, code="NotFound")
            if record.route != "result":
                self._check_auth(record)
            validate = getattr(self, f"_validate_{record.route}")
            validate(record)
        except _Invalid as exc:
            return error_reply(exc.status, exc.code, str(exc), request_id=f"req-{record.route}-invalid")
        with self._lock:
            queue = self._scripts.get(record.route)
            scripted = queue.popleft() if queue else None
        if scripted is not None:
            return scripted
        return getattr(self, f"_answer_{record.route}")(record)

    def _check_auth(self, record: Recorded) -> None:
        if record.headers.get("authorization") != f"Bearer {self.api_key}":
            raise _Invalid("Invalid API-key provided.", status=401, code="InvalidApiKey")

    # --- qwen3-asr-flash -----------------------------------------------------------------------
    def _validate_asr(self, record: Recorded) -> None:
        body = _json_object(record)
        model = str(body.get("model") or "")
        if model not in ASR_MODELS:
            raise _Invalid(MODEL_NOT_EXIST)
        params = body.get("parameters") or {}
        if params.get("result_format") != "message":
            raise _Invalid("parameters.result_format must be 'message'")
        options = params.get("asr_options")
        if not isinstance(options, dict):
            raise _Invalid("parameters.asr_options missing")
        unknown = set(options) - {"language", "enable_itn", "enable_lid"}
        if unknown:
            raise _Invalid(f"unknown asr_options {sorted(unknown)} (language_hints is not an asr option)")
        if "language" in options and not (isinstance(options["language"], str) and options["language"]):
            raise _Invalid("asr_options.language must be one language code")
        if "language" in options and options["language"] not in ASR_MODELS[model]:
            raise _Invalid(f"asr_options.language {options['language']!r} is not a language {model} supports")
        messages = (body.get("input") or {}).get("messages")
        if not isinstance(messages, list) or not messages:
            raise _Invalid("input.messages missing", code="BadRequest.EmptyInput")
        audio = None
        for message in messages:
            if not isinstance(message.get("content"), list):
                raise _Invalid("message content must be a list of parts")
            if message.get("role") == "system":
                if not all(isinstance(p, dict) and isinstance(p.get("text"), str) for p in message["content"]):
                    raise _Invalid("system content must be text parts")
            elif message.get("role") == "user":
                for part in message["content"]:
                    if isinstance(part, dict) and "audio" in part:
                        audio = part["audio"]
        if not isinstance(audio, str):
            raise _Invalid("no audio part in the user message", code="BadRequest.EmptyInput")
        if not audio.startswith("data:") or ";base64," not in audio:
            raise _Invalid("audio must be a data:<mime>;base64, URL in this loopback")
        if len(audio.encode()) > MAX_DATA_URI_BYTES:  # provider-contracts: 10 MB after encoding
            raise _Invalid(f"the audio data URI is {len(audio.encode())} bytes, over the 10 MB limit")
        mime, _, data = audio[5:].partition(";base64,")
        if not mime.startswith(("audio/", "video/")) or not data:
            raise _Invalid(f"bad data URI mime {mime!r}")
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _Invalid("audio data URI is not valid base64") from exc

    def _answer_asr(self, record: Recorded) -> Reply:
        return Reply(200, self.asr_reply)

    # --- text generation -----------------------------------------------------------------------
    def _validate_llm(self, record: Recorded) -> None:
        body = _json_object(record)
        if body.get("model") not in LLM_MODELS:
            raise _Invalid(MODEL_NOT_EXIST)
        params = body.get("parameters") or {}
        if params.get("result_format") != "message":
            raise _Invalid("parameters.result_format must be 'message'")
        messages = (body.get("input") or {}).get("messages")
        if not isinstance(messages, list) or not messages:
            raise _Invalid("input.messages missing", code="BadRequest.EmptyInput")
        for message in messages:
            if message.get("role") not in ("system", "user", "assistant") or not isinstance(
                    message.get("content"), str):
                raise _Invalid("each message needs a role and string content")
        if messages[-1].get("role") != "user":
            raise _Invalid("the last message must be the user's")

    def _answer_llm(self, record: Recorded) -> Reply:
        body = record.body
        user = body["input"]["messages"][-1]["content"]
        content = self.llm_transform(user)
        if body.get("parameters", {}).get("enable_thinking") is not False:
            # hybrid-thinking models reason first unless told not to
            content = "<think>The user wants formatting. Let me think.</think>\n\n" + content
        return Reply(200, llm_body(content, request_id=f"g-{len(self.requests)}"))

    # --- async submit ----------------------------------------------------------------------------
    def _validate_submit(self, record: Recorded) -> None:
        if record.headers.get("x-dashscope-async") != "enable":
            raise _Invalid("current user api does not support synchronous calls", code="AccessDenied",
                           status=403)
        body = _json_object(record)
        model = str(body.get("model") or "")
        params = body.get("parameters") or {}
        source = body.get("input") or {}
        if model in SPEAKER_MODELS:
            urls = source.get("file_urls")
            if not (isinstance(urls, list) and urls and all(isinstance(u, str) for u in urls)):
                raise _Invalid("input.file_urls must be a non-empty list of URLs")
            if "language" in params:
                raise _Invalid("fun-asr takes language_hints (a list), not language")
            hints = params.get("language_hints")
            if hints is not None and not (isinstance(hints, list) and all(isinstance(h, str) for h in hints)):
                raise _Invalid("language_hints must be a list of codes")
            undocumented = sorted(set(hints or ()) - SPEAKER_MODELS[model])
            if undocumented:
                raise _Invalid(f"language_hints {undocumented} are not languages {model} supports")
            if "speaker_count" in params and not params.get("diarization_enabled"):
                raise _Invalid("speaker_count needs diarization_enabled")
        elif model in TEXT_MODELS:
            if not isinstance(source.get("file_url"), str):
                raise _Invalid("input.file_url must be one URL string")
            if "language_hints" in params:
                raise _Invalid("qwen3-asr-flash-filetrans takes language (one code), not language_hints")
            if "diarization_enabled" in params or "speaker_count" in params:
                raise _Invalid("qwen3-asr-flash-filetrans has no diarization")
            if "language" in params and not isinstance(params["language"], str):
                raise _Invalid("language must be one code")
            if "language" in params and params["language"] not in TEXT_MODELS[model]:
                raise _Invalid(f"language {params['language']!r} is not a language {model} supports")
        else:
            raise _Invalid(MODEL_NOT_EXIST)

    def _answer_submit(self, record: Recorded) -> Reply:
        body = record.body
        source = body["input"]
        urls = source.get("file_urls") or [source.get("file_url")]
        with self._lock:
            plan = self._plans.popleft() if self._plans else TaskPlan()
            task_id = f"task-{next(self._ids)}"
            self.tasks[task_id] = Task(task_id, body["model"], list(urls), plan)
        output: dict[str, Any] = {"task_id": task_id}
        if not plan.omit_task_status:
            output["task_status"] = "PENDING"
        return Reply(200, {"request_id": f"req-submit-{task_id}", "output": output})

    # --- task polls ------------------------------------------------------------------------------
    def _validate_task(self, record: Recorded) -> None:
        task_id = record.path.rsplit("/", 1)[-1]
        if task_id not in self.tasks:
            raise _Invalid(f"task {task_id} does not exist", status=404, code="InvalidParameter")

    def _answer_task(self, record: Recorded) -> Reply:
        task = self.tasks[record.path.rsplit("/", 1)[-1]]
        with self._lock:
            task.polls += 1
            polls = task.polls
        plan = task.plan
        output: dict[str, Any] = {"task_id": task.task_id, "submit_time": "2026-01-01 00:00:00.000"}
        if polls <= plan.polls_before_done:
            output["task_status"] = "PENDING" if polls == 1 else "RUNNING"
            return Reply(200, {"request_id": f"req-poll-{polls}", "output": output})
        output.update(task_status=plan.final_status, end_time="2026-01-01 00:00:05.000")
        if plan.final_status != "SUCCEEDED":
            output.update(code=plan.code or "InternalError", message="scripted task failure")
            return Reply(200, {"request_id": f"req-poll-{polls}", "output": output})
        speaker = task.model in SPEAKER_MODELS
        shape = plan.shape if plan.shape != "auto" else ("results" if speaker else "result")
        result_url = f"{self.root_url}/results/{task.task_id}.json"
        https_ok = all(u.startswith("https://") or self._fetch_loopback(u) for u in task.file_urls)
        subtask = plan.subtask_status if https_ok else "FAILED"
        code = plan.code or ("" if https_ok else "InvalidFile.DownloadFailed")
        entry: dict[str, Any] = {"file_url": task.file_urls[0], "subtask_status": subtask}
        if subtask == "SUCCEEDED":
            entry["transcription_url"] = result_url
        else:
            entry.update(code=code or "InvalidFile.DownloadFailed", message="The audio file cannot be downloaded.")
        if shape == "results":
            output["results"] = [entry]
            output["task_metrics"] = {"TOTAL": 1, "SUCCEEDED": int(subtask == "SUCCEEDED"),
                                      "FAILED": int(subtask != "SUCCEEDED")}
        elif shape == "result":
            output["result"] = ({"transcription_url": result_url} if subtask == "SUCCEEDED" else entry)
        usage = {"duration": 5} if speaker else {"seconds": 3}
        return Reply(200, {"request_id": f"req-poll-{polls}", "output": output, "usage": usage})

    # --- result files ----------------------------------------------------------------------------
    def _validate_result(self, record: Recorded) -> None:
        task_id = record.path.rsplit("/", 1)[-1][: -len(".json")]
        if task_id not in self.tasks:
            raise _Invalid("NoSuchKey", status=404, code="NoSuchKey")

    def _answer_result(self, record: Recorded) -> Reply:
        task = self.tasks[record.path.rsplit("/", 1)[-1][: -len(".json")]]
        if task.plan.result_reply is not None:
            return task.plan.result_reply
        document = task.plan.document
        if document is None:
            document = self.speaker_document if task.model in SPEAKER_MODELS else self.text_document
        return Reply(200, document)


def _json_object(record: Recorded) -> dict[str, Any]:
    if not isinstance(record.body, dict):
        raise _Invalid("body must be a JSON object")
    if "application/json" not in record.headers.get("content-type", ""):
        raise _Invalid("Content-Type must be application/json")
    return record.body


class _Handler(LoopbackHandler):
    server_version = "loopback-dashscope/1"
    protocol_version = "HTTP/1.0"  # one request per connection: a scripted reset drops only its own call

    def _serve(self) -> None:
        owner: DashScopeServer = self.server.backend
        parts = urlsplit(self.path)
        raw = self.read_body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        record = Recorded(self.command, parts.path, parse_qs(parts.query),
                          {k.lower(): v for k, v in self.headers.items()}, body,
                          owner._route(self.command, parts.path))
        reply = owner.handle(record)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.reset:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            return
        if isinstance(reply.body, (dict, list)):
            payload, ctype = json.dumps(reply.body, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        elif isinstance(reply.body, str):
            payload, ctype = reply.body.encode(), "text/plain; charset=utf-8"
        elif isinstance(reply.body, bytes):
            payload, ctype = reply.body, "application/octet-stream"
        else:
            payload, ctype = b"", "application/json"
        with contextlib.suppress(OSError):  # the client may have hung up (its timeout)
            self.reply(reply.status, payload, [("Content-Type", ctype), *reply.headers.items()])

    do_GET = _serve
    do_POST = _serve


@contextlib.contextmanager
def running_dashscope_server(api_key: str = DEFAULT_API_KEY) -> Iterator[DashScopeServer]:
    with started(DashScopeServer(api_key)) as server:
        yield server
