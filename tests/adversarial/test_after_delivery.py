"""Nothing delivered is ever refused its bill, nor refunded.

Before: any error after the transcript went out (a refused cache write, the user blocking the
bot right after the last part, Telegram refusing part 2 of 3) failed the whole job, refunded
every minute and overwrote the delivered transcript with an error message. Now a delivered job
is complete and charged, later errors are logged, and a delivery that stopped half-way is
charged the share that arrived. Every test ends with the ledger invariant.
"""

from __future__ import annotations

import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from ports.errors import PermanentFailure
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import make_audio
from tests.ledger import assert_ledger
from tests.messages import returns_minutes

pytestmark = pytest.mark.slow

SENTENCE = "Предложение для проверки доставки. "


class Wrapped:
    """Delegates to ``target``; ``hooks[name](call, *args, **kwargs)`` may replace a method."""

    def __init__(self, target, **hooks) -> None:
        self._target, self._hooks = target, hooks

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        hook = self._hooks.get(name)
        if hook is None:
            return attribute
        return lambda *args, **kwargs: hook(attribute, *args, **kwargs)


def long_job(world, tmp_path, text_chars: int = 9000) -> int:
    """A 165 s file whose transcript needs three messages; Telegram claims 5 minutes."""
    text = (SENTENCE * (text_chars // len(SENTENCE) + 1)).strip()
    world.recognizer = type(world.recognizer)([text, "конец."])
    world.rebuild()
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 60.0)], fmt="mp3")
    update_id, route = world.media(audio, kind=MediaKind.AUDIO, duration_s=300)
    assert route == "media:queued"
    return update_id


def test_a_refused_cache_write_after_delivery_keeps_the_job_complete_and_charged(world, tmp_path):
    world.user(balance=10)
    update_id = long_job(world, tmp_path)

    def refuse(call, *args, **kwargs):
        raise PermanentFailure("tablestore", "value refused", code="OTSParameterInvalid")

    world.results = Wrapped(world.results, put=refuse)
    world.rebuild()
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.delivered
    assert job.charged_minutes == 3 and world.balance() == 7
    assert not any(returns_minutes(t) for t in world.texts())
    assert_ledger(world)


def test_blocking_the_bot_right_after_the_last_part_does_not_refund_it(world, tmp_path):
    world.user(balance=10)
    update_id = long_job(world, tmp_path)
    chat = world.chat
    sent = []

    def send_then_block(call, chat_id, text, **kwargs):
        message_id = call(chat_id, text, **kwargs)
        sent.append(message_id)
        if len(sent) == 3:  # the last part of the transcript: the user blocks the bot at once
            chat.blocked.add(chat_id)
        return message_id

    world.chat = Wrapped(chat, send_text=send_then_block)
    world.rebuild()
    world.drain()
    job = world.job_of(update_id)
    assert job.planned_parts == 3 and job.delivered_parts == 3
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 3 and world.balance() == 7
    assert_ledger(world)


def test_telegram_refusing_part_2_of_3_bills_the_share_delivered_and_keeps_part_1(world, tmp_path):
    world.user(balance=10)
    update_id = long_job(world, tmp_path)
    calls = []

    def refuse_second(call, chat_id, text, **kwargs):
        calls.append(text)
        if len(calls) == 2:
            raise PermanentFailure("telegram", "Bad Request: message is too long", code="400")
        return call(chat_id, text, **kwargs)

    world.chat = Wrapped(world.chat, send_text=refuse_second)
    world.rebuild()
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and not job.delivered
    assert (job.delivered_parts, job.planned_parts) == (1, 3)
    assert job.charged_minutes == 1 and world.balance() == 9  # ceil(3 × 1/3)
    # Part 1 is still in the chat, untouched by any error message.
    texts = world.texts()
    assert any("Предложение" in t for t in texts), [t[:60] for t in texts]
    # ...and the status message says what happened instead of hanging on "sending".
    assert say("ru", M.delivery_partial, sent=1, total=3) in texts
    assert not any(returns_minutes(t) for t in world.texts())
    assert_ledger(world)
