"""How a failed job settles: everything it took comes back (the reservation and the extra the
decoded duration cost), whatever it kept in the blob store goes, the user is told in their own
language on the job's status message; a job that already reached the user is charged for what
arrived instead; a job another worker (or the sweeper) ended meanwhile is left as it is."""

from __future__ import annotations

import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from domain.users import LongTextMode, UserSettings
from ports.errors import PermanentFailure, TransientFailure
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture, make_audio
from tests.messages import returns_minutes
from tests.world import USER, evolve_policy
from usecases.transcribe_job import JobOutcome, Outcome

pytestmark = pytest.mark.slow

ENGLISH = UserSettings(ui_language="en")


def test_a_job_failing_after_its_extra_minutes_were_taken_returns_them_too(world, tmp_path):
    # A document reserves one minute; 160 s decoded cost three, so two more are taken before
    # recognition starts. The recognizer then refuses the audio for good.
    world.user(balance=10, settings=ENGLISH)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 158.0)], fmt="mp3")
    update_id, route = world.media(audio, kind=MediaKind.DOCUMENT)
    assert route == "media:queued" and world.balance() == 9
    world.recognizer.fail_next(permanent=True)
    job_id = world.queue.receive().job_id

    outcome = world.transcribe_job(job_id)

    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and job.extra_minutes == 2
    assert outcome == JobOutcome(job_id, Outcome.FAILED, job.error)
    assert job.finished_at == world.clock.now()
    assert world.balance() == 10, "the reservation and the extra minutes both come back"
    assert not world.blobs.blobs, "the audio kept for later steps is deleted with the failed job"
    status = world.chat.messages[(USER, job.status_message_id)]
    assert status == say("en", M.err_generic)


class SweptMeanwhile:
    """A recognizer that, while a worker waits for it, lets the sweeper give the job up, then
    fails for good: the worker's own failure arrives at a job that already ended."""

    def __init__(self, world, job_id: str) -> None:
        self._world, self._job_id = world, job_id

    def recognize(self, clip, *, language=None):
        self.swept = self._world.transcribe_job.give_up(self._job_id, "stuck")
        raise PermanentFailure("scripted-asr", "refused", code="InvalidParameter")


def test_a_failure_arriving_after_the_sweeper_ended_the_job_changes_nothing(world):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    job_id = world.queue.receive().job_id
    world.recognizer = SweptMeanwhile(world, job_id)
    world.rebuild()

    outcome = world.transcribe_job(job_id)

    assert world.recognizer.swept.status is Outcome.FAILED
    assert outcome == JobOutcome(job_id, Outcome.SKIPPED, JobStatus.FAILED.value)
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and job.error == "stuck"
    assert world.balance() == 5, "refunded once, by the sweeper"


def test_giving_up_answers_failed_with_the_reason_on_the_jobs_status_message(world):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    job = world.job_of(update_id)
    shown = world.texts()

    outcome = world.transcribe_job.give_up(job.job_id, "stuck")

    assert outcome == JobOutcome(job.job_id, Outcome.FAILED, "stuck")
    # The status message the user already has says it; no second message appears.
    assert len(world.texts()) == len(shown)
    assert returns_minutes(world.chat.messages[(USER, job.status_message_id)])
    assert [e.message_id for e in world.chat.events if e.kind == "send"] == [job.status_message_id]


SENTENCES = [f"Sentence number {n} of the transcript, long enough to need its own message." for n in range(1, 5)]


class OutageOnSend:
    """The chat, except that every send of a text containing ``marker`` meets a Telegram outage."""

    def __init__(self, target, marker: str) -> None:
        self._target, self._marker = target, marker

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != "send_text":
            return attribute

        def send_text(chat_id, text, **kwargs):
            if self._marker in text:
                raise TransientFailure("telegram", "injected outage", code="502")
            return attribute(chat_id, text, **kwargs)

        return send_text


def first_part_delivered(world, ui_language: str, balance: int = 1, audio=None):
    """By default one minute left: the document's reservation takes it. The transcript goes out
    in four messages; the second never gets through Telegram. Returns the chat and the job's id."""
    world.user(balance=balance, settings=UserSettings(long_text=LongTextMode.SPLIT, ui_language=ui_language))
    evolve_policy(world, message_limit=90, edit_limit=60)
    world.recognizer = type(world.recognizer)([" ".join(SENTENCES)])
    chat = world.chat
    world.chat = OutageOnSend(chat, "number 2 ")
    world.rebuild()
    world.media(audio or fixture("hello_en"), kind=MediaKind.DOCUMENT)
    job_id = world.queue.receive().job_id
    with pytest.raises(TransientFailure):
        world.transcribe_job(job_id)
    assert world.jobs.get(job_id).delivered_parts == 1
    return chat, job_id


def test_giving_up_on_a_job_whose_first_part_arrived_charges_it_and_warns_in_the_users_language(world):
    chat, job_id = first_part_delivered(world, "en")

    outcome = world.transcribe_job.give_up(job_id)  # its deliveries ran out

    assert outcome.status is Outcome.COMPLETED
    job = world.jobs.get(job_id)
    assert job.status is JobStatus.COMPLETED and not job.delivered and job.charged_minutes == 1
    assert world.balance() == 0, "a part reached the user: the minute is kept, not refunded"
    assert chat.texts(USER)[-1] == say("en", M.empty_balance, balance=0)


class RowDeleted:
    """The users store after an operator deleted ``user_id``'s row (as the real store answers then)."""

    def __init__(self, target, user_id: int) -> None:
        self._target, self._user_id = target, user_id

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name not in ("get", "apply_balance", "hold_worker_slot"):
            return attribute

        def call(user_id, *args, **kwargs):
            if user_id != self._user_id:
                return attribute(user_id, *args, **kwargs)
            if name == "get":
                return None
            raise KeyError(user_id)

        return call


def test_a_job_whose_first_part_arrived_still_ends_when_its_users_row_is_gone(world):
    chat, job_id = first_part_delivered(world, "en")
    users = world.users
    world.users = RowDeleted(users, USER)
    world.rebuild()
    told = len(chat.events)

    outcome = world.transcribe_job.give_up(job_id)

    world.users = users
    assert outcome.status is Outcome.COMPLETED
    job = world.jobs.get(job_id)
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 1
    assert [e.kind for e in chat.events[told:]] == [], "nobody left to warn about a balance"


def test_a_three_minute_job_whose_first_of_four_parts_arrived_is_charged_one_minute(world, tmp_path):
    audio = make_audio(tmp_path, ["hello_en", ("silence", 116.55)], fmt="mp3")  # 121.05 s: three minutes
    chat, job_id = first_part_delivered(world, "en", balance=3, audio=audio)
    assert world.balance() == 0  # the reservation and the extra two minutes

    outcome = world.transcribe_job.give_up(job_id)

    assert outcome == JobOutcome(job_id, Outcome.COMPLETED, "charged=1 refunded=2")
    job = world.jobs.get(job_id)
    assert (job.planned_parts, job.delivered_parts, job.charged_minutes) == (4, 1, 1)
    assert world.balance() == 2
    assert chat.texts(USER)[-1] == say("en", M.low_balance, balance=2)
