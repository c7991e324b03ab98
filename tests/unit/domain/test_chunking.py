"""Chunk planning over silences and stitching of the chunk texts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audio import Span
from domain.chunking import DEFAULT_MIN_TAIL_MS, Chunk, SeamKind, plan_chunks, stitch_texts
from domain.policy import Policy

POLICY = Policy(chunk_max_s=150.0, chunk_min_s=60.0, chunk_overlap_s=2.0, min_silence_s=0.3)
S = 1000  # ms per second, for readable fixtures


def spans(chunks: tuple[Chunk, ...]) -> list[tuple[int, int, SeamKind]]:
    return [(c.start_ms, c.end_ms, c.seam) for c in chunks]


# --- plan_chunks: examples ---------------------------------------------------------------------


def test_short_audio_is_one_chunk() -> None:
    assert spans(plan_chunks(150 * S, [], POLICY)) == [(0, 150 * S, SeamKind.START)]
    assert spans(plan_chunks(5, [], POLICY)) == [(0, 5, SeamKind.START)]


@pytest.mark.parametrize("duration", [0, -1, -150 * S])
def test_no_audio_gives_no_chunks(duration: int) -> None:
    assert plan_chunks(duration, [Span(0, 1000)], POLICY) == ()


def test_without_silences_cuts_hard_with_overlap() -> None:
    chunks = plan_chunks(400 * S, [], POLICY)
    assert spans(chunks) == [
        (0, 150 * S, SeamKind.START),
        (148 * S, 298 * S, SeamKind.OVERLAP),
        (296 * S, 400 * S, SeamKind.OVERLAP),
    ]
    assert [c.index for c in chunks] == [0, 1, 2]
    assert chunks[1].length_ms == 150 * S


def test_cuts_at_the_middle_of_a_silence_and_chunks_touch() -> None:
    chunks = plan_chunks(200 * S, [Span(100 * S, 101 * S)], POLICY)
    assert spans(chunks) == [(0, 100_500, SeamKind.START), (100_500, 200 * S, SeamKind.SILENCE)]


def test_picks_the_silence_nearest_the_limit() -> None:
    silences = [Span(70 * S, 71 * S), Span(140 * S, 141 * S), Span(120 * S, 121 * S)]
    chunks = plan_chunks(280 * S, silences, POLICY)
    assert chunks[0].end_ms == 140_500
    assert chunks[1].seam is SeamKind.SILENCE


def test_ignores_short_silences_and_silences_before_the_minimum() -> None:
    silences = [Span(140 * S, 140 * S + 200), Span(30 * S, 40 * S)]
    chunks = plan_chunks(280 * S, silences, POLICY)
    assert spans(chunks)[:2] == [(0, 150 * S, SeamKind.START), (148 * S, 280 * S, SeamKind.OVERLAP)]


def test_avoids_a_tiny_last_chunk_on_a_hard_cut() -> None:
    # The plain cut at 150 s would leave a 4 s tail; the cut moves back so the tail is 15 s.
    chunks = plan_chunks(152 * S, [], POLICY)
    assert spans(chunks) == [(0, 139 * S, SeamKind.START), (137 * S, 152 * S, SeamKind.OVERLAP)]
    assert chunks[-1].length_ms == DEFAULT_MIN_TAIL_MS


def test_prefers_a_silence_that_leaves_a_decent_tail() -> None:
    chunks = plan_chunks(155 * S, [Span(100 * S, 101 * S), Span(148 * S, 149 * S)], POLICY)
    assert chunks[0].end_ms == 100_500


def test_a_silence_cut_beats_a_tidy_tail() -> None:
    # The only silence leaves a 6.5 s tail; cutting there still beats a hard cut with overlap.
    chunks = plan_chunks(155 * S, [Span(148 * S, 149 * S)], POLICY)
    assert spans(chunks) == [(0, 148_500, SeamKind.START), (148_500, 155 * S, SeamKind.SILENCE)]


def test_tolerates_unsorted_overlapping_silences_and_silences_past_the_end() -> None:
    silences = [Span(130 * S, 136 * S), Span(90 * S, 95 * S), Span(132 * S, 134 * S), Span(900 * S, 901 * S)]
    expected = plan_chunks(400 * S, sorted(silences, key=lambda s: s.start_ms), POLICY)
    assert plan_chunks(400 * S, silences, POLICY) == expected
    assert expected[0].end_ms == 133 * S


@pytest.mark.parametrize("overlap_s", [150.0, 200.0, -1.0])
def test_limits_that_cannot_progress_are_rejected(overlap_s: float) -> None:
    with pytest.raises(ValueError):
        plan_chunks(1000 * S, [], Policy(chunk_max_s=150.0, chunk_overlap_s=overlap_s))


def test_a_non_positive_maximum_is_rejected() -> None:
    with pytest.raises(ValueError):
        plan_chunks(1000 * S, [], Policy(chunk_max_s=0.0, chunk_overlap_s=0.0))


# --- plan_chunks: properties -------------------------------------------------------------------


@st.composite
def planning_cases(draw: st.DrawFn) -> tuple[int, list[Span], Policy]:
    max_ms = draw(st.integers(2_000, 200_000))
    min_ms = draw(st.integers(0, max_ms))
    overlap_ms = draw(st.integers(0, max_ms - 1))
    min_silence_ms = draw(st.integers(0, 2_000))
    duration = draw(st.integers(1, 20 * max_ms))
    starts = draw(st.lists(st.integers(0, duration + 5_000), max_size=40))
    silences = [Span(s, s + draw(st.integers(0, 4_000))) for s in starts]
    policy = Policy(
        chunk_max_s=max_ms / 1000,
        chunk_min_s=min_ms / 1000,
        chunk_overlap_s=overlap_ms / 1000,
        min_silence_s=min_silence_ms / 1000,
    )
    return duration, silences, policy


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


@given(planning_cases())
def test_plan_covers_the_audio_within_the_limits(case: tuple[int, list[Span], Policy]) -> None:
    duration, silences, policy = case
    max_ms, overlap_ms = _ms(policy.chunk_max_s), _ms(policy.chunk_overlap_s)
    chunks = plan_chunks(duration, silences, policy)

    assert chunks[0].start_ms == 0 and chunks[0].seam is SeamKind.START
    assert chunks[-1].end_ms == duration
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert 0 < chunk.length_ms <= max_ms
    for prev, cur in zip(chunks, chunks[1:], strict=False):
        assert prev.start_ms < cur.start_ms  # progress, and no gap below:
        if cur.seam is SeamKind.SILENCE:
            assert cur.start_ms == prev.end_ms
        else:
            assert cur.seam is SeamKind.OVERLAP
            assert cur.start_ms == prev.end_ms - overlap_ms


@given(planning_cases())
def test_every_cut_is_inside_a_silence_when_the_window_has_one(case: tuple[int, list[Span], Policy]) -> None:
    duration, silences, policy = case
    min_ms = min(max(_ms(policy.chunk_min_s), 1), _ms(policy.chunk_max_s))
    max_ms = _ms(policy.chunk_max_s)
    usable = [s for s in silences if s.length_ms >= max(_ms(policy.min_silence_s), 1)]
    chunks = plan_chunks(duration, silences, policy)
    for prev, cur in zip(chunks, chunks[1:], strict=False):
        lo, hi = prev.start_ms + min_ms, prev.start_ms + max_ms
        in_window = [s for s in usable if lo <= (s.start_ms + s.end_ms) // 2 <= hi]
        if cur.seam is SeamKind.SILENCE:
            cut = prev.end_ms
            assert lo <= cut <= hi
            assert any(s.start_ms <= cut < s.end_ms for s in usable)
        else:
            assert not in_window


@given(planning_cases(), st.randoms(use_true_random=False))
def test_plan_is_deterministic_and_ignores_silence_order(case: tuple[int, list[Span], Policy], rnd) -> None:
    duration, silences, policy = case
    shuffled = list(silences)
    rnd.shuffle(shuffled)
    assert plan_chunks(duration, silences, policy) == plan_chunks(duration, shuffled, policy)


@given(planning_cases())
def test_without_silences_the_plan_is_fixed_windows_with_overlap(
    case: tuple[int, list[Span], Policy],
) -> None:
    duration, _, policy = case
    chunks = plan_chunks(duration, [], policy)
    # All but the last two are full windows; the one before the last may be shortened for the tail.
    assert all(c.length_ms == _ms(policy.chunk_max_s) for c in chunks[:-2])
    assert all(c.seam is SeamKind.OVERLAP for c in chunks[1:])


# --- stitch_texts ------------------------------------------------------------------------------

FIRST = Chunk(0, 0, 150 * S, SeamKind.START)
AFTER_OVERLAP = Chunk(1, 148 * S, 298 * S, SeamKind.OVERLAP)
AFTER_SILENCE = Chunk(1, 150 * S, 298 * S, SeamKind.SILENCE)


def test_silence_seams_join_with_a_space() -> None:
    assert stitch_texts([FIRST, AFTER_SILENCE], [" Раз два. ", "Три четыре."]) == "Раз два. Три четыре."


def test_overlap_seam_removes_the_repeated_words_once() -> None:
    left = "Мы пошли в магазин и купили хлеб"
    right = "купили хлеб и молоко к ужину"
    assert (
        stitch_texts([FIRST, AFTER_OVERLAP], [left, right])
        == "Мы пошли в магазин и купили хлеб и молоко к ужину"
    )


def test_overlap_matching_ignores_case_punctuation_and_yo() -> None:
    left = "Он сказал: всё хорошо, Иван."
    right = "Все хорошо иван, приходи завтра."
    # Three words match; left is kept up to the middle one, right from there.
    assert (
        stitch_texts([FIRST, AFTER_OVERLAP], [left, right]) == "Он сказал: всё хорошо иван, приходи завтра."
    )


def test_overlap_drops_words_garbled_at_the_cut() -> None:
    left = "и тогда мы решили уехать на дач"
    right = "ли уехать на дачу в субботу"
    assert stitch_texts([FIRST, AFTER_OVERLAP], [left, right]) == "и тогда мы решили уехать на дачу в субботу"


def test_overlap_with_a_single_matched_word_keeps_both_sides() -> None:
    left = "первая часть текста"
    right = "текста вторая часть"  # one word in common is too weak a match
    assert stitch_texts([FIRST, AFTER_OVERLAP], [left, right]) == f"{left} {right}"


def test_empty_texts_are_skipped_cleanly() -> None:
    third = Chunk(2, 296 * S, 400 * S, SeamKind.OVERLAP)
    assert stitch_texts([FIRST, AFTER_OVERLAP, third], ["раз два", "  ", "три"]) == "раз два три"
    assert stitch_texts([FIRST, AFTER_SILENCE], ["", "только второй"]) == "только второй"
    assert stitch_texts([], []) == ""


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        stitch_texts([FIRST], ["a", "b"])


ALPHABET = "абвгдежзиклмнопрстуфхцчшщыэюя"
unique_words = st.lists(st.text(ALPHABET, min_size=1, max_size=8), unique=True, min_size=2, max_size=30)


@given(unique_words, st.data())
def test_stitching_a_known_repeated_run_removes_it_once_and_loses_nothing(words: list[str], data) -> None:
    run_len = data.draw(st.integers(2, min(6, len(words))))
    before = data.draw(st.integers(0, len(words) - run_len))
    prefix, run, suffix = words[:before], words[before : before + run_len], words[before + run_len :]
    left, right = " ".join(prefix + run), " ".join(run + suffix)
    assert stitch_texts([FIRST, AFTER_OVERLAP], [left, right]).split() == prefix + run + suffix


@given(unique_words, st.data())
def test_stitching_without_a_common_run_keeps_every_word(words: list[str], data) -> None:
    cut = data.draw(st.integers(1, len(words) - 1))
    left, right = " ".join(words[:cut]), " ".join(words[cut:])
    assert stitch_texts([FIRST, AFTER_OVERLAP], [left, right]) == f"{left} {right}"


@given(st.lists(st.text(ALPHABET + " .,", max_size=40), min_size=1, max_size=6))
def test_silence_seams_keep_every_text(texts: list[str]) -> None:
    chunks = [
        Chunk(i, i * 100, (i + 1) * 100, SeamKind.SILENCE if i else SeamKind.START) for i in range(len(texts))
    ]
    assert stitch_texts(chunks, texts) == " ".join(t.strip() for t in texts if t.strip())


# ---------------------------------------------------------------------------------------------
# The overlap seam: which words survive


def _overlapping(left: str, right: str, overlap_ms: int = 2000) -> str:
    chunks = (Chunk(0, 0, 150_000, SeamKind.START), Chunk(1, 150_000 - overlap_ms, 300_000, SeamKind.OVERLAP))
    return stitch_texts(chunks, (left, right))


def test_single_coinciding_words_at_the_window_edges_are_not_taken_for_repeated_audio() -> None:
    # Only one word at a time coincides (the left window's first word with the right window's
    # second and last words, its last word with the right's first): no run of two, keep both.
    assert _overlapping("рыбу и кот", "кот ест рыбу") == "рыбу и кот кот ест рыбу"
    assert _overlapping("ест кот спит рыбу", "рыбу ест мясо") == "ест кот спит рыбу рыбу ест мясо"


def test_the_longest_repeated_run_wins_over_a_later_shorter_one() -> None:
    stitched = _overlapping("мы говорим о погоде", "говорим о погоде и снова о погоде")
    assert stitched == "мы говорим о погоде и снова о погоде"


def test_of_two_equally_long_repeats_the_one_at_the_seam_is_the_overlap() -> None:
    # "раз два" also recurs far from the seam; only "четыре пять" lies where the audio overlapped.
    stitched = _overlapping("раз два три четыре пять", "четыре пять шесть раз два")
    assert stitched == "раз два три четыре пять шесть раз два"


def test_the_repeat_is_cut_in_its_middle_each_half_taken_from_the_side_nearer_to_it() -> None:
    # The two recognitions of the overlap differ in case: the first half of the repeated words
    # comes from the left text, the second half from the right one.
    stitched = _overlapping("ЭТО БЫЛО ВЧЕРА УТРОМ", "это было вчера утром и днём")
    assert stitched == "ЭТО БЫЛО вчера утром и днём"


def test_the_search_window_holds_three_times_the_words_the_overlap_can_hold() -> None:
    from domain.chunking import _window_words

    # About two words a second: an overlap of s seconds holds 2s words, rounded up.
    for overlap_ms in (3000, 5000, 10_000):
        held = overlap_ms * 2 // 1000
        assert _window_words(overlap_ms) == 3 * held
    # A millisecond more may hold one more word.
    assert _window_words(3001) > _window_words(3000)
    # Short or no overlap still searches a few words.
    assert _window_words(0) == _window_words(-5) == 6
