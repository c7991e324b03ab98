"""Map-reduce planning, exactly: which turns and paragraphs go into which piece at the budget's
edge, how a turn longer than the budget is cut, and how partial results are grouped for merging."""

from __future__ import annotations

import pytest

from domain.action_planning import plan_pieces, reduce_groups

# -- turns and paragraphs --------------------------------------------------------------------------


@pytest.mark.parametrize("text, pieces", [
    # Blank lines between turns (the formatter keeps them) separate turns; they end nothing.
    ("— Да.\n\n— Нет.\n\n   \n— Может.", ["— Да.\n— Нет.\n— Может."]),
    # A line without a dash is the wrapped rest of the turn above it, joined with one space.
    ("— Первая реплика\nпродолжение\n— Вторая\n— Третья\nхвост",
     ["— Первая реплика продолжение\n— Вторая\n— Третья хвост"]),
    # Text before the first dash is a turn of its own, not lost.
    ("вступление\n— Реплика", ["вступление\n— Реплика"]),
])
def test_a_dialogue_is_read_as_turn_lines(text, pieces):
    assert plan_pieces(text, dialogue=True, budget=200) == pieces


@pytest.mark.parametrize("text, dialogue, budget, pieces", [
    # Two paragraphs joined by a blank line fill exactly the budget: one piece.
    ("аа\n\nбб", False, 6, ["аа\n\nбб"]),
    ("аа\n\nбб", False, 5, ["аа", "бб"]),
    # The piece after a full one is counted from zero again.
    ("аааааа\n\nаа\n\nбб", False, 6, ["аааааа", "аа\n\nбб"]),
    # Turn lines are joined by one line break.
    ("— а\n— б", True, 7, ["— а\n— б"]),
    ("— а\n— б", True, 6, ["— а", "— б"]),
])
def test_pieces_are_filled_up_to_the_budget_exactly(text, dialogue, budget, pieces):
    assert plan_pieces(text, dialogue=dialogue, budget=budget) == pieces


@pytest.mark.parametrize("text, dialogue", [
    ("Первая.\nВторая.", False),  # exactly the budget: its line break stays
    ("— Анна:  Привет.  Как дела?", True),  # a turn that fits keeps its spacing
])
def test_a_turn_or_paragraph_that_fits_is_sent_as_written(text, dialogue):
    assert plan_pieces(text, dialogue=dialogue, budget=len(text)) == [text]


def test_a_budget_must_be_positive():
    for budget in (0, -5):
        with pytest.raises(ValueError, match="^budget must be positive$"):
            plan_pieces("текст", dialogue=False, budget=budget)


# -- a unit longer than the budget -------------------------------------------------------------------


@pytest.mark.parametrize("text, dialogue, budget, pieces", [
    # Cut at sentence ends, sentences that fit together stay together; an over-long sentence at spaces.
    ("Да. Нет. Может быть так.", False, 12, ["Да. Нет.", "Может быть", "так."]),
    # Two sentences exactly filling the budget are one part.
    ("Да. Нет. Ага.", False, 8, ["Да. Нет.", "Ага."]),
    # A sentence exactly as long as the budget is never cut into words.
    ("Ок. аааа бббб", False, 9, ["Ок.", "аааа бббб"]),
    # Line breaks inside a paragraph survive the cut (words are split at spaces only).
    ("Пункт один\nпункт два\nпункт три", False, 20, ["Пункт один\nпункт", "два\nпункт три"]),
    # In plain text a leading dash is punctuation: the cut invents no speaker turns.
    ("— Анна: раз два три четыре", False, 15, ["— Анна: раз два", "три четыре"]),
    # A turn written without a space after its dash keeps its speaker's full name on every part.
    ("—Анна: раз два три четыре", True, 20, ["— Анна: раз два три", "— Анна: четыре"]),
    ("— Спикер 1:раз два три четыре", True, 22, ["— Спикер 1:раз два три", "— Спикер 1:четыре"]),
    # Even a budget of one character: every piece fits when every word does (a double space is no word).
    ("а  б", False, 1, ["а", "б"]),
])
def test_a_long_unit_is_cut_into_parts_that_fit(text, dialogue, budget, pieces):
    assert plan_pieces(text, dialogue=dialogue, budget=budget) == pieces
    assert all(len(piece) <= budget for piece in pieces)


# -- reduce rounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sizes, budget, groups", [
    ([], 10, []),  # nothing to merge
    ([5], 10, [[0]]),  # one text is its own (last) group
    ([3] * 6, 13, [[0, 1, 2], [3, 4, 5]]),  # 3 texts + 2 separators of 2 = exactly 13
    ([3] * 6, 12, [[0, 1], [2, 3], [4, 5]]),  # a third text would make 13
    ([3] * 4, 10, [[0, 1], [2, 3]]),
    ([50, 3, 3], 10, [[0, 1, 2]]),  # an over-long text still gets a partner; a lone last text joins
])
def test_reduce_groups_fill_up_to_the_budget_with_separators(sizes, budget, groups):
    assert reduce_groups(["x" * n for n in sizes], budget) == groups
