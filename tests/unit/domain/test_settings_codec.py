"""The stored form of a user's settings: every setting survives a round trip, rows written by
older versions or damaged by hand read as the defaults for what they lack, never as an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.users import SETTINGS_SCHEMA, LongTextMode, User, UserSettings

settings_values = st.builds(
    UserSettings,
    use_code=st.booleans(), use_yo=st.booleans(), long_text=st.sampled_from(LongTextMode),
    dialogue=st.booleans(), speaker_labels=st.booleans(),
    language=st.one_of(st.none(), st.sampled_from(["ru", "en", "de", "zh"])),
    ui_language=st.sampled_from(["ru", "en"]),
)


@given(settings_values)
def test_every_setting_survives_the_round_trip(settings: UserSettings) -> None:
    stored = settings.to_dict()
    assert stored["schema"] == SETTINGS_SCHEMA
    assert UserSettings.from_dict(stored) == settings


def test_the_stored_form_names_each_setting() -> None:
    settings = UserSettings(use_code=True, use_yo=False, long_text=LongTextMode.FILE, dialogue=True,
                            speaker_labels=True, language="en", ui_language="en")
    assert settings.to_dict() == {"use_code": True, "use_yo": False, "long_text": "file", "dialogue": True,
                                  "speaker_labels": True, "language": "en", "ui_language": "en",
                                  "schema": SETTINGS_SCHEMA}


@pytest.mark.parametrize("row", [None, {}, {"schema": SETTINGS_SCHEMA}])
def test_a_missing_row_is_the_defaults(row) -> None:
    assert UserSettings.from_dict(row) == UserSettings()


def test_values_of_the_wrong_type_or_unknown_values_fall_back_one_by_one() -> None:
    damaged = {"use_code": "yes", "use_yo": 0, "long_text": "scroll", "dialogue": None, "speaker_labels": 1,
               "language": "", "ui_language": "de", "schema": SETTINGS_SCHEMA}
    assert UserSettings.from_dict(damaged) == UserSettings()
    assert UserSettings.from_dict({"language": 7}).language is None
    # Each good value is kept beside the damaged ones.
    mixed = {**damaged, "dialogue": True, "ui_language": "en"}
    assert UserSettings.from_dict(mixed) == UserSettings(dialogue=True, ui_language="en")


@pytest.mark.parametrize(("flag", "default"), [("use_code", False), ("use_yo", True), ("dialogue", False),
                                               ("speaker_labels", False)])
def test_each_flag_is_read_from_its_own_key(flag: str, default: bool) -> None:
    assert getattr(UserSettings(), flag) is default
    assert getattr(UserSettings.from_dict({flag: not default}), flag) is (not default)
    others = {f: not d for f, d in [("use_code", False), ("use_yo", True), ("dialogue", False),
                                    ("speaker_labels", False)] if f != flag}
    assert getattr(UserSettings.from_dict(others), flag) is default


def test_split_written_before_auto_existed_is_not_a_choice_but_split_written_since_is() -> None:
    assert UserSettings.from_dict({"long_text": "split"}).long_text is LongTextMode.AUTO
    assert UserSettings.from_dict({"long_text": "split", "schema": 1}).long_text is LongTextMode.AUTO
    assert UserSettings.from_dict({"long_text": "split", "schema": 2}).long_text is LongTextMode.SPLIT
    assert UserSettings.from_dict({"long_text": "file", "schema": 1}).long_text is LongTextMode.FILE
    assert UserSettings.from_dict({"long_text": "auto", "schema": 2}).long_text is LongTextMode.AUTO


@pytest.mark.parametrize(("user", "name"), [
    (User(1, first_name="Ann", last_name="Lee", username="ann"), "Ann Lee"),
    (User(1, first_name="Ann", username="ann"), "Ann"),
    (User(1, last_name="Lee"), "Lee"),
    (User(1, username="ann"), "@ann"),
    (User(12345), "12345"),
])
def test_a_user_is_named_by_name_then_username_then_id(user: User, name: str) -> None:
    assert user.display_name == name
