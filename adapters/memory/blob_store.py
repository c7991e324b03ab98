"""Blobs in a dict; signed URLs are ``memory://`` links that the scripted passes can check."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlparse

from ports.blob_store import BlobStore
from ports.clock import Clock
from ports.errors import PermanentFailure


class InMemoryBlobStore(BlobStore):
    """``blobs`` maps key → (bytes, content type); ``read_url`` resolves a signed URL while valid."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.blobs: dict[str, tuple[bytes, str]] = {}

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
