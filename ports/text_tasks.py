"""Text-task port: one request to a language model about a piece of transcript (summarise, list
the key points, merge partial results, translate), answered with plain text.

The adapters only ask and clean the answer (reasoning blocks, code fences); whether an answer may
be used is decided in one place, ``domain.answer_checks``, by the use case that asked.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from typing import Protocol

import attrs


class TaskKind(enum.Enum):
    SUMMARY = "summary"              # summarise one piece (or a whole short transcript)
    SUMMARY_MERGE = "summary_merge"  # merge partial summaries of consecutive pieces into one
    KEY_POINTS = "key_points"        # key points, decisions and action items of one piece
    KEY_POINTS_MERGE = "key_points_merge"
    TRANSLATE = "translate"          # translate one piece, turn for turn


@attrs.frozen
class TextTask:
    """One request. ``answer_language`` is the language a summary is written in (ISO code);
    ``target_language`` the language of a translation. ``dialogue``: the text holds one turn per
    line starting with "— ", often with a speaker label ("— Anna: …") that must be kept as is.
    ``part``/``parts`` say which piece of how many this is (1 of 1 for a whole transcript)."""

    kind: TaskKind
    text: str
    answer_language: str | None = None
    target_language: str | None = None
    dialogue: bool = False
    part: int = 1
    parts: int = 1


class TextTasks(Protocol):
    """A language model that does text tasks. ``model_name`` names it in logs and on the action row."""

    @property
    @abstractmethod
    def model_name(self) -> str:
        """The provider and model, e.g. ``qwen-llm:qwen-flash``."""

    @abstractmethod
    def run_task(self, task: TextTask) -> str:
        """The model's answer, cleaned; never a truncated one.

        Raises TransientFailure (retry later), ModelUnavailable, ContentRejected or PermanentFailure
        (a cut-off or empty answer, a refused request).
        """
