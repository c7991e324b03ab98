"""The Mini App's HTTP contract, shared by the FC webhook function and the local runner's ``serve``.

- ``GET /app``: the page (``entrypoints/miniapp/index.html``), static, cacheable for five minutes;
  nothing secret is in it (it learns who the user is from Telegram's signed initData at run time).
- ``POST /app/uploads`` ``{"init_data", "file_name", "size", "content_type"}`` → 200 with the
  upload (``upload_id``, ``parts`` with signed URLs); 401 when the initData fails verification or is
  too old; 413 over the size limit; 415 for anything but audio or video.
- ``POST /app/uploads/{upload_id}/complete`` ``{"init_data", "parts": [{"number", "etag"}]}`` → 200
  once the job exists (a repeat returns the same job); 401 for another user's upload.
- A transient outage answers 503 (the page retries); a malformed body 400; other paths 404.

The Telegram webhook's own contract (``entrypoints.webhook_http``) is untouched: these paths are
recognised first and never reach it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from ports.errors import PermanentFailure, TransientFailure
from usecases.uploads import DirectUploadsFlow, UploadRefused, UploadRequest

log = logging.getLogger("miniapp")

PAGE = Path(__file__).resolve().parent / "miniapp" / "index.html"
MAX_API_BODY_BYTES = 256 * 1024
_COMPLETE = re.compile(r"^/app/uploads/([A-Za-z0-9_\-.]{1,4096})/complete$")
_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}
_PAGE_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300",
                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@attrs.frozen
class WebAnswer:
    status: int
    body: bytes
    headers: dict[str, str]


def is_miniapp_path(path: str) -> bool:
    path = path.split("?", 1)[0]
    return path in ("/app", "/app/") or path.startswith("/app/")


def _json(status: int, body: dict[str, Any]) -> WebAnswer:
    return WebAnswer(status, json.dumps(body, ensure_ascii=False).encode(), dict(_JSON_HEADERS))


def page() -> WebAnswer:
    return WebAnswer(200, PAGE.read_bytes(), dict(_PAGE_HEADERS))


def _parts(raw: object) -> list[tuple[int, str]]:
    if not isinstance(raw, list) or len(raw) > 10_000:
        raise ValueError("parts")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError("parts")
        number, etag = item.get("number"), item.get("etag")
        if type(number) is not int or not isinstance(etag, str) or len(etag) > 200:
            raise ValueError("parts")
        out.append((number, etag))
    return out


def handle_miniapp(method: str, path: str, body: bytes, *, flow: Callable[[], DirectUploadsFlow]) -> WebAnswer:
    """Answer one request to a Mini App path (``is_miniapp_path``). ``flow`` resolves the use case only
    for API calls, so serving the page builds nothing."""
    path = path.split("?", 1)[0]
    method = method.upper()
    if path in ("/app", "/app/"):
        return page() if method in ("GET", "HEAD") else _json(405, {"error": "method"})
    complete = _COMPLETE.match(path)
    if path != "/app/uploads" and complete is None:
        return _json(404, {"error": "not_found"})
    if method != "POST":
        return _json(405, {"error": "method"})
    if len(body) > MAX_API_BODY_BYTES:
        return _json(413, {"error": "body_too_large"})
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if complete is None:
            size = data.get("size")
            request = UploadRequest(init_data=str(data.get("init_data") or ""), file_name=str(data.get("file_name") or ""),
                                    size=size if isinstance(size, int) and not isinstance(size, bool) else -1,
                                    content_type=str(data.get("content_type") or ""))
            parts: list[tuple[int, str]] = []
        else:
            parts = _parts(data.get("parts", []))
    except (ValueError, RecursionError):
        return _json(400, {"error": "bad_request"})
    try:
        if complete is None:
            return _json(200, flow().start(request))
        return _json(200, flow().complete(complete.group(1), data.get("init_data"), parts))
    except UploadRefused as refused:
        return _json(refused.status, {"error": refused.error, **refused.details})
    except TransientFailure as exc:
        log.warning("mini app request deferred: transient failure", extra={"error": str(exc)})
        return _json(503, {"error": "retry"})
    except PermanentFailure as exc:
        log.error("mini app request failed", extra={"error": str(exc)})
        return _json(502, {"error": "failed"})


def request_path(event: bytes | str | dict[str, Any]) -> str:
    """The path of an FC 3.0 HTTP-trigger event (``rawPath``), "/" when absent."""
    try:
        data = json.loads(event) if isinstance(event, bytes | bytearray | str) else event
    except ValueError:
        return "/"
    path = data.get("rawPath") if isinstance(data, dict) else None
    return path if isinstance(path, str) and path.startswith("/") else "/"
