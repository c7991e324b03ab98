"""Plural categories (CLDR), the balance warning's crossing rule, and stored long-text choices."""

from __future__ import annotations

import pytest

from domain.billing import balance_warning
from domain.plurals import choose, plural_category
from domain.users import LongTextMode, UserSettings


@pytest.mark.parametrize(("n", "category"), [
    (0, "many"), (1, "one"), (2, "few"), (4, "few"), (5, "many"), (11, "many"), (12, "many"), (14, "many"),
    (21, "one"), (22, "few"), (25, "many"), (101, "one"), (111, "many"), (112, "many"), (122, "few"),
    (1.5, "other"),
])
def test_russian_categories_follow_cldr(n, category):
    assert plural_category("ru", n) == category


@pytest.mark.parametrize(("n", "category"), [(0, "other"), (1, "one"), (2, "other"), (21, "other"), (1.0, "one"),
                                             (1.5, "other")])
def test_english_categories_follow_cldr(n, category):
    assert plural_category("en", n) == category


def test_choose_picks_the_form_and_russian_fractions_take_the_few_form():
    forms = ("минута", "минуты", "минут")
    assert [choose("ru", n, forms) for n in (1, 3, 5, 21, 1.5)] == ["минута", "минуты", "минут", "минута", "минуты"]
    assert [choose("en", n, ("minute", "minutes")) for n in (1, 2, 0)] == ["minute", "minutes", "minutes"]
    assert choose("de", 1, ("Minute", "Minuten")) == "Minute"  # unknown languages: English rules


@pytest.mark.parametrize(("balance", "in_force", "before", "expected"), [
    (6, "", 7, (None, "")),            # above the line: nothing
    (4, "", 6, ("low", "low")),        # the crossing
    (3, "low", 4, (None, "low")),      # still low: told already
    (3, "low", None, (None, "low")),   # a job that ran while the warning went out
    (2, "low", 8, ("low", "low")),     # topped up in between, and this job crossed again
    (0, "low", 1, ("empty", "empty")),  # a worse level
    (0, "empty", 0, (None, "empty")),
    (2, "empty", 0, (None, "low")),    # back from empty to low (a refund): no new warning, re-armed for empty
    (9, "low", 10, (None, "")),        # back above the line: cleared, the next crossing warns
    (4, "warned", None, ("low", "low")),  # a stored warning this version does not know counts as none
])
def test_balance_warning_once_per_crossing(balance, in_force, before, expected):
    assert balance_warning(balance, 5, in_force, before) == expected


def test_long_text_default_is_auto():
    # Stored rows saying "split" from before AUTO existed: tests/contract/test_tablestore_rows.py.
    assert UserSettings().long_text is LongTextMode.AUTO


def test_a_single_form_serves_every_number():
    # A catalogue entry may give one form only (a word that does not change): it is used for any count.
    assert [choose("en", n, ("sheep",)) for n in (1, 2, 0, 1.5)] == ["sheep"] * 4
    assert [choose("ru", n, ("кофе",)) for n in (1, 3, 5, 1.5)] == ["кофе"] * 4


def test_russian_with_two_forms_uses_the_last_one_for_many():
    # Missing "many" (and "other") falls back to the last form given.
    assert [choose("ru", n, ("раз", "раза")) for n in (1, 3, 5, 1.5)] == ["раз", "раза", "раза", "раза"]


def test_no_forms_is_an_error():
    with pytest.raises(ValueError):
        choose("en", 1, ())
