"""The two key-only tables: update_ids (idempotency keys, with the time they were claimed) and
bot_state (named strings)."""

from __future__ import annotations

from ports.repositories import BotState, IdempotencyKeys

from .client import Store


class TablestoreIdempotencyKeys(Store, IdempotencyKeys):
    TABLE = "update_ids"

    def claim(self, key: str, now: float) -> bool:
        return self._t.insert(self.TABLE, key, [("claimed_at", float(now))])

    def release(self, key: str) -> None:
        self._t.delete(self.TABLE, key)


class TablestoreBotState(Store, BotState):
    TABLE = "bot_state"

    def get(self, name: str) -> str | None:
        row = self._t.get(self.TABLE, name)
        value = None if row is None else row.get("value")
        return value if isinstance(value, str) else None

    def set(self, name: str, value: str | None) -> None:
        if value is None:
            self._t.delete(self.TABLE, name)
        else:
            self._t.put(self.TABLE, name, [("value", value)], self._t.ignore())
