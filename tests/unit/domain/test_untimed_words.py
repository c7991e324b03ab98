"""Words of a sentence that came without word times: trailing punctuation is split off even
after a one-letter word, and a token that is only punctuation stays a word of its own."""

from __future__ import annotations

from domain.merge import _words_of as words_of  # a step of the merge, checked on its own
from domain.transcript import TextPassResult, TimedSentence, Word


def test_one_letter_words_keep_their_punctuation_apart_and_a_dash_is_a_word() -> None:
    words = words_of(TextPassResult((TimedSentence(0, 400, "А, — я.", ()),)))
    assert words == (Word(0, 133, "А", ","), Word(133, 266, "—", ""), Word(266, 400, "я", "."))


def test_words_are_spread_over_the_sentence_where_it_lies_and_a_point_sentence_stays_a_point() -> None:
    words = words_of(TextPassResult((TimedSentence(1000, 1600, "раз два три", ()),
                                     TimedSentence(2000, 2000, "да нет", ()))))
    assert [(w.start_ms, w.end_ms) for w in words] == [(1000, 1200), (1200, 1400), (1400, 1600),
                                                      (2000, 2000), (2000, 2000)]
