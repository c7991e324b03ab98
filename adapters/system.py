"""The real clock and identifier source (stdlib only, shared by every profile)."""

from __future__ import annotations

import secrets
import time

from ports.clock import Clock, Ids


class SystemClock(Clock):
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class RandomIds(Ids):
    """128-bit random hex ids: unguessable, and they say nothing about the user."""

    def new_id(self) -> str:
        return secrets.token_hex(16)
