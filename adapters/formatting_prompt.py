"""The LLM formatting prompt and the checks of its answer, shared by every LLM formatter (pure).

``build_format_prompt`` gives the (system, user) pair: the rules in English, the transcript alone
as the user message. The rules follow the reference bot's prompt (``anchor-bot.md`` §11.1) made
language-neutral -- the transcript may be in any of the 52 languages the recogniser knows -- with
its defects removed: no regional toponym list, no "no speaker labels" rule that erased real labels
(D32), no optional ``<code>`` wrapping (HTML is never wanted), and dialogue turns kept line for line.

``clean_llm_output`` removes what models add around the answer (``<think>`` reasoning, D38; code
tags or fences). ``rejection_reason`` says why an answer must not be delivered (too short for the
input, or dialogue turns/labels changed); formatters raise PermanentFailure with it, so the chain
falls through to the next formatter and, at worst, to the unformatted text.
"""

from __future__ import annotations

import re

from ports.formatter import FormatRequest

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


def build_format_prompt(request: FormatRequest) -> tuple[str, str]:
    """The (system, user) messages that ask an LLM to format ``request.text``."""
    parts = [_BASE_RULES, _YO_KEEP if request.use_yo else _YO_REPLACE]
    if request.language:
        parts.append(f"The transcript is most likely in the language with ISO code \"{request.language}\"; "
                     "if the text itself is in another language, follow the text.")
    if request.dialogue:
        parts.append(_DIALOGUE)
    if request.from_chunks:
        parts.append(_CHUNKED)
    return "\n\n".join(parts), request.text


# ------------------------------------------------------------------------------ answer checks

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_CODE_TAG = re.compile(r"</?(?:code|pre)(?:\s[^>]*)?>", re.IGNORECASE)
_FENCE = re.compile(r"^```[^\n]*\n(.*)\n```$", re.DOTALL)
TURN_PREFIX = "— "
_LABEL = re.compile(r"^— ((?:Speaker|Спикер)\s*\d+\s*:)", re.IGNORECASE)


def clean_llm_output(text: str) -> str:
    """Strip reasoning blocks, code tags and a wrapping code fence from an LLM answer."""
    text = _THINK_BLOCK.sub("", text)
    if "</think>" in text.lower():  # reasoning whose opening tag was cut off: keep what follows it
        text = text[text.lower().rindex("</think>") + len("</think>"):]
    if "<think>" in text.lower():  # reasoning never closed: nothing after it is an answer
        text = text[: text.lower().index("<think>")]
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    return _CODE_TAG.sub("", text).strip()


def apply_yo(text: str, use_yo: bool) -> str:
    """Enforce the ё setting whatever the model did."""
    return text if use_yo else text.replace("ё", "е").replace("Ё", "Е")


def _turns(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith(TURN_PREFIX)]


def _labels(turns: list[str]) -> list[str]:
    labels = []
    for turn in turns:
        match = _LABEL.match(turn)
        labels.append(re.sub(r"\s+", " ", match.group(1)) if match else "")
    return labels


def rejection_reason(request: FormatRequest, answer: str, *, min_chars: int = 5,
                     min_ratio: float = 0.5) -> str | None:
    """Why ``answer`` must not replace ``request.text`` (None when it may)."""
    source = request.text.strip()
    if len(answer) < min_chars:
        return "empty or near-empty answer"
    if len(answer) < min_ratio * len(source):
        return f"answer shorter than {min_ratio:.0%} of the input"
    if request.dialogue:
        before, after = _turns(source), _turns(answer)
        if before and len(before) != len(after):
            return f"dialogue turns changed ({len(before)} in, {len(after)} out)"
        if before and _labels(before) != _labels(after):
            return "speaker labels changed"
    return None
