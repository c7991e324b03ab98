"""What a subtitle cue's text becomes in a WebVTT file: markup characters escaped, long cues
wrapped into lines."""

from __future__ import annotations

from domain.exports import Cue, render_vtt


def test_vtt_escapes_every_markup_character() -> None:
    vtt = render_vtt([Cue(0, 1000, "a > b < c & d")])
    assert vtt.splitlines()[-1] == "a &gt; b &lt; c &amp; d"


def test_vtt_wraps_a_long_cue_into_lines_of_about_42() -> None:
    text = " ".join(["слово"] * 12)
    lines = render_vtt([Cue(0, 5000, text)]).splitlines()[3:]
    assert len(lines) == 2 and all(len(line) <= 42 for line in lines)
    assert " ".join(lines) == text
