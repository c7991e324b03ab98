"""Build test audio at test time from the committed speech fixtures, with the bundled ffmpeg only.

No espeak-ng here (CI machines lack it): longer files are concatenations of the small fixtures in
``tests/fixtures/audio`` (see its README) and generated silence, tone or noise.

    make_audio(tmp_path, ["hello_en", ("silence", 2.0), "speaker_b"], fmt="mp3")
    make_tone_without_silence(tmp_path, 30.0)
    bad_media(tmp_path)["truncated_ogg"]
"""

from __future__ import annotations

import functools
import random
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures import make_speech

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "audio"
# Exact length of each committed fixture, by name without extension (make_speech pads to these).
FIXTURE_SECONDS: dict[str, float] = {
    **{Path(s.name).stem: s.seconds for s in make_speech.FIXTURES},
    Path(make_speech.CLIP).stem: make_speech.CLIP_SPEECH.seconds,
}
FIXTURE_FILES: dict[str, str] = {
    **{Path(s.name).stem: s.name for s in make_speech.FIXTURES},
    Path(make_speech.CLIP).stem: make_speech.CLIP,
}

# A piece of made audio: a fixture name ("hello_en" or "hello_en.ogg"), or (kind, seconds) with kind
# "silence", "tone" (440 Hz sine) or "noise" (pink noise, never silent).
Piece = str | tuple[str, float]

_ENCODERS: dict[str, list[str]] = {
    "ogg": ["-c:a", "libopus", "-b:a", "24k", "-application", "voip", "-ar", "48000"],
    "webm": ["-c:a", "libopus", "-b:a", "24k", "-ar", "48000"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "32k", "-ar", "16000"],
    "m4a": ["-c:a", "aac", "-b:a", "32k", "-ar", "16000"],
    "wav": ["-c:a", "pcm_s16le", "-ar", "16000"],
    # Raw ADTS: no container, ffmpeg only estimates the duration from the bitrate.
    "aac": ["-c:a", "aac", "-b:a", "32k", "-ar", "16000", "-f", "adts"],
}


@functools.cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def fixture(name: str) -> Path:
    """Path of a committed fixture: ``fixture("hello_en")`` or ``fixture("clip.mp4")``."""
    return FIXTURES_DIR / FIXTURE_FILES.get(name, name)


def ffmpeg(*args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run the bundled ffmpeg; raises with its stderr when it fails."""
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-y", *args],
        capture_output=True, text=True, errors="replace", timeout=timeout_s, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {result.stderr[-1500:]}")
    return result


def pieces_seconds(pieces: Sequence[Piece]) -> float:
    """Total length of ``pieces`` (what ``make_audio`` will produce)."""
    return sum(_piece_seconds(piece) for piece in pieces)


def piece_bounds(pieces: Sequence[Piece]) -> list[tuple[float, float]]:
    """(start_s, end_s) of each piece inside the made file."""
    bounds, at = [], 0.0
    for piece in pieces:
        length = _piece_seconds(piece)
        bounds.append((at, at + length))
        at += length
    return bounds


def make_audio(tmp_path: Path, pieces: Sequence[Piece], fmt: str = "ogg", name: str = "made") -> Path:
    """Concatenate fixtures and generated stretches into ``tmp_path/name.fmt`` (mono)."""
    if fmt not in _ENCODERS:
        raise ValueError(f"fmt must be one of {sorted(_ENCODERS)}")
    inputs: list[str] = []
    chains: list[str] = []
    for i, piece in enumerate(pieces):
        norm = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=mono"
        if isinstance(piece, str):
            inputs += ["-i", str(fixture(piece))]
            chains.append(f"[{len(inputs) // 2 - 1}:a:0]{norm}[p{i}]")
        else:
            kind, seconds = piece
            chains.append(f"{_generated(kind)},atrim=duration={seconds},{norm}[p{i}]")
    labels = "".join(f"[p{i}]" for i in range(len(pieces)))
    graph = ";".join([*chains, f"{labels}concat=n={len(pieces)}:v=0:a=1[out]"])
    target = tmp_path / f"{name}.{fmt}"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[out]", "-ac", "1", *_ENCODERS[fmt],
           "-map_metadata", "-1", str(target))
    return target


def make_headerless(tmp_path: Path, source: Path, name: str = "headerless") -> Path:
    """``source``'s audio remuxed to WebM through a pipe: the header holds no duration (Duration: N/A)."""
    target = tmp_path / f"{name}.webm"
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(source), "-map", "0:a:0", "-c", "copy",
         "-f", "webm", "pipe:1"],
        capture_output=True, timeout=60, check=True,
    )
    target.write_bytes(result.stdout)
    return target


def make_tone_without_silence(tmp_path: Path, seconds: float, fmt: str = "mp3", name: str = "tone") -> Path:
    """A sine tone over pink noise: loud throughout, so silencedetect finds nothing to cut at."""
    target = tmp_path / f"{name}.{fmt}"
    graph = (
        f"sine=frequency=440:sample_rate=48000,atrim=duration={seconds}[s];"
        f"anoisesrc=color=pink:amplitude=0.2:sample_rate=48000:seed=7,atrim=duration={seconds}[n];"
        "[s][n]amix=inputs=2:duration=shortest[out]"
    )
    ffmpeg("-filter_complex", graph, "-map", "[out]", "-ac", "1", *_ENCODERS[fmt], str(target))
    return target


def bad_media(tmp_path: Path) -> dict[str, Path]:
    """Inputs the bot must survive, by name.

    ``empty``, ``truncated_ogg`` (first 300 bytes of a voice note), ``random_bytes`` (.ogg),
    ``png_as_mp3`` (an image renamed) are not decodable. ``ten_min_silence`` (.mp3) IS valid audio
    with nothing to transcribe: ffmpeg handles it; deciding that it holds no speech is not its job.
    """
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    files = {
        "empty": folder / "empty.ogg",
        "truncated_ogg": folder / "truncated.ogg",
        "random_bytes": folder / "random.ogg",
        "png_as_mp3": folder / "picture.mp3",
        "ten_min_silence": folder / "silence.mp3",
    }
    files["empty"].write_bytes(b"")
    files["truncated_ogg"].write_bytes(fixture("hello_en").read_bytes()[:300])
    files["random_bytes"].write_bytes(random.Random(20260101).randbytes(20_000))
    png = folder / "picture.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", str(png))
    png.rename(files["png_as_mp3"])
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "600", "-c:a", "libmp3lame", "-b:a", "8k",
           str(files["ten_min_silence"]))
    return files


BROKEN = ("empty", "truncated_ogg", "random_bytes", "png_as_mp3")


@dataclass(frozen=True)
class Description:
    """What ``ffmpeg -i`` says about a file (parsed independently of the adapter)."""

    container: str
    audio_codec: str
    sample_rate_hz: int
    channels: str
    has_video: bool
    bitrate_kbps: int | None


def describe(path: Path) -> Description:
    info = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    container = re.search(r"Input #0, (.+?), from", info)
    audio = re.search(r"Audio: (\w+).*?, (\d+) Hz, ([^,\n]+)(?:.*?(\d+) kb/s)?", info)
    if not container or not audio:
        raise AssertionError(f"not audio: {info[-500:]}")
    return Description(
        container=container.group(1), audio_codec=audio.group(1), sample_rate_hz=int(audio.group(2)),
        channels=audio.group(3).strip(), has_video=bool(re.search(r"Stream #0:\d+.*: Video:", info)),
        bitrate_kbps=int(audio.group(4)) if audio.group(4) else None,
    )


def decoded_seconds(path: Path) -> float:
    """Length measured by decoding to 8 kHz PCM and counting samples (independent of headers)."""
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le",
         "-ac", "1", "-ar", "8000", "-"],
        capture_output=True, timeout=60, check=True,
    )
    return len(result.stdout) / 2 / 8000


def _piece_seconds(piece: Piece) -> float:
    if isinstance(piece, str):
        return FIXTURE_SECONDS[Path(piece).stem]
    return float(piece[1])


def _generated(kind: str) -> str:
    sources = {
        "silence": "anullsrc=r=48000:cl=mono",
        "tone": "sine=frequency=440:sample_rate=48000",
        "noise": "anoisesrc=color=pink:amplitude=0.2:sample_rate=48000:seed=3",
    }
    if kind not in sources:
        raise ValueError(f"unknown piece kind {kind!r}: use one of {sorted(sources)}")
    return sources[kind]
