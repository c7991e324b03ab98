"""Scripted speech providers: replay recorded DashScope results, or say they are placeholders.

- ``ScriptedRecognizer`` answers each clip from a queue of ``qwen3-asr-flash`` response bodies
  (or plain strings); with nothing scripted it returns deterministic text that says it is a
  placeholder, so the offline pipeline runs end to end without pretending to recognise speech.
- ``ScriptedSpeakerPass`` / ``ScriptedTimedTextPass`` replay ``fun-asr-mtl`` and
  ``qwen3-asr-flash-filetrans`` result files.
``fail_next`` injects transient failures; ``latency_s`` simulates provider time (for benchmarks).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from adapters import dashscope_results
from domain.transcript import SpeakerPassResult, TextPassResult
from ports.errors import PermanentFailure, TransientFailure
from ports.speech import AudioClip, Recognition, SpeakerPass, SpeechRecognizer, TimedTextPass


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
    def __init__(self, responses: list[dict[str, Any] | str] | None = None, *, latency_s: float = 0.0) -> None:
        super().__init__()
        self._responses: deque[dict[str, Any] | str] = deque(responses or [])
        self._latency_s = latency_s
        self.clips: list[AudioClip] = []

    def recognize(self, clip: AudioClip, *, language: str | None = None) -> Recognition:
        self._enter("scripted-asr")
        if self._latency_s:
            time.sleep(self._latency_s)
        with self._lock:
            self.clips.append(clip)
            index = len(self.clips)
            response = self._responses.popleft() if self._responses else None
        seconds = clip.duration_ms / 1000
        if response is None:
            return Recognition(
                text=f"[placeholder transcript {index}: {seconds:.1f} s of audio; no recognizer is configured]",
                billed_seconds=seconds,
            )
        if isinstance(response, str):
            return Recognition(text=response, billed_seconds=seconds)
        return Recognition(
            text=dashscope_results.asr_text(response),
            language=dashscope_results.asr_language(response),
            billed_seconds=(response.get("usage") or {}).get("seconds", seconds),
            request_id=str(response.get("request_id", "")),
        )


class ScriptedSpeakerPass(_Script, SpeakerPass):
    """Replays a Fun-ASR result document (``None``: the pass fails permanently, as with no model)."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.document = document
        self.urls: list[str] = []

    def speaker_turns(self, audio_url, *, speaker_count=None, language=None) -> SpeakerPassResult:
        self._enter("scripted-speaker-pass")
        self.urls.append(audio_url)
        if self.document is None:
            raise PermanentFailure("scripted-speaker-pass", "no speaker pass is configured")
        return dashscope_results.speaker_pass(self.document)


class ScriptedTimedTextPass(_Script, TimedTextPass):
    """Replays a filetrans result document (``None``: the pass fails permanently)."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.document = document
        self.urls: list[str] = []

    def timed_text(self, audio_url, *, language=None) -> TextPassResult:
        self._enter("scripted-text-pass")
        self.urls.append(audio_url)
        if self.document is None:
            raise PermanentFailure("scripted-text-pass", "no timed text pass is configured")
        return dashscope_results.text_pass(self.document)
