"""The edge rules every DashScope adapter shares (pure apart from lazy ``requests``/``websocket`` checks).

- **Region**: the SDK defaults to the Beijing host; a Singapore key there
  fails with ``InvalidApiKey`` and some models exist only in China. ``check_dashscope_config``
  refuses the Beijing host and China-only / retired models at construction time.
- **Base URL per call**: dashscope 2.0.2 accepts ``base_address=`` on ``MultiModalConversation.call``,
  ``Generation.call``, ``Transcription.async_call`` / ``QwenTranscription.async_call`` and ``fetch``
  (``client/base_api.py``: ``_build_api_request`` and ``_get`` both honour it). The adapters pass it
  on every call (``sdk_base_kwargs``) and never touch the module-wide ``dashscope.base_http_api_url``,
  so two adapters with different hosts (or tests with different loopback ports) cannot interfere.
- **Models**: a name ``domain.models`` refuses (retired, China-only, or unable to do the bot's job)
  is refused here too, with the replacement named.
- **Errors**: the SDK never raises on HTTP errors; it returns ``status_code``/``code``/``request_id``.
  ``failure_from_status`` turns those into port failures. Messages are built from the status, code
  and request id only: never the vendor message (it may echo input), never the API key. The vendor
  message is only *read* to recognise "Model not exist." (``InvalidParameter``, HTTP 400 or 404),
  which becomes ``ModelUnavailable`` naming the model the adapter asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict
from urllib.parse import urlsplit

from domain import models as catalogue
from ports.errors import ContentRejected, ModelUnavailable, PermanentFailure, PortError, TransientFailure

INTL_HTTP_BASE_URL = "https://dashscope-intl.aliyuncs.com/api/v1"
INTL_WS_BASE_URL = "wss://dashscope-intl.aliyuncs.com"

_BEIJING_HOSTS = frozenset({"dashscope.aliyuncs.com"})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_MODEL_HINT = (f"use {catalogue.DEFAULT_MODELS[catalogue.ASR]} (text) / "
               f"{catalogue.DEFAULT_MODELS[catalogue.SPEAKER_PASS]} (speakers) / "
               f"{catalogue.DEFAULT_MODELS[catalogue.TEXT_PASS]} (timed text)")


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK_HOSTS


def _check_host(url: str, *, secure_scheme: str, loopback_scheme: str, kind: str, use_instead: str) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"DashScope {kind} URL has no host: use {use_instead}")
    if host in _BEIJING_HOSTS or ".cn-beijing." in host:
        raise ValueError(
            f"DashScope {kind} URL points at the China (Beijing) region ({host}); "
            f"international keys and models live on {use_instead}"
        )
    if host in _LOOPBACK_HOSTS:
        if parts.scheme not in (secure_scheme, loopback_scheme):
            raise ValueError(f"DashScope {kind} URL scheme {parts.scheme!r} is not {secure_scheme}/{loopback_scheme}")
        return
    if parts.scheme != secure_scheme:
        raise ValueError(f"DashScope {kind} URL must use {secure_scheme}:// (use {use_instead})")


def check_dashscope_config(base_url: str, models: dict[str, str], *, ws_base_url: str | None = None) -> None:
    """Raise ValueError, saying what to use instead, for a Beijing host or a refused model.

    ``models`` maps a role (``"asr"``, ``"speakers"``, ...) to the model name configured for it.
    Loopback ``http://127.0.0.1`` (and ``ws://127.0.0.1``) URLs are allowed for tests.
    """
    _check_host(base_url, secure_scheme="https", loopback_scheme="http", kind="HTTP base",
                use_instead=INTL_HTTP_BASE_URL)
    if not urlsplit(base_url).path.rstrip("/").endswith("/api/v1"):
        raise ValueError(f"DashScope HTTP base URL must end with /api/v1, e.g. {INTL_HTTP_BASE_URL}")
    if ws_base_url is not None:
        _check_host(ws_base_url, secure_scheme="wss", loopback_scheme="ws", kind="WebSocket base",
                    use_instead=INTL_WS_BASE_URL)
    for role, model in models.items():
        name = (model or "").strip().lower()
        if not name:
            raise ValueError(f"DashScope model for {role!r} is empty: {_MODEL_HINT}")
        refused = catalogue.refusal(name)
        if refused is not None:
            raise ValueError(f"DashScope model {model!r} for {role!r} cannot be used: {refused.reason}; "
                             f"use {refused.replacement}")


def audio_url_problem(url: str) -> str | None:
    """Why the async ASR service could not fetch ``url``, or None.

    The async passes download the audio themselves and reject plain-HTTP signed URLs. Only ``https://`` is
    accepted, plus loopback ``http://`` for tests.
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and is_loopback_url(url):
        return None
    return "the async ASR service only fetches https:// audio URLs (sign the OSS URL with an https endpoint)"


class SdkBase(TypedDict):
    """The SDK's per-call base address keyword (a TypedDict so ``**`` names exactly this keyword)."""

    base_address: str


def sdk_base_kwargs(base_url: str) -> SdkBase:
    """The per-call keyword that points the SDK at ``base_url`` instead of its Beijing default."""
    return {"base_address": base_url.rstrip("/")}


# ---------------------------------------------------------------------------------------- errors

# 429s that are billing or quota states, not rate limits: retrying cannot help.
_NON_RETRYABLE_429 = frozenset({
    "Throttling.AllocationQuota", "PrepaidBillOverdue", "PostpaidBillOverdue",
    "CommodityNotPurchased", "LimitRequests",
})


def is_content_rejection(code: str) -> bool:
    """Whether a vendor code is a moderation refusal (``DataInspectionFailed`` and its kin)."""
    lowered = code.lower()
    return "datainspection" in lowered or "data_inspection" in lowered


def is_missing_model(status: int | None, code: str, vendor_message: str = "") -> bool:
    """Whether an error says the requested model does not exist (retired, renamed, other region).

    Native API: ``InvalidParameter`` / "Model not exist." with HTTP 400 (some captures 404);
    compatible-mode API: 404 ``model_not_found``; ``ModelNotFound`` is in the error-code table.
    """
    if status not in (400, 404):
        return False
    if code in ("ModelNotFound", "model_not_found"):
        return True
    return code == "InvalidParameter" and "model not exist" in (vendor_message or "").lower()


def failure_from_status(provider: str, status: int | None, code: str | None = "", request_id: str | None = "",
                        *, retry_after_s: float | None = None, model: str = "",
                        vendor_message: str = "") -> PortError:
    """Translate one DashScope error (HTTP status + vendor code) into a port failure.

    ``vendor_message`` is only inspected (never copied into the failure); ``model`` names the
    model asked for, carried by ``ModelUnavailable``.
    """
    code = str(code or "")[:100]
    request_id = str(request_id or "")[:100]
    message = f"HTTP {status}" + (f" (request {request_id})" if request_id else "")
    if is_missing_model(status, code, str(vendor_message or "")):
        return ModelUnavailable(provider, model, f"model {model!r} does not exist; " + message, code=code,
                                request_id=request_id)
    if is_content_rejection(code):
        return ContentRejected(provider, "content refused by moderation; " + message, code=code, request_id=request_id)
    if status == 429:
        if code in _NON_RETRYABLE_429:
            return PermanentFailure(provider, "quota or billing state; " + message, code=code, request_id=request_id)
        return TransientFailure(provider, "throttled; " + message, code=code, request_id=request_id,
                                retry_after_s=retry_after_s)
    if status == 408 or (isinstance(status, int) and 500 <= status <= 599):
        return TransientFailure(provider, "service error; " + message, code=code, request_id=request_id,
                                retry_after_s=retry_after_s)
    return PermanentFailure(provider, "request refused; " + message, code=code, request_id=request_id)


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    if not headers:
        return None
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                return None
            return seconds if seconds >= 0 else None
    return None


def failure_from_response(provider: str, response: Any, *, model: str = "") -> PortError:
    """Translate an SDK response object whose ``status_code`` is not 200."""
    return failure_from_status(
        provider,
        getattr(response, "status_code", None),
        getattr(response, "code", ""),
        getattr(response, "request_id", ""),
        retry_after_s=_retry_after(getattr(response, "headers", None)),
        model=model,
        vendor_message=str(getattr(response, "message", "") or ""),
    )


def failure_from_exception(provider: str, exc: BaseException) -> PortError:
    """Translate an exception raised under the SDK (``requests``), by ``httpx`` or by ``websocket``.

    Timeouts, refused or reset connections and other transport failures are transient; malformed
    requests/responses and the SDK's own refusals are permanent. Only the exception's class name
    goes into the message: transport messages can carry full (signed) URLs.
    """
    name = type(exc).__name__
    mro_names = {cls.__name__ for cls in type(exc).__mro__}
    timeout = isinstance(exc, TimeoutError) or any("Timeout" in n for n in mro_names)
    if isinstance(exc, ValueError) and not timeout:
        # requests.InvalidURL / InvalidJSONError, json errors: retrying sends the same bytes.
        return PermanentFailure(provider, f"malformed request or response ({name})", code=name)
    if timeout:
        return TransientFailure(provider, f"timeout ({name})", code=name)
    # requests.RequestException is an OSError; httpx.TransportError and websocket-client errors are not.
    if isinstance(exc, OSError) or mro_names & {"TransportError", "WebSocketException"}:
        return TransientFailure(provider, f"connection failure ({name})", code=name)
    return PermanentFailure(provider, f"request refused before sending ({name})", code=name)
