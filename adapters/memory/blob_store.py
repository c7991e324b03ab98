"""Blobs in a dict; signed URLs are ``memory://`` links that the scripted passes can check.

Direct uploads (the Mini App) get signed upload URLs under ``upload_base_url``: the local runner sets
it to its own server (``http://127.0.0.1:PORT/blobs``), which hands each ``PUT`` to ``accept_put``;
the signature (HMAC with a key made per process) binds the method, key, upload id, part number and
expiry, so a URL is good for its one part until it expires, like OSS's.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlparse

from ports.blob_store import BlobStore, DirectUploads
from ports.clock import Clock
from ports.errors import PermanentFailure

MIN_PART_BYTES = 100 * 1024
_CHUNK = 1 << 20


class UploadRefused(Exception):
    """A PUT to an upload URL that is forged, expired, or names no open upload (HTTP ``status``)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'  # noqa: S324 - an ETag, as OSS makes it


class InMemoryBlobStore(BlobStore, DirectUploads):
    """``blobs`` maps key → (bytes, content type); ``read_url`` resolves a signed URL while valid."""

    def __init__(self, clock: Clock, upload_base_url: str = "memory://blobs") -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.upload_base_url = upload_base_url
        self._key = secrets.token_bytes(32)
        self._ids = itertools.count(1)
        self.uploads: dict[str, tuple[str, dict[int, tuple[bytes, str]]]] = {}  # id → (key, parts)
        self.part_puts: list[tuple[str, int]] = []

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with self._lock:
            self.blobs[key] = (data, content_type)

    def get(self, key: str) -> bytes:
        with self._lock:
            entry = self.blobs.get(key)
        if entry is None:
            raise PermanentFailure("memory-blobs", f"no blob {key!r}", code="NoSuchKey")
        return entry[0]

    def signed_url(self, key: str, expires_s: int) -> str:
        if not 0 < expires_s <= 3600:
            raise ValueError("signed URLs live at most one hour")
        return f"memory://blob/{key}?expires={int(self._clock.now() + expires_s)}"

    def delete(self, key: str) -> None:
        with self._lock:
            self.blobs.pop(key, None)

    def exists(self, key: str) -> bool:
        with self._lock:
            return key in self.blobs

    def read_url(self, url: str) -> bytes | None:
        """The blob behind a signed URL, or None when it expired or is gone."""
        parsed = urlparse(url)
        expires = int(parse_qs(parsed.query).get("expires", ["0"])[0])
        if expires < self._clock.now():
            return None
        with self._lock:
            entry = self.blobs.get(parsed.path.lstrip("/"))
        return entry[0] if entry else None

    # -- direct uploads ------------------------------------------------------------------------------
    def _signature(self, key: str, upload_id: str, part: int, expires: int) -> str:
        message = f"PUT\n{key}\n{upload_id}\n{part}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _url(self, key: str, upload_id: str, part: int, expires_s: int) -> str:
        if not 0 < expires_s <= 3600:
            raise ValueError("signed URLs live at most one hour")
        expires = int(self._clock.now() + expires_s)
        query = {"expires": str(expires), "sig": self._signature(key, upload_id, part, expires)}
        if upload_id:
            query.update(uploadId=upload_id, partNumber=str(part))
        return f"{self.upload_base_url}/{quote(key)}?{urlencode(query)}"

    def start_multipart(self, key: str) -> str:
        with self._lock:
            upload_id = f"mem-{next(self._ids)}-{secrets.token_hex(4)}"
            self.uploads[upload_id] = (key, {})
        return upload_id

    def signed_part_url(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        return self._url(key, upload_id, part_number, expires_s)

    def signed_put_url(self, key: str, expires_s: int) -> str:
        return self._url(key, "", 0, expires_s)

    def accept_put(self, key: str, query: str, body: bytes) -> str:
        """Store the body of a PUT to one of this store's upload URLs; returns its ETag.
        ``key`` is the URL's path below ``upload_base_url`` (still quoted), ``query`` its query."""
        key = unquote(key)
        params = {k: v[0] for k, v in parse_qs(query).items()}
        upload_id = params.get("uploadId", "")
        try:
            part = int(params.get("partNumber", "0"))
            expires = int(params.get("expires", "0"))
        except ValueError:
            raise UploadRefused(400, "bad query") from None
        if not hmac.compare_digest(self._signature(key, upload_id, part, expires), params.get("sig", "")):
            raise UploadRefused(403, "signature does not match")
        if expires < self._clock.now():
            raise UploadRefused(403, "expired")
        etag = _etag(body)
        with self._lock:
            if not upload_id:
                self.blobs[key] = (body, "application/octet-stream")
                return etag
            upload = self.uploads.get(upload_id)
            if upload is None or upload[0] != key:
                raise UploadRefused(404, "no such upload")
            upload[1][part] = (body, etag)
            self.part_puts.append((upload_id, part))
        return etag

    def accept_put_url(self, url: str, body: bytes) -> str:
        """``accept_put`` for a whole upload URL this store signed (tests, tools)."""
        base, _, rest = url.partition("?")
        if not base.startswith(self.upload_base_url + "/"):
            raise UploadRefused(404, "not an upload URL of this store")
        return self.accept_put(base[len(self.upload_base_url) + 1:], rest, body)

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> None:
        with self._lock:
            upload = self.uploads.get(upload_id)
            if upload is None or upload[0] != key:
                raise PermanentFailure("memory-blobs", "no such upload", code="NoSuchUpload")
            listed = sorted(parts)
            chunks = []
            for index, (number, etag) in enumerate(listed):
                stored = upload[1].get(number)
                if stored is None or stored[1].strip('"') != etag.strip('"'):
                    raise PermanentFailure("memory-blobs", f"part {number} missing", code="InvalidPart")
                if index < len(listed) - 1 and len(stored[0]) < MIN_PART_BYTES:
                    raise PermanentFailure("memory-blobs", f"part {number} too small", code="EntityTooSmall")
                chunks.append(stored[0])
            self.blobs[key] = (b"".join(chunks), "application/octet-stream")
            del self.uploads[upload_id]

    def abort_multipart(self, key: str, upload_id: str) -> None:
        with self._lock:
            self.uploads.pop(upload_id, None)

    def object_size(self, key: str) -> int | None:
        with self._lock:
            entry = self.blobs.get(key)
        return None if entry is None else len(entry[0])

    def download_to(self, key: str, target: Path) -> int:
        data = self.get(key)
        with target.open("wb") as out:
            for start in range(0, len(data), _CHUNK):
                out.write(data[start:start + _CHUNK])
        return len(data)
