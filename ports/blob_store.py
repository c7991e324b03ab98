"""Object storage: audio for the async providers (fetched by signed URL) and large payloads of rows."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class BlobStore(Protocol):
    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (keys carry no user information)."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The blob's bytes; PermanentFailure when no blob is stored under ``key``."""

    @abstractmethod
    def signed_url(self, key: str, expires_s: int) -> str:
        """An HTTPS URL that reads the blob until it expires (at most one hour)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
