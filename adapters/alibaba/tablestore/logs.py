"""The transcription_logs and payment_logs tables (append-only, read by time)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ports.repositories import Logs, PaymentLog, TranscriptionLog

from .client import Store
from .rows import RowFormat

TRANSCRIPTION_LOG = RowFormat(TranscriptionLog, key="log_id")
PAYMENT_LOG = RowFormat(PaymentLog, key="charge_id")


def _timestamp(row: dict[str, Any]) -> float:
    value = row.get("timestamp")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else float("-inf")


class TablestoreLogs(Store, Logs):
    TRANSCRIPTIONS = "transcription_logs"
    PAYMENTS = "payment_logs"

    def add_transcription(self, log: TranscriptionLog) -> None:
        # A repeat of the same log id is ignored.
        self._t.insert(self.TRANSCRIPTIONS, log.log_id, TRANSCRIPTION_LOG.write(log))

    def add_payment(self, log: PaymentLog) -> bool:
        return self._t.insert(self.PAYMENTS, log.charge_id, PAYMENT_LOG.write(log))

    def _since(self, table: str, since: float) -> Iterator[tuple[str, dict[str, Any]]]:
        # Filtered by the service, and again here (a row without a DOUBLE timestamp never matches).
        since = float(since)
        for key, row in self._t.scan(table, self._t.column_filter("timestamp", since, "GREATER_EQUAL")):
            if _timestamp(row) >= since:
                yield key, row

    def transcriptions(self, since: float) -> Iterator[TranscriptionLog]:
        for key, row in self._since(self.TRANSCRIPTIONS, since):
            yield TRANSCRIPTION_LOG.read(row, key)

    def payments(self, since: float) -> Iterator[PaymentLog]:
        for key, row in self._since(self.PAYMENTS, since):
            yield PAYMENT_LOG.read(row, key)
