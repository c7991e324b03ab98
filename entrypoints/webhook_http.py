"""The webhook's HTTP contract, shared by the FC handler and the local runner's server.

- GET answers a health document that reveals nothing about the configuration: the URL is
  public, so it must not help a stranger probe the deployment.
- POST without the right ``X-Telegram-Bot-Api-Secret-Token`` is refused with 403, compared in
  constant time. Nothing else is read before that check.
- A body Telegram would never send (not JSON, wrong shape, too large) is acknowledged with 200
  and ignored: Telegram retries every non-2xx answer, and a retry cannot fix a bad body.
- A transient failure (provider or store outage) answers 503 so Telegram delivers the update
  again; the use cases are idempotent per ``update_id``.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping

import attrs

from adapters.telegram.updates import MalformedUpdate, parse_update
from ports.errors import PermanentFailure, TransientFailure
from usecases.inbound import Incoming
from usecases.routes import Route

log = logging.getLogger("webhook")

MAX_BODY_BYTES = 1_000_000
SECRET_HEADER = "x-telegram-bot-api-secret-token"


@attrs.frozen
class HttpAnswer:
    status: int
    body: dict


def secret_matches(headers: Mapping[str, str], secret: str) -> bool:
    """Constant-time comparison of the secret header (header names are case-insensitive)."""
    if not secret:
        return True  # local runs without a secret configured; production refuses to start without one
    given = next((v for k, v in headers.items() if k.lower() == SECRET_HEADER), "")
    return hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8"))


def handle_webhook(
    method: str, headers: Mapping[str, str], body: bytes, *, secret: str,
    accept_update: Callable[[Incoming], Route],
) -> HttpAnswer:
    if method.upper() == "GET":
        return HttpAnswer(200, {"status": "ok"})
    if method.upper() != "POST":
        return HttpAnswer(405, {"ok": False})
    if not secret_matches(headers, secret):
        log.warning("webhook request with a wrong or missing secret")
        return HttpAnswer(403, {"ok": False})
    if len(body) > MAX_BODY_BYTES:
        log.warning("webhook body too large", extra={"bytes": len(body)})
        return HttpAnswer(200, {"ok": True, "ignored": "too_large"})
    try:
        data = json.loads(body)
        incoming = parse_update(data)
    except (ValueError, RecursionError, MalformedUpdate) as exc:
        log.warning("malformed update ignored", extra={"error": type(exc).__name__})
        return HttpAnswer(200, {"ok": True, "ignored": "malformed"})
    if incoming is None:
        return HttpAnswer(200, {"ok": True, "ignored": "unsupported"})
    try:
        route = accept_update(incoming)
    except TransientFailure as exc:
        log.warning("update deferred: transient failure", extra={"update_id": incoming.update_id, "error": str(exc)})
        return HttpAnswer(503, {"ok": False, "retry": True})
    except PermanentFailure as exc:
        log.error("update failed", extra={"update_id": incoming.update_id, "error": str(exc)})
        return HttpAnswer(200, {"ok": False})
    return HttpAnswer(200, {"ok": True, "result": str(route)})
