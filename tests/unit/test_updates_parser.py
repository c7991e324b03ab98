"""``parse_update``: real Telegram update shapes in, ``usecases.inbound`` values out; hostile input safe.

Every accepted sample is also parsed by python-telegram-bot's ``Update.de_json`` (here in the test
only) to prove the samples are real Telegram shapes and that both parsers read the same ids.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram.updates import MalformedUpdate, parse_update
from domain.audio import MediaKind
from usecases.inbound import (
    IncomingCallback,
    IncomingMessage,
    IncomingPreCheckout,
    MediaRef,
    Sender,
    SuccessfulPayment,
)

ROOT = Path(__file__).resolve().parents[2]
FROM = {"id": 777, "is_bot": False, "first_name": "Ann", "last_name": "Lee", "username": "ann",
        "language_code": "ru"}
CHAT = {"id": 777, "type": "private", "first_name": "Ann"}


def message_update(update_id: int = 1, **content: Any) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": 10, "date": 1700000000, "from": FROM,
                                                "chat": CHAT, **content}}


VOICE = {"file_id": "AwACAgIAAxkBAAI", "file_unique_id": "AgADx", "duration": 7, "mime_type": "audio/ogg",
         "file_size": 23456}
AUDIO = {"file_id": "CQACAgIAAxkBAAI", "file_unique_id": "AgADy", "duration": 215, "performer": "Band",
         "title": "Song", "file_name": "song.mp3", "mime_type": "audio/mpeg", "file_size": 5123456}
VIDEO_NOTE = {"file_id": "DQACAgIAAxkBAAI", "file_unique_id": "AgADz", "length": 384, "duration": 12,
              "file_size": 812345,
              "thumbnail": {"file_id": "AAMCAgADGQEAAg", "file_unique_id": "AQADt", "width": 320, "height": 320}}
VIDEO = {"file_id": "BAACAgIAAxkBAAI", "file_unique_id": "AgADv", "width": 1280, "height": 720, "duration": 95,
         "file_name": "clip.mp4", "mime_type": "video/mp4", "file_size": 18234567}
DOCUMENT = {"file_id": "BQACAgIAAxkBAAI", "file_unique_id": "AgADd", "file_name": "meeting.m4a",
            "mime_type": "audio/x-m4a", "file_size": 31234567}
CALLBACK = {"update_id": 5, "callback_query": {
    "id": "4382bfdwdsb323b2d9", "from": FROM, "chat_instance": "-1234567890", "data": "mode:dialogue",
    "message": {"message_id": 42, "date": 1700000000, "chat": CHAT, "from": {"id": 4242, "is_bot": True,
                                                                            "first_name": "Bot"},
                "text": "Settings"}}}
PRE_CHECKOUT = {"update_id": 6, "pre_checkout_query": {
    "id": "4382bfdwdsb323b2d9", "from": {"id": 777, "is_bot": False, "first_name": "Ann"},
    "currency": "XTR", "total_amount": 50, "invoice_payload": "order-1"}}
PAYMENT = {"currency": "XTR", "total_amount": 50, "invoice_payload": "order-1",
           "telegram_payment_charge_id": "stxAbCdEf123", "provider_payment_charge_id": ""}


def ptb_update(data: dict[str, Any]):
    """The same JSON through python-telegram-bot (imported here, in the test, only)."""
    from telegram import Update

    return Update.de_json(copy.deepcopy(data), None)


def media_of(data: dict[str, Any]) -> MediaRef | None:
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingMessage)
    return parsed.media


# ------------------------------------------------------------------------------ accepted updates

def test_voice_message() -> None:
    data = message_update(voice=VOICE)
    parsed = parse_update(data)
    assert parsed == IncomingMessage(
        update_id=1, sender=Sender(777, "Ann", "Lee", "ann", "ru"), chat_id=777, message_id=10, text=None,
        media=MediaRef(MediaKind.VOICE, "AwACAgIAAxkBAAI", "AgADx", 7.0, 23456, "audio/ogg", None),
        payment=None, chat_type="private")
    ptb = ptb_update(data)
    assert (ptb.update_id, ptb.message.message_id, ptb.message.chat.id, ptb.message.from_user.id) == (1, 10, 777, 777)
    assert ptb.message.voice.file_id == parsed.media.file_id
    assert ptb.message.voice.file_unique_id == parsed.media.file_unique_id


@pytest.mark.parametrize(("key", "payload", "kind", "duration", "name", "attr"), [
    ("audio", AUDIO, MediaKind.AUDIO, 215.0, "song.mp3", "audio"),
    ("video", VIDEO, MediaKind.VIDEO, 95.0, "clip.mp4", "video"),
    ("video_note", VIDEO_NOTE, MediaKind.VIDEO_NOTE, 12.0, None, "video_note"),
])
def test_audio_video_and_round_video_notes_are_media(key, payload, kind, duration, name, attr) -> None:
    data = message_update(**{key: payload, "caption": "listen"} if key != "video_note" else {key: payload})
    media = media_of(data)
    assert media is not None
    assert (media.kind, media.duration_s, media.file_name, media.file_size) == (
        kind, duration, name, payload["file_size"])
    ptb_media = getattr(ptb_update(data).message, attr)
    assert (ptb_media.file_id, ptb_media.file_unique_id) == (media.file_id, media.file_unique_id)


def test_audio_document_has_no_duration() -> None:
    data = message_update(document=DOCUMENT)
    media = media_of(data)
    assert media == MediaRef(MediaKind.DOCUMENT, DOCUMENT["file_id"], "AgADd", None, 31234567, "audio/x-m4a",
                             "meeting.m4a")
    assert ptb_update(data).message.document.file_id == media.file_id


@pytest.mark.parametrize(("mime", "name"), [
    ("video/quicktime", "IMG_0001.MOV"),
    ("application/octet-stream", "interview.OGG"),  # Telegram sends many audio files with this type
    ("application/octet-stream", "call.opus"),
    (None, "lecture.flac"),
    ("application/ogg", "note.oga"),
])
def test_audio_or_video_documents_by_mime_or_by_extension(mime, name) -> None:
    document = {"file_id": "BQAC", "file_unique_id": "AgADe", "file_name": name}
    if mime is not None:
        document["mime_type"] = mime
    data = message_update(document=document)
    media = media_of(data)
    assert media is not None and media.kind is MediaKind.DOCUMENT and media.duration_s is None
    assert media.file_size is None  # file_size is optional everywhere
    assert ptb_update(data).message.document.file_name == name


@pytest.mark.parametrize("document", [
    {"file_id": "BQAC", "file_unique_id": "u", "file_name": "report.pdf", "mime_type": "application/pdf"},
    {"file_id": "BQAC", "file_unique_id": "u", "file_name": "song.mp3", "mime_type": "application/pdf"},
    {"file_id": "BQAC", "file_unique_id": "u", "file_name": "notes.txt", "mime_type": "application/octet-stream"},
    {"file_id": "BQAC", "file_unique_id": "u", "file_name": ".mp3", "mime_type": "application/octet-stream"},
    {"file_id": "BQAC", "file_unique_id": "u", "mime_type": "application/octet-stream"},
])
def test_other_documents_are_not_media_but_still_a_message(document) -> None:
    data = message_update(document=document)
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingMessage) and parsed.media is None and parsed.text is None
    assert ptb_update(data).message.document is not None


def test_an_animation_gif_is_not_media_although_it_carries_a_video_document() -> None:
    gif = {"file_id": "CgACAgQAAxkBAAI", "file_unique_id": "AgADg", "width": 320, "height": 240, "duration": 3,
           "file_name": "funny.mp4", "mime_type": "video/mp4", "file_size": 90000}
    data = message_update(animation=gif, document={k: gif[k] for k in
                                                   ("file_id", "file_unique_id", "file_name", "mime_type",
                                                    "file_size")})
    assert media_of(data) is None
    assert ptb_update(data).message.animation is not None


def test_text_and_command_messages() -> None:
    data = message_update(text="/start ref_42", entities=[{"type": "bot_command", "offset": 0, "length": 6}])
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingMessage) and parsed.text == "/start ref_42" and parsed.media is None
    assert ptb_update(data).message.text == parsed.text


def test_group_message_keeps_the_chat_type_and_negative_chat_id() -> None:
    data = message_update(text="hi")
    data["message"]["chat"] = {"id": -1001234567890, "type": "supergroup", "title": "Team"}
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingMessage)
    assert (parsed.chat_id, parsed.chat_type, parsed.sender.user_id) == (-1001234567890, "supergroup", 777)
    assert ptb_update(data).message.chat.id == parsed.chat_id


def test_sender_with_only_the_required_fields() -> None:
    data = message_update(text="hi")
    data["message"]["from"] = {"id": 5, "is_bot": False, "first_name": "Bo"}
    parsed = parse_update(data)
    assert parsed.sender == Sender(5, "Bo", "", "", None)
    assert ptb_update(data).message.from_user.id == 5


def test_successful_payment() -> None:
    data = message_update(7, successful_payment=PAYMENT)
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.payment == SuccessfulPayment("XTR", 50, "order-1", "stxAbCdEf123")
    ptb = ptb_update(data).message.successful_payment
    assert ptb.telegram_payment_charge_id == parsed.payment.telegram_payment_charge_id


def test_callback_query() -> None:
    parsed = parse_update(CALLBACK)
    assert parsed == IncomingCallback(update_id=5, sender=Sender(777, "Ann", "Lee", "ann", "ru"),
                                      callback_id="4382bfdwdsb323b2d9", data="mode:dialogue", chat_id=777,
                                      message_id=42)
    ptb = ptb_update(CALLBACK).callback_query
    assert (ptb.id, ptb.data, ptb.message.chat.id, ptb.message.message_id) == (
        parsed.callback_id, parsed.data, parsed.chat_id, parsed.message_id)


def test_callback_on_an_inline_message_has_no_chat_and_no_data_is_empty() -> None:
    data = {"update_id": 8, "callback_query": {"id": "cbq", "from": FROM, "chat_instance": "1",
                                               "inline_message_id": "AAAA", "game_short_name": "g"}}
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingCallback)
    assert (parsed.chat_id, parsed.message_id, parsed.data) == (None, None, "")
    assert ptb_update(data).callback_query.id == "cbq"


def test_callback_on_an_inaccessible_old_message() -> None:
    data = copy.deepcopy(CALLBACK)
    data["callback_query"]["message"] = {"message_id": 42, "date": 0, "chat": CHAT}
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingCallback) and (parsed.chat_id, parsed.message_id) == (777, 42)
    assert ptb_update(data).callback_query.message.message_id == 42


def test_pre_checkout_query() -> None:
    parsed = parse_update(PRE_CHECKOUT)
    assert parsed == IncomingPreCheckout(update_id=6, sender=Sender(777, "Ann", "", "", None),
                                         query_id="4382bfdwdsb323b2d9", currency="XTR", total_amount=50,
                                         invoice_payload="order-1")
    ptb = ptb_update(PRE_CHECKOUT).pre_checkout_query
    assert (ptb.id, ptb.total_amount, ptb.invoice_payload) == (parsed.query_id, 50, "order-1")


def test_parses_straight_from_the_webhook_body() -> None:
    body = json.dumps(message_update(42, voice=VOICE), ensure_ascii=False).encode()
    parsed = parse_update(json.loads(body))
    assert isinstance(parsed, IncomingMessage) and parsed.update_id == 42


# ------------------------------------------------------------------------------- ignored updates

@pytest.mark.parametrize("kind", ["edited_message", "channel_post", "edited_channel_post"])
def test_edited_and_channel_messages_are_ignored(kind: str) -> None:
    inner = message_update(text="edited")["message"]
    if kind == "edited_message":
        inner["edit_date"] = 1700000100
    else:
        inner.pop("from")
        inner["chat"] = {"id": -1001, "type": "channel", "title": "News"}
    data = {"update_id": 3, kind: inner}
    assert parse_update(data) is None
    assert getattr(ptb_update(data), kind) is not None


def test_other_update_kinds_are_ignored() -> None:
    member = {"update_id": 4, "my_chat_member": {
        "chat": CHAT, "from": FROM, "date": 1700000000,
        "old_chat_member": {"status": "member", "user": {"id": 4242, "is_bot": True, "first_name": "Bot"}},
        "new_chat_member": {"status": "kicked", "until_date": 0,
                            "user": {"id": 4242, "is_bot": True, "first_name": "Bot"}}}}
    assert parse_update(member) is None
    assert ptb_update(member).my_chat_member is not None
    assert parse_update({"update_id": 9, "some_future_kind": {"x": 1}}) is None
    assert parse_update({"update_id": 9}) is None


def test_messages_without_a_human_sender_are_ignored() -> None:
    anonymous = message_update(text="hi")
    anonymous["message"]["sender_chat"] = {"id": -1001, "type": "supergroup", "title": "Team"}
    no_from = message_update(text="hi")
    no_from["message"].pop("from")
    bot = message_update(text="hi")
    bot["message"]["from"] = {"id": 1, "is_bot": True, "first_name": "Other bot"}
    assert parse_update(anonymous) is None and parse_update(no_from) is None and parse_update(bot) is None


# ------------------------------------------------------------------------------- hostile input

@pytest.mark.parametrize("data", [None, [], "update", 42, 3.5, True, b"{}", {"message": {}}])
def test_not_an_update_object_is_malformed(data: object) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(data)


@pytest.mark.parametrize("update_id", ["1", 1.0, True, -1, None, 2**70, [1]])
def test_bad_update_id_is_malformed(update_id: object) -> None:
    data = message_update(text="x")
    data["update_id"] = update_id
    with pytest.raises(MalformedUpdate):
        parse_update(data)


def _with(path: tuple[str, ...], value: object, base: dict[str, Any] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(base if base is not None else message_update(voice=VOICE))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value"), [
    (("message",), "not an object"),
    (("message",), None),
    (("message", "chat"), None),
    (("message", "chat", "id"), "777"),
    (("message", "chat", "id"), True),
    (("message", "chat", "type"), 1),
    (("message", "from"), "Ann"),
    (("message", "from", "id"), 7.77),
    (("message", "from", "first_name"), {"$gt": ""}),
    (("message", "message_id"), None),
    (("message", "text"), ["list"]),
    (("message", "voice"), "AwAC"),
    (("message", "voice", "file_id"), None),
    (("message", "voice", "file_id"), ""),
    (("message", "voice", "file_unique_id"), 5),
    (("message", "voice", "duration"), "7"),
    (("message", "voice", "duration"), -1),
    (("message", "voice", "duration"), float("nan")),
    (("message", "voice", "duration"), float("inf")),
    (("message", "voice", "duration"), 10**400),
    (("message", "voice", "file_size"), -5),
    (("message", "voice", "file_size"), "big"),
    (("message", "voice", "mime_type"), 3),
    (("message", "successful_payment"), {"currency": "XTR"}),
    (("message", "successful_payment"), {**PAYMENT, "total_amount": "50"}),
    (("message", "successful_payment"), {**PAYMENT, "telegram_payment_charge_id": ""}),
])
def test_wrong_types_in_a_handled_message_are_malformed(path, value) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(_with(path, value))


@pytest.mark.parametrize(("path", "value"), [
    (("callback_query", "id"), None),
    (("callback_query", "from"), None),
    (("callback_query", "data"), 12),
    (("callback_query", "message", "chat"), []),
    (("callback_query", "message", "message_id"), "42"),
])
def test_wrong_types_in_a_callback_are_malformed(path, value) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(_with(path, value, CALLBACK))


@pytest.mark.parametrize(("key", "value"), [
    ("id", None), ("currency", None), ("total_amount", "50"), ("total_amount", -1), ("total_amount", False),
    ("invoice_payload", None), ("from", {"first_name": "no id"}),
])
def test_wrong_types_in_a_pre_checkout_are_malformed(key, value) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(_with(("pre_checkout_query", key), value, PRE_CHECKOUT))


@pytest.mark.parametrize(("path", "size"), [
    (("message", "text"), 100_000),
    (("message", "from", "first_name"), 10_000),
    (("message", "voice", "file_id"), 50_000),
])
def test_huge_strings_are_malformed(path, size) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(_with(path, "я" * size))


def test_huge_callback_data_is_malformed() -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(_with(("callback_query", "data"), "x" * 5_000, CALLBACK))


def test_deep_nesting_is_never_walked() -> None:
    deep: Any = "bottom"
    for _ in range(100_000):  # far beyond the recursion limit if anything recursed into it
        deep = {"a": deep}
    data = message_update(text="hi", reply_to_message=deep, entities=deep)
    parsed = parse_update(data)
    assert isinstance(parsed, IncomingMessage) and parsed.text == "hi"
    with pytest.raises(MalformedUpdate):
        parse_update({"update_id": 1, "message": {"message_id": 1, "from": deep, "chat": CHAT}})
    assert parse_update({"update_id": 1, "edited_message": deep}) is None


def test_unexpected_internal_errors_become_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.telegram.updates as updates

    def boom(*args: object, **kwargs: object) -> None:
        raise RecursionError("simulated")

    monkeypatch.setattr(updates, "_media", boom)
    with pytest.raises(MalformedUpdate):
        parse_update(message_update(voice=VOICE))


def test_malformed_update_is_a_value_error_with_a_short_message() -> None:
    with pytest.raises(ValueError) as caught:
        parse_update(_with(("message", "text"), "s" * 1_000_000))
    assert len(str(caught.value)) < 200


def test_the_parser_does_not_import_telegram() -> None:
    code = "import sys, adapters.telegram.updates; print('telegram' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
