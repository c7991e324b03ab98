"""Owner alerts: one short ``🚨`` message to the owner, rate-limited and mutable.

- The owner's ``/mute`` deadline and the cooldown both live in ``BotState`` (keys ``MUTE_KEY`` and
  ``COOLDOWN_KEY``), so they survive cold starts and are shared by every instance of every
  function (an instance's own disk is lost on a cold start and seen by no other instance).
- At most one alert per ``cooldown_s`` for the whole deployment. Two instances racing within the
  same instant may both send (``BotState`` has no conditional write); that costs one extra
  message, never a storm.
- When ``BotState`` itself is down (often the very failure being reported), a cooldown kept in
  this process still applies and the alert is sent as if not muted: the owner should hear about
  an outage of the store that holds the mute flag.
- ``alert`` never raises: it is called from a logging handler and from error paths.
"""

from __future__ import annotations

import logging
import threading

from ports.chat import Chat
from ports.clock import Clock
from ports.errors import PortError
from ports.repositories import BotState
from usecases.owner import MUTE_KEY

log = logging.getLogger(__name__)

COOLDOWN_KEY = "owner_alert_last_sent"
ALERT_PREFIX = "🚨 "
MAX_ALERT_CHARS = 4000


class OwnerAlerts:
    def __init__(self, chat: Chat, state: BotState, clock: Clock, owner_id: int | None,
                 cooldown_s: float = 60.0) -> None:
        self._chat = chat
        self._state = state
        self._clock = clock
        self._owner_id = owner_id
        self._cooldown_s = cooldown_s
        self._lock = threading.Lock()
        self._last_local = float("-inf")

    @property
    def owner_id(self) -> int | None:
        return self._owner_id

    def alert(self, text: str) -> bool:
        """Send ``🚨 text`` to the owner; True when sent, False when muted, cooling down or failed."""
        try:
            return self._alert(text)
        except PortError as exc:  # Telegram or the store is down: one line, no traceback
            log.warning("owner alert failed", extra={"error": str(exc)})
            return False
        except Exception:  # noqa: BLE001 - an alert must never break its caller
            log.warning("owner alert failed", exc_info=True)
            return False

    def _alert(self, text: str) -> bool:
        if self._owner_id is None:
            return False
        with self._lock:
            now = self._clock.now()
            if now - self._last_local < self._cooldown_s:
                return False
            state_ok = True
            try:
                muted_until = _as_float(self._state.get(MUTE_KEY))
                last_sent = _as_float(self._state.get(COOLDOWN_KEY))
            except Exception:  # noqa: BLE001 - the store may be what is failing
                state_ok = False
                muted_until = last_sent = 0.0
            if muted_until > now or now - last_sent < self._cooldown_s:
                return False
            # Claim the cooldown before sending: a failing send must not turn into a storm.
            self._last_local = now
            if state_ok:
                try:
                    self._state.set(COOLDOWN_KEY, repr(now))
                except Exception:  # noqa: BLE001
                    pass
        body = (ALERT_PREFIX + text.strip())[:MAX_ALERT_CHARS]
        self._chat.send_text(self._owner_id, body)
        return True


def _as_float(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0


MODEL_MISSING_KEY = "model_missing:"


class ModelMissingAlert:
    """Tells the owner once per model that the provider says it does not exist.

    Every job would hit it again (the transcript is still delivered: the chain falls back), so
    the mark kept in ``BotState`` makes it one alert per model, not one per job; it is set
    before sending, so a failing send cannot repeat it either.
    """

    def __init__(self, alerts: OwnerAlerts, state: BotState, clock: Clock) -> None:
        self._alerts, self._state, self._clock = alerts, state, clock
        self._told: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, provider: str, model: str) -> None:
        with self._lock:
            if model in self._told:
                return
            self._told.add(model)
        key = MODEL_MISSING_KEY + model
        try:
            if self._state.get(key):
                return
            self._state.set(key, repr(self._clock.now()))
        except PortError as exc:  # the store is down: one line; the alert still goes out once from here
            log.warning("model-missing mark not stored", extra={"error": str(exc)})
        except Exception:  # noqa: BLE001 - the alert still goes out once from this instance
            log.warning("model-missing mark not stored", exc_info=True)
        self._alerts.alert(f"{provider}: model {model!r} does not exist there (retired or renamed). "
                           "Transcripts are delivered through the fallback formatter or unformatted; "
                           "set a current model (docs/provider-contracts.md) and redeploy.")
