"""Speech recognition ports: one short chunk to text, and the two whole-file async passes."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

import attrs

from domain.transcript import SpeakerPassResult, TextPassResult


@attrs.frozen
class AudioClip:
    """Encoded audio bytes and their MIME type (``audio/mpeg`` for the bot's own transcodes).

    ``offset_ms``: where the clip starts in the whole recording (0 for a file sent whole); a
    chunk is known by it whatever order the parallel requests run in.
    """

    data: bytes
    mime_type: str
    duration_ms: int
    offset_ms: int = 0


@attrs.frozen
class Recognition:
    """Text of one clip. ``billed_seconds`` is what the provider reported using, if it did."""

    text: str
    language: str | None = None
    billed_seconds: float | None = None
    request_id: str = ""


class SpeechRecognizer(Protocol):
    """Turns one clip of at most the policy's chunk length into text (no timestamps)."""

    @abstractmethod
    def recognize(self, clip: AudioClip, *, language: str | None = None) -> Recognition:
        """``language`` is an ISO code hint or ``None`` for auto-detection.

        Raises TransientFailure (retry) or PermanentFailure (the clip cannot be recognised).
        """


class SpeakerPass(Protocol):
    """Pass 1 of dialogue mode: who spoke when, for a whole file reachable at ``audio_url``.

    A provider task: ``submit`` starts it and returns its id (the worker checkpoints it, so a later
    step never pays for a second task); ``collect`` waits for it at most ``wait_s`` seconds.
    """

    @abstractmethod
    def submit(self, audio_url: str, *, speaker_count: int | None = None, language: str | None = None) -> str:
        """Start the task; its id. Raises TransientFailure or PermanentFailure."""

    @abstractmethod
    def collect(self, task_id: str, *, wait_s: float) -> SpeakerPassResult | None:
        """The result, or None when the task is still running after ``wait_s`` seconds.

        Raises PermanentFailure on a failed task, TransientFailure when it cannot be asked now.
        """


class TimedTextPass(Protocol):
    """Pass 2 of dialogue mode: accurate text with word (or sentence) times for a whole file."""

    @abstractmethod
    def submit(self, audio_url: str, *, language: str | None = None) -> str:
        """Start the task; its id (same rules as ``SpeakerPass.submit``)."""

    @abstractmethod
    def collect(self, task_id: str, *, wait_s: float) -> TextPassResult | None:
        """Same rules as ``SpeakerPass.collect``."""
