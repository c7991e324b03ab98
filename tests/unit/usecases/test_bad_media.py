"""Bad media files: a clear reply where a person is waiting, the minutes back, no log, no hang."""

from __future__ import annotations

import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import bad_media, ffmpeg, fixture, make_audio

pytestmark = pytest.mark.slow


def build_bad_files(tmp_path):
    files = bad_media(tmp_path)
    folder = tmp_path / "bad"
    (folder / "text.ogg").write_text("this is not audio at all\n" * 50)
    (folder / "playlist.mp3").write_text("#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/evil.mp3\n")
    (folder / "header_only.wav").write_bytes(
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00"
        b"data\x00\x00\x00\x00")
    silent_video = folder / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5", "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           str(silent_video))
    truncated_mp4 = folder / "truncated.mp4"
    truncated_mp4.write_bytes(fixture("clip").read_bytes()[:2000])
    files.update({"text_as_ogg": folder / "text.ogg", "hls_playlist": folder / "playlist.mp3",
                  "wav_header_only": folder / "header_only.wav", "video_without_audio": silent_video,
                  "truncated_mp4": truncated_mp4})
    return files


UNDECODABLE = ["truncated_ogg", "random_bytes", "png_as_mp3", "text_as_ogg", "hls_playlist", "wav_header_only",
               "video_without_audio", "truncated_mp4"]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return build_bad_files(tmp_path_factory.mktemp("media"))


def test_ten_bad_media_kinds_are_covered(bad_files):
    assert len(UNDECODABLE) + 3 >= 10  # + empty, ten minutes of silence, over 20 MB


@pytest.mark.parametrize("name", UNDECODABLE)
def test_undecodable_file_fails_cleanly_with_a_refund(world, bad_files, name):
    world.user(balance=5)
    kind = MediaKind.VIDEO if name.endswith("mp4") or "video" in name else MediaKind.VOICE
    update_id, _ = world.media(bad_files[name], kind=kind, duration_s=10)
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED
    assert world.balance() == 5
    assert not world.logs.transcription_rows
    assert world.recognizer.clips == []
    last = world.texts()[-1]
    assert last in (say("ru", M.err_bad_media), say("ru", M.err_no_sound))


def test_empty_file_is_refused_before_anything_happens(world, bad_files):
    world.user(balance=5)
    update_id, route = world.media(bad_files["empty"], duration_s=3)
    assert route == "media:empty" and world.job_of(update_id) is None and world.balance() == 5
    assert world.texts()[-1] == say("ru", M.empty_file)


def test_ten_minutes_of_silence_is_no_speech_and_refunded(world, bad_files):
    world.user(balance=20)
    world.recognizer = type(world.recognizer)([""] * 10)  # what the provider answers for silence
    world.rebuild()
    update_id, route = world.media(bad_files["ten_min_silence"], kind=MediaKind.AUDIO)
    assert route == "media:queued"
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and job.error == "err_no_speech"
    assert world.balance() == 20
    assert world.texts()[-1] == say("ru", M.err_no_speech)


def test_file_over_20_mb_is_refused_without_download(world, tmp_path):
    world.user(balance=100)
    big = make_audio(tmp_path, ["hello_en"], fmt="wav")
    update_id, route = world.media(big, kind=MediaKind.AUDIO, file_size=21 * 1024 * 1024)
    assert route == "media:too_big" and world.job_of(update_id) is None and world.balance() == 100


def test_a_file_telegram_no_longer_serves_is_a_failed_download_with_a_refund(world, tmp_path):
    world.user(balance=5)
    source = tmp_path / "note.ogg"
    source.write_bytes(b"OggS" + b"\0" * 100)
    update_id, route = world.media(source, kind=MediaKind.DOCUMENT)
    assert route == "media:queued"
    (world.media_dir / f"f{update_id}.ogg").unlink()  # expired on Telegram's side before the worker ran
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and "file not found" in job.error
    assert world.balance() == 5
    assert world.texts()[-1] == say("ru", M.err_download)
