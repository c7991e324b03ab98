"""Object storage: audio for the async providers (fetched by signed URL) and large payloads of rows."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
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


class DirectUploads(Protocol):
    """Uploads that a user's device sends straight to the store through signed URLs (the Mini App).

    Parts are numbered from 1; every part but the last must be at least the store's minimum part size.
    The signed URLs allow one ``PUT`` of the body with no ``Content-Type`` header (the page sends the
    bytes of a slice as they are); each part's answer carries its ``ETag``, which ``complete_multipart``
    needs back. Failures are PortErrors like the BlobStore's.
    """

    @abstractmethod
    def start_multipart(self, key: str) -> str:
        """Begin a multipart upload of ``key``; returns the store's upload id."""

    @abstractmethod
    def signed_part_url(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        """A URL that accepts one ``PUT`` of part ``part_number`` until it expires."""

    @abstractmethod
    def signed_put_url(self, key: str, expires_s: int) -> str:
        """A URL that accepts one ``PUT`` of the whole object (small files: no multipart)."""

    @abstractmethod
    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> None:
        """Assemble the parts (number, ETag) into the object. PermanentFailure when a part is missing
        or its ETag does not match; completing an upload that already completed is a PermanentFailure
        too (callers check ``object_size`` first)."""

    @abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an unfinished upload and its parts (best effort; unknown ids are not an error)."""

    @abstractmethod
    def object_size(self, key: str) -> int | None:
        """The stored object's size in bytes, or None when there is none."""

    @abstractmethod
    def download_to(self, key: str, target: Path) -> int:
        """Write the object into ``target`` in chunks (never whole in memory); returns its size."""


class UploadStore(BlobStore, DirectUploads, Protocol):
    """A blob store that also takes direct uploads (both adapters are one)."""
