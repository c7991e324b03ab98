"""Speaker names, exactly: which turn prefixes are labels, which replies and lines are names, and how
turns and stored results are labelled when the text and the segments disagree."""

from __future__ import annotations

import pytest

from domain.speaker_names import (
    clean_name,
    label_turns,
    parse_names_line,
    rename_mentions,
    split_label,
    turn_speakers,
)
from tests.segment_rows import rows


@pytest.mark.parametrize("body, parts", [
    ("Спикер 1: Привет", ("Спикер 1: ", "Привет")),
    ("Спикер 1:Привет", ("Спикер 1:", "Привет")),  # the bot's own label needs no space after it
    ("speaker 12 : Hi", ("speaker 12 : ", "Hi")),
    ("Анна Мария Петровна: Привет", ("Анна Мария Петровна: ", "Привет")),  # a name of three words
    ("Мы решили вот что: идём", ("", "Мы решили вот что: идём")),  # four words before a colon: speech
    ("Анна:Привет", ("", "Анна:Привет")),  # a given name is a label only when a space follows
    ("Привет", ("", "Привет")),
])
def test_which_turn_prefix_is_a_speaker_label(body, parts):
    assert split_label(body) == parts


@pytest.mark.parametrize("reply, name", [
    ("", None),
    ("Xenia", "Xenia"),  # only dashes, colons and "=" are taken off the front
    ("XX", "XX"),
])
def test_a_reply_as_a_name_exactly(reply, name):
    assert clean_name(reply) == name


@pytest.mark.parametrize("line, names", [
    ("20=Двадцатый", {"20": "Двадцатый"}),  # the last speaker number a name can be given to
    ("21=Лишний", None),
    ("01=Анна", {"1": "Анна"}),
    ("", None),
])
def test_speaker_numbers_a_names_line_accepts(line, names):
    assert parse_names_line(line) == names


def test_a_segment_without_text_makes_no_turn():
    segments = rows([{"speaker": "1"}, {"speaker": "2", "text": "Да."}, {"speaker": "1", "text": "  "}])
    assert turn_speakers(segments) == ["2"]


SEGMENTS = rows([{"speaker": "1", "text": "Привет."}, {"speaker": None, "text": "Шум."},
                 {"speaker": "2", "text": "Хорошо."}])


def test_a_turn_without_a_space_after_its_dash_is_labelled_without_losing_a_letter():
    text = "—Привет.\n— Шум.\n— Хорошо."
    assert label_turns(text, SEGMENTS, {"1": "Анна"}, "Спикер") == "— Анна: Привет.\n— Шум.\n— Спикер 2: Хорошо."


def test_a_misaligned_text_still_renames_every_label_it_carries():
    # Two turn lines for three turns: the unlabelled line is left alone, later labels are still renamed.
    text = "— Привет.\n— Спикер 2: Хорошо."
    assert label_turns(text, SEGMENTS, {"2": "Борис"}, "Спикер") == "— Привет.\n— Борис: Хорошо."


def test_mentions_are_renamed_in_any_letter_case():
    assert rename_mentions("спикер 1 и SPEAKER 2, Спикер 3", {"1": "Анна", "2": "Борис"}) == "Анна и Борис, Спикер 3"
