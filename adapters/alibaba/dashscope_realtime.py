"""``qwen3-asr-flash-realtime`` over WebSocket (provider pages "Qwen-ASR-Realtime client
events" / "server events").

One clip per session, in manual mode (``turn_detection: null``)::

    connect  {ws_base}/api-ws/v1/realtime?model=qwen3-asr-flash-realtime
             Authorization: Bearer <key>, OpenAI-Beta: realtime=v1
    →  session.update              (pcm, 16 kHz, language, no VAD)
    →  input_audio_buffer.append   × N   (base64 of 3200-byte PCM chunks = 100 ms each)
    →  input_audio_buffer.commit          (recognise the whole buffer as one utterance)
    →  session.finish
    ←  conversation.item.input_audio_transcription.completed  {"transcript": ...}   (0..n)
    ←  session.finished

``session.finish`` is sent right after the commit instead of after the ``completed`` event: the
provider documents that on ``session.finish`` it finishes the pending recognition, sends
``completed``, then ``session.finished`` -- and that with no speech it sends only
``session.finished``. Waiting for ``completed`` before finishing would hang on silence until the
timeout. Assumptions (documented, not verified against the live service): the result event is
``conversation.item.input_audio_transcription.completed`` with the text in ``transcript``
(optionally ``language``); ``...transcription.failed`` and ``error`` events end the session.

The service needs raw PCM s16le 16 kHz mono: ``pcm_decoder`` (an ffmpeg-based function in
production) turns the clip into those bytes.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from adapters.alibaba.dashscope_config import (
    INTL_HTTP_BASE_URL,
    check_dashscope_config,
    failure_from_exception,
    failure_from_status,
)
from domain import models
from ports.errors import ContentRejected, PermanentFailure, PortError, TransientFailure
from ports.speech import AudioClip, Recognition, SpeechRecognizer

PROVIDER = "dashscope-realtime"
CHUNK_BYTES = 3200  # 100 ms of s16le 16 kHz mono
SAMPLE_RATE = 16_000
COMPLETED = "conversation.item.input_audio_transcription.completed"
FAILED = "conversation.item.input_audio_transcription.failed"


def realtime_url(ws_base_url: str, model: str) -> str:
    return f"{ws_base_url.rstrip('/')}/api-ws/v1/realtime?model={quote(model)}"


class DashScopeRealtimeRecognizer(SpeechRecognizer):
    def __init__(
        self,
        api_key: str,
        pcm_decoder: Callable[[AudioClip], bytes],
        *,
        ws_base_url: str,
        model: str,
        timeout_s: float = 60.0,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        check_dashscope_config(INTL_HTTP_BASE_URL, {"asr-realtime": model}, ws_base_url=ws_base_url)
        if not api_key:
            raise ValueError("DashScope API key is empty")
        if chunk_bytes <= 0 or chunk_bytes % 2:
            raise ValueError("chunk_bytes must be a positive even number (whole 16-bit samples)")
        self._api_key = api_key
        self._decode = pcm_decoder
        self._model = model
        self._url = realtime_url(ws_base_url, model)
        self._timeout_s = timeout_s
        self._chunk = chunk_bytes
        self._ids = itertools.count(1)

    def __repr__(self) -> str:  # never show the key
        return f"DashScopeRealtimeRecognizer(url={self._url!r})"

    def _event(self, kind: str, **fields: Any) -> str:
        return json.dumps({"event_id": f"event_{next(self._ids)}", "type": kind, **fields})

    def _pcm(self, clip: AudioClip) -> bytes:
        try:
            pcm = self._decode(clip)
        except PortError:
            raise
        except Exception as exc:
            raise PermanentFailure(PROVIDER, f"could not decode the clip to PCM ({type(exc).__name__})",
                                   code="DecodeFailed") from None
        if len(pcm) % 2:
            pcm = pcm[:-1]  # a dangling half sample cannot be sent
        return pcm

    def recognize(self, clip: AudioClip, *, language: str | None = None) -> Recognition:
        pcm = self._pcm(clip)
        if not pcm:
            return Recognition(text="", language=None, billed_seconds=None)
        import websocket  # lazy: websocket-client

        deadline = time.monotonic() + self._timeout_s
        try:
            ws = websocket.create_connection(
                self._url,
                timeout=self._timeout_s,
                header=[f"Authorization: Bearer {self._api_key}", "OpenAI-Beta: realtime=v1"],
                suppress_origin=True,
            )
        except websocket.WebSocketBadStatusException as exc:
            raise failure_from_status(PROVIDER, exc.status_code, f"Handshake{exc.status_code}") from None
        except Exception as exc:
            raise failure_from_exception(PROVIDER, exc) from None
        try:
            return self._session(ws, pcm, language, deadline)
        except PortError:
            raise
        except Exception as exc:
            raise failure_from_exception(PROVIDER, exc) from None
        finally:
            try:
                ws.close(timeout=1)
            except Exception:  # closing a dead socket: nothing left to do
                pass

    def _session(self, ws: Any, pcm: bytes, language: str | None, deadline: float) -> Recognition:
        transcription: dict[str, Any] = {}
        if models.documents(self._model, language):  # an undocumented code: let the model detect it
            transcription["language"] = language
        ws.send(self._event("session.update", session={
            "modalities": ["text"],
            "input_audio_format": "pcm",
            "sample_rate": SAMPLE_RATE,
            "input_audio_transcription": transcription,
            "turn_detection": None,
        }))
        for start in range(0, len(pcm), self._chunk):
            chunk = pcm[start:start + self._chunk]
            ws.send(self._event("input_audio_buffer.append", audio=base64.b64encode(chunk).decode("ascii")))
        ws.send(self._event("input_audio_buffer.commit"))
        ws.send(self._event("session.finish"))

        texts: list[str] = []
        detected: str | None = None
        billed: float | None = None
        session_id = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransientFailure(PROVIDER, "no session.finished before the timeout", code="Timeout")
            ws.settimeout(remaining)
            raw = ws.recv()
            if not raw:  # the server closed the connection
                if texts:
                    break
                raise TransientFailure(PROVIDER, "connection closed before session.finished", code="Closed")
            try:
                event = json.loads(raw)
            except (TypeError, ValueError):
                continue  # binary or garbled frame: not an event of this protocol
            if not isinstance(event, dict):
                continue
            kind = event.get("type")
            if kind in ("session.created", "session.updated"):
                session_id = str((event.get("session") or {}).get("id") or session_id)
            elif kind == COMPLETED:
                text = str(event.get("transcript") or "").strip()
                if text:
                    texts.append(text)
                if isinstance(event.get("language"), str) and event["language"]:
                    detected = event["language"]
                billed = _usage_seconds(event.get("usage"), billed)
            elif kind == FAILED:
                raise _event_failure(event.get("error") or {}, session_id)
            elif kind == "error":
                raise _event_failure(event.get("error") or {}, session_id)
            elif kind == "session.finished":
                break
        return Recognition(text=" ".join(texts), language=detected, billed_seconds=billed, request_id=session_id)


def _usage_seconds(usage: Any, previous: float | None) -> float | None:
    if not isinstance(usage, dict):
        return previous
    for key in ("seconds", "duration"):
        value = usage.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (previous or 0.0) + float(value)
    return previous


def _event_failure(error: dict[str, Any], session_id: str) -> PortError:
    """An ``error`` (or ``...failed``) event: server errors are transient, request errors permanent."""
    code = str(error.get("code") or error.get("type") or "error")[:100]
    kind = str(error.get("type") or "")
    lowered = code.lower()
    if "datainspection" in lowered or "data_inspection" in lowered:
        return ContentRejected(PROVIDER, "content refused by moderation", code=code, request_id=session_id)
    if kind == "server_error" or "throttl" in lowered or "rate_limit" in lowered or "internal" in lowered:
        return TransientFailure(PROVIDER, f"server error event ({kind or 'error'})", code=code, request_id=session_id)
    return PermanentFailure(PROVIDER, f"request error event ({kind or 'error'})", code=code, request_id=session_id)
