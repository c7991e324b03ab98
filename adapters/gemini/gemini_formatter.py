"""The fallback LLM formatter: a Gemini Flash model's ``generateContent`` over plain httpx.

Decision: plain httpx, not ``google-genai``. Formatting is one small JSON call;
the SDK would add a heavy dependency to the Function Compute package and its import time to the
worker's cold start, and ``google-genai`` 3.x silently defaults to API version ``v1``.
Here the version is explicit (``v1beta``) and the wire format is the documented REST contract.

- ``POST {base_url}/{api_version}/models/{model}:generateContent``; the key travels in the
  ``x-goog-api-key`` header, never in the URL, so it cannot leak into access logs or error text.
- ``generationConfig``: temperature 0.3, topP 0.95, maxOutputTokens 8192, and as little thinking as
  the model allows: thinking tokens count against ``maxOutputTokens`` and can truncate a long
  transcript for nothing; formatting needs no reasoning. Gemini 2.x takes ``thinkingBudget: 0``;
  Gemini 3 and later take ``thinkingLevel`` (``"low"`` is accepted by every Gemini 3 model), and
  one request must not carry both.
- The prompt is ``domain.prompts.format_prompt`` (shared with the Qwen formatter). The adapter
  only transports: whether the answer may be delivered is judged for every formatter alike by
  ``usecases.formatting.accept_answer``; thought parts are dropped here (they are not the answer).
  The text tasks on a transcript (``run_task``) use the same request with
  ``adapters.text_task_prompts``, judged in the same place (``accept_summary``, ``accept_translation``).

Errors: 429, 408 and 5xx, timeouts and dropped connections → ``TransientFailure`` (429 carries the
server's retry delay when given); 404 (``models/<id> is not found for API version ...``: the model
was shut down or renamed) → ``ModelUnavailable``; other 4xx → ``PermanentFailure``; a blocked prompt
(``promptFeedback.blockReason``, no candidates) or a safety stop → ``ContentRejected``;
``finishReason: MAX_TOKENS`` → ``PermanentFailure`` (a truncated text is never delivered).
httpx is imported on first use.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from adapters.text_task_prompts import build_task_prompt
from domain.prompts import format_prompt
from ports.errors import ContentRejected, ModelUnavailable, PermanentFailure, TransientFailure
from ports.formatter import FormatRequest, TextFormatter
from ports.text_tasks import TextTask, TextTasks

if TYPE_CHECKING:
    import httpx

__all__ = ["GeminiFormatter"]

PROVIDER = "gemini"

_SAFETY_STOPS = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"})
_NORMAL_STOPS = frozenset({"STOP", "FINISH_REASON_UNSPECIFIED", ""})
_RETRY_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class GeminiFormatter(TextFormatter, TextTasks):
    """``TextFormatter`` on Gemini's REST API; safe to share between threads."""

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        base_url: str,
        api_version: str = "v1beta",
        timeout_s: float = 50.0,
        connect_timeout_s: float = 2.0,
        temperature: float = 0.3,
        top_p: float = 0.95,
        max_output_tokens: int = 8192,
        thinking_budget: int | None = 0,
        thinking_level: str | None = "low",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("GeminiFormatter needs an API key")
        self._key = api_key
        self._model = model
        self._url = f"{base_url.rstrip('/')}/{api_version.strip('/')}/models/{model}:generateContent"
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._config: dict[str, Any] = {
            "temperature": temperature, "topP": top_p, "maxOutputTokens": max_output_tokens,
        }
        if model.startswith(("gemini-1.", "gemini-2.")):
            if thinking_budget is not None:
                self._config["thinkingConfig"] = {"thinkingBudget": thinking_budget}
        elif thinking_level is not None:
            self._config["thinkingConfig"] = {"thinkingLevel": thinking_level}
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the key
        return f"GeminiFormatter(url={self._url!r})"

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(
                    # The reply may take ``timeout_s``; the pool wait, the connection and the upload
                    # of the request each get the short connect timeout (domain.policy.Timeouts).
                    timeout=httpx.Timeout(self._timeout_s, connect=self._connect_timeout_s,
                                          write=self._connect_timeout_s, pool=self._connect_timeout_s),
                    transport=self._transport,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- the port ----------------------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return f"{PROVIDER}:{self._model}"

    def format(self, request: FormatRequest) -> str:
        system, user = format_prompt(request.text, language=request.language, use_yo=request.use_yo,
                                     dialogue=request.dialogue, from_chunks=request.from_chunks)
        return self._ask(system, user)

    def run_task(self, task: TextTask) -> str:
        """A summary, key points or translation (``ports.text_tasks``), as the model sent it."""
        return self._ask(*build_task_prompt(task))

    def _ask(self, system: str, user: str) -> str:
        body: dict[str, Any] = {
            "contents": [{"role": "user", "parts": [{"text": user}]}],
            "generationConfig": self._config,
        }
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        payload = self._post(body)
        return _answer_text(payload)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        client = self._http()
        try:
            response = client.post(self._url, json=body,
                                   headers={"x-goog-api-key": self._key, "Content-Type": "application/json"})
        except httpx.TimeoutException as exc:
            raise TransientFailure(PROVIDER, f"timed out ({type(exc).__name__})", code="timeout") from None
        except httpx.TransportError as exc:
            raise TransientFailure(PROVIDER, f"connection failed ({type(exc).__name__}): {self._safe(exc)}",
                                   code="network") from None
        except httpx.HTTPError as exc:
            raise PermanentFailure(PROVIDER, f"request failed ({type(exc).__name__}): {self._safe(exc)}",
                                   code="http") from None
        request_id = response.headers.get("x-request-id", "") or response.headers.get("x-goog-request-id", "")
        if response.status_code != 200:
            self._raise_for_status(response, request_id)
        try:
            payload = response.json()
        except ValueError:
            raise TransientFailure(PROVIDER, "answer is not JSON", code="bad_response",
                                   request_id=request_id) from None
        if not isinstance(payload, dict):
            raise TransientFailure(PROVIDER, "answer is not a JSON object", code="bad_response",
                                   request_id=request_id)
        return payload

    def _raise_for_status(self, response: httpx.Response, request_id: str) -> None:
        status = response.status_code
        error: dict[str, Any] = {}
        try:
            parsed = response.json()
            if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
                error = parsed["error"]
        except ValueError:
            pass
        code = str(error.get("status") or status)
        detail = self._safe(str(error.get("message") or response.reason_phrase or ""))
        message = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
        if status == 429 or status == 408 or status >= 500:
            raise TransientFailure(PROVIDER, message, code=code, request_id=request_id,
                                   retry_after_s=_retry_after(response, error))
        if status == 404:  # the URL is fixed but for the model: it is the model that is missing
            raise ModelUnavailable(PROVIDER, self._model, message, code=code, request_id=request_id)
        raise PermanentFailure(PROVIDER, message, code=code, request_id=request_id)

    def _safe(self, value: object) -> str:
        return str(value).replace(self._key, "<key>")[:300]


def _answer_text(payload: dict[str, Any]) -> str:
    candidates = payload.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        feedback = payload.get("promptFeedback")
        reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
        if reason:
            raise ContentRejected(PROVIDER, f"prompt blocked ({reason})", code=str(reason)[:64])
        raise PermanentFailure(PROVIDER, "answer has no candidates", code="no_candidates")
    candidate = candidates[0] if isinstance(candidates[0], dict) else {}
    finish = str(candidate.get("finishReason") or "")
    if finish == "MAX_TOKENS":
        raise PermanentFailure(PROVIDER, "answer truncated at maxOutputTokens", code="MAX_TOKENS")
    if finish in _SAFETY_STOPS:
        raise ContentRejected(PROVIDER, f"answer stopped ({finish})", code=finish)
    if finish not in _NORMAL_STOPS:
        raise PermanentFailure(PROVIDER, f"answer stopped ({finish[:64]})", code=finish[:64])
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        return ""
    texts = [part["text"] for part in parts
             if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought")]
    return "".join(texts)


def _retry_after(response: httpx.Response, error: dict[str, Any]) -> float | None:
    header = response.headers.get("retry-after", "")
    try:
        if header:
            return max(0.0, float(header))
    except ValueError:
        pass
    details = error.get("details")
    if isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
                match = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
                if match:
                    return float(match.group(1))
    return None
