"""Speech recognition ports: one short chunk to text, and the two whole-file async passes."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

import attrs

from domain.transcript import SpeakerPassResult, TextPassResult


@attrs.frozen
class AudioClip:
    """Encoded audio bytes and their MIME type (``audio/mpeg`` for the bot's own transcodes)."""

    data: bytes
    mime_type: str
    duration_ms: int


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
    """Pass 1 of dialogue mode: who spoke when, for a whole file reachable at ``audio_url``."""

    @abstractmethod
    def speaker_turns(
        self, audio_url: str, *, speaker_count: int | None = None, language: str | None = None
    ) -> SpeakerPassResult:
        """Blocks until the provider's task finishes or the policy's poll timeout passes.

        Raises TransientFailure on timeout or throttling, PermanentFailure on a failed task.
        """


class TimedTextPass(Protocol):
    """Pass 2 of dialogue mode: accurate text with word (or sentence) times for a whole file."""

    @abstractmethod
    def timed_text(self, audio_url: str, *, language: str | None = None) -> TextPassResult:
        """Same blocking and failure rules as ``SpeakerPass.speaker_turns``."""
