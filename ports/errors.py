"""The two failure kinds every port raises, and the specific cases use cases tell apart by type,
so use cases need not know any vendor's errors (nor match on provider names)."""

from __future__ import annotations


class PortError(Exception):
    """Base of port failures. ``provider`` names the service; ``code`` is its error code if any.

    Messages must never contain credentials: adapters build them from codes and statuses only.
    """

    def __init__(self, provider: str, message: str, *, code: str = "", request_id: str = "") -> None:
        super().__init__(f"{provider}: {message}" + (f" [{code}]" if code else ""))
        self.provider = provider
        self.code = code
        self.request_id = request_id


class TransientFailure(PortError):
    """Retrying later may succeed: throttling, 5xx, timeouts, dropped connections.

    ``retry_after_s`` carries the provider's own hint (Telegram's flood control) when it gives one.
    Adapters translate and raise; the one retry policy lives in ``usecases/retrying.py``.
    """

    def __init__(self, provider: str, message: str, *, code: str = "", request_id: str = "",
                 retry_after_s: float | None = None) -> None:
        super().__init__(provider, message, code=code, request_id=request_id)
        self.retry_after_s = retry_after_s


class OutcomeUnknown(TransientFailure):
    """A request that is not idempotent (a message or file sent, an invoice) went out, but its
    answer never came (read timeout, connection dropped while waiting): it may have taken effect.

    Distinct from an ordinary TransientFailure, which adapters raise only when the request
    certainly did nothing (no connection, 429, a 5xx answer). Never retried blindly
    (``usecases/retrying.py``): a resend could show the user the same thing twice, so the caller
    decides. It stays a TransientFailure for callers that only log or defer.
    """


class PermanentFailure(PortError):
    """Retrying cannot help: invalid input, refused content, 4xx, unsupported media."""


class ModelUnavailable(PermanentFailure):
    """The provider says the configured model does not exist (retired, renamed, or not offered here).

    Every call fails the same way until the configuration changes, so retrying is useless; the
    formatting chain moves on to its next formatter and the owner is told. ``model`` is the name
    the adapter asked for.
    """

    def __init__(self, provider: str, model: str, message: str = "", *, code: str = "",
                 request_id: str = "") -> None:
        super().__init__(provider, message or f"model {model!r} is not available", code=code,
                         request_id=request_id)
        self.model = model


class SilentVideo(PermanentFailure):
    """The file is a video without a sound track: nothing to transcribe (the user is told so)."""


class UndecodableMedia(PermanentFailure):
    """The file holds no audio that can be decoded: corrupt, not media at all, or an empty or
    missing sound track. The user is told the file cannot be read (not that the service failed)."""


class DownloadFailed(PermanentFailure):
    """The chat platform would not hand the file over (unknown or expired file, no file path).
    Not for a file that is too big (``FileTooBig``) nor for an outage (``TransientFailure``)."""


class ContentRejected(PermanentFailure):
    """The provider refused the content itself (moderation); the user should be told so."""


class ChatBlocked(PermanentFailure):
    """The user blocked the bot (or left the chat): stop talking to them."""


class FileTooBig(PermanentFailure):
    """The file is above what the chat platform lets the bot download."""


class ConflictError(Exception):
    """An optimistic-lock write lost: the row changed since it was read (or already exists)."""
