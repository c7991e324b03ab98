"""What a completed job leaves behind besides the money: the transcription log row the owner's
statistics count (who, which job, how long, what was charged, how many characters, which mode,
when), and the cached transcript that answers the same file again (by file, mode and language,
with its segments, its payer and when it was made)."""

from __future__ import annotations

import pytest

from adapters.alibaba import dashscope_results
from domain.audio import MediaKind
from domain.job import JobStatus
from domain.transcript import TranscriptionMode
from domain.users import UserSettings
from ports.repositories import CachedResult, TranscriptionLog
from tests.audio_factory import fixture, make_audio
from tests.world import USER
from usecases.transcribe_job import JobOutcome, Outcome

pytestmark = pytest.mark.slow


def records_of(world, job) -> tuple[TranscriptionLog, CachedResult | None]:
    mode = TranscriptionMode.of(job.dialogue)
    return world.logs.transcription_rows[job.job_id], world.results.get(job.file_unique_id, mode, job.language)


def test_a_completed_job_logs_what_it_charged_and_caches_its_transcript(world):
    world.user(balance=5, settings=UserSettings(language="en"))
    world.recognizer = type(world.recognizer)(["Hello there."])
    world.rebuild()
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    job_id = world.queue.receive().job_id
    # A document reserves one minute; 4.5 s cost one: nothing to give back.
    assert world.transcribe_job(job_id) == JobOutcome(job_id, Outcome.COMPLETED, "charged=1 refunded=0")
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.finished_at == world.clock.now()
    assert job.language == "en" and job.real_duration_ms == 4500
    row, cached = records_of(world, job)
    assert row == TranscriptionLog(log_id=job.job_id, user_id=USER, job_id=job.job_id, duration_s=4.5, minutes=1,
                                   chars=len("Hello there."), mode=TranscriptionMode.PLAIN, timestamp=world.clock.now())
    assert cached == CachedResult(job.file_unique_id, TranscriptionMode.PLAIN, "Hello there.", 4500, None,
                                  language="en", paid_by=(USER,), created_at=world.clock.now())


def test_a_dialogue_is_logged_as_one_and_cached_with_its_speakers(world, tmp_path):
    world.user(balance=10)
    world.text("/dialogue")
    speaker_doc = {"transcripts": [{"channel_id": 0, "sentences": [
        {"begin_time": 0, "end_time": 3400, "text": "Good morning.", "speaker_id": 0},
        {"begin_time": 3500, "end_time": 7000, "text": "Yes.", "speaker_id": 1}]}]}
    text_doc = {"transcripts": [{"channel_id": 0, "sentences": [
        {"begin_time": 0, "end_time": 7000, "text": "Good morning. Yes.", "words": [
            {"begin_time": 100, "end_time": 500, "text": "Good", "punctuation": ""},
            {"begin_time": 500, "end_time": 900, "text": "morning", "punctuation": ". "},
            {"begin_time": 3600, "end_time": 3900, "text": "Yes", "punctuation": "."}]}]}]}
    world.speaker_pass.result = dashscope_results.speaker_pass(speaker_doc)
    world.text_pass.result = dashscope_results.text_pass(text_doc)
    update_id, _ = world.media(make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg"))
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.segments_json
    row, cached = records_of(world, job)
    assert row.mode is TranscriptionMode.DIALOGUE and row.chars == len(job.result_text)
    assert cached is not None and cached.mode is TranscriptionMode.DIALOGUE
    assert (cached.text, cached.segments_json, cached.duration_ms) == (job.result_text, job.segments_json,
                                                                       job.real_duration_ms)
