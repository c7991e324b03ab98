"""Button data: what a keyboard writes is read back as the same press; anything else is None."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from presentation.callbacks import (
    ActionPress,
    BuyPress,
    ExportPress,
    LanguagePick,
    SettingPress,
    TrialDecision,
    UsersPage,
    encode,
    parse,
)

PRESSES = [
    (ExportPress("job-1", "srt"), "export:job-1:srt"),
    (BuyPress("micro_10"), "buy:micro_10"),
    (SettingPress("use_code"), "set:use_code"),
    (SettingPress("back"), "set:back"),
    (LanguagePick("de"), "set:lang:de"),
    (LanguagePick(None), "set:lang:auto"),
    (TrialDecision(42, approve=True), "trial:approve:42"),
    (TrialDecision(42, approve=False), "trial:deny:42"),
    (UsersPage(3), "users:page:3"),
    (UsersPage(2, "anna: b"), "users:page:2:anna: b"),
    (ActionPress("job-1", "sum"), "act:job-1:sum"),
    (ActionPress("job-1", "tr"), "act:job-1:tr"),
    (ActionPress("job-1", "tr", "de"), "act:job-1:tr:de"),
]


@pytest.mark.parametrize(("press", "data"), PRESSES)
def test_each_button_is_written_as_before_and_read_back(press, data) -> None:
    assert encode(press) == data
    assert parse(data) == press


@pytest.mark.parametrize("data", [
    "", "export:job-1", "export:a:b:c", "trial:approve:x", "trial:maybe:1", "trial:approve:²", "trial:deny",
    "users:page", "users:page:x", "users:list:1", "unknown:1", "set", "buy", "export",
    "act", "act:job-1", "act:job-1:", "act::sum", "act:job-1:tr:de:x",
])
def test_data_no_keyboard_writes_is_not_a_press(data: str) -> None:
    assert parse(data) is None


@given(st.integers(0, 10**9), st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_a_users_page_round_trips_with_any_query(page: int, query: str) -> None:
    assert parse(encode(UsersPage(page, query))) == UsersPage(page, query)
