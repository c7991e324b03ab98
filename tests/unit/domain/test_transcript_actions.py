"""Pure pieces of the actions on a transcript: map-reduce planning over speaker turns, prices,
speaker names (parsing, labelling turns, renaming stored results), the translation targets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.action_planning import plan_pieces, reduce_groups
from domain.dialogue import parse_dialogue_lines
from domain.models import translation_languages
from domain.policy import Policy
from domain.speaker_names import clean_name, label_turns, parse_names_line, rename_mentions, turn_speakers
from domain.transcript_actions import ActionKind, action_id, action_price, is_action_id, price_minutes
from tests.segment_rows import rows

# -- planning -------------------------------------------------------------------------------------

_turn = st.tuples(st.sampled_from(["Спикер 1: ", "Анна: ", ""]),
                  st.lists(st.text("абвгдежз", min_size=1, max_size=9), min_size=1, max_size=60))


def _dialogue(turns) -> str:
    return "\n".join(f"— {label}{' '.join(words)}." for label, words in turns)


@given(st.lists(_turn, min_size=1, max_size=40), st.integers(60, 600))
def test_pieces_hold_whole_turns_within_the_budget_and_lose_nothing(turns, budget):
    text = _dialogue(turns)
    pieces = plan_pieces(text, dialogue=True, budget=budget, whole_turns=True)
    assert "\n".join(pieces) == text  # every turn, in order, none cut
    for piece in pieces:
        lines = parse_dialogue_lines(piece)
        assert len(piece) <= budget or len(lines) == 1  # only a single over-long turn exceeds it


@given(st.lists(_turn, min_size=1, max_size=40), st.integers(40, 400))
def test_a_long_turn_is_cut_into_turns_that_keep_its_speaker(turns, budget):
    text = _dialogue(turns)
    pieces = plan_pieces(text, dialogue=True, budget=budget)
    assert all(len(p) <= budget for p in pieces if len(parse_dialogue_lines(p)) > 1 or len(p.split()) > 3)
    rebuilt = [line for p in pieces for line in parse_dialogue_lines(p)]
    words = [w for line in rebuilt for w in line.split() if w not in ("—", "Спикер", "1:", "Анна:")]
    original = [w for line in parse_dialogue_lines(text) for w in line.split()
                if w not in ("—", "Спикер", "1:", "Анна:")]
    assert words == original
    for line in rebuilt:
        assert line.startswith("— ")


def test_a_cut_turn_carries_its_label_on_every_part():
    turn = "— Анна: " + " ".join(f"Фраза номер {i}." for i in range(40))
    pieces = plan_pieces(turn, dialogue=True, budget=120)
    assert len(pieces) > 3
    assert all(p.startswith("— Анна: Фраза") and len(p) <= 120 for p in pieces)


def test_plain_text_is_cut_at_paragraphs():
    text = "\n\n".join(f"Абзац {i}. " + "слово " * 20 for i in range(10))
    pieces = plan_pieces(text, dialogue=False, budget=400)
    assert all(len(p) <= 400 for p in pieces)
    assert "\n\n".join(pieces) == "\n\n".join(p.strip() for p in text.split("\n\n"))


@given(st.lists(st.integers(1, 900), min_size=2, max_size=80), st.integers(100, 3000))
def test_reduce_groups_keep_order_and_always_shrink(sizes, budget):
    texts = ["x" * n for n in sizes]
    groups = reduce_groups(texts, budget)
    assert [i for g in groups for i in g] == list(range(len(texts)))
    assert len(groups) < len(texts)
    assert all(len(g) >= 2 for g in groups)


# -- prices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("duration_ms, per_hour, minutes", [
    (60_000, 0.5, 1), (3_600_000, 0.5, 1), (3_600_001, 0.5, 1), (2 * 3_600_001, 0.5, 2),
    (4 * 3_600_000, 0.5, 2), (4 * 3_600_000, 1.0, 4), (10_000, 0.0, 0), (0, 0.25, 1), (5 * 3_600_000, 0.3, 2),
])
def test_a_fraction_of_a_minute_per_started_hour_rounded_up(duration_ms, per_hour, minutes):
    assert price_minutes(duration_ms, per_hour) == minutes


@pytest.mark.parametrize("duration_ms, per_hour, minutes", [
    (None, 1.0, 1), (-5, 1.0, 1), (0, 1.0, 1), (1, 1.0, 1),  # unknown or no audio: one started hour
    (10 * 3_600_000, 0.7, 7),  # 10 × 0.7 is 7.000000000000001 in floats: still 7, not 8
    (3 * 3_600_000, 0.1, 1),  # 0.30000000000000004 → 1
    # Hours × rate is taken to a millionth of a minute: what lies below it is float noise.
    (2 * 3_600_000, 0.5000001, 1), (2 * 3_600_000, 0.500001, 2),
    (3_600_000, -1.0, 0),  # a negative rate never pays the user
])
def test_prices_at_the_edges(duration_ms, per_hour, minutes):
    assert price_minutes(duration_ms, per_hour) == minutes


def test_prices_are_policy_numbers_and_names_are_free():
    policy = Policy(summary_minutes_per_hour=0.5, key_points_minutes_per_hour=0.0,
                    translation_minutes_per_hour=1.0)
    hour = 3_600_000
    assert action_price(policy, ActionKind.SUMMARY, 3 * hour) == 2
    assert action_price(policy, ActionKind.KEY_POINTS, 3 * hour) == 0
    assert action_price(policy, ActionKind.TRANSLATE, 3 * hour) == 3
    assert action_price(policy, ActionKind.NAMES, 3 * hour) == 0


def test_action_ids_travel_on_the_job_queue():
    import re

    aid = action_id(ActionKind.TRANSLATE, "a" * 32, "en")
    assert aid == "act.tr-en." + "a" * 32 and is_action_id(aid) and not is_action_id("a" * 32)
    assert re.match(r"^[A-Za-z0-9_.:-]{1,128}$", aid)


# -- speaker names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("line, names", [
    ("1=Anna, 2=Boris", {"1": "Anna", "2": "Boris"}),
    ("1 = Анна Петровна; 2: Борис", {"1": "Анна Петровна", "2": "Борис"}),
    ("1—Анна\n2 – Борис", {"1": "Анна", "2": "Борис"}),
    ("Анна", None), ("1=Анна, Борис", None), ("0=Никто", None), ("1=", None), ("99=Много", None),
])
def test_one_line_of_names(line, names):
    assert parse_names_line(line) == names


@pytest.mark.parametrize("reply, name", [
    ("  Анна  ", "Анна"), ("— Анна", "Анна"), ("Анна: привет", "Анна привет"), ("/start", None), ("—:", None),
    ("<b>Анна</b>", "bАнна/b"), ("x" * 60, "x" * 40),
])
def test_a_reply_as_a_name(reply, name):
    assert clean_name(reply) == name


SEGMENTS = rows([{"speaker": "1", "text": "Привет."}, {"speaker": "1", "text": "Как дела?"},
                 {"speaker": "2", "text": ""}, {"speaker": None, "text": "Шум."}, {"speaker": "2", "text": "Хорошо."}])


def test_turn_speakers_follow_format_dialogue():
    assert turn_speakers(SEGMENTS) == ["1", None, "2"]


def test_turns_get_names_whether_or_not_they_had_labels():
    plain = "— Привет. Как дела?\n— Шум.\n— Хорошо."
    assert label_turns(plain, SEGMENTS, {"1": "Анна"}, "Спикер") == "— Анна: Привет. Как дела?\n— Шум.\n— Спикер 2: Хорошо."
    labelled = "— Спикер 1: Привет. Как дела?\n— Шум.\n— Спикер 2: Хорошо."
    assert label_turns(labelled, SEGMENTS, {"2": "Борис"}, "Спикер") == (
        "— Спикер 1: Привет. Как дела?\n— Шум.\n— Борис: Хорошо.")
    # A text whose turns no longer match the segments keeps only the labels it carries.
    assert label_turns("— Привет.\n— Хорошо.", SEGMENTS, {"1": "Анна"}, "Спикер") == "— Привет.\n— Хорошо."


def test_a_stored_result_is_shown_with_the_names_given_since():
    assert rename_mentions("Спикер 1 предложил, Speaker 2 согласился, Спикер 3 молчал.", {"1": "Анна", "2": "Борис"}) == (
        "Анна предложил, Борис согласился, Спикер 3 молчал.")


# -- translation targets ------------------------------------------------------------------------------


def test_the_short_list_is_what_the_configured_text_models_document():
    assert translation_languages("qwen-flash", "gemini-3.8-flash") == ("en", "ru", "uk", "de", "es", "fr", "it", "zh")
    assert translation_languages("qwen-flash", None) == ("en", "ru", "uk", "de", "es", "fr", "it", "zh")
    assert translation_languages("some-unknown-model") == ("en", "ru", "uk", "de", "es", "fr", "it", "zh")
