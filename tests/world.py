"""A whole bot built by hand from memory adapters and the real ffmpeg, for use-case tests.

Nothing here goes through the container: tests see exactly which adapter plays which port,
and assert on state (what the chat shows, what the ledger holds, the job's state).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import attrs

from adapters.ffmpeg.ffmpeg_audio_tools import FfmpegAudioTools
from adapters.memory.action_store import InMemoryActionStore
from adapters.memory.blob_store import InMemoryBlobStore
from adapters.memory.chat import RecordingChat
from adapters.memory.clock import FakeClock, SequentialIds
from adapters.memory.formatter import ScriptedFormatter
from adapters.memory.job_queue import InMemoryJobQueue
from adapters.memory.repositories import (
    InMemoryBotState,
    InMemoryIdempotencyKeys,
    InMemoryJobs,
    InMemoryLogs,
    InMemoryResults,
    InMemoryTrials,
    InMemoryUsers,
)
from adapters.memory.speech import ScriptedRecognizer, ScriptedSpeakerPass, ScriptedTimedTextPass
from adapters.memory.text_tasks import ScriptedTextTasks
from domain.audio import MediaKind
from domain.policy import Policy
from domain.users import User
from ports.errors import TransientFailure
from usecases.accept_media import job_id_for
from usecases.accept_update import AcceptUpdate
from usecases.formatting import FormattingChain
from usecases.inbound import (
    IncomingCallback,
    IncomingMessage,
    IncomingPreCheckout,
    MediaRef,
    Sender,
    SuccessfulPayment,
)
from usecases.queue_work import QueueWork
from usecases.retrying import RetryingPort
from usecases.services import BotServices
from usecases.transcribe_job import TranscribeJob
from usecases.transcript_actions import TranscriptActions
from usecases.transcription import Transcriber

OWNER = 42
USER = 777
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
        self.users = InMemoryUsers()
        self.jobs = InMemoryJobs()
        self.keys = InMemoryIdempotencyKeys()
        self.logs = InMemoryLogs()
        self.trials = InMemoryTrials()
        self.results = InMemoryResults()
        self.state = InMemoryBotState()
        self.queue = InMemoryJobQueue(self.clock)
        self.blobs = InMemoryBlobStore(self.clock)
        self.chat = RecordingChat(file_dir=media_dir)
        self.recognizer = ScriptedRecognizer()
        self.speaker_pass = ScriptedSpeakerPass()
        self.text_pass = ScriptedTimedTextPass()
        self.primary = ScriptedFormatter(name="primary")
        self.fallback = ScriptedFormatter(name="fallback")
        # The actions on transcripts: their own store and two scripted text models (offline answers).
        self.actions_store = InMemoryActionStore()
        self.text_primary = ScriptedTextTasks(name="qwen-llm:qwen-flash")
        self.text_fallback = ScriptedTextTasks(name="gemini:gemini-3.8-flash")
        self.audio = audio_tools or shared_audio_tools()
        self._updates = itertools.count(1)
        self._messages = itertools.count(1)
        self.rebuild(owner_id)

    def rebuilt_port(self, port):
        """The port as the container hands it to use cases (retried on transient failures)."""
        return RetryingPort(port, clock=self.clock, attempts=self.policy.retry_attempts,
                            base_delay_s=self.policy.retry_base_delay_s)

    def rebuild(self, owner_id: int | None = OWNER) -> None:
        r = self.rebuilt_port
        self.formatting = FormattingChain([self.primary, self.fallback], self.policy, self.clock)
        self.transcriber = Transcriber(
            audio=self.audio, recognizer=self.recognizer, speaker_pass=self.speaker_pass,
            text_pass=self.text_pass, blobs=r(self.blobs), clock=self.clock, policy=self.policy,
        )
        self.transcribe_job = TranscribeJob(
            jobs=r(self.jobs), users=r(self.users), logs=r(self.logs), results=r(self.results), chat=r(self.chat),
            transcriber=self.transcriber, formatting=self.formatting, clock=self.clock, policy=self.policy,
            blobs=r(self.blobs), queue=r(self.queue),
        )
        self.services = BotServices(
            users=r(self.users), jobs=r(self.jobs), keys=r(self.keys), logs=r(self.logs), trials=r(self.trials),
            results=r(self.results), state=r(self.state), queue=r(self.queue), chat=r(self.chat), clock=self.clock,
            ids=self.ids, policy=self.policy, owner_id=owner_id, payload_secret=b"test-secret",
            bot_username="TranscriberBot",
        )
        self.actions = TranscriptActions(
            jobs=r(self.jobs), users=r(self.users), actions=r(self.actions_store), chat=r(self.chat),
            queue=r(self.queue), models=[self.text_primary, self.text_fallback], clock=self.clock,
            policy=self.policy, translation_languages=("en", "ru", "uk", "de", "es", "fr", "it", "zh"),
        )
        self.worker = QueueWork(self.transcribe_job, self.actions)
        self.accept = AcceptUpdate(self.services, self.transcribe_job, self.actions)

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
        """The worker: consume the queue like the MNS trigger would (redelivering on failure)."""
        done = 0
        for _ in range(max_rounds):
            message = self.queue.receive()
            if message is None:
                break
            try:
                self.worker(message.job_id)
            except TransientFailure:
                self.clock.advance(self.policy.job_lease_s + 1)
                self.queue.release(message.receipt)
                continue
            self.queue.ack(message.receipt)
            done += 1
        return done

    def texts(self, chat_id: int = USER) -> list[str]:
        return self.chat.texts(chat_id)


def evolve_policy(world: World, **changes) -> None:
    world.policy = attrs.evolve(world.policy, **changes)
    world.rebuild()
