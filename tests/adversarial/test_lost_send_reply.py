"""A send whose reply is lost is not resent blindly.

Telegram shows a message as soon as it has the request; if its answer is then lost (a read
timeout, a dropped connection) the bot cannot know. Before, every port call was retried on any
TransientFailure, so the part (or the .txt file) went out again: the user saw it twice. Now the
real adapter tells "never sent" (connect failure, 429, 5xx: still retried) from "sent, answer lost"
(``OutcomeUnknown``: never retried), and the delivery counts such a part as delivered and keeps the
status message as a notice carrying the export buttons (the whole transcript as a file).

The attacks run the real ``TelegramChat`` against the loopback Bot API, which delivers the message
and then holds its answer past the adapter's read timeout.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from adapters.telegram.telegram_chat import TelegramChat
from domain.audio import MediaKind
from domain.job import JobStatus
from domain.users import LongTextMode, UserSettings
from ports.chat import EditOutcome
from ports.errors import OutcomeUnknown, TransientFailure
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture
from tests.ledger import assert_ledger
from tests.loopback.telegram_server import TelegramLoopback, running_telegram_server
from tests.world import USER, evolve_policy
from usecases.retrying import RetryingPort

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")]

TOKEN = "123456:LOST-reply_token"
READ_TIMEOUT_S = 0.3
HELD_S = 1.0  # the answer comes after the adapter stopped waiting for it


def lose_reply(tg: TelegramLoopback, method: str, *, nth: int = 1) -> None:
    """The ``nth`` call of ``method`` is carried out (the user sees it), then its answer is held
    past the read timeout: exactly a reply lost on the way back."""
    original = tg.handle_api
    seen = {"calls": 0}

    def handle(name, params, content_type):
        answer = original(name, params, content_type)
        if name == method:
            seen["calls"] += 1
            if seen["calls"] == nth:
                time.sleep(HELD_S)
        return answer

    tg.handle_api = handle  # the request handler looks it up on the instance


@pytest.fixture
def tg() -> Iterator[TelegramLoopback]:
    with running_telegram_server(TOKEN) as server:
        yield server


@pytest.fixture
def telegram(tg) -> Iterator[TelegramChat]:
    chat = TelegramChat(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url,
                        read_timeout_s=READ_TIMEOUT_S, call_timeout_s=5.0, upload_timeout_s=5.0)
    yield chat
    chat.close()


def retried(chat, world):
    return RetryingPort(chat, clock=world.clock, attempts=4, base_delay_s=0.01)


# -- the port: which failures may be retried -------------------------------------------------------

def test_a_message_whose_reply_is_lost_is_sent_once_and_reported_as_unknown(world, tg, telegram):
    lose_reply(tg, "sendMessage")
    with pytest.raises(OutcomeUnknown):
        retried(telegram, world).send_text(USER, "part 2 of 3")
    assert [c.params["text"] for c in tg.calls_of("sendMessage")] == ["part 2 of 3"]


def test_a_file_whose_reply_is_lost_is_uploaded_once(world, tg, telegram):
    lose_reply(tg, "sendDocument")
    with pytest.raises(OutcomeUnknown):
        retried(telegram, world).send_document(USER, "transcript.txt", b"the whole text")
    assert len(tg.calls_of("sendDocument")) == 1


def test_an_invoice_whose_reply_is_lost_is_sent_once(world, tg, telegram):
    lose_reply(tg, "sendInvoice")
    with pytest.raises(OutcomeUnknown):
        retried(telegram, world).send_invoice(USER, title="60 min", description="d", payload="p", stars=50)
    assert len(tg.calls_of("sendInvoice")) == 1


def test_an_edit_whose_reply_is_lost_is_retried_because_edits_are_idempotent(world, tg, telegram):
    message_id = telegram.send_text(USER, "status")
    lose_reply(tg, "editMessageText")
    assert retried(telegram, world).edit_text(USER, message_id, "done") is EditOutcome.NOT_MODIFIED
    assert tg.text_of(USER, message_id) == "done" and len(tg.calls_of("editMessageText")) == 2


def test_a_send_that_never_left_is_still_retried(world, tg, telegram):
    tg.fail("sendMessage", 502, "Bad Gateway")
    tg.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    assert isinstance(retried(telegram, world).send_text(USER, "hello"), int)
    assert len(tg.calls_of("sendMessage")) == 3  # two answered refusals, then the message once

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    dead = TelegramChat(TOKEN, base_url=f"http://127.0.0.1:{closed}/bot",
                        base_file_url=f"http://127.0.0.1:{closed}/file/bot", connect_timeout_s=0.5)
    try:
        with pytest.raises(TransientFailure) as caught:
            dead.send_text(USER, "hello")
        assert not isinstance(caught.value, OutcomeUnknown)  # refused connection: nothing was sent
    finally:
        dead.close()


# -- a whole job: the transcript is not shown twice ---------------------------------------------------

SENTENCES = [f"Sentence number {n} of the transcript, long enough to need its own message." for n in range(1, 4)]


def job_world(world, tg, telegram, *, file_mode: bool = False):
    world.user(balance=10, settings=UserSettings(long_text=LongTextMode.FILE if file_mode else LongTextMode.SPLIT))
    evolve_policy(world, message_limit=90, edit_limit=60)
    world.chat = telegram
    world.recognizer = type(world.recognizer)([" ".join(SENTENCES)])
    world.rebuild()
    update_id = 500
    tg.add_file(f"f{update_id}.ogg", fixture("hello_en").read_bytes())
    _, route = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT, update_id=update_id)
    assert route == "media:queued"
    return update_id


def status_id(tg: TelegramLoopback) -> int:
    return min(message_id for (_, message_id) in tg.messages)


def test_part_2_of_3_whose_reply_is_lost_arrives_once_and_the_whole_text_stays_reachable(world, tg, telegram):
    update_id = job_world(world, tg, telegram)
    lose_reply(tg, "sendMessage", nth=2)  # the 1st sendMessage is the status message
    world.drain()

    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.delivered
    sent = [c.params["text"] for c in tg.calls_of("sendMessage")][1:]
    assert sent == SENTENCES, "every part exactly once, in order"
    # The status message stayed: a notice with the export buttons (the whole transcript).
    notice = [c for c in tg.calls_of("editMessageText") if c.params["text"] == say("ru", M.delivery_unsure)]
    assert notice and notice[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == \
        f"export:{job.job_id}:txt"
    assert not tg.calls_of("deleteMessage") and tg.text_of(USER, status_id(tg)) == say("ru", M.delivery_unsure)
    assert_ledger(world)


def test_a_transcript_file_whose_reply_is_lost_is_uploaded_once(world, tg, telegram):
    update_id = job_world(world, tg, telegram, file_mode=True)
    lose_reply(tg, "sendDocument")
    world.drain()

    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED
    assert len(tg.calls_of("sendDocument")) == 1
    assert any(c.params["text"] == say("ru", M.delivery_unsure) for c in tg.calls_of("editMessageText"))
    assert_ledger(world)
