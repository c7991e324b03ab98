"""Dialogue rendering and reading the turns back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.dialogue import format_dialogue, parse_dialogue_lines, turn_label
from domain.transcript import Segment, Word


def seg(speaker: str | None, *texts: str) -> Segment:
    words = tuple(Word(i * 100, i * 100 + 50, t) for i, t in enumerate(texts))
    return Segment(speaker, 0, len(texts) * 100, words)


SEGMENTS = [
    seg("1", "Привет,", "как", "дела?"),
    seg("2", "Хорошо."),
    seg("2", "А", "у", "тебя?"),
    seg("1", "Тоже."),
]


def test_one_dash_line_per_turn_without_labels() -> None:
    assert format_dialogue(SEGMENTS, labels=False) == "— Привет, как дела?\n— Хорошо. А у тебя?\n— Тоже."


def test_labels_name_the_speaker() -> None:
    assert format_dialogue(SEGMENTS, labels=True) == (
        "— Спикер 1: Привет, как дела?\n— Спикер 2: Хорошо. А у тебя?\n— Спикер 1: Тоже."
    )
    assert (
        format_dialogue(SEGMENTS[:1], labels=True, label_word="Speaker") == "— Speaker 1: Привет, как дела?"
    )


def test_unknown_speaker_gets_no_label() -> None:
    text = format_dialogue([seg(None, "эээ"), seg("1", "Здравствуйте.")], labels=True)
    assert text == "— эээ\n— Спикер 1: Здравствуйте."


def test_empty_segments_are_skipped_and_do_not_split_a_turn() -> None:
    segments = [seg("1", "раз"), Segment("2", 0, 0, ()), seg("1", "два")]
    assert format_dialogue(segments, labels=False) == "— раз два"
    assert format_dialogue([], labels=True) == ""


def test_a_newline_inside_a_turn_does_not_make_a_new_line() -> None:
    segment = Segment("1", 0, 100, (Word(0, 50, "Первая", ".\n"), Word(50, 100, "вторая")))
    assert format_dialogue([segment], labels=False) == "— Первая. вторая"


def test_parse_dialogue_lines_finds_the_turns() -> None:
    formatted = "Заголовок\n\n— Спикер 1: Привет.\n  — Спикер 2: Пока.\nпродолжение\n– Ещё одна\n—слитно"
    # Only the em dash and a space that format_dialogue writes start a turn: a line an LLM began
    # with an en dash (or without the space) is not one, so such an answer counts fewer turns.
    assert parse_dialogue_lines(formatted) == ["— Спикер 1: Привет.", "— Спикер 2: Пока."]
    assert parse_dialogue_lines("") == []


def test_turn_label_reads_the_label_a_turn_starts_with() -> None:
    assert turn_label("— Спикер 1: Привет.") == "Спикер 1:"
    assert turn_label("— Speaker  12 : Hi") == "Speaker 12 :"
    assert turn_label("— Привет, Спикер 1: пока") == ""
    assert turn_label("— Hello") == ""


segments_strategy = st.lists(
    st.builds(
        seg,
        st.sampled_from(["1", "2", "3", None]),
        st.text("абвгде ,.\n", max_size=6),
        st.text("абвгде", max_size=4),
    ),
    max_size=12,
)


@given(segments_strategy, st.booleans())
def test_the_turn_count_survives_a_round_trip(segments: list[Segment], labels: bool) -> None:
    text = format_dialogue(segments, labels=labels)
    speakers = []
    for s in segments:
        if " ".join(s.text.split()) and (not speakers or speakers[-1] != s.speaker):
            speakers.append(s.speaker)
    lines = parse_dialogue_lines(text)
    assert len(lines) == len(speakers)
    assert text == "\n".join(lines)
    assert all(line.startswith("— ") for line in lines)
