"""Audio processing port (ffmpeg): probe, transcode, find silences, cut chunks."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from domain.audio import ProbeResult, Span, TranscodeProfile


class AudioTools(Protocol):
    """Works on files in a scratch directory the caller owns and deletes.

    Every method raises PermanentFailure when the input is not decodable audio/video.
    """

    @abstractmethod
    def probe(self, source: Path) -> ProbeResult:
        """Duration and streams of a media file."""

    @abstractmethod
    def transcode(self, source: Path, target: Path, profile: TranscodeProfile, *,
                  silences_min_s: float | None = None, time_limit_s: float | None = None,
                  max_output_s: float | None = None) -> ProbeResult:
        """Encode the audio track of ``source`` (video dropped) to ``target``; returns its probe.

        With ``silences_min_s`` the same pass also finds silences of at least that length
        (``ProbeResult.silences``), sparing a second decoding of long files. ``time_limit_s``
        bounds the whole call (a worker step must end before its trigger gives up): past it the
        work is stopped and TransientFailure raised. The duration is the decoded sample count
        (container timestamps are the sender's word); with ``max_output_s`` decoding stops after
        that much audio, and a result that long means "at least that long".
        """

    @abstractmethod
    def detect_silences(self, source: Path, *, min_silence_s: float, noise_db: float = -35.0) -> tuple[Span, ...]:
        """Silent stretches of at least ``min_silence_s``, sorted, in ms."""

    @abstractmethod
    def cut(self, source: Path, spans: Sequence[Span], target_dir: Path) -> tuple[Path, ...]:
        """Cut ``spans`` out of ``source`` into files in ``target_dir`` (one per span, same order)."""
