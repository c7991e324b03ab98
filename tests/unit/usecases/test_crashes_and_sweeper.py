"""A worker killed after each stage, then the message redelivered: the job ends exactly once,
with one charge and one delivery (or a full refund). And no job hangs forever."""

from __future__ import annotations

import pytest

from adapters.alibaba import dashscope_results
from domain.audio import MediaKind
from domain.job import JobStatus
from tests.audio_factory import fixture, make_audio
from tests.messages import returns_minutes
from tests.world import evolve_policy
from usecases.sweep_jobs import QUEUED_GRACE_S, SweepJobs

pytestmark = pytest.mark.slow


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the bot may catch it, exactly like a killed process."""


class KillOnCall:
    """Wraps a port object; the ``nth`` call of ``method`` kills the worker (once)."""

    def __init__(self, target, method: str, nth: int = 1) -> None:
        self._target, self._method, self._nth, self._calls = target, method, nth, 0

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != self._method:
            return attribute

        def wrapped(*args, **kwargs):
            self._calls += 1
            if self._calls == self._nth:
                raise WorkerKilled(name)
            return attribute(*args, **kwargs)

        return wrapped


def run_with_crash(world, update_id: int) -> None:
    """One delivery that dies, then redeliveries after the lease runs out, until the queue is empty."""
    message = world.queue.receive()
    assert message is not None
    with pytest.raises(WorkerKilled):
        world.transcribe_job(message.job_id)
    # The process is gone: no ack. Both the message visibility and the job lease run out.
    world.clock.advance(world.policy.job_lease_s + 1)
    world.drain()


def dialogue_world(world):
    world.speaker_pass.result = dashscope_results.speaker_pass({"transcripts": [{"sentences": [
        {"begin_time": 0, "end_time": 3500, "text": "a", "speaker_id": 0},
        {"begin_time": 3500, "end_time": 7000, "text": "b", "speaker_id": 1}]}]})
    world.text_pass.result = dashscope_results.text_pass({"transcripts": [{"sentences": [{"begin_time": 0, "end_time": 7000, "text": "x", "words": [
        {"begin_time": 100, "end_time": 400, "text": "hello", "punctuation": ". "},
        {"begin_time": 3600, "end_time": 3900, "text": "world", "punctuation": "."}]}]}]})


STAGES = [
    ("chat", "download", 1),
    ("audio", "transcode", 1),
    ("recognizer", "recognize", 2),   # the second chunk
    ("primary", "format", 1),
    ("chat", "send_text", 1),         # delivery of the split result
    ("users", "apply_balance", 1),    # settlement: the refund of the over-reservation
    ("logs", "add_transcription", 1),  # settlement: the log row after the refund
]


@pytest.mark.parametrize(("attribute", "method", "nth"), STAGES, ids=[f"{m}#{n}" for _, m, n in STAGES])
def test_killed_after_a_stage_then_redelivered_ends_exactly_once(world, tmp_path, attribute, method, nth):
    world.user(balance=10)
    long_text = ("Предложение для проверки доставки. " * 150).strip()
    # Answers by where the chunk starts (the first chunk at 0, the second later), not by call order.
    world.recognizer = type(world.recognizer)({0: long_text, 1: "вторая"})
    recognizer = world.recognizer
    if attribute == "recognizer":
        # One request at a time: the first chunk is recognised and saved before the second
        # request dies, in every run (in parallel the dying request may end first, and the
        # first chunk's result would then be dropped before it was saved).
        evolve_policy(world, asr_concurrency=1)
    world.rebuild()
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 60.0)], fmt="mp3")
    # Telegram claims 5 minutes; the real 2:45 costs 3, so settlement refunds 2.
    update_id, route = world.media(audio, kind=MediaKind.AUDIO, duration_s=300)
    assert route == "media:queued"
    balance_after_reserve = world.balance()
    setattr(world, attribute, KillOnCall(getattr(world, attribute), method, nth))
    world.rebuild()
    run_with_crash(world, update_id)
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED, job
    assert job.charged_minutes == 3
    assert world.balance() == 10 - 3 and balance_after_reserve == 5
    assert len(world.logs.transcription_rows) == 1
    # Each chunk recognised once: what was saved before the crash is not asked for again.
    assert len(recognizer.clips) == 2
    assert job.result_text.split() == (long_text + " вторая").split()
    # Delivered exactly once: the visible messages carry the transcript once, in order.
    deliveries = [t for t in world.texts() if "Предложение" in t or "вторая" in t]
    assert " ".join(deliveries).split() == job.result_text.split()


def test_killed_during_diarization_then_redelivered(world, tmp_path):
    world.user(balance=10)
    world.text("/dialogue")
    dialogue_world(world)
    speaker_pass, text_pass = world.speaker_pass, world.text_pass
    world.speaker_pass = KillOnCall(world.speaker_pass, "collect")
    world.rebuild()
    audio = make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg")
    update_id, _ = world.media(audio)
    run_with_crash(world, update_id)
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.result_text == "— hello.\n— world."
    assert world.balance() == 9
    assert not world.blobs.blobs
    # The tasks were submitted before the crash and collected after it: neither was paid twice.
    assert (speaker_pass.submits, text_pass.submits) == (1, 1)


def test_the_same_message_twice_while_the_first_runs_gives_one_charge_one_delivery(world, tmp_path):
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 65.0)], fmt="ogg")
    update_id, _ = world.media(audio)
    job_id = world.job_of(update_id).job_id
    world.queue.publish(job_id)  # MNS delivered it a second time
    second = {}

    class Reentrant:
        """The second delivery arrives while the first worker is recognising."""

        def __init__(self, inner):
            self.inner = inner

        def recognize(self, clip, language=None):
            from usecases.errors import JobBusy

            try:
                world.transcribe_job(job_id)
            except JobBusy:
                second["busy"] = True
            return self.inner.recognize(clip, language=language)

    world.recognizer = Reentrant(world.recognizer)
    world.rebuild()
    world.drain()
    assert second == {"busy": True}
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 2
    assert world.balance() == 8
    assert len([t for t in world.texts() if "placeholder" in t]) == 1


def test_attempts_exhausted_fail_with_a_full_refund_and_a_message(world):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    world.recognizer.fail_next(100)
    world.drain(max_rounds=10)
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and job.attempts == world.policy.max_job_attempts
    assert world.balance() == 5
    assert returns_minutes(world.texts()[-1])


def sweeper(world) -> SweepJobs:
    return world.container.sweep_jobs()


def test_sweeper_republishes_a_queued_job_whose_message_was_lost(world):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    world.queue.receive()  # the message is lost: received, never processed, and we drop it
    world.queue._messages.clear()
    assert sweeper(world)().republished == ()
    world.clock.advance(QUEUED_GRACE_S + 1)
    report = sweeper(world)()
    assert report.republished == (world.job_of(update_id).job_id,)
    world.drain()
    assert world.job_of(update_id).status is JobStatus.COMPLETED


def test_sweeper_fails_a_job_stuck_in_processing_with_a_refund(world):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    world.recognizer = KillOnCall(world.recognizer, "recognize", 1)
    world.rebuild()
    message = world.queue.receive()
    for _attempt in range(world.policy.max_job_attempts):
        with pytest.raises(WorkerKilled):
            world.transcribe_job(message.job_id)
        world.recognizer = KillOnCall(world.recognizer, "recognize", 1)
        world.rebuild()
        world.clock.advance(world.policy.job_lease_s + 1)
    world.queue._messages.clear()
    report = sweeper(world)()
    job = world.job_of(update_id)
    assert report.failed == (job.job_id,)
    assert job.status is JobStatus.FAILED and world.balance() == 5
    assert returns_minutes(world.texts()[-1])


def test_a_crash_after_recognition_never_calls_the_recognizer_again(world, tmp_path):
    """The recognised text is checkpointed before formatting: the redelivered job formats and
    delivers it without paying the recognizer a second time."""
    world.user(balance=10)
    long_text = ("Предложение для проверки формата. " * 10).strip()
    world.recognizer = type(world.recognizer)([long_text, long_text])
    recognizer = world.recognizer
    world.primary = KillOnCall(world.primary, "format")
    world.rebuild()
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 60.0)], fmt="mp3")
    update_id, _ = world.media(audio, kind=MediaKind.AUDIO, duration_s=170)
    run_with_crash(world, update_id)
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED
    assert len(recognizer.clips) == 2  # two chunks, each recognised once, before and after the crash
    assert job.raw_text is not None and "Предложение" in job.result_text
