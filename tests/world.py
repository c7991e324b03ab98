"""A whole bot for use-case tests: the production container with memory backends, the real ffmpeg
and fakes plugged in.

The object graph is ``entrypoints.container``'s: the world builds it with ``build_container`` and
overrides adapter providers only (a fake clock and ids, scripted recognizers and formatters, the
recording chat in the test's media dir, the shared ffmpeg tools, the policy in the settings).
Tests see which adapter plays which port (``world.users``, ``world.chat``…) and assert on state
(what the chat shows, what the ledger holds, the job's state). A test that swaps an adapter
(``world.chat = Wrapped(...)``) calls ``rebuild()``: a fresh container over the world's adapters.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import attrs
from dependency_injector import providers

from adapters.ffmpeg.ffmpeg_audio_tools import FfmpegAudioTools
from adapters.memory.clock import FakeClock, SequentialIds
from adapters.memory.formatter import ScriptedFormatter
from adapters.memory.speech import ScriptedRecognizer, ScriptedSpeakerPass, ScriptedTimedTextPass
from adapters.memory.text_tasks import ScriptedTextTasks
from domain.audio import MediaKind
from domain.policy import Policy
from domain.users import User
from entrypoints.container import Container, build_container, retried_port
from entrypoints.settings import DEFAULT_BACKENDS, Settings
from usecases.accept_media import job_id_for
from usecases.inbound import (
    Incoming,
    IncomingCallback,
    IncomingMessage,
    IncomingPreCheckout,
    MediaRef,
    Sender,
    SuccessfulPayment,
)

OWNER = 42
TRANSLATION_LANGUAGES = ("en", "ru", "uk", "de", "es", "fr", "it", "zh")
USER = 777
BOT_USERNAME = "TranscriberBot"
PAYLOAD_SECRET = b"test-secret"
# The memory adapters the container builds (its ``memory`` backends), kept by the world across
# rebuilds; ``chat`` is the recording chat (its ``recording`` backend).
STORED_PORTS = ("users", "jobs", "keys", "logs", "trials", "results", "state", "queue", "blobs", "chat",
                "actions_store")
_audio_tools = None


def shared_audio_tools() -> FfmpegAudioTools:
    global _audio_tools
    if _audio_tools is None:
        _audio_tools = FfmpegAudioTools()
    return _audio_tools


class World:
    def __init__(self, *, media_dir: Path, policy: Policy | None = None, owner_id: int | None = OWNER,
                 audio_tools=None) -> None:
        media_dir.mkdir(parents=True, exist_ok=True)
        self.media_dir = media_dir
        self.policy = policy or Policy(retry_base_delay_s=0.01)
        self.clock = FakeClock()
        self.ids = SequentialIds("id")
        self.recognizer = ScriptedRecognizer()
        self.speaker_pass = ScriptedSpeakerPass()
        self.text_pass = ScriptedTimedTextPass()
        self.primary = ScriptedFormatter(name="primary")
        self.fallback = ScriptedFormatter(name="fallback")
        # The text models of the actions on transcripts (offline answers unless a test scripts them).
        self.text_primary = ScriptedTextTasks(name="qwen-llm:qwen-flash")
        self.text_fallback = ScriptedTextTasks(name="gemini:gemini-3.8-flash")
        self.audio = audio_tools or shared_audio_tools()
        self._configured: dict[str, Any] = {}
        self._updates = itertools.count(1)
        self._messages = itertools.count(1)
        self.rebuild(owner_id)

    # -- the container ------------------------------------------------------------------------------
    def settings(self, owner_id: int | None) -> Settings:
        """The settings of a local deployment (memory backends), with the world's policy."""
        return Settings(profile="local", backends=dict(DEFAULT_BACKENDS["local"]), policy=self.policy,
                        owner_id=owner_id, bot_username=BOT_USERNAME, local_media_dir=str(self.media_dir),
                        **self._configured)

    def plugged(self, port):
        """The adapter as plugged into the container for one of ``STORED_PORTS`` (a subclass may wrap it)."""
        return port

    def rebuilt_port(self, port):
        """The port as the container hands it to use cases (retried on transient failures)."""
        return retried_port(self.plugged(port), self.clock, self.policy)

    def container_with(self, owner_id: int | None = OWNER, **adapters) -> Container:
        """A container over the world's adapters; ``adapters`` (port name → adapter) replace some."""
        container = build_container(self.settings(owner_id))
        fixed = {"clock": self.clock, "ids": self.ids, "recognizer": self.recognizer,
                 "speaker_pass": self.speaker_pass, "text_pass": self.text_pass, "audio_tools": self.audio,
                 "inline_audio_adapter": self.audio}
        for name, adapter in fixed.items():
            getattr(container, name).override(providers.Object(adapter))
        # The invoice-signing key the tests sign their own payloads with.
        container.payload_secret.override(providers.Object(PAYLOAD_SECRET))
        # Both paths format with the scripted pair (the webhook's inline path too).
        # The actions' text models, and their translation targets (the defaults' short list).
        container.transcript_actions.add_kwargs(models=[self.text_primary, self.text_fallback],
                                                translation_languages=TRANSLATION_LANGUAGES)
        for name in ("formatters", "inline_formatters"):
            getattr(container, name).override(providers.Object([self.primary, self.fallback]))
        for name in STORED_PORTS:
            adapter = adapters[name] if name in adapters else getattr(self, name, None)
            if adapter is None:  # the first build: the container's memory adapter becomes the world's
                adapter = getattr(container, name)()
                setattr(self, name, adapter)
            getattr(container, name).override(providers.Object(self.plugged(adapter)))
            if name == "chat":
                container.inline_chat.override(providers.Object(self.plugged(adapter)))
        return container

    def rebuild(self, owner_id: int | None = OWNER) -> None:
        """A fresh container over the world's adapters (after a test swapped one, or the policy)."""
        self.owner_id = owner_id
        c = self.container = self.container_with(owner_id)
        self.formatting = c.formatting()
        self.transcriber = c.transcriber()
        self.transcribe_job = c.transcribe_job()
        self.accept_update = c.accept_update()
        self.actions = c.transcript_actions()
        self.worker = c.worker()
        self.payload_secret = c.payload_secret()

    def configure(self, **settings_changes) -> None:
        """Deployment settings (``SUPPORT_CONTACT``, the models…) as the container passes them on."""
        self._configured.update(settings_changes)
        self.rebuild(self.owner_id)

    # -- people -----------------------------------------------------------------------------------
    def user(self, user_id: int = USER, balance: int = 0, **fields) -> User:
        self.users.create(User(user_id=user_id, first_name=fields.pop("first_name", "Ann"), **fields))
        if balance:
            self.users.apply_balance(user_id, f"seed:{user_id}:{self.ids.new_id()}", balance)
        return self.users.get(user_id)

    def balance(self, user_id: int = USER) -> int:
        return self.users.get(user_id).balance_minutes

    @staticmethod
    def sender(user_id: int = USER, language_code: str | None = "ru") -> Sender:
        return Sender(user_id=user_id, first_name="Ann", username="ann", language_code=language_code)

    # -- updates ----------------------------------------------------------------------------------
    def accept(self, update: Incoming) -> str:
        """Handle one update; its route as the webhook writes it in its answer ("media:queued")."""
        return str(self.accept_update(update))

    def text(self, text: str, user_id: int = USER, update_id: int | None = None) -> str:
        return self.accept(IncomingMessage(update_id or next(self._updates), self.sender(user_id), user_id,
                                           next(self._messages), text=text))

    def press(self, data: str, user_id: int = USER, message_id: int | None = None, update_id: int | None = None) -> str:
        return self.accept(IncomingCallback(update_id or next(self._updates), self.sender(user_id),
                                            f"cb{next(self._messages)}", data, user_id, message_id))

    def pre_checkout(self, payload: str, amount: int, user_id: int = USER, currency: str = "XTR") -> str:
        return self.accept(IncomingPreCheckout(next(self._updates), self.sender(user_id), "pcq1", currency,
                                               amount, payload))

    def paid(self, payload: str, amount: int, charge_id: str, user_id: int = USER, update_id: int | None = None) -> str:
        return self.accept(IncomingMessage(update_id or next(self._updates), self.sender(user_id), user_id,
                                           next(self._messages),
                                           payment=SuccessfulPayment("XTR", amount, payload, charge_id)))

    def media(self, source: Path, *, kind: MediaKind = MediaKind.VOICE, duration_s: float | None = None,
              user_id: int = USER, update_id: int | None = None, file_size: int | None = None,
              unique: str | None = None) -> tuple[int, str]:
        """Send ``source`` as a Telegram attachment; returns (update_id, route)."""
        update_id = update_id or next(self._updates)
        file_id = f"f{update_id}{source.suffix}"
        (self.media_dir / file_id).write_bytes(source.read_bytes())
        if duration_s is None and kind is not MediaKind.DOCUMENT:
            duration_s = round(self.audio.probe(source).duration_ms / 1000) or 1
        ref = MediaRef(kind, file_id, unique or f"uniq-{update_id}", duration_s,
                       file_size if file_size is not None else source.stat().st_size)
        route = self.accept(IncomingMessage(update_id, self.sender(user_id), user_id, next(self._messages), media=ref))
        return update_id, route

    def job_of(self, update_id: int):
        return self.jobs.get(job_id_for(update_id))

    def drain(self, max_rounds: int = 50) -> int:
        """The worker: consume the queue like the MNS trigger would (redelivering on failure, once
        the job's lease has run out)."""
        return self.container.worker().drain(
            self.queue, before_redelivery=lambda _: self.clock.advance(self.policy.job_lease_s + 1),
            max_rounds=max_rounds)

    def texts(self, chat_id: int = USER) -> list[str]:
        return self.chat.texts(chat_id)


def evolve_policy(world: World, **changes) -> None:
    world.policy = attrs.evolve(world.policy, **changes)
    world.rebuild()
