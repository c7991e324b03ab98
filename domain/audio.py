"""Audio facts and the ffmpeg encoding profile the bot chooses for a file."""

from __future__ import annotations

import enum

import attrs

from domain.errors import InvalidSpan


@attrs.frozen
class Span:
    """Half-open interval [start_ms, end_ms) on the source audio."""

    start_ms: int
    end_ms: int

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.start_ms <= self.end_ms:
            raise InvalidSpan(f"bad span {self.start_ms}..{self.end_ms}")

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def mid_ms(self) -> float:
        return (self.start_ms + self.end_ms) / 2


class MediaKind(enum.Enum):
    """What kind of Telegram attachment carried the audio."""

    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    VIDEO_NOTE = "video_note"
    DOCUMENT = "document"

    @property
    def has_video(self) -> bool:
        return self in (MediaKind.VIDEO, MediaKind.VIDEO_NOTE)


@attrs.frozen
class TranscodeProfile:
    """How ffmpeg encodes audio for recognition: mono MP3 at a bitrate and sample rate."""

    bitrate_kbps: int
    sample_rate_hz: int
    channels: int = 1
    codec: str = "libmp3lame"
    extension: str = "mp3"
    mime_type: str = "audio/mpeg"


SHORT_PROFILE = TranscodeProfile(bitrate_kbps=24, sample_rate_hz=8000)
STANDARD_PROFILE = TranscodeProfile(bitrate_kbps=32, sample_rate_hz=16000)
SHORT_AUDIO_S = 10.0


def choose_profile(duration_s: float | None) -> TranscodeProfile:
    """Seed v3.6.0: under 10 s → 24 kbit/s 8 kHz; otherwise (or unknown) 32 kbit/s 16 kHz."""
    if duration_s is not None and 0 < duration_s < SHORT_AUDIO_S:
        return SHORT_PROFILE
    return STANDARD_PROFILE


@attrs.frozen
class ProbeResult:
    """What ffmpeg learned about a file."""

    duration_ms: int
    has_audio: bool
    has_video: bool
    format_name: str = ""
    # Silent stretches, when the probe came from a pass that looked for them (else None).
    silences: tuple[Span, ...] | None = None
