"""What a user can ask of a delivered transcript, what it costs, and the row that follows one request.

Kinds: a **summary**, the **key points and action items**, a **translation** into one language,
and **named speakers** (free: no model is asked). A request is identified by its kind, the job
whose transcript it reads and, for a translation, the target language (``action_id``): a second
press finds the same row and gets the stored result again, never a second charge.

Price (``price_minutes``): the policy's minutes per started hour of the transcript's audio, rounded
up to whole minutes (the bot sells whole minutes); 0 per hour makes an action free.

The row (``ActionRecord``) moves queued → running → completed | failed like a job, with the same
kind of checkpoints: ``steps_json`` keeps every model call's answer by its step key
(``domain.action_planning``), so a retried or continued run repeats no paid call; ``delivered``
and ``delivered_parts`` make the result go out once. Money moves under keys derived from the row
(``reserve_key``/``release_key``), each exactly once; a failed request is tried again under a new
``round``, so its keys are new too.
"""

from __future__ import annotations

import enum
import json
import math

import attrs

from domain.errors import InvalidTransition
from domain.policy import Policy


class ActionKind(enum.Enum):
    SUMMARY = "sum"
    KEY_POINTS = "pts"
    TRANSLATE = "tr"
    NAMES = "names"

    @property
    def paid(self) -> bool:
        return self is not ActionKind.NAMES


class ActionStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (ActionStatus.COMPLETED, ActionStatus.FAILED)


ACTION_PREFIX = "act."


def action_id(kind: ActionKind, job_id: str, target: str | None = None) -> str:
    """``act.sum.<job>``, ``act.tr-en.<job>``: queue-safe (letters, digits, ``.``, ``-``)."""
    name = f"{kind.value}-{target}" if target else kind.value
    return f"{ACTION_PREFIX}{name}.{job_id}"


def is_action_id(value: str) -> bool:
    return value.startswith(ACTION_PREFIX)


def price_minutes(duration_ms: int | None, minutes_per_hour: float) -> int:
    """Minutes an action costs: ``minutes_per_hour`` per started hour of audio, rounded up.

    An unknown or empty duration is one started hour; a rate of 0 or below costs nothing.
    """
    hours = max(1, math.ceil(duration_ms / 3_600_000)) if duration_ms else 1
    # Taken to a millionth of a minute first: float noise (10 × 0.7 is 7.000000000000001)
    # must not add a minute.
    return max(0, math.ceil(round(hours * minutes_per_hour, 6)))


@attrs.frozen
class ActionRecord:
    """One request for a summary, key points or a translation of one transcript."""

    action_id: str
    job_id: str
    user_id: int
    chat_id: int
    kind: ActionKind
    price: int
    created_at: float
    target_language: str | None = None
    # The "working on it" message the result replaces (None: the result goes out as new messages).
    status_message_id: int | None = None
    status: ActionStatus = ActionStatus.QUEUED
    round: int = 1
    attempts: int = 0
    steps: int = 0
    lease_until: float = 0.0
    steps_json: str | None = None
    result_text: str | None = None
    model: str | None = None
    delivered: bool = False
    delivered_parts: int = 0
    charged: int | None = None
    error: str | None = None
    finished_at: float | None = None
    # Characters of the transcript as the models were given it (with the speakers' names): the
    # owner's cost estimate reads the input of the map calls from it (None on rows written before).
    source_chars: int | None = None
    version: int = 0

    @property
    def reserve_key(self) -> str:
        return f"act-reserve:{self.action_id}#{self.round}"

    @property
    def release_key(self) -> str:
        return f"act-release:{self.action_id}#{self.round}"

    @property
    def step_results(self) -> dict[str, str]:
        if not self.steps_json:
            return {}
        loaded = json.loads(self.steps_json)
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}

    def with_step(self, key: str, text: str) -> ActionRecord:
        results = self.step_results
        results[key] = text
        return attrs.evolve(self, steps_json=json.dumps(results, ensure_ascii=False, sort_keys=True))

    def is_leased(self, now: float) -> bool:
        return self.status is ActionStatus.RUNNING and self.lease_until > now

    def claimed(self, now: float, lease_s: float) -> ActionRecord:
        if self.status.is_terminal:
            raise InvalidTransition(f"action {self.action_id} is {self.status.value}")
        return attrs.evolve(self, status=ActionStatus.RUNNING, attempts=self.attempts + 1,
                            lease_until=now + lease_s)

    def continued(self) -> ActionRecord:
        """A step that ran out of time with its checkpoints saved: not a failed attempt."""
        return attrs.evolve(self, lease_until=0.0, attempts=max(0, self.attempts - 1), steps=self.steps + 1)

    def completed(self, now: float) -> ActionRecord:
        if self.status.is_terminal:
            raise InvalidTransition(f"action {self.action_id} is {self.status.value}")
        return attrs.evolve(self, status=ActionStatus.COMPLETED, charged=self.price, finished_at=now,
                            lease_until=0.0)

    def failed(self, now: float, error: str) -> ActionRecord:
        if self.status.is_terminal:
            raise InvalidTransition(f"action {self.action_id} is {self.status.value}")
        return attrs.evolve(self, status=ActionStatus.FAILED, charged=0, error=error[:500], finished_at=now,
                            lease_until=0.0)

    def retried(self, now: float, price: int) -> ActionRecord:
        """A failed request pressed again: a new round with fresh money keys and no checkpoints."""
        return attrs.evolve(self, status=ActionStatus.QUEUED, round=self.round + 1, attempts=0, steps=0,
                            lease_until=0.0, steps_json=None, result_text=None, model=None, delivered=False,
                            delivered_parts=0, charged=None, error=None, finished_at=None, price=price,
                            created_at=now, status_message_id=None, source_chars=None)


@attrs.frozen
class SpeakerNames:
    """The names a user gave the speakers of one transcript; ``pending`` while the bot is still
    asking for them one reply at a time (``asked`` is the speaker it asked about last)."""

    job_id: str
    user_id: int
    names: dict[str, str] = attrs.field(factory=dict)
    speakers: tuple[str, ...] = ()
    asked: str | None = None
    updated_at: float = 0.0
    # The transcript message whose button asked for the names: edited in place with them when
    # the named transcript still fits one message.
    message_id: int | None = None
    version: int = 0

    @property
    def pending(self) -> bool:
        return self.asked is not None


def action_price(policy: Policy, kind: ActionKind, duration_ms: int | None) -> int:
    """The policy's price of ``kind`` for a transcript of ``duration_ms`` of audio."""
    per_hour = {
        ActionKind.SUMMARY: policy.summary_minutes_per_hour,
        ActionKind.KEY_POINTS: policy.key_points_minutes_per_hour,
        ActionKind.TRANSLATE: policy.translation_minutes_per_hour,
    }.get(kind, 0.0)
    return price_minutes(duration_ms, per_hour)
