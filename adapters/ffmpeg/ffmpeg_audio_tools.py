"""AudioTools on the ffmpeg command line (no ffprobe: ``ffmpeg -i`` is parsed, or the audio decoded).

Every call is one short-lived ffmpeg process with:

- a minimal environment (``PATH`` and ``LC_ALL`` only), so no credential of the caller reaches it;
- ``-protocol_whitelist file`` and a demuxer whitelist on the input, so an uploaded "audio" file
  that is really a playlist or concat script cannot make ffmpeg fetch URLs or read other files;
- a timeout of ``timeout_s`` plus ``timeout_per_audio_minute_s`` for each minute of audio; a killed
  ffmpeg raises TransientFailure, an input ffmpeg cannot read raises UndecodableMedia.

Outputs are always re-encoded (never stream-copied, which cuts at packet boundaries and loses words)
and partial outputs are deleted when a run fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from domain.audio import STANDARD_PROFILE, ProbeResult, Span, TranscodeProfile
from ports.audio_tools import AudioTools
from ports.errors import PermanentFailure, SilentVideo, TransientFailure, UndecodableMedia
from ports.speech import AudioClip

PROVIDER = "ffmpeg"

# Demuxers ffmpeg may use on an input (names as ``ffmpeg -formats`` lists them): the containers
# Telegram users send as voice, audio, video or document. Playlists (hls, concat), images and
# lavfi are absent on purpose.
ALLOWED_FORMATS: tuple[str, ...] = (
    "ogg", "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mp3", "wav", "w64",
    "flac", "aac", "amr", "amrnb", "amrwb", "asf", "avi", "flv", "mpegts", "mpeg", "aiff", "caf",
    "wv", "ape", "ac3", "eac3", "dts", "au", "loas",
)
# Sample rates MPEG-1/2/2.5 layer III can carry.
MP3_SAMPLE_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
# Outputs per ffmpeg run in ``cut`` (one decode feeds them all; this only bounds the command line).
CUTS_PER_RUN = 64
# When the length is unknown, budget time as if the file were this many bytes per second (8 kbit/s).
_UNKNOWN_LENGTH_BYTES_PER_S = 1000

_MUXERS = {"mp3": "mp3", "ogg": "ogg", "opus": "ogg", "wav": "wav", "flac": "flac", "m4a": "ipod"}
_GENERIC_LINES = (
    "Conversion failed!",
    "At least one output file must be specified",
    "To ignore this, add a trailing '?' to the map.",
)
# How the last ffmpeg error line ends -> what to tell the user about the file.
_EXPLANATIONS = (
    ("End of file", "the file is truncated or not audio"),
    ("Invalid data found when processing input", "not a readable audio or video file"),
    ("No such file or directory", "no such file"),
    ("Permission denied", "the file cannot be read"),
)
_LOG_PREFIX = re.compile(r"^(?:\[[^\]]* @ (?:0x)?[0-9a-fA-F]+\]\s*)+")
_INPUT = re.compile(r"^Input #0, (?P<format>.+?), from ", re.M)
_DURATION = re.compile(r"^\s*Duration: (?:(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)|N/A)", re.M)
_STREAM = re.compile(r"^\s*Stream #0:\d+\S*: (?P<kind>Audio|Video): (?P<details>.*)$", re.M)
# Only lines the filter logs ("[Parsed_silencedetect_0 @ 0x...] silence_start: 1.2"), not tag values.
_SILENCE = re.compile(r"\[[^\]\n]*silencedetect[^\]\n]*\] silence_(?P<edge>start|end): (?P<t>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_EMPTY_OUTPUT = re.compile(r"\[out#(\d+)/[^\]\n]*\] Output file is empty")
_OUT_TIME = re.compile(r"^out_time_us=(?P<us>-?\d+)\s*$", re.M)


def default_binary() -> str:
    """The system ffmpeg when on PATH, otherwise the one imageio-ffmpeg ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg  # lazily: importing this module stays cheap

    return imageio_ffmpeg.get_ffmpeg_exe()


@attrs.frozen
class MediaInfo:
    """What the container header of a file says (more than ProbeResult; no decode behind it)."""

    format_name: str
    duration_ms: int | None  # None: no duration in the header, or only a bitrate estimate
    has_audio: bool
    has_video: bool
    audio_codec: str = ""
    sample_rate_hz: int | None = None
    audio_bitrate_kbps: int | None = None


# Output timestamps from the number of samples decoded, never from the container.
SAMPLE_CLOCK = "asetpts=N/SR/TB"


class FfmpegAudioTools(AudioTools):
    """The AudioTools port on an ffmpeg binary (system ffmpeg or imageio-ffmpeg's)."""

    def __init__(
        self,
        binary: str | None = None,
        *,
        timeout_s: float = 120.0,
        timeout_per_audio_minute_s: float = 2.0,
        threads: int = 4,
        allowed_formats: Iterable[str] | None = ALLOWED_FORMATS,
    ) -> None:
        self.binary = binary or default_binary()
        self.timeout_s = timeout_s
        self.timeout_per_audio_minute_s = timeout_per_audio_minute_s
        self.threads = threads
        self._formats = ",".join(allowed_formats) if allowed_formats is not None else None
        self._env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C"}

    # -- port -------------------------------------------------------------------------------------

    def probe(self, source: Path) -> ProbeResult:
        media = self._require_audio(source)
        duration_ms = media.duration_ms
        if duration_ms is None or duration_ms <= 0:
            duration_ms = self._decoded_duration_ms(source)
        return ProbeResult(
            duration_ms=duration_ms, has_audio=True, has_video=media.has_video, format_name=media.format_name,
        )

    def transcode(self, source: Path, target: Path, profile: TranscodeProfile, *,
                  silences_min_s: float | None = None, noise_db: float = -35.0,
                  time_limit_s: float | None = None, max_output_s: float | None = None) -> ProbeResult:
        limit_at = None if time_limit_s is None else time.monotonic() + max(0.0, time_limit_s)

        def within(timeout_s: float) -> float:
            # The caller's limit (a worker step's end) wins over ffmpeg's own bound.
            return timeout_s if limit_at is None else max(0.01, min(timeout_s, limit_at - time.monotonic()))

        media = self._require_audio(source, within(self.timeout_s))
        target.parent.mkdir(parents=True, exist_ok=True)
        muxer = _MUXERS.get(profile.extension)
        # Timestamps are rebuilt from the decoded sample count (N/SR): the sender's container
        # timestamps can be squeezed (asetpts=PTS/10 makes 600 s claim 60 s), and everything after
        # this -- the bill, the 4 h limit, the chunk plan, the silences -- must be what is heard.
        filters = [SAMPLE_CLOCK]
        # Silence detection rides along in the same decoding pass when asked (saves a full pass).
        detect = bool(silences_min_s)
        if detect:
            filters.append(f"silencedetect=noise={noise_db:g}dB:duration={silences_min_s:g}")
        # Decoding stops after ``max_output_s`` of audio: a small file can hold thousands of hours
        # (a decode bomb), and nothing past the limit is ever worth decoding.
        limit = ["-t", f"{max_output_s:.3f}"] if max_output_s is not None else []
        args = [
            "-y", "-loglevel", "info" if detect else "error", "-nostats", "-progress", "pipe:1",
            *self._input(source),
            "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-af", ",".join(filters), *limit,
            "-c:a", profile.codec, "-b:a", f"{profile.bitrate_kbps}k",
            "-ar", str(profile.sample_rate_hz), "-ac", str(profile.channels),
            "-threads", str(self.threads),
            *(["-f", muxer] if muxer else []),
            _file_url(target),
        ]
        # ffmpeg's own bound follows the audio it may decode: the claimed length is the sender's
        # word, so the limit (when given) counts as well.
        expected_ms = max(media.duration_ms or 0, int((max_output_s or 0) * 1000)) or None
        result = self._run(args, within(self._timeout(expected_ms, source)), source=source, outputs=[target])
        if result.returncode != 0:
            _remove([target])
            raise self._failure(source, result.stderr, paths=[target])
        decoded_ms = _last_out_time_ms(result.stdout)
        if not decoded_ms or not _non_empty(target):
            _remove([target])
            raise UndecodableMedia(PROVIDER, f"{source.name}: no decodable audio in the file", code="no_audio")
        out = self._inspect(target, within(self.timeout_s))
        return ProbeResult(
            duration_ms=decoded_ms, has_audio=out.has_audio, has_video=out.has_video, format_name=out.format_name,
            silences=_silences(result.stderr, decoded_ms) if detect else None,
        )

    def decode_pcm(self, clip: AudioClip) -> bytes:
        """Raw PCM s16le, 16 kHz, mono of an encoded clip: the realtime recognizer's input format."""
        with tempfile.TemporaryDirectory(prefix="pcm-") as tmp:
            source = Path(tmp) / "clip"
            source.write_bytes(clip.data)
            target = Path(tmp) / "clip.pcm"
            args = [
                "-y", "-loglevel", "error", *self._input(source),
                "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000", "-f", "s16le", "-c:a", "pcm_s16le",
                _file_url(target),
            ]
            result = self._run(args, self._timeout(clip.duration_ms, source), source=source, outputs=[target])
            if result.returncode != 0 or not _non_empty(target):
                raise self._failure(source, result.stderr, paths=[target])
            return target.read_bytes()

    def detect_silences(self, source: Path, *, min_silence_s: float, noise_db: float = -35.0) -> tuple[Span, ...]:
        if min_silence_s <= 0:
            raise ValueError(f"min_silence_s must be positive, got {min_silence_s}")
        media = self._require_audio(source)
        args = [
            "-loglevel", "info", "-nostats", "-progress", "pipe:1",
            *self._input(source),
            "-map", "0:a:0", "-vn", "-sn", "-dn",
            "-af", f"silencedetect=noise={noise_db:g}dB:duration={min_silence_s:g}",
            "-f", "null", "-",
        ]
        result = self._run(args, self._timeout(media.duration_ms, source), source=source)
        if result.returncode != 0:
            raise self._failure(source, result.stderr)
        end_ms = _last_out_time_ms(result.stdout) or media.duration_ms
        if not end_ms:
            raise UndecodableMedia(PROVIDER, f"{source.name}: no decodable audio in the file", code="no_audio")
        return _silences(result.stderr, end_ms)

    def cut(self, source: Path, spans: Sequence[Span], target_dir: Path) -> tuple[Path, ...]:
        if not spans:
            return ()
        media = self._require_audio(source)
        for span in spans:
            if span.length_ms <= 0:
                raise PermanentFailure(PROVIDER, f"{source.name}: empty span at {span.start_ms} ms", code="bad_span")
            if media.duration_ms is not None and span.start_ms >= media.duration_ms:
                raise PermanentFailure(
                    PROVIDER,
                    f"{source.name}: span {span.start_ms}..{span.end_ms} ms starts after the end "
                    f"({media.duration_ms} ms)",
                    code="bad_span",
                )
        rate, bitrate = _chunk_encoding(media)
        made_dir = not target_dir.exists()
        target_dir.mkdir(parents=True, exist_ok=True)
        targets = [target_dir / f"chunk_{i:03d}.mp3" for i in range(len(spans))]
        spans_ms = sum(span.length_ms for span in spans)
        empty: list[Span] = []
        # An MP3 (the bot's own transcode: CBR, mono) is cut by seeking each input and copying
        # frames: no decoding, no re-encoding, ~20x faster on an hour of audio. The cuts lie in
        # silences or inside a 2 s overlap, so the frame granularity (≤ 36 ms) loses no word.
        # Other sources are decoded from the start and re-encoded per span.
        copy = media.format_name == "mp3" and media.duration_ms is not None
        for first in range(0, len(spans), CUTS_PER_RUN):
            batch = range(first, min(first + CUTS_PER_RUN, len(spans)))
            if copy:
                args = ["-y", "-loglevel", "warning", "-nostats"]
                for i in batch:
                    args += ["-ss", _seconds(spans[i].start_ms), "-t", _seconds(spans[i].length_ms),
                             *self._input(source)]
                for k, i in enumerate(batch):
                    args += ["-map", f"{k}:a:0", "-map_metadata", "-1", "-c:a", "copy", "-f", "mp3",
                             _file_url(targets[i])]
            else:
                args = ["-y", "-loglevel", "warning", "-nostats", *self._input(source)]
            for i in batch if not copy else ():
                span = spans[i]
                args += [
                    "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1",
                    "-ss", _seconds(span.start_ms), "-t", _seconds(span.length_ms),
                    "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-ar", str(rate), "-ac", "1",
                    "-threads", str(self.threads), "-f", "mp3", _file_url(targets[i]),
                ]
            timeout = self._timeout(media.duration_ms, source) + self._per_minute(spans_ms)
            try:
                result = self._run(args, timeout, source=source, outputs=targets)
            except TransientFailure:
                _remove_dir_if_made(target_dir, made_dir)
                raise
            if result.returncode != 0:
                _remove(targets)
                _remove_dir_if_made(target_dir, made_dir)
                raise self._failure(source, result.stderr, paths=[targets[i] for i in batch])
            # ffmpeg still writes a header for an output that got no audio (a span past what decodes).
            empty += [spans[batch[k]] for k in self._empty_outputs(result.stderr, [targets[i] for i in batch])]
        empty += [span for span, path in zip(spans, targets, strict=True) if not _non_empty(path)]
        if empty:
            _remove(targets)
            _remove_dir_if_made(target_dir, made_dir)
            where = ", ".join(f"{span.start_ms}..{span.end_ms} ms" for span in list(dict.fromkeys(empty))[:3])
            raise UndecodableMedia(PROVIDER, f"{source.name}: no audio decoded for span {where}", code="no_audio")
        return tuple(targets)

    # -- helpers ----------------------------------------------------------------------------------

    def inspect(self, source: Path) -> MediaInfo:
        """The container header only (cheap; no decode). Raises PermanentFailure if unreadable."""
        return self._inspect(source)

    def _inspect(self, source: Path, timeout_s: float | None = None) -> MediaInfo:
        if not source.is_file():
            raise UndecodableMedia(PROVIDER, f"{source.name}: no such file", code="undecodable")
        if source.stat().st_size == 0:
            raise UndecodableMedia(PROVIDER, f"{source.name}: the file is empty", code="undecodable")
        result = self._run(["-loglevel", "info", *self._input(source)], timeout_s or self.timeout_s, source=source)
        media = _parse_header(result.stderr)
        if media is None:
            raise self._failure(source, result.stderr)
        return media

    def _require_audio(self, source: Path, timeout_s: float | None = None) -> MediaInfo:
        media = self._inspect(source, timeout_s)
        if not media.has_audio:
            what = "a video without sound" if media.has_video else "not audio"
            kind = SilentVideo if media.has_video else PermanentFailure
            raise kind(PROVIDER, f"{source.name}: no audio stream ({what}, format {media.format_name})",
                       code="no_audio")
        return media

    def _empty_outputs(self, stderr: str, outputs: Sequence[Path]) -> list[int]:
        """Indexes of outputs that got no audio ("[out#2/mp3 @ 0x..] Output file is empty")."""
        if "Output file is empty" not in stderr:
            return []
        found = {int(m.group(1)) for m in _EMPTY_OUTPUT.finditer(stderr)}
        if found:
            return sorted(i for i in found if i < len(outputs))
        # An older ffmpeg that does not say which output: look at each.
        return [i for i, path in enumerate(outputs) if self._holds_no_audio(path)]

    def _holds_no_audio(self, path: Path) -> bool:
        try:
            media = self._inspect(path)
        except PermanentFailure:
            return True
        return not media.has_audio or (media.duration_ms is not None and media.duration_ms <= 0)

    def _decoded_duration_ms(self, source: Path) -> int:
        """Decode the first audio stream to nothing and read how long it lasted."""
        args = [
            "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            *self._input(source), "-map", "0:a:0", "-vn", "-sn", "-dn", "-af", SAMPLE_CLOCK, "-f", "null", "-",
        ]
        result = self._run(args, self._timeout(None, source), source=source)
        if result.returncode != 0:
            raise self._failure(source, result.stderr)
        duration_ms = _last_out_time_ms(result.stdout)
        if not duration_ms:
            raise UndecodableMedia(PROVIDER, f"{source.name}: no decodable audio in the file", code="no_audio")
        return duration_ms

    def _input(self, source: Path) -> list[str]:
        args = ["-protocol_whitelist", "file"]
        if self._formats:
            args += ["-format_whitelist", self._formats]
        return [*args, "-i", _file_url(source)]

    def _per_minute(self, duration_ms: float) -> float:
        return self.timeout_per_audio_minute_s * duration_ms / 60_000

    def _timeout(self, duration_ms: int | None, source: Path) -> float:
        if duration_ms is None:
            return self.timeout_s + self._per_minute(source.stat().st_size / _UNKNOWN_LENGTH_BYTES_PER_S * 1000)
        return self.timeout_s + self._per_minute(duration_ms)

    def _run(
        self, args: list[str], timeout_s: float, *, source: Path, outputs: Sequence[Path] = (),
    ) -> subprocess.CompletedProcess[str]:
        command = [self.binary, "-nostdin", "-hide_banner", *args]
        try:
            return subprocess.run(
                command, capture_output=True, text=True, encoding="utf-8", errors="replace",
                timeout=timeout_s, env=self._env, check=False,
            )
        except subprocess.TimeoutExpired:  # subprocess.run has killed ffmpeg
            _remove(outputs)
            raise TransientFailure(
                PROVIDER, f"{source.name}: ffmpeg did not finish within {timeout_s:.0f} s", code="timeout",
            ) from None
        except OSError as exc:
            _remove(outputs)
            raise PermanentFailure(PROVIDER, f"cannot run ffmpeg ({exc.strerror})", code="no_binary") from None

    def _failure(self, source: Path, stderr: str, *, paths: Sequence[Path] = ()) -> UndecodableMedia:
        if "Format not on whitelist" in stderr:
            return UndecodableMedia(
                PROVIDER, f"{source.name}: unsupported media format (not audio or video)", code="unsupported_format",
            )
        if "matches no streams" in stderr:
            return UndecodableMedia(PROVIDER, f"{source.name}: no audio stream", code="no_audio")
        line = _last_error_line(stderr, [source, *paths])
        explanation = next(
            (text for clue, text in _EXPLANATIONS if line.endswith(clue)), "ffmpeg cannot process the file",
        )
        return UndecodableMedia(PROVIDER, f"{source.name}: {explanation} ({line})", code="undecodable")


# -- parsing -------------------------------------------------------------------------------------


def _parse_header(stderr: str) -> MediaInfo | None:
    found = _INPUT.search(stderr)
    if found is None:
        return None
    header = stderr[found.start():]
    duration_ms: int | None = None
    match = _DURATION.search(header)
    if match and match.group("h") is not None and "Estimating duration from bitrate" not in stderr:
        seconds = int(match.group("h")) * 3600 + int(match.group("m")) * 60 + float(match.group("s"))
        duration_ms = round(seconds * 1000)
    has_audio = has_video = False
    codec, rate, bitrate = "", None, None
    for stream in _STREAM.finditer(header):
        details = stream.group("details")
        if stream.group("kind") == "Video":
            has_video = has_video or "(attached pic)" not in details
        elif not has_audio:
            has_audio = True
            codec = re.split(r"[ ,]", details, maxsplit=1)[0]
            if hz := re.search(r"(\d+) Hz", details):
                rate = int(hz.group(1))
            if kbps := re.search(r"(\d+) kb/s", details):
                bitrate = int(kbps.group(1))
    return MediaInfo(
        format_name=found.group("format"), duration_ms=duration_ms, has_audio=has_audio, has_video=has_video,
        audio_codec=codec, sample_rate_hz=rate, audio_bitrate_kbps=bitrate,
    )


def _silences(stderr: str, end_ms: int) -> tuple[Span, ...]:
    spans: list[Span] = []
    opened: float | None = None
    for event in _SILENCE.finditer(stderr):
        seconds = float(event.group("t"))
        if event.group("edge") == "start":
            opened = seconds
        elif opened is not None:
            spans.append(_span(opened, seconds, end_ms))
            opened = None
    if opened is not None:  # silence running to the end of the file without a silence_end
        spans.append(_span(opened, end_ms / 1000, end_ms))
    return tuple(sorted((span for span in spans if span.length_ms > 0), key=lambda s: (s.start_ms, s.end_ms)))


def _span(start_s: float, end_s: float, end_ms: int) -> Span:
    start = min(max(0, round(start_s * 1000)), end_ms)
    return Span(start, min(max(start, round(end_s * 1000)), end_ms))


def _last_out_time_ms(progress: str) -> int | None:
    values = [int(m.group("us")) for m in _OUT_TIME.finditer(progress)]
    if not values or values[-1] <= 0:
        return None
    return round(values[-1] / 1000)


def _last_error_line(stderr: str, paths: Iterable[Path]) -> str:
    lines = []
    for raw in re.split(r"[\r\n]+", stderr):
        line = _LOG_PREFIX.sub("", raw.strip())
        if line and not line.startswith(("size=", "frame=")):
            lines.append(line)
    useful = [line for line in lines if not line.startswith(_GENERIC_LINES)]
    line = (useful or lines or ["no error message"])[-1]
    for path in paths:
        for text in (_file_url(path), os.path.abspath(path), str(path)):
            line = line.replace(text, path.name)
    return line[:300]


# -- small helpers -------------------------------------------------------------------------------


def _chunk_encoding(media: MediaInfo) -> tuple[int, int]:
    """Sample rate and kbit/s of the chunks: an MP3 source keeps its own, anything else the standard."""
    if media.audio_codec == "mp3" and media.sample_rate_hz in MP3_SAMPLE_RATES:
        bitrate = media.audio_bitrate_kbps or STANDARD_PROFILE.bitrate_kbps
        return media.sample_rate_hz, min(max(bitrate, 8), 320)
    return STANDARD_PROFILE.sample_rate_hz, STANDARD_PROFILE.bitrate_kbps


def _file_url(path: Path) -> str:
    # "file:" keeps names with ":" or a leading "-" from being read as protocols or options.
    return "file:" + os.path.abspath(path)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}"


def _non_empty(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _remove_dir_if_made(folder: Path, made: bool) -> None:
    if made:
        try:
            folder.rmdir()  # only if still empty
        except OSError:
            pass


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
