"""FfmpegAudioTools on real audio: the committed speech fixtures and audio built from them at test time.

Needs only the ffmpeg binary imageio-ffmpeg bundles (no espeak-ng, no system ffmpeg, no network).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.ffmpeg.ffmpeg_audio_tools import FfmpegAudioTools, _silences
from domain.audio import SHORT_PROFILE, STANDARD_PROFILE, ProbeResult, Span, choose_profile
from ports.audio_tools import AudioTools
from ports.errors import PermanentFailure, TransientFailure, UndecodableMedia
from tests import audio_factory as af

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE_MS = 100
GAP_TOLERANCE_MS = 200


@pytest.fixture(scope="module")
def tools() -> FfmpegAudioTools:
    return FfmpegAudioTools()


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return af.bad_media(tmp_path_factory.mktemp("bad_media"))


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hello_en + 2 s silence + speaker_b, as a Telegram-like OGG/Opus file (10 s)."""
    return af.make_audio(tmp_path_factory.mktemp("dialogue"), DIALOGUE, fmt="ogg")


DIALOGUE = ["hello_en", ("silence", 2.0), "speaker_b"]


def files_in(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def assert_ms(actual_ms: float, expected_s: float, tolerance_ms: float = TOLERANCE_MS) -> None:
    assert abs(actual_ms - expected_s * 1000) <= tolerance_ms, (actual_ms, expected_s)


# -- construction -------------------------------------------------------------------------------


def test_is_an_audio_tools_with_a_working_default_binary(tools: FfmpegAudioTools) -> None:
    assert AudioTools in type(tools).__mro__  # subclasses the port explicitly
    assert Path(tools.binary).is_file()
    explicit = FfmpegAudioTools(binary=af.ffmpeg_exe())
    assert explicit.binary == af.ffmpeg_exe()


def test_missing_binary_is_a_permanent_failure(tmp_path: Path) -> None:
    tools = FfmpegAudioTools(binary=str(tmp_path / "no-ffmpeg"))
    with pytest.raises(PermanentFailure, match="cannot run ffmpeg") as missing:
        tools.probe(af.fixture("hello_en"))
    assert not isinstance(missing.value, UndecodableMedia)  # a deployment fault, not the user's file


def test_a_killed_ffmpeg_is_transient_and_leaves_no_output(tmp_path: Path) -> None:
    tools = FfmpegAudioTools(timeout_s=0.001, timeout_per_audio_minute_s=0.0)
    target = tmp_path / "out.mp3"
    with pytest.raises(TransientFailure, match="did not finish"):
        tools.transcode(af.fixture("hello_en"), target, SHORT_PROFILE)
    assert files_in(tmp_path) == set()


# -- probe --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(af.FIXTURE_SECONDS))
def test_probe_of_each_fixture(tools: FfmpegAudioTools, name: str) -> None:
    result = tools.probe(af.fixture(name))
    assert isinstance(result, ProbeResult)
    assert_ms(result.duration_ms, af.FIXTURE_SECONDS[name])
    assert_ms(result.duration_ms, af.decoded_seconds(af.fixture(name)))
    assert result.has_audio
    assert result.has_video is (name == "clip")
    assert result.format_name


def test_probe_of_the_readme_sample(tools: FfmpegAudioTools) -> None:
    sample = ROOT / "samples" / "voice_note.ogg"
    result = tools.probe(sample)
    assert_ms(result.duration_ms, 7.0)
    assert (result.has_audio, result.has_video, result.format_name) == (True, False, "ogg")


def test_probe_decodes_when_the_header_has_no_duration(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    headerless = af.make_headerless(tmp_path, af.fixture("hello_en"))
    assert tools.inspect(headerless).duration_ms is None
    assert_ms(tools.probe(headerless).duration_ms, 4.5)


def test_probe_decodes_when_the_header_only_estimates(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    raw_aac = af.make_audio(tmp_path, ["speaker_a", ("silence", 1.0), "speaker_b"], fmt="aac")
    assert tools.inspect(raw_aac).duration_ms is None  # "Estimating duration from bitrate" is not trusted
    assert_ms(tools.probe(raw_aac).duration_ms, af.decoded_seconds(raw_aac))
    assert_ms(tools.probe(raw_aac).duration_ms, 8.0)


# -- transcode ----------------------------------------------------------------------------------


def test_transcode_of_a_short_voice_note_uses_the_short_profile(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    source = af.fixture("hello_en")
    profile = choose_profile(tools.probe(source).duration_ms / 1000)
    assert profile == SHORT_PROFILE
    target = tmp_path / "out" / "audio.mp3"

    result = tools.transcode(source, target, profile)

    assert_ms(result.duration_ms, 4.5)
    assert (result.has_audio, result.has_video, result.format_name) == (True, False, "mp3")
    out = af.describe(target)
    assert (out.container, out.audio_codec, out.sample_rate_hz, out.channels) == ("mp3", "mp3", 8000, "mono")
    assert out.bitrate_kbps == 24
    assert_ms(af.decoded_seconds(target) * 1000, 4.5)


def test_transcode_of_a_longer_note_uses_the_standard_profile(
    tools: FfmpegAudioTools, dialogue: Path, tmp_path: Path,
) -> None:
    profile = choose_profile(tools.probe(dialogue).duration_ms / 1000)
    assert profile == STANDARD_PROFILE
    target = tmp_path / "audio.mp3"

    result = tools.transcode(dialogue, target, profile)

    assert_ms(result.duration_ms, 10.0)
    out = af.describe(target)
    assert (out.audio_codec, out.sample_rate_hz, out.channels, out.bitrate_kbps) == ("mp3", 16000, "mono", 32)


def test_transcode_of_a_video_keeps_only_its_audio(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    target = tmp_path / "clip.mp3"
    result = tools.transcode(af.fixture("clip"), target, SHORT_PROFILE)
    assert result.has_video is False
    assert_ms(result.duration_ms, 4.5)
    out = af.describe(target)
    assert (out.has_video, out.audio_codec, out.sample_rate_hz) == (False, "mp3", 8000)


def test_transcode_of_a_video_without_sound_is_refused(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    silent_video = tmp_path / "mute.mp4"
    af.ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:duration=1", "-c:v", "libx264", str(silent_video))
    with pytest.raises(PermanentFailure, match="no audio stream") as caught:
        tools.transcode(silent_video, tmp_path / "out.mp3", STANDARD_PROFILE)
    assert caught.value.code == "no_audio"
    assert files_in(tmp_path) == {silent_video}


# -- silences -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["ogg", "mp3"])
def test_detect_silences_finds_the_inserted_gap(tools: FfmpegAudioTools, tmp_path: Path, fmt: str) -> None:
    source = af.make_audio(tmp_path, DIALOGUE, fmt=fmt)
    gap_start, gap_end = af.piece_bounds(DIALOGUE)[1]

    spans = tools.detect_silences(source, min_silence_s=0.3)

    assert list(spans) == sorted(spans, key=lambda s: s.start_ms)
    assert all(a.end_ms <= b.start_ms for a, b in zip(spans, spans[1:], strict=False))
    assert all(0 <= s.start_ms < s.end_ms <= 10_000 + TOLERANCE_MS for s in spans)
    covering = [s for s in spans if s.start_ms <= gap_start * 1000 + GAP_TOLERANCE_MS
                and s.end_ms >= gap_end * 1000 - GAP_TOLERANCE_MS]
    assert len(covering) == 1, spans
    # The gap plus the pauses the speech itself ends/starts with (under a second), not more.
    assert covering[0].length_ms <= (gap_end - gap_start) * 1000 + 1000


def test_trailing_silence_is_closed_at_the_end_of_the_file(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    source = af.make_audio(tmp_path, ["speaker_a", ("silence", 3.0)], fmt="mp3")
    spans = tools.detect_silences(source, min_silence_s=0.5)
    assert spans, "the trailing silence was not reported"
    assert spans[-1].start_ms <= 3500 + GAP_TOLERANCE_MS
    assert_ms(spans[-1].end_ms, 6.5)


def test_a_silence_without_end_in_the_log_is_closed_at_the_duration() -> None:
    log = "[silencedetect @ 0x1] silence_start: -0.01\n[silencedetect @ 0x1] silence_end: 1.25 | x\n" \
          "size=N/A time=00:00:02.00\r[silencedetect @ 0x1] silence_start: 3.5\n"
    assert _silences(log, 5000) == (Span(0, 1250), Span(3500, 5000))


def test_continuous_sound_has_no_silence(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    tone = af.make_tone_without_silence(tmp_path, 20.0)
    assert tools.detect_silences(tone, min_silence_s=0.3) == ()


def test_min_silence_must_be_positive(tools: FfmpegAudioTools) -> None:
    with pytest.raises(ValueError):
        tools.detect_silences(af.fixture("hello_en"), min_silence_s=0)


# -- cut ----------------------------------------------------------------------------------------


def test_cut_of_overlapping_spans_covers_the_whole_file(
    tools: FfmpegAudioTools, dialogue: Path, tmp_path: Path,
) -> None:
    duration_ms = tools.probe(dialogue).duration_ms
    spans = [Span(0, 4000), Span(3000, 7500), Span(6500, duration_ms)]
    target_dir = tmp_path / "chunks"

    chunks = tools.cut(dialogue, spans, target_dir)

    assert [c.name for c in chunks] == ["chunk_000.mp3", "chunk_001.mp3", "chunk_002.mp3"]
    assert files_in(target_dir) == set(chunks)
    for chunk, span in zip(chunks, spans, strict=True):
        assert_ms(tools.probe(chunk).duration_ms, span.length_ms / 1000)
        assert_ms(af.decoded_seconds(chunk) * 1000, span.length_ms / 1000)
        out = af.describe(chunk)  # an OGG source gives standard-profile chunks
        assert (out.audio_codec, out.sample_rate_hz, out.channels) == ("mp3", 16000, "mono")
    covered = sum(span.length_ms for span in spans) - 1000 - 1000  # minus the two overlaps
    assert_ms(covered, duration_ms / 1000)


def test_cut_takes_audio_from_the_right_place(tools: FfmpegAudioTools, dialogue: Path, tmp_path: Path) -> None:
    inside_gap, speech = Span(4700, 6300), Span(0, 3000)
    gap_chunk, speech_chunk = tools.cut(dialogue, [inside_gap, speech], tmp_path)
    assert [s.length_ms for s in tools.detect_silences(gap_chunk, min_silence_s=0.3)] \
        == [pytest.approx(1600, abs=TOLERANCE_MS)]
    speech_silences = tools.detect_silences(speech_chunk, min_silence_s=0.3)
    assert sum(s.length_ms for s in speech_silences) < 1000


def test_cut_of_an_mp3_keeps_its_encoding(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    mp3 = tmp_path / "short.mp3"
    tools.transcode(af.fixture("privet_ru"), mp3, SHORT_PROFILE)
    (chunk,) = tools.cut(mp3, [Span(1000, 3500)], tmp_path / "chunks")
    out = af.describe(chunk)
    assert (out.sample_rate_hz, out.bitrate_kbps, out.channels) == (8000, 24, "mono")
    assert_ms(tools.probe(chunk).duration_ms, 2.5)


def test_cut_of_a_span_past_the_end_fails_and_writes_nothing(
    tools: FfmpegAudioTools, dialogue: Path, tmp_path: Path,
) -> None:
    with pytest.raises(PermanentFailure, match="starts after the end"):
        tools.cut(dialogue, [Span(0, 2000), Span(20_000, 25_000)], tmp_path / "chunks")
    assert files_in(tmp_path) == set()
    assert tools.cut(dialogue, [], tmp_path / "chunks") == ()


def test_a_truncated_video_gives_what_decodes_and_refuses_spans_beyond(
    tools: FfmpegAudioTools, tmp_path: Path,
) -> None:
    data = af.fixture("clip").read_bytes()
    truncated = tmp_path / "cut_short.mp4"
    truncated.write_bytes(data[: len(data) // 2])  # the header (moov first) still says 4.5 s
    assert_ms(tools.probe(truncated).duration_ms, 4.5)

    decoded = tools.transcode(truncated, tmp_path / "audio.mp3", STANDARD_PROFILE).duration_ms
    assert 500 < decoded < 4000  # the real decoded length, not the header's promise
    with pytest.raises(UndecodableMedia, match="no audio decoded") as caught:
        tools.cut(truncated, [Span(0, 1000), Span(4000, 4400)], tmp_path / "chunks")
    assert caught.value.code == "no_audio"
    assert not (tmp_path / "chunks").exists()


def test_empty_outputs_are_found_even_when_ffmpeg_does_not_say_which(
    tools: FfmpegAudioTools, dialogue: Path, tmp_path: Path,
) -> None:
    (good,) = tools.cut(dialogue, [Span(0, 1000)], tmp_path)
    header_only = tmp_path / "header_only.mp3"
    af.ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "0", "-c:a", "libmp3lame", str(header_only))
    older_ffmpeg_log = "Output file is empty, nothing was encoded"
    assert tools._empty_outputs(older_ffmpeg_log, [good, header_only]) == [1]
    assert tools._empty_outputs("[out#0/mp3 @ 0x1] Output file is empty, nothing", [good, header_only]) == [0]
    assert tools._empty_outputs("", [good, header_only]) == []


# -- broken and hostile inputs -------------------------------------------------------------------


def _call(tools: FfmpegAudioTools, method: str, source: Path, out: Path) -> object:
    if method == "probe":
        return tools.probe(source)
    if method == "transcode":
        return tools.transcode(source, out / "audio.mp3", STANDARD_PROFILE)
    if method == "detect_silences":
        return tools.detect_silences(source, min_silence_s=0.3)
    return tools.cut(source, [Span(0, 1000), Span(500, 2000)], out / "chunks")


@pytest.mark.parametrize("method", ["probe", "transcode", "detect_silences", "cut"])
@pytest.mark.parametrize("kind", af.BROKEN)
def test_broken_input_is_a_permanent_failure_with_a_readable_message(
    tools: FfmpegAudioTools, bad: dict[str, Path], tmp_path: Path, kind: str, method: str,
) -> None:
    source = bad[kind]
    before = files_in(source.parent)

    with pytest.raises(UndecodableMedia) as caught:  # the user is told the file cannot be read
        _call(tools, method, source, tmp_path)

    message = str(caught.value)
    assert message.startswith(f"ffmpeg: {source.name}: "), message
    assert str(source.parent) not in message and "0x" not in message, message
    assert len(message) < 400
    assert list(tmp_path.iterdir()) == []
    assert files_in(source.parent) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("playlist.mp3", "#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/segment.ts\n"),
        ("script.ogg", "ffconcat version 1.0\nfile '/etc/hostname'\n"),
    ],
)
def test_playlists_and_scripts_are_not_followed(
    tools: FfmpegAudioTools, tmp_path: Path, name: str, content: str,
) -> None:
    source = tmp_path / name
    source.write_text(content)
    with pytest.raises(PermanentFailure):
        tools.transcode(source, tmp_path / "out.mp3", STANDARD_PROFILE)
    assert files_in(tmp_path) == {source}


@pytest.mark.slow
def test_ten_minutes_of_silence_is_valid_audio_that_is_all_silence(
    tools: FfmpegAudioTools, bad: dict[str, Path], tmp_path: Path,
) -> None:
    source = bad["ten_min_silence"]
    assert_ms(tools.probe(source).duration_ms, 600.0)
    assert tools.detect_silences(source, min_silence_s=0.3) == (Span(0, 600_000),)
    result = tools.transcode(source, tmp_path / "audio.mp3", STANDARD_PROFILE)
    assert_ms(result.duration_ms, 600.0)


# -- a longer file ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_three_minute_voice_note_end_to_end(tools: FfmpegAudioTools, tmp_path: Path) -> None:
    block = ["hello_en", ("silence", 1.5), "speaker_a", ("silence", 0.5), "privet_ru", ("silence", 2.0),
             "speaker_b", ("noise", 1.0), ("silence", 0.75)]  # 22.5 s
    pieces = block * 8  # 180 s
    assert af.pieces_seconds(pieces) == 180.0
    source = af.make_audio(tmp_path, pieces, fmt="ogg", name="long")

    probe = tools.probe(source)
    assert_ms(probe.duration_ms, 180.0)
    profile = choose_profile(probe.duration_ms / 1000)
    mp3 = tmp_path / "long.mp3"
    result = tools.transcode(source, mp3, profile)
    assert_ms(result.duration_ms, 180.0)

    spans = tools.detect_silences(mp3, min_silence_s=0.3)
    gaps = [bounds for piece, bounds in zip(pieces, af.piece_bounds(pieces), strict=True)
            if piece == ("silence", 2.0)]
    for start_s, end_s in gaps:
        assert any(s.start_ms <= start_s * 1000 + GAP_TOLERANCE_MS and s.end_ms >= end_s * 1000 - GAP_TOLERANCE_MS
                   for s in spans), (start_s, spans)

    cuts = [Span(0, 150_000), Span(148_000, result.duration_ms)]
    chunks = tools.cut(mp3, cuts, tmp_path / "chunks")
    for chunk, span in zip(chunks, cuts, strict=True):
        assert_ms(tools.probe(chunk).duration_ms, span.length_ms / 1000)
    assert sorted(os.listdir(tmp_path / "chunks")) == ["chunk_000.mp3", "chunk_001.mp3"]


def test_decode_pcm_gives_16_khz_mono_s16le_of_the_clip_length():
    from ports.speech import AudioClip

    data = af.fixture("hello_en").read_bytes()
    pcm = FfmpegAudioTools().decode_pcm(AudioClip(data, "audio/ogg", 4500))
    assert abs(len(pcm) / (16000 * 2) - 4.5) < 0.1  # 2 bytes a sample, one channel


def test_transcode_finds_the_same_silences_as_a_separate_pass(tmp_path):
    source = af.make_audio(tmp_path, ["hello_en", ("silence", 2.0), "speaker_b"], fmt="ogg")
    tools = FfmpegAudioTools()
    probe = tools.transcode(source, tmp_path / "out.mp3", STANDARD_PROFILE, silences_min_s=0.3)
    separate = tools.detect_silences(tmp_path / "out.mp3", min_silence_s=0.3)
    assert probe.silences is not None and len(probe.silences) == len(separate)
    for ours, theirs in zip(probe.silences, separate, strict=True):
        assert abs(ours.start_ms - theirs.start_ms) < 150 and abs(ours.end_ms - theirs.end_ms) < 150
    assert any(s.start_ms <= 4600 and s.end_ms >= 6400 for s in probe.silences)


def test_cutting_the_bots_own_mp3_copies_frames_exactly_enough(tmp_path):
    source = af.make_audio(tmp_path, ["hello_en", ("noise", 20.0), "speaker_b"], fmt="ogg")
    tools = FfmpegAudioTools()
    tools.transcode(source, tmp_path / "out.mp3", STANDARD_PROFILE)
    spans = [Span(0, 12_000), Span(10_000, 22_000), Span(20_000, 28_000)]  # overlapping, like hard cuts
    files = tools.cut(tmp_path / "out.mp3", spans, tmp_path / "chunks")
    for span, path in zip(spans, files, strict=True):
        assert abs(af.decoded_seconds(path) * 1000 - span.length_ms) < 100
        assert af.describe(path).audio_codec == "mp3"


def test_a_transcode_past_the_callers_time_limit_is_stopped_and_leaves_nothing(tools, tmp_path):
    """A worker step must end before its trigger gives up: ffmpeg is killed at the caller's limit
    (TransientFailure, so the job is delivered again) and no half-written output is left."""
    import time

    source = af.make_audio(tmp_path, [("tone", 1200.0)], fmt="ogg")  # 20 minutes: seconds of work
    target = tmp_path / "out.mp3"
    started = time.monotonic()
    with pytest.raises(TransientFailure) as caught:
        tools.transcode(source, target, STANDARD_PROFILE, silences_min_s=0.3, time_limit_s=0.2)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 5.0
    assert not target.exists()
    # Without the limit the same file transcodes whole.
    assert tools.transcode(source, target, STANDARD_PROFILE, time_limit_s=120).duration_ms > 1_190_000
