"""The ``Chat`` port contract, run against RecordingChat and against TelegramChat on a loopback Bot API.

The first half is one suite for both implementations: what a use case can rely on (message ids,
edit outcomes, deletes, blocked users, file limits, outages). The second half covers what only the
real adapter can get wrong: the wire format PTB sends, token hygiene, the one-event-loop design
(several threads, several "invocations", close and restart), timeouts and import cost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from adapters.memory.chat import RecordingChat
from adapters.telegram.telegram_chat import TelegramChat
from ports.chat import Button, Chat, EditOutcome
from ports.errors import ChatBlocked, DownloadFailed, FileTooBig, PermanentFailure, TransientFailure
from tests.loopback.telegram_server import TelegramLoopback, running_telegram_server

TOKEN = "123456:TEST-token_SeCrEt"
CHAT = 777
ROOT = Path(__file__).resolve().parents[2]

# PTB 22 warns inside RetryAfter.__init__ itself that retry_after will become a timedelta; the
# adapter reads either form.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@attrs.define
class Harness:
    """One Chat implementation plus the knobs a test needs to script the platform around it."""

    name: str
    chat: Chat
    block: Callable[[int], None]
    add_file: Callable[[str, bytes], None]
    outage: Callable[[str], None]  # the next call of this Bot API method fails transiently
    visible: Callable[[int, int], str | None]
    server: TelegramLoopback | None = None


def _memory() -> Iterator[Harness]:
    chat = RecordingChat()
    yield Harness(
        "memory", chat,
        block=chat.blocked.add,
        add_file=lambda fid, data: chat.files.__setitem__(fid, data),
        outage=lambda method: chat.fail_next(),
        visible=lambda cid, mid: chat.messages.get((cid, mid)),
    )


def _telegram() -> Iterator[Harness]:
    with running_telegram_server(TOKEN) as tg:
        chat = TelegramChat(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url)
        try:
            yield Harness(
                "telegram", chat,
                block=tg.blocked.add,
                add_file=lambda fid, data: tg.add_file(fid, data),
                outage=lambda method: tg.fail(method, 502, "Bad Gateway"),
                visible=tg.text_of,
                server=tg,
            )
        finally:
            chat.close()


@pytest.fixture(params=["memory", "telegram"])
def h(request) -> Iterator[Harness]:
    yield from (_memory() if request.param == "memory" else _telegram())


@pytest.fixture
def real() -> Iterator[Harness]:
    yield from _telegram()


# ---------------------------------------------------------------------------------------- contract

def test_send_returns_distinct_message_ids_and_the_text_is_visible(h: Harness) -> None:
    first = h.chat.send_text(CHAT, "hello")
    second = h.chat.send_text(CHAT, "world", reply_to=first)
    assert isinstance(first, int) and isinstance(second, int) and first != second
    assert h.visible(CHAT, first) == "hello"
    assert h.visible(CHAT, second) == "world"


def test_edit_replaces_the_text(h: Harness) -> None:
    mid = h.chat.send_text(CHAT, "Stage 1 of 3")
    assert h.chat.edit_text(CHAT, mid, "Stage 2 of 3") is EditOutcome.EDITED
    assert h.visible(CHAT, mid) == "Stage 2 of 3"


def test_edit_with_identical_text_is_not_modified_not_an_error(h: Harness) -> None:
    mid = h.chat.send_text(CHAT, "same")
    assert h.chat.edit_text(CHAT, mid, "same") is EditOutcome.NOT_MODIFIED


def test_delete_then_edit_reports_missing(h: Harness) -> None:
    mid = h.chat.send_text(CHAT, "status")
    assert h.chat.delete(CHAT, mid) is True
    assert h.visible(CHAT, mid) is None
    assert h.chat.delete(CHAT, mid) is False
    assert h.chat.edit_text(CHAT, mid, "result") is EditOutcome.MISSING


def test_edit_of_a_message_that_never_existed_is_missing(h: Harness) -> None:
    assert h.chat.edit_text(CHAT, 999_999, "text") is EditOutcome.MISSING


def test_edit_over_4096_characters_is_too_long(h: Harness) -> None:
    mid = h.chat.send_text(CHAT, "short")
    assert h.chat.edit_text(CHAT, mid, "x" * 4097) is EditOutcome.TOO_LONG
    assert h.visible(CHAT, mid) == "short"


@pytest.mark.parametrize("text", ["", "x" * 4097])
def test_send_of_an_empty_or_too_long_text_is_a_permanent_failure(h: Harness, text: str) -> None:
    with pytest.raises(PermanentFailure) as caught:
        h.chat.send_text(CHAT, text)
    assert not isinstance(caught.value, ChatBlocked)


def test_a_user_who_blocked_the_bot_raises_chat_blocked(h: Harness) -> None:
    mid = h.chat.send_text(CHAT, "before")
    h.block(CHAT)
    with pytest.raises(ChatBlocked):
        h.chat.send_text(CHAT, "after")
    with pytest.raises(ChatBlocked):
        h.chat.edit_text(CHAT, mid, "after")
    with pytest.raises(ChatBlocked):
        h.chat.send_document(CHAT, "t.txt", b"text")
    h.chat.typing(CHAT)  # typing hints never fail


def test_keyboard_and_html_are_accepted(h: Harness) -> None:
    keyboard = ((Button("Plain", "mode:plain"), Button("Dialogue", "mode:dialogue")),)
    mid = h.chat.send_text(CHAT, "<b>Settings</b>", html=True, keyboard=keyboard)
    assert h.chat.edit_text(CHAT, mid, "<b>Saved</b>", html=True, keyboard=keyboard) is EditOutcome.EDITED


def test_document_and_invoice_return_new_message_ids(h: Harness) -> None:
    text_id = h.chat.send_text(CHAT, "status")
    doc_id = h.chat.send_document(CHAT, "transcript.txt", "Привет".encode(), caption="Привет...")
    invoice_id = h.chat.send_invoice(CHAT, title="100 minutes", description="Transcription minutes",
                                     payload="pkg:100:u777", stars=50)
    assert len({text_id, doc_id, invoice_id}) == 3


def test_answers_to_buttons_and_pre_checkout_succeed(h: Harness) -> None:
    h.chat.answer_callback("cbq-1")
    h.chat.answer_callback("cbq-2", "Saved")
    h.chat.answer_pre_checkout("pcq-1", True)
    h.chat.answer_pre_checkout("pcq-2", False, "This package is no longer available")


def test_a_stars_refund_is_made_once_and_a_repeat_counts_as_refunded(h: Harness) -> None:
    assert h.chat.refund_star_payment(CHAT, "stxCharge-1") is True
    assert h.chat.refund_star_payment(CHAT, "stxCharge-1") is True  # retried after an outage: no error
    refunded = h.server.refunded_charges if h.name == "telegram" else h.chat.refunded
    assert refunded == ["stxCharge-1"]


def test_download_returns_the_bytes(h: Harness) -> None:
    h.add_file("VOICE1", b"OggS-fake-voice")
    assert h.chat.download("VOICE1", 1_000) == b"OggS-fake-voice"


def test_download_over_the_limit_is_file_too_big(h: Harness) -> None:
    h.add_file("BIG", b"x" * 2_000)
    with pytest.raises(FileTooBig):
        h.chat.download("BIG", 1_000)
    if h.server is not None:  # refused from getFile's file_size, before any byte was downloaded
        assert [c.method for c in h.server.calls] == ["getFile"]
        assert h.server.downloads == []


def test_download_of_an_unknown_file_is_a_failed_download(h: Harness) -> None:
    with pytest.raises(DownloadFailed) as caught:
        h.chat.download("NO-SUCH-FILE", 1_000)
    assert not isinstance(caught.value, FileTooBig)


def test_an_outage_is_a_transient_failure(h: Harness) -> None:
    h.outage("sendMessage")
    with pytest.raises(TransientFailure):
        h.chat.send_text(CHAT, "hello")
    assert isinstance(h.chat.send_text(CHAT, "hello"), int)  # and it passes


# --------------------------------------------------------------------------- the real adapter: wire

def test_flood_control_429_carries_retry_after(real: Harness) -> None:
    real.server.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(TransientFailure) as caught:
        real.chat.send_text(CHAT, "hello")
    assert caught.value.retry_after_s == 3.0
    assert caught.value.code == "429"


def test_429_on_edit_is_transient_not_an_edit_outcome(real: Harness) -> None:
    mid = real.chat.send_text(CHAT, "status")
    real.server.fail("editMessageText", 429, "Too Many Requests: retry after 5", retry_after=5)
    with pytest.raises(TransientFailure) as caught:
        real.chat.edit_text(CHAT, mid, "next")
    assert caught.value.retry_after_s == 5.0


def test_server_errors_are_transient(real: Harness) -> None:
    real.server.fail("deleteMessage", 500, "Internal Server Error")
    with pytest.raises(TransientFailure):
        real.chat.delete(CHAT, 1)


def test_kicked_from_a_group_is_chat_blocked(real: Harness) -> None:
    real.server.fail("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat")
    with pytest.raises(ChatBlocked):
        real.chat.send_text(-100123, "hello")


def test_html_mode_sends_parse_mode_html_and_plain_mode_sends_none(real: Harness) -> None:
    keyboard = ((Button("Buy 100 min", "buy:100"),),)
    real.chat.send_text(CHAT, "<b>x</b> &amp; y", html=True, keyboard=keyboard, reply_to=41)
    real.chat.send_text(CHAT, "plain <b> text")
    html, plain = real.server.calls_of("sendMessage")
    assert html.params["parse_mode"] == "HTML"
    assert html.params["text"] == "<b>x</b> &amp; y"
    assert html.params["reply_markup"] == {"inline_keyboard": [[{"text": "Buy 100 min", "callback_data": "buy:100"}]]}
    assert html.params["reply_parameters"]["message_id"] == 41
    assert "parse_mode" not in plain.params and "reply_markup" not in plain.params
    assert html.content_type.startswith("application/x-www-form-urlencoded")


def test_edit_in_html_mode_sends_parse_mode(real: Harness) -> None:
    mid = real.chat.send_text(CHAT, "a")
    real.chat.edit_text(CHAT, mid, "<i>b</i>", html=True)
    (edit,) = real.server.calls_of("editMessageText")
    assert edit.params["parse_mode"] == "HTML" and edit.params["message_id"] == str(mid)


def test_send_message_too_long_from_telegram_is_permanent(real: Harness) -> None:
    real.server.fail("sendMessage", 400, "Bad Request: message is too long")
    with pytest.raises(PermanentFailure) as caught:
        real.chat.send_text(CHAT, "fits locally")
    assert caught.value.code == "message_too_long"


def test_edit_message_is_too_long_wording_is_too_long(real: Harness) -> None:
    mid = real.chat.send_text(CHAT, "a")
    real.server.fail("editMessageText", 400, "Bad Request: message is too long")
    assert real.chat.edit_text(CHAT, mid, "b") is EditOutcome.TOO_LONG


def test_other_bad_requests_are_permanent(real: Harness) -> None:
    real.server.fail("sendMessage", 400, "Bad Request: can't parse entities: Unsupported start tag \"x\"")
    with pytest.raises(PermanentFailure) as caught:
        real.chat.send_text(CHAT, "<x>", html=True)
    assert caught.value.code == "400" and "parse entities" in str(caught.value)


def test_document_is_uploaded_as_multipart_with_its_name_and_caption(real: Harness) -> None:
    real.chat.send_document(CHAT, "transcript_ab12.txt", "Текст".encode(), caption="Текст...")
    (call,) = real.server.calls_of("sendDocument")
    assert call.content_type.startswith("multipart/form-data")
    assert call.params["document"]["filename"] == "transcript_ab12.txt"
    assert call.params["document"]["data"] == "Текст".encode()
    assert call.params["caption"] == "Текст..."


def test_document_carries_its_buttons(real: Harness) -> None:
    from ports.chat import Button

    real.chat.send_document(CHAT, "t.txt", b"x", keyboard=((Button("⬇️ .srt", "export:j1:srt"),),))
    (call,) = real.server.calls_of("sendDocument")
    markup = call.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    assert markup["inline_keyboard"][0][0]["callback_data"] == "export:j1:srt"


def test_invoice_is_stars_with_one_price_and_no_provider_token(real: Harness) -> None:
    real.chat.send_invoice(CHAT, title="100 minutes", description="Transcription", payload="pkg:100", stars=50)
    (call,) = real.server.calls_of("sendInvoice")
    assert call.params["currency"] == "XTR"
    assert call.params["prices"] == [{"label": "100 minutes", "amount": 50}]
    assert call.params["payload"] == "pkg:100"
    assert "provider_token" not in call.params


def test_pre_checkout_refusal_carries_an_error_message(real: Harness) -> None:
    real.chat.answer_pre_checkout("pcq-1", True)
    real.chat.answer_pre_checkout("pcq-2", False)
    ok, refused = real.server.calls_of("answerPreCheckoutQuery")
    assert ok.params == {"pre_checkout_query_id": "pcq-1", "ok": "true"}
    assert refused.params["ok"] == "false" and refused.params["error_message"]


def test_a_stale_callback_query_is_ignored(real: Harness) -> None:
    real.server.fail("answerCallbackQuery", 400,
                     "Bad Request: query is too old and response timeout expired or query ID is invalid")
    real.chat.answer_callback("cbq-old")


def test_typing_swallows_every_failure(real: Harness) -> None:
    real.server.fail("sendChatAction", 429, "Too Many Requests: retry after 9", retry_after=9)
    real.chat.typing(CHAT)
    real.server.fail("sendChatAction", 500, "Internal Server Error")
    real.chat.typing(CHAT)
    assert len(real.server.calls_of("sendChatAction")) == 2


def test_download_checks_the_real_size_when_get_file_omits_it(real: Harness) -> None:
    real.server.add_file("NOSIZE", b"y" * 2_000, reported_size=None)
    with pytest.raises(FileTooBig):
        real.chat.download("NOSIZE", 1_000)
    assert len(real.server.downloads) == 1


def test_get_file_refusal_file_is_too_big_is_file_too_big(real: Harness) -> None:
    real.server.add_file("HUGE", b"z" * 64)
    real.server.download_limit = 10  # the cloud Bot API's 20 MB cap, scaled down
    with pytest.raises(FileTooBig):
        real.chat.download("HUGE", 1_000_000)
    assert real.server.downloads == []


def test_download_path_carries_the_quoted_token(real: Harness) -> None:
    stored = real.server.add_file("V", b"abc", file_path="voice/file_7.oga")
    assert real.chat.download("V", 10) == b"abc"
    assert real.server.downloads == [stored.file_path]


def test_set_webhook_sends_url_secret_and_allowed_updates(real: Harness) -> None:
    assert real.chat.set_webhook("https://example.invalid/tg/webhook", "s3cr3t_-",
                                 ["message", "callback_query", "pre_checkout_query"]) is True
    (call,) = real.server.calls_of("setWebhook")
    assert call.params["url"] == "https://example.invalid/tg/webhook"
    assert call.params["secret_token"] == "s3cr3t_-"
    assert call.params["allowed_updates"] == ["message", "callback_query", "pre_checkout_query"]


def test_no_get_me_round_trip_before_the_first_call(real: Harness) -> None:
    real.chat.send_text(CHAT, "hi")
    assert [c.method for c in real.server.calls] == ["sendMessage"]


# ----------------------------------------------------------------------- the real adapter: hygiene

def _chain_text(exc: BaseException) -> str:
    parts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(getattr(current, "args", ""))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_token_never_appears_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # configure_logging (other tests) quiets it
    quoted = TOKEN.replace(":", "%3A")
    failures: list[BaseException] = []
    with running_telegram_server(TOKEN) as tg:
        chat = TelegramChat(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url)
        wrong = TelegramChat("999:WRONG-token", base_url=tg.base_url, base_file_url=tg.base_file_url)
        slow = TelegramChat(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url, read_timeout_s=0.2)
        closed = f"http://127.0.0.1:{_closed_port()}"
        dead = TelegramChat(TOKEN, base_url=f"{closed}/bot", base_file_url=f"{closed}/file/bot",
                            connect_timeout_s=1.0)
        tg.add_file("F", b"abc")
        chat.download("F", 10)
        tg.fail("sendMessage", 400, "Bad Request: chat not found")
        tg.fail("editMessageText", 403, "Forbidden: bot was blocked by the user")
        tg.delays["getFile"] = 1.0
        attempts = [
            lambda: chat.send_text(CHAT, "x"),
            lambda: chat.edit_text(CHAT, 1, "x"),
            lambda: wrong.send_text(CHAT, "x"),
            lambda: slow.download("F", 10),
            lambda: dead.send_text(CHAT, "x"),
        ]
        try:
            for attempt in attempts:
                with pytest.raises((PermanentFailure, TransientFailure)) as caught:
                    attempt()
                failures.append(caught.value)
        finally:
            for c in (chat, wrong, slow, dead):
                c.close()
    assert [type(f).__name__ for f in failures] == [
        "PermanentFailure", "ChatBlocked", "PermanentFailure", "TransientFailure", "TransientFailure"]
    for failure in failures:
        text = _chain_text(failure)
        assert TOKEN not in text and quoted not in text and "TEST-token" not in text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP Request" in logged  # httpx did log the requests ...
    assert "TEST-token" not in logged  # ... with the token redacted
    assert "TEST-token" not in repr(chat)


def test_a_slow_telegram_is_a_transient_timeout(real: Harness) -> None:
    tg = real.server
    slow = TelegramChat(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url, read_timeout_s=0.2)
    tg.delays["sendMessage"] = 1.0
    try:
        with pytest.raises(TransientFailure) as caught:
            slow.send_text(CHAT, "x")
        assert caught.value.code == "timeout"
    finally:
        slow.close()


# -------------------------------------------------------------------- the real adapter: event loop

def _loop_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "telegram-chat-loop"}


def test_calls_from_many_threads_share_one_loop(real: Harness) -> None:
    others = _loop_threads()  # loops of other adapters still alive in this process are not ours
    ids: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            for i in range(5):
                mid = real.chat.send_text(CHAT, f"thread {n} message {i}")
                with lock:
                    ids.append(mid)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(ids) == 40 and len(set(ids)) == 40
    assert len(_loop_threads() - others) == 1


def test_sequential_invocations_never_meet_a_closed_event_loop(real: Harness) -> None:
    """A warm FC instance runs handler after handler in one process; some use asyncio.run themselves."""

    def invocation(n: int) -> int:
        async def handler() -> int:  # a handler that is itself async and calls the sync port
            return await asyncio.to_thread(real.chat.send_text, CHAT, f"invocation {n}")

        return asyncio.run(handler())  # creates and closes a loop, like each FC invocation would

    first = invocation(1)
    second = invocation(2)
    third = real.chat.send_text(CHAT, "plain sync call")
    assert len({first, second, third}) == 3


def test_called_from_inside_a_running_loop(real: Harness) -> None:
    async def main() -> int:
        return real.chat.send_text(CHAT, "from a coroutine")  # blocks this loop, not the adapter's

    assert isinstance(asyncio.run(main()), int)


def test_close_then_use_again_starts_a_fresh_loop(real: Harness) -> None:
    others = _loop_threads()
    real.chat.send_text(CHAT, "one")
    assert len(_loop_threads() - others) == 1
    real.chat.close()
    assert not _loop_threads() - others
    real.chat.send_text(CHAT, "two")
    real.chat.close()
    real.chat.close()  # idempotent


def test_importing_the_adapter_does_not_import_ptb_or_asyncio() -> None:
    code = ("import sys, adapters.telegram.telegram_chat, adapters.telegram.updates; "
            "print(sorted(m for m in ('telegram', 'httpx', 'asyncio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
