"""User commands through the webhook use case: what the user sees and what is stored."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from domain.audio import MediaKind
from domain.users import LongTextMode
from entrypoints.settings import recognition_languages
from ports.repositories import CachedResult
from presentation.catalogue import say, ui_language_for
from presentation.en import EN
from presentation.keys import M
from presentation.ru import RU
from tests.world import OWNER, USER
from usecases.inbound import IncomingMessage, Sender

ROOT = Path(__file__).resolve().parents[3]
_update_ids = itertools.count(900_000)


def send(world, text: str | None, *, user_id: int = USER, language_code: str | None = "ru",
         chat_type: str = "private", update_id: int | None = None) -> str:
    """A message with any sender language and chat type (World.text always sends Russian, private)."""
    update_id = update_id or next(_update_ids)
    sender = Sender(user_id=user_id, first_name="Ann", username="ann", language_code=language_code)
    chat_id = user_id if chat_type == "private" else -100
    return world.accept(IncomingMessage(update_id, sender, chat_id, 1, text=text, chat_type=chat_type))


def last(world, chat_id: int = USER) -> str:
    return world.texts(chat_id)[-1]


# -- /start, /help, /balance -----------------------------------------------------------------------


def test_start_welcomes_in_the_users_language_and_creates_the_user(world):
    assert world.text("/start") == "command:start"
    assert last(world) == RU.start
    assert world.users.get(USER).settings.ui_language == "ru"


def test_an_english_client_gets_english_from_the_first_message(world):
    send(world, "/start", user_id=555, language_code="en-GB")
    assert world.texts(555) == [EN.start]
    assert world.users.get(555).settings.ui_language == "en"


@pytest.mark.parametrize(("code", "lang"), [("ru", "ru"), ("uk", "ru"), ("en", "en"), ("de", "en"), (None, "ru")])
def test_interface_language_from_the_telegram_language_code(code, lang):
    assert ui_language_for(code) == lang


def test_command_addressed_to_this_bot_works_and_to_another_bot_is_ignored(world):
    assert world.text("/help@TranscriberBot") == "command:help"
    assert "15" in last(world) and "/buy_minutes" in last(world)
    before = len(world.chat.events)
    assert world.text("/help@SomeOtherBot") == "ignored"
    assert len(world.chat.events) == before


def test_balance_shows_the_stored_minutes(world):
    world.user(balance=42)
    world.text("/balance")
    assert last(world) == say("ru", M.balance, minutes=42)


def test_unknown_command_says_so(world):
    assert world.text("/frobnicate") == "unknown"
    assert last(world) == RU.unknown_command


def test_a_redelivered_command_is_answered_once(world):
    world.text("/balance", update_id=77)
    world.text("/balance", update_id=77)
    assert len(world.texts()) == 1


# -- text that is not a command, photos, stickers ------------------------------------------------------


def test_plain_text_gets_a_hint_to_send_audio(world):
    assert world.text("привет, что ты умеешь?") == "hint"
    assert last(world) == RU.text_hint


def test_photo_or_sticker_gets_the_same_hint(world):
    # A photo, a sticker or a PDF arrives with neither text nor media.
    assert send(world, None) == "hint"
    assert last(world) == RU.text_hint
    send(world, None, user_id=556, language_code="en")
    assert world.texts(556) == [EN.text_hint]


def test_messages_in_groups_are_ignored(world):
    assert send(world, "/start", chat_type="group") == "ignored"
    assert send(world, "hello", chat_type="supergroup") == "ignored"
    assert world.chat.events == []


# -- settings commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "field", "before", "after", "reply"), [
    ("/code", "use_code", False, True, "Моноширинный шрифт: включено"),
    ("/yo", "use_yo", True, False, "Буква ё: заменять на е"),
    ("/output", "long_text", LongTextMode.AUTO, LongTextMode.FILE, "Длинный текст: 📄 файл .txt"),
    ("/dialogue", "dialogue", False, True, "Режим диалога: включено (обработка дольше)"),
    ("/speakers", "speaker_labels", False, True, "Подписи спикеров: включено"),
])
def test_toggle_commands_flip_the_setting_and_say_the_new_value(world, command, field, before, after, reply):
    world.user()
    assert getattr(world.users.get(USER).settings, field) == before
    world.text(command)
    assert getattr(world.users.get(USER).settings, field) == after
    assert last(world) == reply
    if field == "long_text":  # three modes: file, messages, then back to the default (auto)
        world.text(command)
        assert getattr(world.users.get(USER).settings, field) == LongTextMode.SPLIT
        assert last(world) == say("ru", M.setting_output, value=say("ru", M.output_split))
    world.text(command)
    assert getattr(world.users.get(USER).settings, field) == before


def test_language_sets_a_fixed_recognition_language_and_back_to_auto(world):
    world.text("/language en")
    assert world.users.get(USER).settings.language == "en"
    assert last(world) == say("ru", M.setting_language, value=say("ru", M.lang_name_en))
    world.text("/language AUTO")
    assert world.users.get(USER).settings.language is None
    assert last(world) == say("ru", M.setting_language, value=say("ru", M.language_auto))
    world.text("/language pt")  # a documented code without a button of its own in older menus
    assert world.users.get(USER).settings.language == "pt"


@pytest.mark.parametrize("code", ["kk", "uk", "e1", "toolongcode"])
def test_language_refuses_a_code_the_recognizers_do_not_document_and_lists_the_accepted_ones(world, code):
    """Ukrainian and Kazakh are in no current recognizer's documented list (docs/provider-contracts.md)."""
    world.user()
    world.text(f"/language {code}")
    codes = ", ".join(recognition_languages(world.settings(OWNER)))
    assert last(world) == say("ru", M.language_unknown, code=code, codes=codes)
    assert "ru, en" in last(world) and "auto" in last(world)
    assert world.users.get(USER).settings.language is None


def test_language_offers_and_accepts_only_what_the_configured_recognizers_document(world):
    from domain import models

    # An unknown model documents nothing: auto only.
    world.configure(asr_model="qwen3-asr-flash", text_pass_model="some-new-model")
    assert recognition_languages(world.settings(OWNER)) == models.offered_languages(
        "qwen3-asr-flash", "some-new-model")
    world.text("/language ru")
    assert world.users.get(USER).settings.language is None
    world.text("/language")
    data = [b.data for row in world.chat.events[-1].keyboard for b in row]
    assert data == ["set:lang:auto", "set:back"]


def test_language_ui_switches_the_interface_language(world):
    world.text("/language ui en")
    assert world.users.get(USER).settings.ui_language == "en"
    assert last(world) == "Interface language: English"
    world.text("/balance")
    assert last(world).startswith("💰 Your balance")
    world.text("/language ru ui")
    assert world.users.get(USER).settings.ui_language == "ru"
    assert last(world) == say("ru", M.setting_ui, value=say("ru", M.ui_name_ru))


@pytest.mark.parametrize("args", ["english please", "ui de", "ru en"])
def test_language_with_bad_arguments_explains_the_usage(world, args):
    world.user()
    world.text(f"/language {args}")
    assert last(world) == RU.language_usage
    settings = world.users.get(USER).settings
    assert settings.language is None and settings.ui_language == "ru"


def test_language_without_arguments_offers_a_picker(world):
    world.text("/language")
    event = world.chat.events[-1]
    data = [b.data for row in event.keyboard for b in row]
    assert "set:lang:auto" in data and "set:lang:ru" in data and "set:lang:en" in data
    offered = [d.removeprefix("set:lang:") for d in data if d.startswith("set:lang:") and d != "set:lang:auto"]
    assert offered == list(recognition_languages(world.settings(OWNER)))
    assert "set:lang:uk" not in data  # no current recognizer documents Ukrainian
    assert "/language ui en" in event.text


# -- the repeated file ---------------------------------------------------------------------------------


def test_a_repeated_file_is_answered_from_the_cache_without_a_charge_or_a_job(world, tmp_path):
    world.user(balance=3)
    # The user paid for this transcript earlier: it is theirs again for free.
    world.results.put(CachedResult("same-file", "plain", "Текст из кэша.", 30_000, paid_by=(USER,),
                                   created_at=world.clock.now()))
    source = tmp_path / "voice.ogg"
    source.write_bytes(b"OggS" + bytes(100))
    update_id, route = world.media(source, kind=MediaKind.VOICE, duration_s=30, unique="same-file")
    assert route == "media:cached"
    assert world.balance() == 3 and world.job_of(update_id) is None
    assert world.texts() == ["Текст из кэша."]
    assert world.recognizer.clips == []


def test_the_cache_is_per_mode_so_dialogue_mode_does_not_reuse_a_plain_result(world, tmp_path):
    world.user(balance=3)
    world.results.put(CachedResult("same-file", "plain", "Текст из кэша.", 30_000, paid_by=(USER,),
                                   created_at=world.clock.now()))
    world.text("/dialogue")
    source = tmp_path / "voice.ogg"
    source.write_bytes(b"OggS" + bytes(100))
    _, route = world.media(source, kind=MediaKind.VOICE, duration_s=30, unique="same-file")
    assert route == "media:queued"
    assert world.balance() == 2


def test_owner_commands_are_not_answered_as_unknown_for_the_owner(world):
    assert world.text("/admin", user_id=OWNER) == "owner:admin"
    assert "/credit" in world.texts(OWNER)[-1]

