"""The vocabulary of recognised speech: words, sentences, speaker turns and the merged transcript.

All times are integer milliseconds on the timeline of the audio file the provider received.
"""

from __future__ import annotations

import enum

import attrs


class TranscriptionMode(enum.StrEnum):
    """What a transcript is: running text, or one turn per speaker change.

    A ``str`` enum: stored rows hold the bare values, so rows written before it load unchanged.
    """

    PLAIN = "plain"
    DIALOGUE = "dialogue"

    @classmethod
    def of(cls, dialogue: bool) -> TranscriptionMode:
        return cls.DIALOGUE if dialogue else cls.PLAIN


def logged_mode(value: str) -> TranscriptionMode:
    """Converter of a log row's mode: a row without one (or with an unknown one) counts as plain,
    as it always did in the statistics."""
    return TranscriptionMode.DIALOGUE if value == TranscriptionMode.DIALOGUE else TranscriptionMode.PLAIN


def optional_mode(value: str | None) -> TranscriptionMode | None:
    """Converter of a stored, possibly absent mode (a bare string in older rows)."""
    return None if value is None else TranscriptionMode(value)


@attrs.frozen
class Word:
    """One recognised word from the text pass.

    ``text`` is the word itself; ``punctuation`` is what the provider attached after it
    (``", "``, ``". "``); the display form is ``text + punctuation``.
    """

    start_ms: int
    end_ms: int
    text: str
    punctuation: str = ""

    @property
    def display(self) -> str:
        return self.text + self.punctuation

    @property
    def mid_ms(self) -> float:
        return (self.start_ms + self.end_ms) / 2


def _split_punctuation(token: str) -> tuple[str, str]:
    """(text, punctuation) of a token, as providers split them; their concatenation is the token."""
    end = len(token)
    while end and not token[end - 1].isalnum():
        end -= 1
    if end == 0:  # nothing but punctuation ("—"): keep it as the word itself
        return token, ""
    return token[:end], token[end:]


def spread_words(text: str, start_ms: int, end_ms: int) -> tuple[Word, ...]:
    """The whitespace-separated words of ``text`` with times spread evenly over start..end (for
    text a provider gave without word times); trailing punctuation goes to ``punctuation``.

    Each word gets an equal share of the span in whole milliseconds, so the words tile it in
    order; a span of no length gives every word the start as a point.
    """
    tokens = text.split()
    count = len(tokens)
    span = max(0, end_ms - start_ms)
    return tuple(
        Word(start_ms + span * i // count, start_ms + span * (i + 1) // count, *_split_punctuation(token))
        for i, token in enumerate(tokens)
    )


@attrs.frozen
class TimedSentence:
    """A sentence of the text pass; ``words`` is empty when the provider gave no word times."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = ()


@attrs.frozen
class SpeakerTurn:
    """A stretch of time the speaker pass gives to one speaker (``speaker`` as the provider names it)."""

    start_ms: int
    end_ms: int
    speaker: str
    text: str = ""


@attrs.frozen
class TextPassResult:
    """What a timed text pass (``qwen3-asr-flash-filetrans``) returned for the whole file."""

    sentences: tuple[TimedSentence, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.sentences if s.text.strip())


@attrs.frozen
class SpeakerPassResult:
    """What a speaker pass (``fun-asr`` with diarization) returned for the whole file."""

    turns: tuple[SpeakerTurn, ...]

    @property
    def text(self) -> str:
        return " ".join(t.text.strip() for t in self.turns if t.text.strip())


@attrs.frozen
class AttributedWord:
    """A text-pass word with the speaker the merge gave it (``None`` when no turn could claim it)."""

    word: Word
    speaker: str | None


@attrs.frozen
class Segment:
    """One speaker's uninterrupted run of words in the merged transcript.

    ``speaker`` is the renumbered label (``"1"``, ``"2"``, ...) or ``None`` for unknown.
    """

    speaker: str | None
    start_ms: int
    end_ms: int
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return join_words(self.words)


def join_words(words: tuple[Word, ...] | list[Word]) -> str:
    """Display text of consecutive words: a space after each unless its punctuation brings one."""
    parts = []
    for w in words:
        shown = w.display
        parts.append(shown if shown.endswith((" ", "\n")) else shown + " ")
    return "".join(parts).strip()


@attrs.frozen
class Transcript:
    """The final transcript: plain text, plus speaker segments when dialogue mode produced them."""

    text: str
    segments: tuple[Segment, ...] = ()

    @property
    def speakers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for s in self.segments:
            if s.speaker is not None:
                seen.setdefault(s.speaker, None)
        return tuple(seen)
