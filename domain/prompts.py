"""The prompt that asks an LLM to format a transcript, shared by every LLM formatter (pure).

The rules are in English, the transcript alone is the user message. They are language-neutral --
the transcript may be in any language the recogniser knows -- keep names as recognised, never
ask for ``<code>`` wrapping (HTML is never wanted), keep real speaker labels, and keep dialogue
turns ("— " lines, ``domain.dialogue``) line for line. What an answer must satisfy to be delivered
is checked in one place, ``usecases.formatting.accept_answer``.
"""

from __future__ import annotations

_BASE_RULES = """\
You are a careful editor of speech-recognition transcripts. The user message is a raw transcript. \
Return the same transcript, formatted for reading. Answer in the language of the text: never \
translate it, and never answer or comment on what it says.

Rules:
1. Fix only obvious recognition errors: garbled fragments, accidental repetitions of a word or \
phrase, words broken into pieces. When in doubt, keep the original.
2. Add punctuation and capitalisation following the norms of the text's language.
3. Never replace a word with a synonym and never change word forms, word order or meaning. Do not \
shorten, summarise, censor or add anything.
4. Split the text into paragraphs of two, three or more sentences that belong together by \
meaning, separated by one blank line.
5. Be maximally conservative with names, surnames, brands and place names: keep them as \
recognised unless the recognition error is obvious.
6. Output only the formatted text: no comments, explanations, headings, quotation marks or \
introductions.
7. Plain text only: no HTML tags (never <code>), no Markdown, no code blocks."""

_YO_KEEP = "8. Keep the letter ё wherever the text has it; do not replace it with е."
_YO_REPLACE = "8. Replace every letter ё with е and Ё with Е."

_DIALOGUE = """\
This transcript is a dialogue. Each line that starts with "— " (an em dash and a space) is one \
speaker turn. Keep every such line as exactly one turn: the same number of turn lines, in the \
same order, each still starting with "— ". Never merge, split, reorder or drop turns, and do not \
break a turn into paragraphs; keep the blank lines between turns as they are. If a turn starts \
with a speaker label such as "Speaker 1:" or "Спикер 1:", keep that label exactly as written; \
never add, remove, renumber or translate labels."""

_CHUNKED = """\
The transcript was recognised in consecutive pieces that were then joined. At each join a few \
words may be repeated, cut off or broken. Repair these seam artefacts (drop the duplicated \
words, rejoin a broken word) without changing anything else."""


def format_prompt(text: str, *, language: str | None = None, use_yo: bool = True, dialogue: bool = False,
                  from_chunks: bool = False) -> tuple[str, str]:
    """The (system, user) messages that ask an LLM to format ``text``: the rules, then the bare text."""
    parts = [_BASE_RULES, _YO_KEEP if use_yo else _YO_REPLACE]
    if language:
        parts.append(f"The transcript is most likely in the language with ISO code \"{language}\"; "
                     "if the text itself is in another language, follow the text.")
    if dialogue:
        parts.append(_DIALOGUE)
    if from_chunks:
        parts.append(_CHUNKED)
    return "\n\n".join(parts), text
