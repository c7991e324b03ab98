"""An offline formatter: a scripted one for the local runner and the tests of the chain."""

from __future__ import annotations

from collections.abc import Callable

from ports.errors import PermanentFailure, TransientFailure
from ports.formatter import FormatRequest, TextFormatter


class ScriptedFormatter(TextFormatter):
    """Applies ``transform`` (default: identity); ``fail_next`` injects failures. Records requests."""

    def __init__(self, transform: Callable[[str], str] | None = None, name: str = "scripted-llm") -> None:
        self.transform = transform or (lambda text: text)
        self.name = name
        self.requests: list[FormatRequest] = []
        self._failures = 0
        self._permanent = False

    def fail_next(self, count: int = 1, *, permanent: bool = False) -> None:
        self._failures += count
        self._permanent = permanent

    def format(self, request: FormatRequest) -> str:
        self.requests.append(request)
        if self._failures > 0:
            self._failures -= 1
            if self._permanent:
                raise PermanentFailure(self.name, "scripted refusal")
            raise TransientFailure(self.name, "scripted outage")
        return self.transform(request.text)
