"""/settings: one message whose buttons change each setting in place (the same message is edited)."""

from __future__ import annotations

import pytest

from domain.users import LongTextMode
from presentation.catalogue import say
from presentation.keys import M
from tests.world import USER


def open_menu(world) -> int:
    world.user()
    assert world.text("/settings") == "command:settings"
    event = world.chat.events[-1]
    assert event.kind == "send" and event.keyboard
    return event.message_id


def buttons(event) -> dict[str, str]:
    """callback data → button text."""
    return {b.data: b.text for row in event.keyboard for b in row}


def menu_event(world, message_id: int):
    return [e for e in world.chat.events if e.message_id == message_id and e.kind in ("send", "edit")][-1]


def test_settings_shows_every_setting_with_its_current_value(world):
    message_id = open_menu(world)
    event = menu_event(world, message_id)
    assert set(buttons(event)) == {"set:use_code", "set:use_yo", "set:long_text", "set:dialogue",
                                   "set:speaker_labels", "set:language", "set:ui_language"}
    for line in ("Моноширинный шрифт: выключено", "Буква ё: сохранять ё", "Длинный текст: ✂️ авто: если длинный — начало и файл .txt",
                 "Режим диалога: выключено", "Подписи спикеров: выключено",
                 "Язык распознавания: автоопределение", "Язык интерфейса: русский"):
        assert line in event.text
        assert any(text.startswith(line) for text in buttons(event).values())


@pytest.mark.parametrize(("data", "field", "after", "shown"), [
    ("set:use_code", "use_code", True, "Моноширинный шрифт: включено"),
    ("set:use_yo", "use_yo", False, "Буква ё: заменять на е"),
    ("set:long_text", "long_text", LongTextMode.FILE, "Длинный текст: 📄 файл .txt"),
    ("set:dialogue", "dialogue", True, "Режим диалога: включено (обработка дольше)"),
    ("set:speaker_labels", "speaker_labels", True, "Подписи спикеров: включено"),
])
def test_each_button_toggles_its_setting_by_editing_the_same_message(world, data, field, after, shown):
    message_id = open_menu(world)
    sent_before = sum(e.kind == "send" for e in world.chat.events)
    assert world.press(data, message_id=message_id) == "settings"
    assert getattr(world.users.get(USER).settings, field) == after
    event = world.chat.events[-2]  # the edit, then the answer to the button
    assert event.kind == "edit" and event.message_id == message_id
    assert buttons(event)[data] == shown and shown in event.text
    assert world.chat.events[-1].kind == "callback"
    assert sum(e.kind == "send" for e in world.chat.events) == sent_before, "no new message"
    world.press(data, message_id=message_id)
    assert getattr(world.users.get(USER).settings, field) != after


def test_the_language_button_opens_a_picker_in_place_and_a_choice_returns_to_the_menu(world):
    message_id = open_menu(world)
    world.press("set:language", message_id=message_id)
    picker = menu_event(world, message_id)
    assert picker.kind == "edit" and "set:lang:en" in buttons(picker) and "set:back" in buttons(picker)
    world.press("set:lang:en", message_id=message_id)
    assert world.users.get(USER).settings.language == "en"
    menu = menu_event(world, message_id)
    assert buttons(menu)["set:language"] == say("ru", M.setting_language, value=say("ru", M.lang_name_en))
    world.press("set:language", message_id=message_id)
    assert buttons(menu_event(world, message_id))["set:lang:en"].startswith("✅")
    world.press("set:lang:auto", message_id=message_id)
    assert world.users.get(USER).settings.language is None


def test_back_from_the_picker_changes_nothing(world):
    message_id = open_menu(world)
    world.press("set:language", message_id=message_id)
    world.press("set:back", message_id=message_id)
    assert world.users.get(USER).settings.language is None
    assert "set:use_code" in buttons(menu_event(world, message_id))


def test_the_interface_language_button_redraws_the_menu_in_english(world):
    message_id = open_menu(world)
    world.press("set:ui_language", message_id=message_id)
    assert world.users.get(USER).settings.ui_language == "en"
    menu = menu_event(world, message_id)
    assert menu.text.startswith("⚙️ Settings")
    assert buttons(menu)["set:use_code"] == "Monospace: off"
    assert buttons(menu)["set:ui_language"] == "Interface language: English"
    world.press("set:ui_language", message_id=message_id)
    assert menu_event(world, message_id).text.startswith(say("ru", M.settings_title))


@pytest.mark.parametrize("data", ["set:nonsense", "set:lang:klingon", "set:", "set:version"])
def test_unknown_settings_buttons_change_nothing(world, data):
    message_id = open_menu(world)
    before = world.users.get(USER)
    assert world.press(data, message_id=message_id) == "ignored"
    assert world.users.get(USER).settings == before.settings
    assert world.chat.events[-1].kind == "callback"


def test_a_button_without_a_message_sends_a_fresh_menu(world):
    world.user()
    world.press("set:use_code", message_id=None)
    event = [e for e in world.chat.events if e.kind == "send"][-1]
    assert say("ru", M.setting_code, value=say("ru", M.on)) in event.text and event.keyboard


def test_settings_survive_a_new_instance_because_they_are_stored(world):
    message_id = open_menu(world)
    world.press("set:use_code", message_id=message_id)
    world.rebuild()
    world.text("/settings")
    assert buttons(world.chat.events[-1])["set:use_code"] == say("ru", M.setting_code, value=say("ru", M.on))
