"""Strings too large for a cell, kept in the blob store (OSS) instead.

One attribute value holds at most 2 MB and one PutRow at most 4 MB (docs/provider-contracts.md). A
string longer than ``INLINE_LIMIT_BYTES`` (a 4-hour dialogue's segments are ~3 MB) is written to the
blob store under a content-addressed key (``rows/<table>/<sha256>.txt``) and the row holds the key in
``<column>__oss`` instead; reads resolve it, so the stores never see the difference. Keys are
immutable, so the adapter remembers the ones it wrote or read (a job row saved at every checkpoint
does not upload the same transcript again). Without a blob store such a value is refused with a
PermanentFailure naming the column, never sent to fail at the service. The bucket's lifecycle rule
for ``rows/`` must outlive the rows (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from ports.blob_store import BlobStore
from ports.errors import PermanentFailure

from .errors import PROVIDER

# Strings longer than this go to the blob store (a cell holds 2 MB, a PutRow 4 MB; a job row has up
# to five long columns, so each stays well under both).
INLINE_LIMIT_BYTES = 256 * 1024
OVERFLOW_SUFFIX = "__oss"
OVERFLOW_CACHE = 16

Columns = list[tuple[str, Any]]


class Overflow:
    """Spills long strings of a row to ``store`` and resolves them back (module doc)."""

    def __init__(self, store: BlobStore | None, inline_limit_bytes: int = INLINE_LIMIT_BYTES) -> None:
        self.store = store
        self.inline_limit_bytes = inline_limit_bytes
        self._known: dict[str, str] = {}  # content-addressed key -> text (bounded)
        self._lock = threading.Lock()

    def spill(self, table: str, columns: Columns) -> Columns:
        """``columns`` with every long string replaced by a reference to its blob."""
        out: Columns = []
        for name, value in columns:
            data = value.encode("utf-8") if isinstance(value, str) else None
            if data is None or len(data) <= self.inline_limit_bytes:
                out.append((name, value))
                continue
            if self.store is None:
                raise PermanentFailure(PROVIDER, f"{table}.{name} is {len(data)} bytes; a cell holds at most "
                                       f"{self.inline_limit_bytes} here and no overflow store is configured",
                                       code="ValueTooLarge")
            blob_key = f"rows/{table}/{hashlib.sha256(data).hexdigest()}.txt"
            with self._lock:
                known = blob_key in self._known
            if not known:
                self.store.put(blob_key, data, "text/plain; charset=utf-8")
                self._remember(blob_key, value)
            out.append((name + OVERFLOW_SUFFIX, blob_key))
        return out

    def resolve(self, columns: dict[str, Any]) -> dict[str, Any]:
        """``columns`` with every blob reference replaced by its text (under the column's own name)."""
        for name in [n for n in columns if n.endswith(OVERFLOW_SUFFIX)]:
            blob_key = str(columns.pop(name))
            with self._lock:
                text = self._known.get(blob_key)
            if text is None:
                if self.store is None:
                    raise PermanentFailure(PROVIDER, f"{name} is stored in OSS and no overflow store is configured",
                                           code="NoOverflowStore")
                text = self.store.get(blob_key).decode("utf-8")
                self._remember(blob_key, text)
            columns[name.removesuffix(OVERFLOW_SUFFIX)] = text
        return columns

    def _remember(self, blob_key: str, text: str) -> None:
        with self._lock:
            self._known[blob_key] = text
            while len(self._known) > OVERFLOW_CACHE:
                self._known.pop(next(iter(self._known)))
