"""A loopback ``qwen3-asr-flash-realtime`` WebSocket server (stdlib only: RFC 6455 handshake and frames).

It checks what the provider's realtime protocol requires and records every violation in ``server.violations``
(tests assert it stays empty):

- path ``/api-ws/v1/realtime?model=qwen3-asr-flash-realtime``, ``Authorization: Bearer <key>``
  (a wrong key is refused in the handshake with 401), ``OpenAI-Beta: realtime=v1``;
- event order ``session.update`` → ``input_audio_buffer.append``+ → ``input_audio_buffer.commit``
  → ``session.finish``; ``session.update`` with pcm, 16000 Hz, ``turn_detection: null``;
- every append carries base64 PCM of exactly 3200 bytes, except a shorter (non-empty) last one.

Answers as the provider documents: ``session.created`` on connect, ``session.updated``,
``input_audio_buffer.committed`` and ``conversation.item.input_audio_transcription.completed``
(``transcript``) on commit -- none when ``transcript`` is None (silence) -- and ``session.finished``
on ``session.finish``. ``error_event`` replaces the transcription with an ``error`` event;
``handshake_status`` refuses the upgrade with that HTTP status.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback._serving import started

DEFAULT_API_KEY = "sk-loopback-realtime-0123456789"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CHUNK_BYTES = 3200


@dataclass
class Session:
    headers: dict[str, str]
    path: str
    query: dict[str, list[str]]
    events: list[dict[str, Any]] = field(default_factory=list)
    chunk_sizes: list[int] = field(default_factory=list)
    pcm: bytearray = field(default_factory=bytearray)


class RealtimeServer:
    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        self.api_key = api_key
        self.transcript: str | None = "Hello world."
        self.language: str | None = "en"
        self.error_event: dict[str, Any] | None = None
        self.handshake_status: int | None = None
        self.sessions: list[Session] = []
        self.violations: list[str] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="realtime-loopback", daemon=True)

    def reset(self) -> None:
        with self._lock:
            self.transcript = "Hello world."
            self.language = "en"
            self.error_event = None
            self.handshake_status = None
            self.sessions.clear()
            self.violations.clear()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        self._thread.join(timeout=2)
        self._sock.close()

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    # --- one connection ----------------------------------------------------------------------------
    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            try:
                session = self._handshake(conn)
                if session is not None:
                    self._session(conn, session)
            except (OSError, ConnectionError, ValueError):
                return

    def _handshake(self, conn: socket.socket) -> Session | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return None
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        _method, target, _version = head[0].split(" ", 2)
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts = urlsplit(target)
        session = Session(headers, parts.path, parse_qs(parts.query))
        with self._lock:
            self.sessions.append(session)
        if parts.path != "/api-ws/v1/realtime":
            self._violation(f"path {parts.path}")
        if session.query.get("model") != ["qwen3-asr-flash-realtime"]:
            self._violation(f"model query {session.query.get('model')}")
        if headers.get("openai-beta") != "realtime=v1":
            self._violation("missing OpenAI-Beta: realtime=v1")
        status = self.handshake_status
        if headers.get("authorization") != f"Bearer {self.api_key}":
            status = 401
        if status is not None:
            body = json.dumps({"code": "InvalidApiKey" if status == 401 else f"HTTP{status}",
                               "message": "refused"}).encode()
            conn.sendall(f"HTTP/1.1 {status} Refused\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            return None
        key = headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        return session

    def _session(self, conn: socket.socket, session: Session) -> None:
        reader = _FrameReader(conn)
        _send_text(conn, {"event_id": "srv_1", "type": "session.created",
                          "session": {"id": "sess_loopback", "object": "realtime.session",
                                      "model": "qwen3-asr-flash-realtime", "modalities": ["text"]}})
        stage = "connected"
        last_chunk_short = False
        while True:
            opcode, payload = reader.next()
            if opcode == 0x8:  # close: answer it and stop
                with contextlib.suppress(OSError):
                    _send_frame(conn, 0x8, payload[:2])
                return
            if opcode == 0x9:
                _send_frame(conn, 0xA, payload)
                continue
            if opcode != 0x1:
                self._violation(f"unexpected opcode {opcode}")
                continue
            event = json.loads(payload.decode("utf-8"))
            session.events.append(event)
            kind = event.get("type")
            if not event.get("event_id"):
                self._violation(f"{kind} without event_id")
            if kind == "session.update":
                if stage != "connected":
                    self._violation(f"session.update after {stage}")
                self._check_update(event.get("session") or {})
                stage = "updated"
                _send_text(conn, {"event_id": "srv_2", "type": "session.updated", "session": event.get("session")})
            elif kind == "input_audio_buffer.append":
                if stage not in ("updated", "appending"):
                    self._violation(f"append after {stage}")
                if last_chunk_short:
                    self._violation("a short chunk was not the last one")
                chunk = base64.b64decode(event.get("audio", ""), validate=True)
                session.chunk_sizes.append(len(chunk))
                session.pcm.extend(chunk)
                if not 0 < len(chunk) <= CHUNK_BYTES:
                    self._violation(f"chunk of {len(chunk)} bytes")
                last_chunk_short = len(chunk) < CHUNK_BYTES
                stage = "appending"
            elif kind == "input_audio_buffer.commit":
                if stage != "appending":
                    self._violation(f"commit after {stage}")
                stage = "committed"
                _send_text(conn, {"event_id": "srv_3", "type": "input_audio_buffer.committed", "item_id": "item_1"})
                if self.error_event is not None:
                    _send_text(conn, {"event_id": "srv_4", "type": "error", "error": self.error_event})
                elif self.transcript is not None:
                    done: dict[str, Any] = {"event_id": "srv_4", "item_id": "item_1", "content_index": 0,
                                            "type": "conversation.item.input_audio_transcription.completed",
                                            "transcript": self.transcript}
                    if self.language:
                        done["language"] = self.language
                    _send_text(conn, done)
            elif kind == "session.finish":
                if stage != "committed":
                    self._violation(f"session.finish after {stage}")
                stage = "finished"
                _send_text(conn, {"event_id": "srv_5", "type": "session.finished"})
            else:
                self._violation(f"unknown client event {kind}")

    def _check_update(self, config: dict[str, Any]) -> None:
        expected = {"input_audio_format": "pcm", "sample_rate": 16000, "turn_detection": None}
        for key, value in expected.items():
            if key not in config or config[key] != value:
                self._violation(f"session.{key} is {config.get(key, '<missing>')!r}, expected {value!r}")
        if config.get("modalities") != ["text"]:
            self._violation("session.modalities must be ['text']")
        if not isinstance(config.get("input_audio_transcription"), dict):
            self._violation("session.input_audio_transcription missing")
        language = (config.get("input_audio_transcription") or {}).get("language")
        if language is not None and language not in _DOCUMENTED_LANGUAGES:
            self._violation(f"language {language!r} is not one qwen3-asr-flash-realtime documents")


# The Qwen3-ASR-Flash family's "11 languages" (docs/provider-contracts.md, checked 2026-12-06).
_DOCUMENTED_LANGUAGES = frozenset({"zh", "en", "ar", "fr", "de", "es", "it", "pt", "ru", "ja", "ko"})


class _FrameReader:
    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._buffer = b""

    def _read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self._conn.recv(65536)
            if not chunk:
                raise ConnectionError("peer closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def next(self) -> tuple[int, bytes]:
        """One whole message (continuation frames joined); client frames must be masked."""
        message = b""
        opcode = None
        while True:
            first, second = self._read(2)
            fin, frame_opcode = first & 0x80, first & 0x0F
            masked, length = second & 0x80, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            if not masked:
                raise ValueError("client frames must be masked")
            mask = self._read(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(length)))
            if frame_opcode >= 0x8:  # control frames may interleave
                return frame_opcode, payload
            opcode = frame_opcode if opcode is None else opcode
            message += payload
            if fin:
                return opcode, message


def _send_frame(conn: socket.socket, opcode: int, payload: bytes) -> None:
    header = bytes([0x80 | opcode])
    if len(payload) < 126:
        header += bytes([len(payload)])
    elif len(payload) < 65536:
        header += bytes([126]) + struct.pack("!H", len(payload))
    else:
        header += bytes([127]) + struct.pack("!Q", len(payload))
    conn.sendall(header + payload)


def _send_text(conn: socket.socket, event: dict[str, Any]) -> None:
    _send_frame(conn, 0x1, json.dumps(event, ensure_ascii=False).encode("utf-8"))


@contextlib.contextmanager
def running_realtime_server(api_key: str = DEFAULT_API_KEY) -> Iterator[RealtimeServer]:
    with started(RealtimeServer(api_key)) as server:
        yield server
