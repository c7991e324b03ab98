"""The export buttons under a transcript: .txt with timestamps, .srt and .vtt, for the job's owner only."""

from __future__ import annotations

import json

import attrs
import pytest

from domain.audio import MediaKind
from domain.job import Job, JobStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture
from tests.world import USER

# The finished jobs here are written straight into the store as fixtures: no minutes ever moved.
pytestmark = pytest.mark.ledger_exempt("finished jobs are fixtures written into the store")

DIALOGUE = [
    {"speaker": "1", "start_ms": 1_000, "end_ms": 2_400, "text": "Доброе утро.", "words": [
        {"start_ms": 1_000, "end_ms": 1_600, "text": "Доброе"}, {"start_ms": 1_700, "end_ms": 2_400, "text": "утро."}]},
    {"speaker": "2", "start_ms": 62_000, "end_ms": 63_500, "text": "Да, я всё отправил.", "words": [
        {"start_ms": 62_000, "end_ms": 62_300, "text": "Да,"}, {"start_ms": 62_300, "end_ms": 62_500, "text": "я"},
        {"start_ms": 62_500, "end_ms": 62_900, "text": "всё"}, {"start_ms": 62_900, "end_ms": 63_500, "text": "отправил."}]},
]


def finished_job(world, job_id: str = "a" * 32, *, user_id: int = USER, text: str = "Первое предложение. Второе.",
                 segments: list | None = None, mode: str = "plain", duration_ms: int = 10_000) -> Job:
    job = Job(job_id=job_id, user_id=user_id, chat_id=user_id, message_id=1, file_id="f", file_unique_id="u",
              kind=MediaKind.VOICE, declared_duration_s=duration_ms / 1000, file_size=10, reserved_minutes=1,
              status_message_id=None, created_at=world.clock.now(), status=JobStatus.COMPLETED,
              result_text=text, result_mode=mode, real_duration_ms=duration_ms,
              segments_json=json.dumps(segments, ensure_ascii=False) if segments else None, delivered=True)
    world.jobs.create(job)
    return job


def export(world, job_id: str, fmt: str, user_id: int = USER):
    route = world.press(f"export:{job_id}:{fmt}", user_id=user_id, message_id=5)
    documents = world.chat.documents(user_id)
    return route, (documents[-1] if documents else None)


def callback_answer(world) -> str:
    return [e for e in world.chat.events if e.kind == "callback"][-1].text


def test_plain_txt_has_estimated_timestamps_and_says_so(world):
    world.user()
    job = finished_job(world, text="Первое предложение. Второе предложение тут.", duration_ms=20_000)
    route, doc = export(world, job.job_id, "txt")
    assert route == "export:txt"
    assert doc.filename == "transcript_2026-01-01_0000.txt"
    assert doc.data.decode() == "[00:00:00] Первое предложение.\n[00:00:09] Второе предложение тут.\n"
    assert "примерное" in doc.text
    assert callback_answer(world) == ""


def test_plain_srt_and_vtt_spread_the_real_duration(world):
    world.user()
    job = finished_job(world, text="Раз два. Три ещё.", duration_ms=4_000)
    _, srt = export(world, job.job_id, "srt")
    assert srt.filename.endswith(".srt")
    assert srt.data.decode() == ("1\n00:00:00,000 --> 00:00:02,000\nРаз два.\n\n"
                                 "2\n00:00:02,000 --> 00:00:04,000\nТри ещё.\n")
    _, vtt = export(world, job.job_id, "vtt")
    assert vtt.data.decode().startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nРаз два.\n")


def test_dialogue_exports_use_exact_word_times_and_speaker_labels(world):
    world.user()
    job = finished_job(world, text="— Доброе утро.\n— Да, я всё отправил.", segments=DIALOGUE, mode="dialogue",
                       duration_ms=64_000)
    _, txt = export(world, job.job_id, "txt")
    assert txt.data.decode() == "[00:00:01] Спикер 1: Доброе утро.\n[00:01:02] Спикер 2: Да, я всё отправил.\n"
    assert txt.text == say("ru", M.export_caption, fmt="txt")
    _, srt = export(world, job.job_id, "srt")
    assert "00:00:01,000 --> 00:00:02,400\nСпикер 1: Доброе утро." in srt.data.decode()
    assert "00:01:02,000 --> 00:01:03,500\nСпикер 2: Да, я всё отправил." in srt.data.decode()


def test_labels_follow_the_interface_language_and_yo_follows_the_setting(world):
    world.user()
    world.text("/language ui en")
    world.text("/yo")
    job = finished_job(world, segments=DIALOGUE, mode="dialogue")
    _, txt = export(world, job.job_id, "txt")
    assert "Speaker 2: Да, я все отправил." in txt.data.decode()


def test_a_one_speaker_result_with_word_times_has_exact_times_without_labels(world):
    world.user()
    job = finished_job(world, segments=[dict(DIALOGUE[1], speaker="1")], mode="plain")
    _, txt = export(world, job.job_id, "txt")
    assert txt.data.decode() == "[00:01:02] Да, я всё отправил.\n"
    assert "примерное" not in txt.text


def test_only_the_jobs_owner_can_export_it(world):
    world.user()
    world.user(user_id=888)
    job = finished_job(world)
    route, doc = export(world, job.job_id, "txt", user_id=888)
    assert route == "export:unavailable" and doc is None
    assert callback_answer(world) == say("ru", M.export_unavailable)
    assert world.chat.documents(USER) == []


@pytest.mark.parametrize("job_id", ["0" * 32, "", "b" * 32])
def test_a_missing_or_unfinished_job_is_unavailable(world, job_id):
    world.user()
    finished_job(world, "b" * 32, text=None)
    route, doc = export(world, job_id, "srt")
    assert route == "export:unavailable" and doc is None


@pytest.mark.parametrize("data", ["export:" + "a" * 32 + ":pdf", "export:" + "a" * 32, "export:"])
def test_malformed_export_buttons_are_ignored(world, data):
    world.user()
    finished_job(world)
    assert world.press(data, message_id=5) == "ignored"
    assert world.chat.documents(USER) == []
    assert world.chat.events[-1].kind == "callback"


def test_unreadable_segments_fall_back_to_estimated_times(world):
    world.user()
    job = finished_job(world, text="Текст.")
    world.jobs.save(attrs.evolve(world.jobs.get(job.job_id), segments_json="{not json"))
    _, txt = export(world, job.job_id, "txt")
    assert txt.data.decode() == "[00:00:00] Текст.\n"


@pytest.mark.slow
def test_the_buttons_under_a_delivered_transcript_export_it(world):
    world.user(balance=5)
    world.recognizer = type(world.recognizer)(["Привет. Это проверка выгрузки."])
    world.rebuild()
    update_id, _ = world.media(fixture("privet_ru"))
    delivered = [e for e in world.chat.events if e.keyboard and e.chat_id == USER][-1]
    data = [b.data for row in delivered.keyboard for b in row]
    job_id = world.job_of(update_id).job_id
    assert data[:3] == [f"export:{job_id}:txt", f"export:{job_id}:srt", f"export:{job_id}:vtt"]
    # Beside them, the actions on the transcript (a plain-mode one has no speakers to name).
    assert data[3:] == [f"act:{job_id}:sum", f"act:{job_id}:pts", f"act:{job_id}:tr"]
    world.press(data[1], message_id=delivered.message_id)
    srt = world.chat.documents(USER)[-1].data.decode()
    assert srt.startswith("1\n00:00:00,000 --> ") and "Привет." in srt and "Это проверка выгрузки." in srt
