"""FC 3.0 HTTP trigger → the shared webhook contract (``entrypoints.webhook_http``). Translate only.

``handler(event, context)``: ``event`` is bytes holding the HTTP-trigger JSON:
the method is ``requestContext.http.method``, the body is base64 when ``isBase64Encoded``, header
names come in any case. The answer is ``{"statusCode", "headers", "isBase64Encoded", "body"}``.

GET is the health check (it reveals nothing about the configuration). The container is built at
the first invocation of the instance (``entrypoints.fc_runtime`` says why) and reused while the
instance is warm; the use case is resolved only after the secret check passed, so a forged
request builds no adapter.
Imports: the container (memory adapters, use cases) and the update parser, never an SDK.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from typing import Any

from entrypoints.fc_runtime import FcRuntime, request_id_of
from entrypoints.observability import log_context
from entrypoints.webhook_http import HttpAnswer, handle_webhook

log = logging.getLogger("webhook")

runtime = FcRuntime("webhook")


class BadEvent(ValueError):
    """The event is not an FC HTTP-trigger event."""


def parse_http_event(event: bytes | str | dict) -> tuple[str, dict[str, str], bytes]:
    """(method, headers, body bytes) from an FC 3.0 HTTP-trigger event."""
    if isinstance(event, bytes | bytearray):
        event = event.decode("utf-8")
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except ValueError as exc:
            raise BadEvent("event is not JSON") from exc
    if not isinstance(event, dict):
        raise BadEvent("event is not a JSON object")
    context = event.get("requestContext") or {}
    http = context.get("http") if isinstance(context, dict) else None
    method = (http or {}).get("method") if isinstance(http, dict) else None
    if not isinstance(method, str) or not method:
        raise BadEvent("no requestContext.http.method")
    raw_headers = event.get("headers") or {}
    headers = {str(k): str(v) for k, v in raw_headers.items()} if isinstance(raw_headers, dict) else {}
    raw_body = event.get("body") or ""
    if not isinstance(raw_body, str):
        raise BadEvent("body is not a string")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadEvent("body is not valid base64") from exc
    else:
        body = raw_body.encode("utf-8")
    return method.upper(), headers, body


def response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "isBase64Encoded": False, "body": json.dumps(body, ensure_ascii=False)}


def handler(event: bytes, context: Any) -> dict[str, Any]:
    start = time.perf_counter()
    with log_context(request_id=request_id_of(context)):
        try:
            method, headers, body = parse_http_event(event)
        except BadEvent as exc:
            log.warning("not an HTTP-trigger event", extra={"error": str(exc)})
            return response(400, {"ok": False})
        try:
            runtime.container(context)
            answer: HttpAnswer = handle_webhook(
                method, headers, body, secret=runtime.settings.telegram_webhook_secret,
                accept_update=lambda incoming: runtime.resolve("accept_update")(incoming),
            )
        except Exception:
            # Telegram retries a 5xx; the use cases are idempotent per update_id.
            log.exception("webhook failed")
            return response(500, {"ok": False})
        log.info("webhook answered", extra={
            "method": method, "status": answer.status, "route": answer.body.get("result"),
            "elapsed_ms": round((time.perf_counter() - start) * 1000, 1),
        })
        return response(answer.status, answer.body)
