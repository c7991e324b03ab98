"""Files a user uploads straight to storage (the Mini App): limits, part plan, the upload ticket.

- OSS multipart rules (docs/provider-contracts.md, "OSS multipart"): parts are numbered 1 to 10,000 and
  every part but the last is at least 100 KB (at most 5 GB). The plan uses ``part_size`` parts (8 MiB by
  default: small enough that a lost connection costs little, large enough to keep the part count and
  the number of signed URLs low), growing only when a file would need more than 10,000 parts.
- A file up to one part goes up with a single PUT.
- The ticket is what the page gets as ``upload_id``: the upload's facts signed with the bot's key, so
  the backend keeps no state between "start" and "complete" and a page cannot change the object,
  its size or its owner. It travels in a URL path (``/app/uploads/{upload_id}/complete``), so it
  carries no secret and no file name: the user's id, the opaque object key, size and type.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import attrs

MIN_PART_BYTES = 100 * 1024
MAX_PART_BYTES = 5 * 1024**3
MAX_PARTS = 10_000
DEFAULT_PART_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3
MEDIA_TYPES = ("audio/", "video/")


class TicketRejected(ValueError):
    """Not a ticket this bot issued."""


@attrs.frozen
class UploadLimits:
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    part_bytes: int = DEFAULT_PART_BYTES
    url_ttl_s: int = 3600
    # How old an initData may be (Telegram's auth_date); the page is opened from a fresh button.
    init_data_max_age_s: int = 86400


def is_media_type(content_type: str) -> bool:
    return content_type.lower().startswith(MEDIA_TYPES)


def plan_parts(size: int, part_bytes: int = DEFAULT_PART_BYTES) -> list[tuple[int, int]]:
    """(number, size) of each part of a ``size``-byte file; one part when it fits in one."""
    if size <= 0:
        raise ValueError("an upload has at least one byte")
    part = max(MIN_PART_BYTES, part_bytes, -(-size // MAX_PARTS))
    if part > MAX_PART_BYTES:
        raise ValueError("file too large for a multipart upload")
    count = -(-size // part)
    return [(n, min(part, size - (n - 1) * part)) for n in range(1, count + 1)]


@attrs.frozen
class UploadTicket:
    user_id: int
    key: str
    size: int
    content_type: str
    store_upload_id: str  # "" for a single PUT
    part_count: int
    issued_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_ticket(ticket: UploadTicket, key: bytes) -> str:
    body = _b64(json.dumps(attrs.asdict(ticket), separators=(",", ":"), sort_keys=True).encode())
    return body + "." + _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def decode_ticket(text: str, key: bytes) -> UploadTicket:
    if not isinstance(text, str) or len(text) > 4096 or text.count(".") != 1:
        raise TicketRejected("malformed")
    body, mac = text.split(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, mac):
        raise TicketRejected("not ours")
    try:
        return UploadTicket(**json.loads(_unb64(body)))
    except (ValueError, TypeError):
        raise TicketRejected("malformed") from None


def job_id_for_upload(key: str) -> str:
    """Stable per uploaded object, so completing twice finds the same job."""
    return hashlib.sha256(f"upload:{key}".encode()).hexdigest()[:32]
