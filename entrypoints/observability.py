"""Logs for Function Compute: one JSON object per line on stdout, secrets removed, errors to the owner.

- ``JsonFormatter``: ``ts`` (UTC, ISO 8601, ms), ``level``, ``logger``, ``message``, then every
  ``extra`` field (``update_id``, ``job_id``, ``user_id``, ``stage``, ``elapsed_ms``,
  ``request_id`` ...) and ``exception`` (the traceback) when there is one. Fields bound with
  ``log_context(...)`` (the invocation's request id, the job being processed) are added to every
  record logged inside the block.
- ``Redactor`` / ``RedactingFilter``: removes every configured secret (``Settings.secrets()``,
  plus the STS credentials of the invocation) and anything shaped like a Telegram bot token, a
  DashScope key or an OSS/MNS signature, from the message, its arguments, the extras and the
  traceback. The formatter runs the redactor once more over the finished line.
- ``OwnerAlertHandler``: ERROR and above go to ``OwnerAlerts`` (which applies /mute and the
  cooldown). A thread-local guard drops records logged while an alert is being sent, so a
  failing Telegram cannot recurse into more alerts.
- ``configure_logging(settings, alerts=None)`` replaces the root handlers with these (FC's own
  runtime handler included: its lines would bypass the redactor); calling it again on a warm
  instance only updates the level, the secrets and the alert target.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from entrypoints.settings import Settings

REDACTED = "[REDACTED]"

# Shapes of credentials that must never reach a log line, whether configured here or not.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot token, also URL-encoded (PTB puts it in file URLs with ':' as %3A).
    (re.compile(r"\d{6,}(?::|%3[Aa])[A-Za-z0-9_-]{30,}"), REDACTED),
    # DashScope API key.
    (re.compile(r"sk-[A-Za-z0-9]{16,}"), REDACTED),
    # OSS / MNS signatures and key ids in query strings and headers.
    (re.compile(r"((?:Signature|OSSAccessKeyId|x-oss-signature|x-oss-credential|security-token)=)[^&\s\"'<>]+",
                re.IGNORECASE), r"\1" + REDACTED),
    (re.compile(r"((?:Authorization|x-(?:oss|mns|acs)-security-token)[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]+",
                re.IGNORECASE), r"\1" + REDACTED),
)

# Attributes every LogRecord has; anything else on a record is an ``extra`` field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_OUR_MARK = "_voice_bot_handler"

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)


class Redactor:
    """Replaces configured secrets (and their URL-encoded forms) and credential-shaped strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 6:
                forms.update({secret, quote(secret, safe=""), quote(secret)})
        with self._lock:
            # Longest first, so a secret containing another is replaced whole.
            self._secrets = tuple(sorted(forms, key=len, reverse=True))

    def add_secrets(self, secrets: Iterable[str]) -> None:
        self.set_secrets((*self._secrets, *secrets))

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any, depth: int = 0) -> Any:
        """Redact strings inside ``value``; other objects are turned into redacted text."""
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if depth < 4 and isinstance(value, dict):
            return {self.text(str(k)): self.value(v, depth + 1) for k, v in value.items()}
        if depth < 4 and isinstance(value, list | tuple | set | frozenset):
            return [self.value(v, depth + 1) for v in value]
        if isinstance(value, bytes | bytearray):
            return self.text(bytes(value[:2000]).decode("utf-8", "replace"))
        return self.text(_safe_str(value))


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return f"<unprintable {type(value).__name__}>"


class RedactingFilter(logging.Filter):
    """Rewrites a record in place: message formatted and redacted, extras and traceback redacted.

    Attached to every handler ``configure_logging`` installs, so it also covers records that
    propagate from library loggers (a filter on a logger would not).
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        r = self.redactor
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{_safe_str(record.msg)} {_safe_str(record.args)}"
        record.msg, record.args = r.text(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                setattr(record, key, r.value(value))
        if record.exc_info and record.exc_info[0] is not None:
            if not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_text = r.text(record.exc_text)
            # Keep the type for the alert handler; drop the live exception (its args hold raw text).
            record.exc_type_name = record.exc_info[0].__name__
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = r.text(record.exc_text)
        if record.stack_info:
            record.stack_info = r.text(record.stack_info)
        record._redacted = True
        return True


class ContextFilter(logging.Filter):
    """Adds the fields bound by ``log_context`` to each record (without overriding its own extras)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Bind fields (request_id, job_id ...) to every record logged inside the block."""
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        line = json.dumps(entry, ensure_ascii=False, default=_safe_str)
        return self.redactor.text(line) if self.redactor else line


class OwnerAlertHandler(logging.Handler):
    """Forwards ERROR records to ``OwnerAlerts.alert``; never raises, never recurses."""

    def __init__(self, alerts: Any = None, component: str = "") -> None:
        super().__init__(level=logging.ERROR)
        self._alerts = alerts
        self.component = component
        self._guard = threading.local()

    def set_alerts(self, alerts: Any) -> None:
        """An ``OwnerAlerts`` or a zero-argument callable returning one (resolved at the first error)."""
        self._alerts = alerts

    def _target(self) -> Any:
        alerts = self._alerts
        if alerts is not None and not hasattr(alerts, "alert") and callable(alerts):
            alerts = alerts()
        return alerts

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._guard, "active", False):
            return
        self._guard.active = True
        try:
            alerts = self._target()
            if alerts is None:
                return
            where = f" [{self.component}]" if self.component else ""
            text = f"{record.levelname}{where}\n{record.name}: {record.getMessage()}"
            exc_type = getattr(record, "exc_type_name", None)
            if exc_type:
                last = (record.exc_text or "").strip().splitlines()[-1:] or [exc_type]
                text += f"\n{last[0]}"
            alerts.alert(text)
        except Exception:  # noqa: BLE001 - logging must never fail the caller
            pass
        finally:
            self._guard.active = False


_lock = threading.Lock()


def _installed(root: logging.Logger) -> tuple[logging.Handler | None, OwnerAlertHandler | None]:
    stream = alert = None
    for handler in root.handlers:
        if getattr(handler, _OUR_MARK, "") == "stdout":
            stream = handler
        elif getattr(handler, _OUR_MARK, "") == "alerts":
            alert = handler
    return stream, alert  # type: ignore[return-value]


def configure_logging(settings: Settings, alerts: Any = None, *, component: str = "",
                      extra_secrets: Iterable[str] = (), stream: Any = None) -> Redactor:
    """Install (once) or update the JSON stdout handler and the owner-alert handler on the root logger.

    ``alerts`` is an ``OwnerAlerts``, a callable returning one (so the chat and state adapters are
    built only when the first error happens), or None. Returns the shared redactor.
    """
    secrets = (*settings.secrets(), *extra_secrets)
    root = logging.getLogger()
    with _lock:
        handler, alert_handler = _installed(root)
        if handler is None:
            redactor = Redactor(secrets)
            for old in list(root.handlers):  # FC's runtime handler, basicConfig, ...
                root.removeHandler(old)
            handler = logging.StreamHandler(stream or sys.stdout)
            setattr(handler, _OUR_MARK, "stdout")
            handler.addFilter(ContextFilter())
            handler.addFilter(RedactingFilter(redactor))
            handler.setFormatter(JsonFormatter(redactor))
            root.addHandler(handler)
            alert_handler = OwnerAlertHandler(alerts, component)
            setattr(alert_handler, _OUR_MARK, "alerts")
            alert_handler.addFilter(ContextFilter())
            alert_handler.addFilter(RedactingFilter(redactor))
            root.addHandler(alert_handler)
        else:
            redactor = handler.formatter.redactor  # type: ignore[union-attr]
            redactor.set_secrets(secrets)
            if stream is not None and isinstance(handler, logging.StreamHandler):
                handler.setStream(stream)
            assert alert_handler is not None
            alert_handler.set_alerts(alerts)
            alert_handler.component = component or alert_handler.component
        root.setLevel(getattr(logging, settings.log_level, logging.INFO))
        # Libraries that log request URLs or headers at INFO/DEBUG stay at WARNING.
        for noisy in ("httpx", "httpcore", "urllib3", "telegram", "oss2", "dashscope", "websocket"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redactor
