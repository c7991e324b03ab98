"""The formatting chain: primary LLM, then the fallback, then the raw text.

- Text of ``policy.llm_min_chars`` or fewer skips the LLM.
- Long text goes in pieces cut at paragraph (or, for dialogue, turn) boundaries, each piece
  through the chain on its own, so one refusal costs one piece, not the whole transcript.
- Every answer goes through ``accept_answer``, the one judge of what a formatter sent back
  (formatters only transport): cleaned of what models add around it, the ё setting applied, then
  refused when near-empty, much shorter than the piece, or (dialogue) with turns or speaker
  labels changed. A refused answer falls through to the next formatter and, at worst, the raw
  piece is kept (never lose or invent a speaker turn).
- Pieces run in parallel (``policy.llm_concurrency``); each finished piece is handed to
  ``on_piece`` (the worker checkpoints it) and pieces already ``done`` are not sent again. No
  piece is started after the step's deadline: ``StepInterrupted`` then asks for another step.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

import attrs

from domain.answer_checks import summary_problem, translation_problem
from domain.dialogue import parse_dialogue_lines, turn_label
from domain.policy import Policy
from domain.splitting import replace_yo, split_message
from ports.clock import Clock
from ports.errors import ModelUnavailable, PortError
from ports.formatter import FormatRequest, TextFormatter
from usecases.retrying import with_retries
from usecases.steps import Deadline, StepInterrupted

log = logging.getLogger(__name__)

# -- what a formatter's answer must satisfy ---------------------------------------------------------

# An answer shorter than this is no transcript (an "OK", a refusal, a lone mark).
MIN_ANSWER_CHARS = 5
# An answer shorter than this share of its piece dropped text (a summary, a truncation).
MIN_ANSWER_RATIO = 0.5

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_CODE_TAG = re.compile(r"</?(?:code|pre)(?:\s[^>]*)?>", re.IGNORECASE)
_FENCE = re.compile(r"^```[^\n]*\n(.*)\n```$", re.DOTALL)


def clean_answer(text: str) -> str:
    """An LLM answer without what models add around it: reasoning blocks (closed, cut off at the
    start, or never closed), a wrapping code fence and code tags."""
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


@attrs.frozen
class Verdict:
    """What becomes of a formatter's answer: ``text`` to deliver, or None and the ``reason``."""

    text: str | None
    reason: str = ""


def accept_answer(request: FormatRequest, answer: str) -> Verdict:
    """Judge a formatter's raw ``answer`` to ``request``.

    The answer is cleaned (``clean_answer``) and the ё setting applied first, so the checks look
    at exactly the text that would be delivered. It is refused when it has fewer than
    ``MIN_ANSWER_CHARS`` characters or fewer than ``MIN_ANSWER_RATIO`` of the piece's; for a
    dialogue, when its turn lines ("— ", ``domain.dialogue.parse_dialogue_lines``) differ in
    number from the piece's, or their speaker labels differ.
    """
    text = clean_answer(answer)
    if not request.use_yo:
        text = replace_yo(text)
    source = request.text.strip()
    if len(text) < MIN_ANSWER_CHARS:
        return Verdict(None, "empty or near-empty answer")
    if len(text) < MIN_ANSWER_RATIO * len(source):
        return Verdict(None, f"answer shorter than {MIN_ANSWER_RATIO:.0%} of the input")
    if request.dialogue:
        before, after = parse_dialogue_lines(source), parse_dialogue_lines(text)
        if len(before) != len(after):
            return Verdict(None, f"dialogue turns changed ({len(before)} in, {len(after)} out)")
        if [turn_label(t) for t in before] != [turn_label(t) for t in after]:
            return Verdict(None, "speaker labels changed")
    return Verdict(text)


# The answers of the text tasks on a transcript (usecases.transcript_actions) are judged here too,
# cleaned the same way; the faithfulness rules themselves are pure (domain.answer_checks).


def accept_summary(source: str, answer: str, *, speakers: frozenset[str] = frozenset()) -> Verdict:
    """Judge a summary (or key points, or a merge of partial ones) of ``source``: refused when it
    names a speaker the source does not have (``domain.answer_checks.summary_problem``)."""
    text = clean_answer(answer)
    reason = summary_problem(source, text, speakers=speakers)
    return Verdict(None, reason) if reason else Verdict(text)


def accept_translation(source: str, answer: str, *, dialogue: bool) -> Verdict:
    """Judge a translation of ``source``: refused when it drops, adds, merges or relabels a turn
    (``domain.answer_checks.translation_problem``)."""
    text = clean_answer(answer)
    reason = translation_problem(source, text, dialogue=dialogue)
    return Verdict(None, reason) if reason else Verdict(text)


# -- the chain --------------------------------------------------------------------------------------


class FormattingChain:
    def __init__(self, formatters: Sequence[TextFormatter], policy: Policy, clock: Clock,
                 on_model_missing: Callable[[str, str], None] | None = None) -> None:
        """``on_model_missing(provider, model)`` hears of a configured model the provider says does
        not exist (the owner is alerted once; the piece falls through to the next formatter)."""
        self._formatters = tuple(formatters)
        self._policy = policy
        self._clock = clock
        self._on_model_missing = on_model_missing

    def format(self, text: str, *, language: str | None, use_yo: bool, dialogue: bool,
               from_chunks: bool = False, done: Mapping[int, str] | None = None,
               on_piece: Callable[[int, str], None] | None = None,
               deadline: Deadline | None = None) -> str:
        """The formatted text (pieces no formatter got right stay as recognised)."""
        if len(text) <= self._policy.llm_min_chars or not self._formatters:
            return text if use_yo else replace_yo(text)
        pieces = split_message(text, self._policy.llm_piece_chars)
        out: dict[int, str] = {i: t for i, t in (done or {}).items() if 0 <= i < len(pieces)}

        def run(index: int) -> str | None:
            if deadline is not None and deadline.expired():
                return None
            piece = pieces[index]
            request = FormatRequest(piece, language=language, use_yo=use_yo, dialogue=dialogue,
                                    from_chunks=from_chunks)
            formatted = self._format_piece(request)
            if formatted is None:
                return piece if use_yo else replace_yo(piece)
            return formatted

        todo = [i for i in range(len(pieces)) if i not in out]
        if todo:
            workers = max(1, min(self._policy.llm_concurrency, len(todo)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
                futures = {pool.submit(run, i): i for i in todo}
                for future in as_completed(futures):  # checkpointed as each finishes
                    index, result = futures[future], future.result()
                    if result is None:
                        continue
                    out[index] = result
                    if on_piece is not None:
                        on_piece(index, result)
        if len(out) < len(pieces):
            raise StepInterrupted(f"{len(out)} of {len(pieces)} pieces formatted")
        joiner = "\n" if dialogue else "\n\n"
        return joiner.join(out[i].strip() for i in range(len(pieces)) if out[i].strip())

    def _format_piece(self, request: FormatRequest) -> str | None:
        for formatter in self._formatters:
            try:
                result = with_retries(
                    functools.partial(formatter.format, request), clock=self._clock,
                    attempts=2, base_delay_s=self._policy.retry_base_delay_s,
                )
            except ModelUnavailable as exc:
                log.error("formatter model does not exist, falling through", extra={"error": str(exc)})
                if self._on_model_missing is not None:
                    self._on_model_missing(exc.provider, exc.model)
                continue
            except PortError as exc:
                log.warning("formatter failed, falling through", extra={"error": str(exc)})
                continue
            verdict = accept_answer(request, result)
            if verdict.text is None:
                log.warning("formatter answer refused, falling through", extra={"reason": verdict.reason})
                continue
            return verdict.text
        return None
