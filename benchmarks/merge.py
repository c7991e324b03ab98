"""Times ``merge_and_assess`` on a synthetic 3-hour dialogue and on the same ×10.

Run: ``python benchmarks/merge.py``. Targets: the 3-hour case (≈30,000 words, 3,000 turns) in at
most 50 ms, and the ×10 case at most 12 times as long (the merge must stay linear).

Each case is timed as the best of several calls, once with the cyclic garbage collector running
(as in production) and once with it paused, as ``timeit`` does by default. The second row shows
the merge's own scaling: with the collector on, the ×10 case also pays for collections that walk
a heap ten times larger, which is not the merge's work. Both rows must meet the targets.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.merge import merge_and_assess  # noqa: E402
from domain.transcript import (  # noqa: E402
    SpeakerPassResult,
    SpeakerTurn,
    TextPassResult,
    TimedSentence,
    Word,
)

TARGET_MS = 50.0
TARGET_RATIO = 12.0
RUNS = 7


def synthetic_case(turn_count: int, seed: int = 7) -> tuple[TextPassResult, SpeakerPassResult]:
    """A dialogue of ``turn_count`` turns of about 10 words each among 2-4 speakers.

    Gaps between turns of 0-0.8 s, about 3 % of turns overlapping the previous one, a backchannel
    inside about 2 % of turns, word times jittered and shifted by 60 ms against the speaker pass
    (two models never agree to the millisecond), and sentences of about 12 words with word times.

    The timeline is planned first and the values are built afterwards, words then turns, the way
    the adapters build them from two separate JSON replies (this keeps the memory layout of the
    objects realistic, which matters for a pass over 300,000 of them).
    """
    rng = random.Random(seed)
    speakers = [f"spk{i}" for i in range(rng.randint(2, 4))]
    turn_plan: list[tuple[int, int, str]] = []
    word_plan: list[tuple[int, int, str]] = []
    t = 0
    speaker = speakers[0]
    for _ in range(turn_count):
        if rng.random() < 0.85:
            speaker = rng.choice([s for s in speakers if s != speaker])
        if turn_plan and rng.random() < 0.03:
            t -= rng.randint(100, 600)  # talks over the end of the previous turn
        else:
            t += rng.randint(0, 800)
        start = t
        for _ in range(rng.randint(6, 14)):
            length = rng.randint(120, 450)
            w_start = max(0, t + 60 + rng.randint(-40, 40))
            word_plan.append((w_start, w_start + length, rng.choice(["", "", ",", "."])))
            t += length + rng.randint(20, 180)
        turn_plan.append((start, t, speaker))
        if rng.random() < 0.02:
            other = rng.choice([s for s in speakers if s != speaker])
            b_start = rng.randint(start, max(start, t - 400))
            turn_plan.append((b_start, b_start + 300, other))
    word_plan.sort()
    words = [Word(a, b, "слово", punctuation) for a, b, punctuation in word_plan]
    sentences = []
    for i in range(0, len(words), 12):
        group = tuple(words[i : i + 12])
        text = " ".join(w.display for w in group)
        sentences.append(TimedSentence(group[0].start_ms, group[-1].end_ms, text, group))
    turns = tuple(SpeakerTurn(a, b, spk) for a, b, spk in turn_plan)
    return TextPassResult(tuple(sentences)), SpeakerPassResult(turns)


def best_ms(
    text_pass: TextPassResult, speaker_pass: SpeakerPassResult, *, collector: bool, runs: int = RUNS
) -> float:
    """Best wall time of ``runs`` calls, in ms, with the cyclic garbage collector on or off."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        if not collector:
            gc.disable()
        try:
            started = time.perf_counter()
            merge_and_assess(text_pass, speaker_pass)
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best * 1000


def main() -> int:
    small = synthetic_case(3_000)
    large = synthetic_case(30_000)
    for name, (tp, sp) in (("3-hour", small), ("x10", large)):
        word_count = sum(len(s.words) for s in tp.sentences)
        print(f"{name} case: {word_count} words, {len(sp.turns)} turns")
    ok = True
    for collector in (True, False):
        small_ms = best_ms(*small, collector=collector)
        large_ms = best_ms(*large, collector=collector)
        ratio = large_ms / small_ms
        print(
            f"gc {'on ' if collector else 'off'}: 3-hour {small_ms:6.1f} ms, x10 {large_ms:7.1f} ms, "
            f"ratio {ratio:5.2f}"
        )
        ok = ok and small_ms <= TARGET_MS and ratio <= TARGET_RATIO
    print(f"targets: 3-hour <= {TARGET_MS:.0f} ms, ratio <= {TARGET_RATIO:.0f}: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
