"""The transcription paths end to end through the use cases (memory adapters + real ffmpeg)."""

from __future__ import annotations

import json

import pytest

from adapters.alibaba import dashscope_results
from domain.audio import MediaKind
from domain.job import JobStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture, make_audio, make_tone_without_silence
from tests.messages import returns_minutes
from tests.world import USER, evolve_policy

pytestmark = pytest.mark.slow


def test_short_voice_note_is_transcribed_inline_and_charged_one_minute(world):
    world.user(balance=10)
    world.recognizer = type(world.recognizer)(["Привет, это короткое сообщение."])
    world.rebuild()
    update_id, route = world.media(fixture("privet_ru"))
    assert route == "media:inline:completed"
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 1
    assert world.balance() == 9
    # The status message went through the stages and became the transcript itself.
    assert world.texts() == ["Привет, это короткое сообщение."]
    edits = [e.text for e in world.chat.events if e.kind == "edit"]
    assert say("ru", M.stage_download) in edits and say("ru", M.stage_asr) in edits
    assert len(world.queue.published) == 0
    assert [log.minutes for log in world.logs.transcription_rows.values()] == [1]


def test_note_over_sync_threshold_becomes_a_queued_job(world, tmp_path):
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 60.0), "speaker_a"], fmt="ogg")
    update_id, route = world.media(audio)
    assert route == "media:queued"
    assert world.job_of(update_id).status is JobStatus.QUEUED
    assert world.balance() == 8  # 68 s reserved as 2 minutes
    assert world.texts()[-1].startswith("⏳")
    assert world.drain() == 1
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 2
    assert "placeholder transcript" in world.texts()[-1]


def test_long_file_is_cut_into_chunks_recognised_in_parallel_and_stitched(world, tmp_path):
    world.user(balance=20)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 100.0), "speaker_b"],
                       fmt="mp3")
    world.recognizer = type(world.recognizer)(["первая часть", "вторая часть", "третья часть"])
    world.rebuild()
    update_id, _ = world.media(audio, kind=MediaKind.AUDIO)
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED
    assert len(world.recognizer.clips) >= 2
    assert all(c.duration_ms <= world.policy.chunk_max_ms for c in world.recognizer.clips)
    progress = [e.text for e in world.chat.events if e.kind == "edit" and "из" in e.text]
    assert progress and progress[-1].endswith(f"из {len(world.recognizer.clips)})")
    for piece in ("первая часть", "вторая часть"):
        assert piece in job.result_text


def test_hard_cut_without_silence_overlaps_and_removes_the_repeated_words(world, tmp_path):
    # Scripted answers go out in call order: one request at a time keeps chunk i on answer i.
    evolve_policy(world, chunk_max_s=20.0, chunk_min_s=10.0, asr_concurrency=1)
    world.user(balance=5)
    audio = make_tone_without_silence(tmp_path, 35.0)
    world.recognizer = type(world.recognizer)(["one two three four five six", "five six seven eight"])
    world.rebuild()
    update_id, _ = world.media(audio, kind=MediaKind.AUDIO)
    world.drain()
    job = world.job_of(update_id)
    assert job.result_text == "one two three four five six seven eight"


def test_video_gives_its_audio_track(world):
    world.user(balance=5)
    update_id, route = world.media(fixture("clip"), kind=MediaKind.VIDEO)
    assert route == "media:inline:completed"
    assert world.recognizer.clips and world.recognizer.clips[0].mime_type == "audio/mpeg"


def test_document_reserves_one_minute_then_charges_the_real_duration(world, tmp_path):
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 70.0), "speaker_a"], fmt="m4a")
    update_id, route = world.media(audio, kind=MediaKind.DOCUMENT)
    assert route == "media:queued"  # documents never run inside the webhook (their duration is unknown)
    assert world.balance() == 9
    world.drain()
    job = world.job_of(update_id)
    assert job.extra_minutes == 1 and job.charged_minutes == 2
    assert world.balance() == 8


def test_document_longer_than_the_balance_fails_with_a_full_refund(world, tmp_path):
    world.user(balance=1)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 125.0)], fmt="mp3")
    update_id, _ = world.media(audio, kind=MediaKind.DOCUMENT)
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED
    assert world.balance() == 1
    assert returns_minutes(world.texts()[-1])


def test_dialogue_mode_merges_the_two_passes(world, tmp_path):
    world.user(balance=10)
    world.text("/dialogue")
    speaker_doc = {"transcripts": [{"channel_id": 0, "sentences": [
        {"begin_time": 0, "end_time": 3400, "text": "Good morning.", "speaker_id": 0},
        {"begin_time": 3500, "end_time": 7000, "text": "Yes.", "speaker_id": 1}]}]}
    text_doc = {"transcripts": [{"channel_id": 0, "sentences": [
        {"begin_time": 0, "end_time": 7000, "text": "Good morning. Yes, I sent it.", "words": [
            {"begin_time": 100, "end_time": 500, "text": "Good", "punctuation": ""},
            {"begin_time": 500, "end_time": 900, "text": "morning", "punctuation": ". "},
            {"begin_time": 3600, "end_time": 3900, "text": "Yes", "punctuation": ", "},
            {"begin_time": 3900, "end_time": 4100, "text": "I", "punctuation": ""},
            {"begin_time": 4100, "end_time": 4500, "text": "sent", "punctuation": ""},
            {"begin_time": 4500, "end_time": 4800, "text": "it", "punctuation": "."}]}]}]}
    world.speaker_pass.result = dashscope_results.speaker_pass(speaker_doc)
    world.text_pass.result = dashscope_results.text_pass(text_doc)
    audio = make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg")
    update_id, route = world.media(audio)
    assert route == "media:queued"  # dialogue always goes to the worker
    world.drain()
    job = world.job_of(update_id)
    assert job.result_mode == "dialogue"
    assert job.result_text == "— Good morning.\n— Yes, I sent it."
    segments = json.loads(job.segments_json)
    assert [s["speaker"] for s in segments] == ["1", "2"]
    assert not world.blobs.blobs, "uploaded audio must be deleted after the passes"
    assert world.speaker_pass.urls == world.text_pass.urls  # one upload, both passes


def test_dialogue_falls_back_to_plain_asr_when_both_passes_fail(world):
    world.user(balance=10)
    world.text("/dialogue")
    update_id, _ = world.media(fixture("hello_en"))
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.result_mode == "plain"
    assert len(world.recognizer.clips) == 1


def test_formatter_chain_falls_through_to_the_fallback_then_the_raw_text(world):
    long = "слово " * 40
    world.user(balance=10)
    world.recognizer = type(world.recognizer)([long, long])
    world.primary.transform = lambda t: "PRIMARY " + t
    world.fallback.transform = lambda t: "FALLBACK " + t
    world.rebuild()
    world.primary.fail_next(5, permanent=True)
    u1, _ = world.media(fixture("hello_en"))
    assert world.job_of(u1).result_text.startswith("FALLBACK")
    world.primary.fail_next(5, permanent=True)
    world.fallback.fail_next(5, permanent=True)
    u2, _ = world.media(fixture("hello_en"), unique="other")
    assert world.job_of(u2).result_text == long.strip()


def test_short_text_skips_the_formatter(world):
    world.user(balance=10)
    world.recognizer = type(world.recognizer)(["short"])
    world.rebuild()
    world.media(fixture("hello_en"))
    assert world.primary.requests == []


def test_long_result_is_split_into_messages_and_the_status_removed(world):
    paragraph = ("Это предложение для проверки. " * 30).strip()
    text = "\n\n".join([paragraph] * 12)
    world.user(balance=10)
    world.recognizer = type(world.recognizer)([text])
    world.rebuild()
    world.media(fixture("hello_en"))
    parts = world.texts()
    assert len(parts) >= 2 and all(len(p) <= 4096 for p in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert not any(p.startswith("🎙") for p in parts)


def test_file_mode_sends_a_txt_document(world):
    text = ("Строка текста для файла. " * 400).strip()
    world.user(balance=10)
    world.text("/output")
    world.recognizer = type(world.recognizer)([text])
    world.rebuild()
    world.media(fixture("hello_en"))
    documents = world.chat.documents(USER)
    assert len(documents) == 1
    assert documents[0].keyboard and documents[0].keyboard[0][0].data.startswith("export:")
    # The formatter gets long text in pieces and joins them with paragraph breaks.
    assert documents[0].data.decode().split() == text.split()
    assert not any(t.startswith("🎙") for t in world.texts())


def test_monospace_mode_escapes_html(world):
    world.user(balance=10)
    world.text("/code")
    world.recognizer = type(world.recognizer)(["a < b & c"])
    world.rebuild()
    world.media(fixture("hello_en"))
    assert world.texts()[-1] == "<code>a &lt; b &amp; c</code>"
    assert world.chat.events[-1].html is True
