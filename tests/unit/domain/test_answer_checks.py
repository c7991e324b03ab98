"""The faithfulness guards: table tests of what is refused and why, and properties over generated
dialogues (a translation that drops, merges, adds or relabels a turn is always refused; one that
changes only the words of each turn is always accepted)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.answer_checks import summary_problem, translation_problem, turn_labels

SOURCE = ("— Спикер 1: Доброе утро. Обсудим запуск в марте.\n"
          "— Спикер 2: Да. Я подготовлю смету до пятницы.\n"
          "— Спикер 1: Хорошо, решили: бюджет 2 миллиона.")
GOOD = ("— Спикер 1: Good morning. Let us discuss the March launch.\n"
        "— Спикер 2: Yes. I will prepare the estimate by Friday.\n"
        "— Спикер 1: Fine, decided: a budget of 2 million.")


@pytest.mark.parametrize("answer, reason", [
    (GOOD, None),
    ("\n".join(GOOD.splitlines()[:2]), "dialogue turns changed (3 in, 2 out)"),
    (GOOD.replace("\n— Спикер 2: Yes.", " Yes."), "dialogue turns changed (3 in, 2 out)"),
    (GOOD + "\n— Спикер 3: Me too.", "dialogue turns changed (3 in, 4 out)"),
    (GOOD.replace("— Спикер 2:", "— Speaker 2:"), "speaker label of turn 2 changed ('Спикер 2' became 'Speaker 2')"),
    (GOOD.replace("— Спикер 2: Yes", "— Спикер 1: Yes"), "speaker label of turn 2 changed ('Спикер 2' became 'Спикер 1')"),
    (GOOD.replace("— Спикер 2: ", "— "), "speaker label of turn 2 changed ('Спикер 2' became '')"),
    ("", "empty translation"),
    ("— Спикер 1: Hi.", "translation too short (15 characters for 142)"),
    (GOOD * 5, "translation too long (820 characters for 142)"),
])
def test_translation_table(answer, reason):
    assert translation_problem(SOURCE, answer, dialogue=True) == reason


def test_named_and_unlabelled_turns_keep_their_labels():
    source = "— Анна: Привет.\n— Как дела?\n— Борис: Хорошо."
    assert translation_problem(source, "— Анна: Hi.\n— How are you?\n— Борис: Fine.", dialogue=True) is None
    assert translation_problem(source, "— Anna: Hi.\n— How are you?\n— Борис: Fine.", dialogue=True) == (
        "speaker label of turn 1 changed ('Анна' became 'Anna')")
    assert translation_problem(source, "— Анна: Hi.\n— Борис: How are you?\n— Борис: Fine.", dialogue=True) == (
        "turn 2 got a speaker label it did not have ('Борис')")
    assert translation_problem(source, "— Анна: Hi.\n— Speaker 3: How are you?\n— Борис: Fine.",
                               dialogue=True) == "turn 2 got a speaker label it did not have ('Speaker 3')"
    # An emptied turn is no turn line at all ("— " needs text after it): the count tells.
    assert translation_problem(source, "— Анна: Hi.\n— \n— Борис: Fine and you too.", dialogue=True) == (
        "dialogue turns changed (3 in, 2 out)")


def test_turn_labels_reads_numbered_named_and_missing_labels():
    assert turn_labels("— Спикер 1: a\n— Anna: b\n— c\nnot a turn\n— Speaker  12 : d") == [
        "Спикер 1", "Anna", "", "Speaker 12"]
    assert turn_labels("– Speaker 1: an en dash is not a turn the bot wrote") == []


@pytest.mark.parametrize("answer, reason", [
    ("Спикер 1 предложил запуск в марте; Спикер 2 подготовит смету.", None),
    ("Спикер 3 был против.", "summary names speakers the transcript does not have (3)"),
    ("Speaker 4 agreed.", "summary names speakers the transcript does not have (4)"),
    ("— Вера: я против.", "summary writes a turn of a speaker the transcript does not have ('Вера')"),
    ("Решение: бюджет 2 миллиона.", None),  # a heading-like colon is not a speaker
    ("   ", "empty summary"),
])
def test_summary_table(answer, reason):
    assert summary_problem(SOURCE, answer) == reason


def test_a_summary_of_a_transcript_without_speakers_names_none():
    plain = "Сегодня обсудили бюджет. Решили запускать в марте."
    assert summary_problem(plain, "Обсудили бюджет и март.") is None
    assert summary_problem(plain, "Спикер 1 предложил март.") == (
        "summary names speakers the transcript does not have (1)")


def test_a_long_transcripts_summary_must_be_shorter_than_it():
    source = "— Спикер 1: " + "слово " * 200
    assert summary_problem(source, source + " ещё") == "summary is not shorter than the transcript"
    assert summary_problem(source, "Спикер 1 повторял одно слово.") is None


def test_given_names_are_known_speakers():
    source = "— Анна: Привет.\n— Борис: Пока."
    assert summary_problem(source, "— Анна: поздоровалась.", speakers=frozenset({"Анна", "Борис"})) is None


# ------------------------------------------------------------------------------------ properties

_labels = st.sampled_from(["Спикер 1", "Спикер 2", "Спикер 3", "Анна", "Speaker 4", ""])
_words = st.text(alphabet="абвгдежзиклмнопрстуфхцчшщэюяabcdefghij", min_size=2, max_size=12)
_sentence = st.lists(_words, min_size=3, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
_turns = st.lists(st.tuples(_labels, _sentence), min_size=2, max_size=25)


def _render(turns: list[tuple[str, str]]) -> str:
    return "\n".join(f"— {label}: {text}" if label else f"— {text}" for label, text in turns)


def _translate(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A stand-in translation: the words change, the labels do not."""
    return [(label, text.upper()) for label, text in turns]


@given(_turns)
def test_a_translation_that_only_changes_the_words_is_accepted(turns):
    assert translation_problem(_render(turns), _render(_translate(turns)), dialogue=True) is None


@given(_turns, st.data())
def test_a_translation_that_drops_a_turn_is_refused(turns, data):
    lost = data.draw(st.integers(0, len(turns) - 1))
    translated = _translate(turns)
    del translated[lost]
    assert translation_problem(_render(turns), _render(translated), dialogue=True) is not None


@given(_turns, st.data())
def test_a_translation_that_merges_two_turns_is_refused(turns, data):
    at = data.draw(st.integers(0, len(turns) - 2))
    translated = _translate(turns)
    label, text = translated[at]
    translated[at:at + 2] = [(label, f"{text} {translated[at + 1][1]}")]
    assert translation_problem(_render(turns), _render(translated), dialogue=True) is not None


@given(_turns, st.data(), st.sampled_from(["Спикер 9", "Борис", "Speaker 7"]))
def test_a_translation_that_changes_or_drops_a_speaker_label_is_refused(turns, data, other):
    labelled = [i for i, (label, _) in enumerate(turns) if label]
    if not labelled:
        turns = [("Спикер 1", turns[0][1]), *turns[1:]]
        labelled = [0]
    at = data.draw(st.sampled_from(labelled))
    translated = _translate(turns)
    replacement = data.draw(st.sampled_from([other, ""]))
    translated[at] = (replacement, translated[at][1])
    assert translation_problem(_render(turns), _render(translated), dialogue=True) is not None


@given(_turns, st.data())
def test_a_translation_that_adds_a_turn_is_refused(turns, data):
    at = data.draw(st.integers(0, len(turns)))
    translated = _translate(turns)
    translated.insert(at, ("Спикер 1", "Лишняя реплика."))
    assert translation_problem(_render(turns), _render(translated), dialogue=True) is not None


@given(_turns, st.integers(5, 99))
def test_a_summary_that_names_a_speaker_number_the_dialogue_lacks_is_refused(turns, number):
    source = _render(turns)
    assert summary_problem(source, f"Спикер {number} со всем согласился.") is not None


# ------------------------------------------------------------------------------------ boundaries


@pytest.mark.parametrize("source, answer, reason", [
    ("восемь!!", "ab", None),  # exactly a quarter of the source: still a translation
    ("восемь!!", "a", "translation too short (1 characters for 8)"),
    ("да", "yes, yes", None),  # exactly four times the source: still a translation
    ("да", "yes, yes!", "translation too long (9 characters for 2)"),
    ("5", "five", None), ("5", "five.", "translation too long (5 characters for 1)"),
    ("", "Hi", None),  # an empty source counts as one character
    ("", "Hello", "translation too long (5 characters for 0)"),
    ("  да  ", "  yes, yes  ", None),  # surrounding spaces count on neither side
])
def test_translation_length_limits_of_a_plain_text(source, answer, reason):
    assert translation_problem(source, answer, dialogue=False) == reason


def test_invented_speaker_numbers_are_listed_in_numeric_order():
    assert summary_problem(SOURCE, "Спикер 10 и Спикер 9 возразили, Speaker 3 тоже.") == (
        "summary names speakers the transcript does not have (3, 9, 10)")


@pytest.mark.parametrize("answer, reason", [
    # A turn line of an unknown speaker is refused whatever bullet or dash it is written with,
    # and wherever it stands after headings and sentences with colons.
    ("Итоги встречи:\nРешение: март.\n— Вера: я против.",
     "summary writes a turn of a speaker the transcript does not have ('Вера')"),
    ("– Вера: я против.", "summary writes a turn of a speaker the transcript does not have ('Вера')"),
    # A name label has at most three words; a longer "…:" is a sentence, not a speaker.
    ("— Анна Мария Петрова: против.",
     "summary writes a turn of a speaker the transcript does not have ('Анна Мария Петрова')"),
    ("— Мы в итоге решили: запуск в марте.", None),  # four words
    # A label on a line that is not a turn (no dash) is a heading or a bullet, not a turn.
    ("• Вера: я против.", None),
])
def test_summary_turn_lines_of_unknown_speakers(answer, reason):
    assert summary_problem(SOURCE, answer) == reason


def test_a_turn_line_without_a_space_after_its_dash_names_its_speaker_whole():
    source = "— Xenia: Привет.\n— Борис: Пока."
    assert summary_problem(source, "—Xenia: поздоровалась.\n—Борис: попрощался.") is None
    assert summary_problem(source, "—Xena: поздоровалась.") == (
        "summary writes a turn of a speaker the transcript does not have ('Xena')")


@pytest.mark.parametrize("source_chars, answer_chars, reason", [
    (600, 600, "summary is not shorter than the transcript"),  # long enough to be summarised
    (600, 601, "summary is not shorter than the transcript"),
    (600, 599, None),
    (599, 599, None),  # a short transcript may get a summary as long as itself
    (599, 700, None),
])
def test_a_summary_of_a_transcript_long_enough_is_shorter(source_chars, answer_chars, reason):
    source = ("слово " * 200)[:source_chars - 1] + "."
    answer = ("итог " * 200)[:answer_chars - 1] + "."
    assert (len(source), len(answer)) == (source_chars, answer_chars)
    assert summary_problem(source, answer) == reason
