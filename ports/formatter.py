"""Text formatting port: raw recognised text in, punctuated paragraphed text out."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

import attrs


@attrs.frozen
class FormatRequest:
    """One piece of transcript to format.

    ``dialogue`` means the text holds one turn per line starting with an em dash, which the
    formatter must keep line for line. ``use_yo`` false asks to replace ё with е.
    """

    text: str
    language: str | None = None
    use_yo: bool = True
    dialogue: bool = False
    from_chunks: bool = False


class TextFormatter(Protocol):
    @abstractmethod
    def format(self, request: FormatRequest) -> str:
        """Return the formatted text, never a truncated one.

        Raises TransientFailure or PermanentFailure; a truncated or empty answer is a
        PermanentFailure so the chain falls through to the next formatter.
        """
