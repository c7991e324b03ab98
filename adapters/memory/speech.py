"""Scripted speech providers: give back scripted domain values, or say they are placeholders.

- ``ScriptedRecognizer`` answers each clip from a queue of ``Recognition`` values (or plain
  strings), in call order; or, given a mapping, by where the clip starts in the recording (the
  answer under the greatest offset at or before the clip's), so chunks recognised in parallel get
  the same answers in every run. With nothing scripted it returns deterministic text that says it is a placeholder, so
  the offline pipeline runs end to end without pretending to recognise speech.
- ``ScriptedSpeakerPass`` / ``ScriptedTimedTextPass`` give back one scripted pass result.
They speak no vendor format: recorded provider answers are parsed by that provider's adapter
family first (the local runner replays DashScope JSON through ``adapters.alibaba``).
``fail_next`` injects transient failures; ``latency_s`` simulates provider time (for benchmarks).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Generic, TypeVar

from domain.transcript import SpeakerPassResult, TextPassResult
from ports.clock import Clock
from ports.errors import PermanentFailure, TransientFailure
from ports.speech import AudioClip, Recognition, SpeakerPass, SpeechRecognizer, TimedTextPass

R = TypeVar("R", SpeakerPassResult, TextPassResult)


class _Script:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._permanent = False
        self.calls = 0

    def fail_next(self, count: int = 1, *, permanent: bool = False) -> None:
        with self._lock:
            self._failures += count
            self._permanent = permanent

    def _enter(self, provider: str) -> None:
        with self._lock:
            self.calls += 1
            if self._failures > 0:
                self._failures -= 1
                if self._permanent:
                    raise PermanentFailure(provider, "scripted failure", code="InvalidParameter")
                raise TransientFailure(provider, "scripted outage", code="Throttling")


class ScriptedRecognizer(_Script, SpeechRecognizer):
    def __init__(self, responses: list[Recognition | str] | Mapping[int, Recognition | str] | None = None,
                 *, latency_s: float = 0.0) -> None:
        super().__init__()
        self._by_offset: dict[int, Recognition | str] = {}
        self._responses: deque[Recognition | str] = deque()
        if isinstance(responses, Mapping):
            self._by_offset = dict(responses)
        else:
            self._responses.extend(responses or [])
        self._latency_s = latency_s
        self.clips: list[AudioClip] = []

    def recognize(self, clip: AudioClip, *, language: str | None = None) -> Recognition:
        self._enter("scripted-asr")
        if self._latency_s:
            time.sleep(self._latency_s)
        with self._lock:
            self.clips.append(clip)
            index = len(self.clips)
            response = self._responses.popleft() if self._responses else self._at_offset(clip.offset_ms)
        seconds = clip.duration_ms / 1000
        if response is None:
            return Recognition(
                text=f"[placeholder transcript {index}: {seconds:.1f} s of audio; no recognizer is configured]",
                billed_seconds=seconds,
            )
        if isinstance(response, str):
            return Recognition(text=response, billed_seconds=seconds)
        return response

    def _at_offset(self, offset_ms: int) -> Recognition | str | None:
        starts = [start for start in self._by_offset if start <= offset_ms]
        return self._by_offset[max(starts)] if starts else None


class _ScriptedTasks(_Script, Generic[R]):
    """Provider tasks in a dict: ``submit`` records one, ``collect`` answers it with ``result``.

    With a ``clock`` and ``ready_after_s``, a task finishes that many (clock) seconds after its
    submit and ``collect`` waits on the clock (tests of long jobs run on simulated time).
    """

    provider = "scripted-pass"

    def __init__(self, result: R | None = None, *, clock: Clock | None = None,
                 ready_after_s: float = 0.0) -> None:
        super().__init__()
        self.result: R | None = result
        self.urls: list[str] = []
        self.submits = 0
        self._clock = clock
        self._ready_after_s = ready_after_s
        self._tasks: dict[str, float] = {}

    def _submit(self, audio_url: str) -> str:
        self._enter(self.provider)
        with self._lock:
            self.urls.append(audio_url)
            self.submits += 1
            task_id = f"{self.provider}-task-{self.submits}"
            self._tasks[task_id] = (self._clock.now() if self._clock else 0.0) + self._ready_after_s
        return task_id

    def _ready(self, task_id: str, wait_s: float) -> bool:
        with self._lock:
            ready_at = self._tasks.get(task_id)
        if ready_at is None:
            raise PermanentFailure(self.provider, f"unknown task {task_id}", code="InvalidParameter")
        if self._clock is None:
            return True
        now = self._clock.now()
        if ready_at > now + wait_s:
            self._clock.sleep(max(0.0, wait_s))
            return False
        self._clock.sleep(max(0.0, ready_at - now))
        return True

    def _result(self) -> R:
        if self.result is None:
            raise PermanentFailure(self.provider, "no pass of this kind is configured")
        return self.result


class ScriptedSpeakerPass(_ScriptedTasks[SpeakerPassResult], SpeakerPass):
    """Gives back its speaker turns (``None``: the pass fails permanently, as with no model)."""

    provider = "scripted-speaker-pass"

    def submit(self, audio_url: str, *, speaker_count: int | None = None, language: str | None = None) -> str:
        return self._submit(audio_url)

    def collect(self, task_id: str, *, wait_s: float) -> SpeakerPassResult | None:
        if not self._ready(task_id, wait_s):
            return None
        return self._result()

    def speaker_turns(self, audio_url: str, *, speaker_count: int | None = None,
                      language: str | None = None) -> SpeakerPassResult:
        result = self.collect(self.submit(audio_url, speaker_count=speaker_count, language=language), wait_s=1e9)
        assert result is not None
        return result


class ScriptedTimedTextPass(_ScriptedTasks[TextPassResult], TimedTextPass):
    """Gives back its timed text (``None``: the pass fails permanently)."""

    provider = "scripted-text-pass"

    def submit(self, audio_url: str, *, language: str | None = None) -> str:
        return self._submit(audio_url)

    def collect(self, task_id: str, *, wait_s: float) -> TextPassResult | None:
        if not self._ready(task_id, wait_s):
            return None
        return self._result()

    def timed_text(self, audio_url: str, *, language: str | None = None) -> TextPassResult:
        result = self.collect(self.submit(audio_url, language=language), wait_s=1e9)
        assert result is not None
        return result
