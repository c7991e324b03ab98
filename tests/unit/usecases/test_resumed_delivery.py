"""A transcript delivered in several messages, the worker killed half-way: the redelivered job
sends only the messages that had not gone out, once each, in order, and charges once."""

from __future__ import annotations

import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from domain.users import LongTextMode, UserSettings
from tests.audio_factory import fixture
from tests.world import USER, evolve_policy

pytestmark = pytest.mark.slow

SENTENCES = [f"Sentence number {n} of the transcript, long enough to need its own message." for n in range(1, 5)]


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the bot may catch it, exactly like a killed process."""


class KillOnSend:
    """The chat, except that the first send of a text containing ``marker`` kills the worker."""

    def __init__(self, target, marker: str) -> None:
        self._target, self._marker, self.fired = target, marker, False

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != "send_text":
            return attribute

        def send_text(chat_id, text, **kwargs):
            if self._marker in text and not self.fired:
                self.fired = True
                raise WorkerKilled(text)
            return attribute(chat_id, text, **kwargs)

        return send_text


def split_job(world) -> int:
    world.user(balance=10, settings=UserSettings(long_text=LongTextMode.SPLIT))
    evolve_policy(world, message_limit=90, edit_limit=60)
    world.recognizer = type(world.recognizer)([" ".join(SENTENCES)])
    world.rebuild()
    update_id, route = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    assert route == "media:queued"
    return update_id


def transcript_sends(world) -> list[str]:
    return [e.text for e in world.chat.events if e.kind == "send" and e.chat_id == USER and "Sentence" in e.text]


@pytest.mark.parametrize("killed_at", [2, 3, 4])
def test_a_redelivered_job_sends_only_the_parts_that_had_not_gone_out(world, killed_at):
    update_id = split_job(world)
    chat = world.chat
    world.chat = KillOnSend(chat, f"number {killed_at} ")
    world.rebuild()
    message = world.queue.receive()
    with pytest.raises(WorkerKilled):
        world.transcribe_job(message.job_id)
    job = world.job_of(update_id)
    assert job.planned_parts == len(SENTENCES) and job.delivered_parts == killed_at - 1
    assert transcript_sends(world) == SENTENCES[:killed_at - 1]

    # The process is gone; the message comes back once its lease runs out.
    world.chat = chat
    world.rebuild()
    world.clock.advance(world.policy.job_lease_s + 1)
    world.drain()

    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.delivered
    assert job.delivered_parts == len(SENTENCES)
    assert transcript_sends(world) == SENTENCES, "every part exactly once, in order"
    assert job.charged_minutes == 1 and world.balance() == 9
