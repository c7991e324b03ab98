"""Bill what was heard: attacks on the duration.

- A recording remuxed with its timestamps squeezed tenfold (``asetpts=PTS/10``) claims a tenth of
  its length in Matroska, WebM, MP4 and MOV. The bill, the 4 h limit and the chunk plan must come
  from the decoded samples.
- A decode bomb (hours of silence in a small FLAC) must be refused without charge, having
  decoded no more than the limit.
- A voice note whose claimed duration lies is never decoded past a small bound in the webhook.
Every test ends with the ledger invariant.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from dependency_injector import providers

from adapters.ffmpeg.ffmpeg_audio_tools import default_binary
from domain.audio import MediaKind
from domain.job import JobStatus
from tests.ledger import assert_ledger
from tests.world import evolve_policy

pytestmark = pytest.mark.slow

FFMPEG = shutil.which("ffmpeg") or default_binary()


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", *args], check=True)


def transcribe_document(world, path):
    """Send ``path`` as a document, run the worker until the queue is empty; the job."""
    update_id, _ = world.media(path, kind=MediaKind.DOCUMENT)
    world.drain()
    return world.job_of(update_id)


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("squeeze")
    talk = folder / "talk.ogg"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000:duration=600", "-c:a", "libopus",
           "-b:a", "12k", str(talk))
    return talk


@pytest.mark.parametrize(("extension", "codec"), [("mka", "libopus"), ("webm", "libopus"), ("mp4", "aac"),
                                                  ("mov", "aac")])
def test_a_squeezed_600_s_recording_sent_as_a_document_is_billed_10_minutes(world, tmp_path, ten_minutes,
                                                                            extension, codec):
    squeezed = tmp_path / f"talk.{extension}"
    ffmpeg("-i", str(ten_minutes), "-af", "asetpts=PTS/10", "-c:a", codec, "-b:a", "16k", str(squeezed))
    assert world.audio.inspect(squeezed).duration_ms < 61_000  # the container claims about a minute
    world.user(balance=20)
    job = transcribe_document(world, squeezed)
    assert job.status is JobStatus.COMPLETED, job.error
    assert 599_000 <= job.real_duration_ms <= 601_000
    assert job.charged_minutes == 10 and world.balance() == 10
    # Planned from the decoded audio: no request over the 150 s chunk limit.
    assert len(world.recognizer.clips) >= 4
    assert all(c.duration_ms <= world.policy.chunk_max_ms for c in world.recognizer.clips)
    assert_ledger(world)


def test_a_squeezed_recording_over_the_limit_is_refused_without_charge(world, tmp_path, ten_minutes):
    """Scaled: with a 5-minute limit, the squeezed 10 minutes (claiming 1) are refused."""
    evolve_policy(world, max_duration_s=300.0)
    squeezed = tmp_path / "talk.mka"
    ffmpeg("-i", str(ten_minutes), "-af", "asetpts=PTS/10", "-c:a", "libopus", "-b:a", "16k", str(squeezed))
    world.user(balance=20)
    job = transcribe_document(world, squeezed)
    assert job.status is JobStatus.FAILED and job.error == "too_long"
    assert world.balance() == 20 and not world.recognizer.clips
    assert_ledger(world)


@pytest.fixture(scope="module")
def ten_hours_of_silence(tmp_path_factory):
    bomb = tmp_path_factory.mktemp("bomb") / "silence.flac"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "36000", "-c:a", "flac", str(bomb))
    assert bomb.stat().st_size < 5_000_000  # 10 hours in a few MB: under the 20 MB download limit
    return bomb


def test_a_10_hour_silent_flac_is_refused_without_charge_having_decoded_only_the_limit(world, ten_hours_of_silence,
                                                                                       monkeypatch):
    """Scaled: the limit is 10 minutes here so the test decodes 10 minutes, not 4 hours."""
    evolve_policy(world, max_duration_s=600.0)
    calls: list[dict] = []
    real = world.audio.transcode

    def spy(source, target, profile, **kwargs):
        probe = real(source, target, profile, **kwargs)
        calls.append({"max_output_s": kwargs.get("max_output_s"), "decoded_ms": probe.duration_ms})
        return probe

    monkeypatch.setattr(world.audio, "transcode", spy)  # the shared tools: undone after the test
    world.rebuild()
    world.user(balance=30)
    job = transcribe_document(world, ten_hours_of_silence)
    assert job.status is JobStatus.FAILED and job.error == "too_long"
    assert world.balance() == 30 and not world.recognizer.clips
    assert calls and all(c["max_output_s"] == 601.0 for c in calls)
    assert max(c["decoded_ms"] for c in calls) <= 601_100  # never a sample past the limit
    assert any("4" in t or "10" in t for t in world.texts())  # the user is told the limit
    assert_ledger(world)


def test_a_voice_note_lying_about_its_length_is_not_decoded_in_the_webhook(fc, tmp_path):
    """It claims 5 s and holds 300 s: the webhook decodes at most twice the inline threshold,
    hands the job to the worker, and the bill is 5 minutes."""
    from tests.e2e.test_fc_handlers import USER, fc_context, funded_user, post, update

    long_note = tmp_path / "note.ogg"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000:duration=300", "-c:a", "libopus",
           "-b:a", "12k", str(long_note))
    container = fc.runtime.container(fc_context())  # nothing resolved yet: the spy goes in first
    inline_tools = container.inline_audio_tools()
    decoded: list[tuple[float | None, int]] = []
    target = inline_tools.wrapped

    class Spy:
        def __getattr__(self, name):
            return getattr(target, name)

        def transcode(self, source, out, profile, **kwargs):
            probe = target.transcode(source, out, profile, **kwargs)
            decoded.append((kwargs.get("max_output_s"), probe.duration_ms))
            return probe

    container.inline_audio_tools.override(providers.Object(Spy()))
    funded_user(fc, minutes=30)
    shutil.copyfile(long_note, fc.media / "liar.ogg")
    answer = post(fc, update(50, USER, voice={"file_id": "liar.ogg", "file_unique_id": "liar", "duration": 5,
                                              "mime_type": "audio/ogg", "file_size": long_note.stat().st_size}))
    assert answer["statusCode"] == 200
    limit = 2 * fc.runtime.resolve("policy").sync_threshold_s
    assert decoded and all(cap == limit and ms <= limit * 1000 + 100 for cap, ms in decoded)
    queue = fc.runtime.resolve("queue")
    while (message := queue.receive()) is not None:
        fc.worker.handler(json.dumps({"job_id": message.job_id}).encode(), fc_context("transcribe-worker"))
        queue.ack(message.receipt)
    jobs = list(fc.runtime.resolve("jobs").scan())
    assert len(jobs) == 1 and jobs[0].status is JobStatus.COMPLETED, jobs[0].error
    assert jobs[0].charged_minutes == 5 and 299_000 <= jobs[0].real_duration_ms <= 301_000
    assert fc.runtime.resolve("users").get(USER).balance_minutes == 30 - 5
