"""The results_cache table: recognised transcripts by file, mode and language, with their payers."""

from __future__ import annotations

from domain.transcript import TranscriptionMode
from ports.repositories import CachedResult, Results, merged_result

from .client import Store
from .rows import RowFormat, dumps

# No field is the primary key: the key joins three of them. A row of the first format (no
# ``created_at``) reads as expired.
RESULT = RowFormat(CachedResult)


class TablestoreResults(Store, Results):
    """Rows keyed ``file_unique_id:mode:language`` (``auto`` when detected).

    ``put`` reads the stored row first to keep its payers (``merged_result``). Two puts of the same
    key at the same moment can lose one payer; that user is then charged for the file again, never
    served it free by mistake.
    """

    TABLE = "results_cache"

    @staticmethod
    def _key(file_unique_id: str, mode: TranscriptionMode, language: str | None) -> str:
        return f"{file_unique_id}:{mode}:{language or 'auto'}"

    def get(self, file_unique_id: str, mode: TranscriptionMode, language: str | None) -> CachedResult | None:
        row = self._t.get(self.TABLE, self._key(file_unique_id, mode, language))
        if row is None:
            return None
        return RESULT.read(row, fallback={"file_unique_id": file_unique_id, "mode": mode})

    def put(self, result: CachedResult) -> None:
        result = merged_result(self.get(result.file_unique_id, result.mode, result.language), result)
        self._t.put(self.TABLE, self._key(result.file_unique_id, result.mode, result.language),
                    RESULT.write(result), self._t.ignore())

    def drop_payer(self, user_id: int) -> tuple[int, int]:
        # Only ``paid_by`` is read (never the texts); a row that keeps other payers is updated in
        # that one column. A ``put`` of the same key at the same moment may add the user back
        # (the race ``put`` already accepts); the next /forget removes it.
        deleted = kept = 0
        for key, row in self._t.scan(self.TABLE, columns=["paid_by"]):
            payers = RESULT.read(row, fallback={"file_unique_id": "", "mode": TranscriptionMode.PLAIN}).paid_by
            if user_id not in payers:
                continue
            rest = [p for p in payers if p != user_id]
            if rest:
                self._t.update(self.TABLE, key, [("paid_by", dumps(rest))], self._t.ignore())
                kept += 1
            else:
                self._t.delete(self.TABLE, key)
                deleted += 1
        return deleted, kept
