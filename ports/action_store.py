"""Storage port of the actions on transcripts: one row per request (summary, key points,
translation) and the speaker names of each transcript, with the same optimistic locking as jobs."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Protocol

from domain.transcript_actions import ActionRecord, SpeakerNames


class ActionStore(Protocol):
    @abstractmethod
    def create(self, record: ActionRecord) -> bool:
        """Insert with version 1; False (nothing written) when the id exists."""

    @abstractmethod
    def get(self, action_id: str) -> ActionRecord | None:
        """The row, or None."""

    @abstractmethod
    def save(self, record: ActionRecord) -> ActionRecord:
        """Write if the stored version equals ``record.version``; returns it with version + 1.
        Raises ConflictError otherwise."""

    @abstractmethod
    def scan(self) -> Iterator[ActionRecord]:
        """Every action row."""

    @abstractmethod
    def finished(self, since: float) -> Iterator[ActionRecord]:
        """Every action row that finished (completed or failed) at ``since`` or later, read to the
        end of the table page after page: the owner's figures count them, and one capped page
        would silently undercount."""

    @abstractmethod
    def names(self, job_id: str) -> SpeakerNames | None:
        """The speaker names of a transcript, or None."""

    @abstractmethod
    def put_names(self, names: SpeakerNames) -> SpeakerNames:
        """Insert (``version`` 0) or update (the stored version) the names; returns the row with
        version + 1. Raises ConflictError when the stored version differs."""

    @abstractmethod
    def asking(self, user_id: int) -> SpeakerNames | None:
        """The names the bot is asking ``user_id`` for right now (``pending``), or None."""

    @abstractmethod
    def forget_user(self, user_id: int) -> int:
        """Delete ``user_id``'s finished action rows (completed or failed) and speaker names
        (``/forget``); how many. A row still queued or running is kept: it finishes and settles
        (its reservation is never stranded), and the next ``/forget`` deletes it."""
