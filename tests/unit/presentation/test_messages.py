"""The message catalogue: every language complete and consistent, every message used, the tables
of messages chosen by a value cover every value the bot can produce."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from domain import models
from domain.billing import PACKAGES
from domain.plurals import CATEGORIES
from presentation.catalogue import (
    CATALOGUES,
    CHUNKED_STAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    MENU,
    PACKAGE_NAMES,
    REPORT_TITLES,
    STAGE_WITH_ETA,
    UI_NAMES,
    owner_say,
    placeholders,
    say,
    template,
    ui_language_for,
)
from presentation.en import EN
from presentation.keys import OM, M, OwnerMessages, UserMessages
from presentation.owner import OWNER
from presentation.ru import RU
from usecases.support import MENU_COMMANDS

ROOT = Path(__file__).resolve().parents[3]
USER_KEYS = [f.name for f in attrs.fields(UserMessages)]
OWNER_KEYS = [f.name for f in attrs.fields(OwnerMessages)]


@pytest.mark.parametrize("name", USER_KEYS)
def test_every_language_has_the_message_with_the_same_placeholders(name: str) -> None:
    texts = {lang: getattr(messages, name) for lang, messages in CATALOGUES.items()}
    assert all(isinstance(text, str) and text for text in texts.values()), texts
    assert len({placeholders(text) for text in texts.values()}) == 1, texts


def test_the_languages_are_russian_and_english() -> None:
    assert CATALOGUES == {"ru": RU, "en": EN} and LANGUAGES == ("ru", "en")


def _plural_specs(text: str) -> list[list[str]]:
    return [spec.split("|") for spec in re.findall(r"\{\w+:plural:([^}]*)\}", text)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_plural_gives_the_languages_forms(lang: str) -> None:
    """ru: one|few|many, en: one|other; a missing form would silently print the wrong word."""
    messages = CATALOGUES[lang]
    for name in USER_KEYS:
        for forms in _plural_specs(getattr(messages, name)):
            assert len(forms) == len(CATEGORIES[lang]) - (lang == "ru"), (name, forms)
    for name in OWNER_KEYS:
        for forms in _plural_specs(getattr(OWNER, name)):
            assert len(forms) == len(CATEGORIES["en"]), (name, forms)


def test_the_keys_name_their_own_field() -> None:
    assert all(getattr(M, name).name == name for name in USER_KEYS)
    assert all(getattr(OM, name).name == name for name in OWNER_KEYS)
    assert template("ru", M.balance) == RU.balance and template("en", M.balance) == EN.balance


def test_an_unknown_interface_language_falls_back_to_russian() -> None:
    assert say("xx", M.balance, minutes=1) == say("ru", M.balance, minutes=1) == RU.balance.format(minutes=1)
    assert say("en", M.balance, minutes=1) != say("ru", M.balance, minutes=1)


def test_plurals_agree_with_the_count() -> None:
    assert say("ru", M.file_caption, chars=21) == "Текст записи (21 символ)"
    assert say("en", M.file_caption, chars=2) == "Transcript (2 characters)"
    assert owner_say(OM.export_caption, kind="logs", rows=2, days=1) == "logs: 2 rows, last 1 day"


def _code() -> str:
    paths = [*ROOT.glob("usecases/*.py"), *ROOT.glob("entrypoints/**/*.py"), *ROOT.glob("adapters/**/*.py"),
             ROOT / "presentation" / "catalogue.py"]
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


def test_every_message_is_used_somewhere() -> None:
    """A message no code names is dead text that still has to be translated."""
    code = _code()
    used_user = set(re.findall(r"\bM\.(\w+)", code))
    used_owner = set(re.findall(r"\bOM\.(\w+)", code))
    assert set(USER_KEYS) - used_user == set()
    assert set(OWNER_KEYS) - used_owner == set()


def test_messages_chosen_by_a_value_cover_every_value() -> None:
    offered = models.offered_languages(models.DEFAULT_MODELS[models.ASR], models.DEFAULT_MODELS[models.TEXT_PASS])
    assert {p.id for p in PACKAGES} == set(PACKAGE_NAMES)
    assert set(LANGUAGES) == set(UI_NAMES)
    assert set(offered) <= set(LANGUAGE_NAMES)
    assert set(MENU_COMMANDS) == set(MENU)
    assert set(REPORT_TITLES) == {"daily", "weekly"}
    # A chunked stage has its time-left variant, and each variant takes the same parameters plus eta.
    assert set(CHUNKED_STAGE.values()) == set(STAGE_WITH_ETA)
    for lang in LANGUAGES:
        for stage, chunked in CHUNKED_STAGE.items():
            assert placeholders(template(lang, chunked)) == placeholders(template(lang, stage)) | {"i", "n"}
        for stage, with_eta in STAGE_WITH_ETA.items():
            assert placeholders(template(lang, with_eta)) == placeholders(template(lang, stage)) | {"eta"}


@pytest.mark.parametrize(("code", "ui"), [("ru", "ru"), ("uk-UA", "ru"), ("KK", "ru"), ("be", "ru"),
                                          ("en-GB", "en"), ("de", "en"), (None, "ru"), ("", "ru")])
def test_interface_language_from_the_telegram_client(code: str | None, ui: str) -> None:
    assert ui_language_for(code) == ui


def test_a_message_is_recognised_by_key_whatever_its_parameters() -> None:
    from tests.messages import is_message, returns_minutes

    text = say("ru", M.no_minutes, cost=3, balance=1)
    assert is_message(text, M.no_minutes) and not is_message(text, M.too_long)
    assert not is_message(text + " ", M.no_minutes) and not is_message(text, M.no_minutes, "en")
    assert returns_minutes(say("ru", M.err_outage)) and not returns_minutes(say("ru", M.balance, minutes=2))
