"""The formatting chain: primary LLM, then the fallback, then the raw text.

- Text of ``policy.llm_min_chars`` or fewer skips the LLM.
- Long text goes in pieces cut at paragraph (or, for dialogue, turn) boundaries, each piece
  through the chain on its own, so one refusal costs one piece, not the whole transcript.
- Dialogue pieces must come back with the same number of turn lines; otherwise the raw piece
  is kept (never lose or invent a speaker turn).
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

from domain.dialogue import parse_dialogue_lines
from domain.policy import Policy
from domain.splitting import replace_yo, split_message
from ports.clock import Clock
from ports.errors import ModelUnavailable, PortError
from ports.formatter import FormatRequest, TextFormatter
from usecases.retrying import with_retries
from usecases.steps import Deadline, StepInterrupted

log = logging.getLogger(__name__)

_CODE_TAGS = re.compile(r"</?code>", re.IGNORECASE)


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
               deadline: Deadline | None = None) -> tuple[str, bool]:
        """Formatted text and whether any LLM took part (False when every piece came from ``done``)."""
        if len(text) <= self._policy.llm_min_chars or not self._formatters:
            return (text if use_yo else replace_yo(text)), False
        pieces = split_message(text, self._policy.llm_piece_chars)
        out: dict[int, str] = {i: t for i, t in (done or {}).items() if 0 <= i < len(pieces)}
        used_llm = False

        def run(index: int) -> tuple[str, bool] | None:
            if deadline is not None and deadline.expired():
                return None
            piece = pieces[index]
            request = FormatRequest(piece, language=language, use_yo=use_yo, dialogue=dialogue,
                                    from_chunks=from_chunks)
            formatted = self._format_piece(request)
            if formatted is None:
                return (piece if use_yo else replace_yo(piece)), False
            return formatted, True

        todo = [i for i in range(len(pieces)) if i not in out]
        if todo:
            workers = max(1, min(self._policy.llm_concurrency, len(todo)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
                futures = {pool.submit(run, i): i for i in todo}
                for future in as_completed(futures):  # checkpointed as each finishes
                    index, result = futures[future], future.result()
                    if result is None:
                        continue
                    out[index], by_llm = result
                    used_llm = used_llm or by_llm
                    if on_piece is not None:
                        on_piece(index, out[index])
        if len(out) < len(pieces):
            raise StepInterrupted(f"{len(out)} of {len(pieces)} pieces formatted")
        joiner = "\n" if dialogue else "\n\n"
        return joiner.join(out[i].strip() for i in range(len(pieces)) if out[i].strip()), used_llm

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
            result = _CODE_TAGS.sub("", result).strip()
            if not result:
                continue
            if request.dialogue and len(parse_dialogue_lines(result)) != len(parse_dialogue_lines(request.text)):
                log.warning("formatter changed the number of dialogue turns; keeping the raw piece")
                continue
            return result if request.use_yo else replace_yo(result)
        return None
