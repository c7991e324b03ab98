"""The local runner's bot: the same container, use cases and webhook contract, offline.

Updates enter through ``handle_webhook`` exactly as in Function Compute; queued jobs are
consumed by an in-process worker loop from the in-memory queue (with MNS's at-least-once
behaviour); the chat is a ``RecordingChat`` whose events are printed as they happen.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from adapters.memory.chat import ChatEvent, RecordingChat
from adapters.memory.job_queue import InMemoryJobQueue
from adapters.memory.speech import ScriptedRecognizer, ScriptedSpeakerPass, ScriptedTimedTextPass
from domain.job import Job
from entrypoints.container import Container, build_container
from entrypoints.settings import Settings, check_settings, load_settings
from entrypoints.webhook_http import HttpAnswer, handle_webhook
from ports.errors import PortError, TransientFailure

log = logging.getLogger("local")

LOCAL_USER_ID = 1001
LOCAL_CHAT_ID = 1001
LOCAL_GRANT_MINUTES = 600
VIDEO_EXTENSIONS = {".mp4", ".mov", ".mkv", ".avi", ".webm"}
VOICE_EXTENSIONS = {".ogg", ".oga", ".opus"}


def describe_event(event: ChatEvent) -> str:
    """One console line per chat event, as a person would notice it in Telegram."""
    if event.kind == "send":
        return f"→ message #{event.message_id}: {event.text}"
    if event.kind == "edit":
        return f"✎ message #{event.message_id} now reads: {event.text}"
    if event.kind == "delete":
        return f"✖ message #{event.message_id} deleted"
    if event.kind == "document":
        return f"📄 file {event.filename} ({len(event.data)} bytes): {event.text}"
    if event.kind == "invoice":
        return f"🧾 invoice: {event.text} — {event.extra.get('stars')}⭐"
    return f"· {event.kind} {event.text}".rstrip()


class LocalBot:
    def __init__(
        self, env: Mapping[str, str] | None = None, *, media_dir: Path | None = None,
        printer: Callable[[str], None] | None = print, asr_responses: list | None = None,
        speaker_document: dict | None = None, text_document: dict | None = None,
    ) -> None:
        env = dict(os.environ if env is None else env)
        env.setdefault("APP_PROFILE", "local")
        self._own_media_dir = media_dir is None
        self.media_dir = media_dir or Path(tempfile.mkdtemp(prefix="bot-media-"))
        env["LOCAL_MEDIA_DIR"] = str(self.media_dir)
        self.settings: Settings = load_settings(env)
        check_settings(self.settings)
        self.container: Container = build_container(self.settings)
        if self.settings.backends["asr"] == "scripted":
            self.container.recognizer.override(ScriptedRecognizer(asr_responses))
        if self.settings.backends["passes"] == "scripted":
            self.container.speaker_pass.override(ScriptedSpeakerPass(speaker_document))
            self.container.text_pass.override(ScriptedTimedTextPass(text_document))
        self.printer = printer
        self.lines: list[str] = []
        chat = self.container.chat()
        if isinstance(chat, RecordingChat):
            chat.listener = self._on_event
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- output ---------------------------------------------------------------------------------
    def _on_event(self, event: ChatEvent) -> None:
        line = describe_event(event)
        self.lines.append(line)
        if self.printer:
            self.printer(line)

    @property
    def chat(self) -> RecordingChat:
        return self.container.chat()

    # -- input ----------------------------------------------------------------------------------
    def grant(self, user_id: int = LOCAL_USER_ID, minutes: int = LOCAL_GRANT_MINUTES) -> None:
        """Give the local user minutes to spend (once per process)."""
        from domain.users import User

        users = self.container.users()
        users.create(User(user_id=user_id, first_name="Local", username="local_user",
                          created_at=self.container.clock().now()))
        users.apply_balance(user_id, f"local-grant:{user_id}", minutes)

    def post(self, update: dict | bytes, *, secret: str | None = None) -> HttpAnswer:
        """Deliver one update through the webhook contract (with the right secret by default)."""
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.settings.telegram_webhook_secret if secret is None else secret}
        return handle_webhook("POST", headers, body, secret=self.settings.telegram_webhook_secret,
                              accept_update=self.container.accept_update())

    def next_update_id(self) -> int:
        with self._lock:
            return next(self._update_ids)

    def _envelope(self, message: dict, user_id: int) -> dict:
        return {
            "update_id": self.next_update_id(),
            "message": {
                "message_id": next(self._message_ids), "date": int(self.container.clock().now()),
                "from": {"id": user_id, "is_bot": False, "first_name": "Local", "username": "local_user",
                         "language_code": "en"},
                "chat": {"id": user_id, "type": "private", "first_name": "Local"},
                **message,
            },
        }

    def text_update(self, text: str, user_id: int = LOCAL_USER_ID) -> dict:
        return self._envelope({"text": text}, user_id)

    def callback_update(self, data: str, message_id: int, user_id: int = LOCAL_USER_ID) -> dict:
        return {
            "update_id": self.next_update_id(),
            "callback_query": {
                "id": f"cb{message_id}", "data": data, "chat_instance": "local",
                "from": {"id": user_id, "is_bot": False, "first_name": "Local"},
                "message": {"message_id": message_id, "date": 0, "chat": {"id": user_id, "type": "private"}},
            },
        }

    def media_update(self, path: Path, user_id: int = LOCAL_USER_ID, *, as_document: bool = False) -> dict:
        """A Telegram update carrying ``path`` as Telegram would describe it (probed duration)."""
        file_id = f"{next(self._message_ids)}_{path.name}"
        shutil.copyfile(path, self.media_dir / file_id)
        size = path.stat().st_size
        unique = f"u{abs(hash((path.resolve(), size))) % 10**12}"
        suffix = path.suffix.lower()
        if as_document:
            body = {"document": {"file_id": file_id, "file_unique_id": unique, "file_name": path.name,
                                 "mime_type": "application/octet-stream", "file_size": size}}
            return self._envelope(body, user_id)
        try:
            duration = max(1, round(self.container.audio_tools().probe(path).duration_ms / 1000))
        except PortError:  # an unreadable file: let the bot find out, as it would from Telegram
            duration = 1
        if suffix in VOICE_EXTENSIONS:
            kind, extra = "voice", {"mime_type": "audio/ogg"}
        elif suffix in VIDEO_EXTENSIONS:
            kind, extra = "video", {"mime_type": "video/mp4", "width": 320, "height": 240, "file_name": path.name}
        else:
            kind, extra = "audio", {"mime_type": "audio/mpeg", "file_name": path.name}
        body = {kind: {"file_id": file_id, "file_unique_id": unique, "duration": duration, "file_size": size, **extra}}
        return self._envelope(body, user_id)

    # -- the worker -----------------------------------------------------------------------------
    def drain(self, max_rounds: int = 50) -> int:
        """Run queued jobs until the queue is empty; returns how many messages were processed."""
        queue = self.container.queue()
        if not isinstance(queue, InMemoryJobQueue):
            return 0
        worker = self.container.transcribe_job()
        processed = 0
        for _ in range(max_rounds):
            message = queue.receive()
            if message is None:
                return processed
            try:
                worker(message.job_id)
            except TransientFailure as exc:
                log.warning("job will be retried: %s", exc)
                self.container.clock().sleep(1.0)
                queue.release(message.receipt)
                continue
            queue.ack(message.receipt)
            processed += 1
        return processed

    # -- one file, end to end ---------------------------------------------------------------------
    def transcribe(self, path: Path, *, dialogue: bool = False, as_document: bool = False) -> dict:
        """Run one file through webhook and worker; returns the report printed by ``--json``."""
        self.grant()
        if dialogue:
            self.post(self.text_update("/dialogue"))
        update = self.media_update(path, as_document=as_document)
        answer = self.post(update)
        self.drain()
        from usecases.accept_media import job_id_for

        job = self.container.jobs().get(job_id_for(update["update_id"]))
        return report(job, answer, self.lines)

    def close(self) -> None:
        if self._own_media_dir:
            shutil.rmtree(self.media_dir, ignore_errors=True)


def report(job: Job | None, answer: HttpAnswer, lines: list[str]) -> dict:
    taken = (job.reserved_minutes + job.extra_minutes) if job else 0
    charged = job.charged_minutes if job and job.charged_minutes is not None else 0
    return {
        "webhook": {"status": answer.status, "body": answer.body},
        "messages": list(lines),
        "status": job.status.value if job else None,
        "error": job.error if job else None,
        "text": job.result_text if job else None,
        "mode": job.result_mode if job else None,
        "duration_ms": job.real_duration_ms if job else None,
        "segments": json.loads(job.segments_json) if job and job.segments_json else [],
        "billing": {"reserved": taken, "charged": charged,
                    "refunded": taken - charged if job and job.status.is_terminal else 0},
    }
