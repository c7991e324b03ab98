"""The local runner's bot: the same container, use cases and webhook contract, offline.

Updates enter through ``handle_webhook`` exactly as in Function Compute; queued jobs are
consumed by an in-process worker loop from the in-memory queue (with MNS's at-least-once
behaviour); the chat is a ``RecordingChat`` whose events are printed as they happen.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import quote, urlencode

import attrs

from adapters.memory.chat import ChatEvent, RecordingChat
from adapters.memory.job_queue import InMemoryJobQueue
from adapters.memory.speech import ScriptedRecognizer, ScriptedSpeakerPass, ScriptedTimedTextPass
from domain.init_data import sign
from domain.job import Job
from domain.stored_segments import decode_segments
from domain.transcript import SpeakerPassResult, TextPassResult
from domain.users import User, UserSettings
from entrypoints.container import Container, build_container
from entrypoints.local.texts import text
from entrypoints.settings import Settings, check_settings, load_settings
from entrypoints.webhook_http import HttpAnswer, handle_webhook
from ports.chat import Keyboard
from ports.errors import PortError, TransientFailure
from ports.speech import Recognition
from presentation.callbacks import ExportPress, encode, parse
from presentation.catalogue import LANGUAGES, say
from presentation.keys import M

log = logging.getLogger("local")

# ``--action`` names → the action buttons' codes (usecases.transcript_actions).
ACTION_CODES = {"summary": "sum", "points": "pts", "translate": "tr", "names": "names"}
LOCAL_USER_ID = 1001
LOCAL_CHAT_ID = 1001
LOCAL_GRANT_MINUTES = 600
VIDEO_EXTENSIONS = {".mp4", ".mov", ".mkv", ".avi", ".webm"}
VOICE_EXTENSIONS = {".ogg", ".oga", ".opus"}


_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.IGNORECASE | re.DOTALL)


def html_to_text(text: str) -> str:
    """What Telegram shows for an HTML-mode message, as plain text: tags gone (a link keeps its
    address after its text), entities such as ``&lt;`` turned back into characters."""
    text = _LINK.sub(lambda m: m.group(2) if m.group(1) in ("", m.group(2)) else f"{m.group(2)} ({m.group(1)})", text)
    return html.unescape(_TAG.sub("", text))


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KB"


def _width(text: str) -> int:
    """Terminal columns of ``text`` (a wide emoji such as 📄 takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _block(head: str, body: str, keyboard: Keyboard | None = None) -> str:
    """``head`` then ``body``; the body's further lines and the buttons are indented under its first."""
    pad = " " * (_width(head) + 1)
    lines = body.split("\n") if body else [""]
    out = [f"{head} {lines[0]}".rstrip()] + [(pad + line).rstrip() for line in lines[1:]]
    for row in keyboard or ():
        out.append(pad + "  ".join(f"[{b.text}] ({b.web_app_url or b.data})" for b in row))
    return "\n".join(out)


def describe_event(event: ChatEvent) -> str:
    """What a person would notice in Telegram, as console lines ("" for what they would not see)."""
    body = html_to_text(event.text) if event.html else event.text
    if event.kind == "send":
        return _block(f"→ #{event.message_id}", body, event.keyboard)
    if event.kind == "edit":
        return _block(f"✎ #{event.message_id}", body, event.keyboard)
    if event.kind == "delete":
        return f"✖ #{event.message_id} deleted"
    if event.kind == "document":
        head = f"📄 #{event.message_id}"
        title = f"{event.filename} ({_size(len(event.data))})"
        return _block(head, f"{title}\n{body}" if body else title, event.keyboard)
    if event.kind == "invoice":
        description = event.extra.get("description")
        invoice = f"invoice: {body} — {event.extra.get('stars')}⭐"
        return _block("🧾", f"{invoice}\n{description}" if description else invoice)
    if event.kind == "refund":
        return f"↩ Stars payment {body} refunded"
    if event.kind == "callback":  # the short notice over the chat after a button press
        return f"   💬 {body}" if body else ""
    if event.kind == "pre_checkout":  # answered to Telegram, not shown in the chat
        return ""
    return f"· {event.kind} {body}".rstrip()


def default_export_dir() -> Path:
    """Where ``chat`` and ``serve`` save the files the bot sends unless told (outside any checkout)."""
    return Path(tempfile.gettempdir()) / "transcriber-bot-exports"


def _is_trial_request_reply(message: str) -> bool:
    return message in {say(lang, key) for lang in LANGUAGES for key in (M.trial_requested, M.trial_no_owner)}


def _free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.ext`` … when that is taken: a save never overwrites."""
    candidate, stem, suffix = folder / name, Path(name).stem, Path(name).suffix
    n = 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}-{n}{suffix}"
    return candidate


class LocalBot:
    """The bot on this machine.

    ``ui`` (en or ru) is the interface language of the users the runner creates and of its own
    notes (None: the bot's defaults, as for a Telegram user). With ``export_dir`` every file the
    bot sends is also saved there, under a name that overwrites nothing. ``grant_minutes`` is what
    ``grant`` gives a local user to start with.
    """

    def __init__(
        self, env: Mapping[str, str] | None = None, *, media_dir: Path | None = None,
        printer: Callable[[str], None] | None = print, recognitions: list[Recognition] | None = None,
        speakers: SpeakerPassResult | None = None, timed_text: TextPassResult | None = None,
        ui: str | None = None, export_dir: Path | None = None, grant_minutes: int = LOCAL_GRANT_MINUTES,
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
            self.container.recognizer.override(ScriptedRecognizer(list(recognitions or [])))
        if self.settings.backends["passes"] == "scripted":
            self.container.speaker_pass.override(ScriptedSpeakerPass(speakers))
            self.container.text_pass.override(ScriptedTimedTextPass(timed_text))
        # Offline, dialogue mode has nothing to separate speakers with unless both passes are replayed.
        self.dialogue_offline = self.settings.backends["passes"] == "scripted" and (
            speakers is None or timed_text is None)
        self.ui = ui
        self.export_dir = export_dir
        self.grant_minutes = grant_minutes
        self._save_as: Path | None = None  # the next document's path (``export``), else a free name
        self.saved: list[Path] = []
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
        if event.kind == "document" and (self._save_as is not None or self.export_dir is not None):
            line += "\n" + " " * (_width(f"📄 #{event.message_id}") + 1) + self._save(event)
        if event.kind == "send" and self.settings.owner_id is None and _is_trial_request_reply(event.text):
            line += "\n" + self.note("trial_no_owner", user=event.chat_id)
        if line:
            self.say(line)

    def say(self, line: str) -> None:
        """Print one line (or block) of the console and keep it for the report."""
        self.lines.append(line)
        if self.printer:
            self.printer(line)

    def note(self, key: str, **params: object) -> str:
        """One of the runner's own messages, in the interface language."""
        return text(self.ui, key, **params)

    def _save(self, event: ChatEvent) -> str:
        """Write a file the bot sent; returns the console line that says where it went."""
        target = self._save_as
        try:
            if target is None:
                assert self.export_dir is not None
                target = _free_path(self.export_dir, Path(event.filename).name or "file")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(event.data)
        except OSError as exc:
            return self.note("save_failed", name=event.filename, error=exc.strerror or exc)
        self.saved.append(target)
        return self.note("saved", path=target)

    def use_miniapp(self, url: str) -> None:
        """Offer the Mini App at ``url`` (``serve`` points it at itself once its port is known)."""
        self.settings = attrs.evolve(self.settings, miniapp_url=url)
        self.container.settings.override(self.settings)

    @property
    def chat(self) -> RecordingChat:
        return self.container.chat()

    # -- input ----------------------------------------------------------------------------------
    def grant(self, user_id: int = LOCAL_USER_ID, minutes: int | None = None, *,
              first_name: str = "Local", username: str | None = "local_user") -> None:
        """Create the local user (speaking ``ui``) with minutes to spend, once per process."""
        users = self.container.users()
        settings = UserSettings(ui_language=self.ui) if self.ui else UserSettings()
        users.create(User(user_id=user_id, first_name=first_name, username=username or "",  # "": none
                          created_at=self.container.clock().now(), settings=settings))
        minutes = self.grant_minutes if minutes is None else minutes
        if minutes > 0:
            users.apply_balance(user_id, f"local-grant:{user_id}", minutes)

    def welcome(self, body: bytes) -> None:
        """``serve``: the sender of an update, seen for the first time, starts with the runner's
        minutes (as in ``chat`` and ``transcribe``). Called after the secret was checked; anything
        that is not a private message or a button press from a person is left to the bot."""
        try:
            update = json.loads(body)
        except ValueError:
            return
        if not isinstance(update, dict):
            return
        message, callback = update.get("message"), update.get("callback_query")
        if isinstance(message, dict):
            chat = message.get("chat")
            if not (isinstance(chat, dict) and chat.get("type") == "private"):
                return
            sender = message.get("from")
        elif isinstance(callback, dict):
            sender = callback.get("from")
        else:
            return
        if not isinstance(sender, dict) or sender.get("is_bot") is True:
            return
        user_id = sender.get("id")
        if type(user_id) is not int or not 0 < user_id < 2**53:
            return
        name = sender.get("first_name")
        username = sender.get("username")
        with self._lock:
            try:
                if self.container.users().get(user_id) is not None:
                    return
                self.grant(user_id, first_name=name if isinstance(name, str) and name else "User",
                           username=username if isinstance(username, str) and username else None)
            except PortError:  # storage unavailable: the bot itself will answer the update as it can
                return
        self.say(self.note("new_user", user=user_id, minutes=self.grant_minutes))

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
                         "language_code": self.ui or "en"},
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
        extra: dict[str, str | int]
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
        clock = self.container.clock()

        def before_redelivery(exc: TransientFailure) -> None:
            log.warning("job will be retried: %s", exc)
            clock.sleep(1.0)

        return self.container.worker().drain(queue, before_redelivery=before_redelivery, max_rounds=max_rounds)

    # -- one file, end to end ---------------------------------------------------------------------
    def transcribe(self, path: Path, *, dialogue: bool = False, as_document: bool = False,
                   export_dir: Path | None = None, actions: tuple[str, ...] = ()) -> dict:
        """Run one file through webhook and worker; returns the report printed by ``--json``.

        With ``export_dir`` the transcript's export buttons are pressed, and the files the bot
        sends for them are written there as ``<FILE's stem>.txt``, ``.srt`` and ``.vtt``.
        ``actions`` (``summary``, ``points``, ``translate:<code>``, ``names:1=Anna, 2=Boris``) are
        the action buttons under the transcript, pressed in this order (``act``)."""
        self.grant()
        if dialogue:
            self.post(self.text_update("/dialogue"))
        update = self.media_update(path, as_document=as_document)
        answer = self.post(update)
        self.drain()
        from usecases.accept_media import job_id_for

        job_id = job_id_for(update["update_id"])
        if dialogue and any(a.startswith("names") for a in actions):
            # Named first, so the exports and the other actions use the names.
            actions = tuple(sorted(actions, key=lambda a: not a.startswith("names")))
        for action in actions:
            self.act(job_id, action)
        exports = self.export(job_id, export_dir, path.stem) if export_dir is not None else []
        result = report(self.container.jobs().get(job_id), answer, self.lines)
        if export_dir is not None:
            result["exports"] = [str(p) for p in exports]
        return result

    def act(self, job_id: str, action: str) -> None:
        """Press one action button under the job's transcript as its user would, and run the worker.
        ``names:<line>`` presses "Name speakers" and answers with the line."""
        name, _, argument = action.partition(":")
        code = ACTION_CODES[name]
        data = f"act:{job_id}:{code}" + (f":{argument}" if name == "translate" and argument else "")
        carriers = [e.message_id for e in self.chat.events if e.message_id is not None and any(
            b.data.startswith(f"act:{job_id}:") for row in e.keyboard or () for b in row)]
        self.post(self.callback_update(data, carriers[-1] if carriers else 0))
        if name == "names" and argument:
            self.post(self.text_update(argument))
        self.drain()

    def export(self, job_id: str, folder: Path, stem: str) -> list[Path]:
        """Press every export button of the job's transcript, as its user would, and save each file
        the bot sends as ``folder/<stem>.<format>`` (overwritten if there). Returns the files written."""
        buttons: dict[str, int] = {}
        for event in list(self.chat.events):
            for row in event.keyboard or ():
                for button in row:
                    press = parse(button.data)
                    if isinstance(press, ExportPress) and press.job_id == job_id and event.message_id is not None:
                        buttons[press.fmt] = event.message_id
        written: list[Path] = []
        for fmt, message_id in buttons.items():
            before = len(self.saved)
            self._save_as = folder / f"{stem}.{fmt}"
            try:
                self.post(self.callback_update(encode(ExportPress(job_id, fmt)), message_id))
            finally:
                self._save_as = None
            written += self.saved[before:]
        return written

    def close(self) -> None:
        if self._own_media_dir:
            shutil.rmtree(self.media_dir, ignore_errors=True)


def signed_init_data(bot_token: str, user_id: int, *, now: float, language: str = "en",
                     first_name: str = "Local") -> str:
    """An initData string as Telegram would hand the Mini App to ``user_id`` (for a browser outside
    Telegram, and for tests): the user, ``auth_date`` and the ``hash`` made with ``bot_token``."""
    user = json.dumps({"id": user_id, "first_name": first_name, "language_code": language}, separators=(",", ":"))
    fields = [("auth_date", str(int(now))), ("query_id", f"local-{user_id}"), ("user", user)]
    return urlencode([*fields, ("hash", sign(fields, bot_token))], quote_via=quote)


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
        "segments": [attrs.asdict(s) for s in decode_segments(job.segments_json if job else None)],
        "billing": {"reserved": taken, "charged": charged,
                    "refunded": taken - charged if job and job.status.is_terminal else 0},
    }
