"""From a downloaded media file to a transcript: transcode, chunk, recognise, or run the two passes.

Shared by the inline path (webhook, short audio) and the worker, so both behave the same.

Plain mode: audio up to ``policy.chunk_max_s`` is one request; longer audio is cut by the
domain's chunk plan (in silences; hard cuts with an overlap only where none exists), the chunks
are recognised in parallel with bounded concurrency and retries, and stitched back with the
seam rule. A chunk that still fails fails the whole job: never a silently missing piece.

Dialogue mode: the transcoded audio is already in the blob store (``TranscribeJob`` keeps it
there between steps); the speaker pass and the timed-text pass are submitted on the same signed
URL, their task ids checkpointed, and collected until both finished; then merged by time.
Fallbacks, so a failed pass never costs the user the transcript: no speakers → the text pass as
plain text; no text pass → the speaker pass's own text by turn; both failed → the plain chunked
path.

Bounded steps (``usecases.steps``): no chunk is started and no pass is waited for after the
step's deadline; every recognised chunk and both task ids are saved through ``RecognitionState``
as they arrive, so the next step pays for none of them again. A step that could not finish
raises ``StepInterrupted``.
"""

from __future__ import annotations

import logging
import tempfile
from abc import abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Protocol

import attrs

from domain.audio import ProbeResult, Span, choose_profile
from domain.chunking import Chunk, plan_chunks, stitch_texts
from domain.merge import merge_and_assess
from domain.policy import Policy
from domain.transcript import (
    Segment,
    SpeakerPassResult,
    TextPassResult,
    Transcript,
    TranscriptionMode,
    spread_words,
)
from ports.audio_tools import AudioTools
from ports.blob_store import BlobStore
from ports.clock import Clock
from ports.errors import PermanentFailure, PortError, SilentVideo, TransientFailure, UndecodableMedia
from ports.speech import AudioClip, Recognition, SpeakerPass, SpeechRecognizer, TimedTextPass
from presentation.catalogue import CHUNKED_STAGE
from presentation.keys import M
from usecases.errors import DecodeLimitReached
from usecases.retrying import with_retries
from usecases.steps import Deadline, StepInterrupted

log = logging.getLogger(__name__)

Progress = Callable[..., None]
SIGNED_URL_TTL_S = 3600
# Encoders pad the last frame: output this close to the decode limit means the audio went on.
DECODE_LIMIT_SLACK_MS = 100


@attrs.frozen
class Transcoded:
    path: Path
    probe: ProbeResult
    mime_type: str


class RecognitionState(Protocol):
    """Where a job keeps what recognition already paid for (the job row, in the worker)."""

    @abstractmethod
    def chunk_texts(self) -> dict[int, str]: ...

    @abstractmethod
    def save_chunk(self, index: int, text: str) -> None: ...

    @abstractmethod
    def pass_tasks(self) -> dict[str, str]: ...

    @abstractmethod
    def save_pass_tasks(self, tasks: dict[str, str]) -> None: ...


class Scratch(RecognitionState):
    """Recognition state kept in memory only (tools and tests that run one step)."""

    def __init__(self) -> None:
        self.chunks: dict[int, str] = {}
        self.tasks: dict[str, str] = {}

    def chunk_texts(self) -> dict[int, str]:
        return dict(self.chunks)

    def save_chunk(self, index: int, text: str) -> None:
        self.chunks[index] = text

    def pass_tasks(self) -> dict[str, str]:
        return dict(self.tasks)

    def save_pass_tasks(self, tasks: dict[str, str]) -> None:
        self.tasks = dict(tasks)


# A pass whose task could not be submitted or failed: recorded so no later step asks again.
FAILED_TASK = ""


@attrs.frozen
class TranscriptionResult:
    transcript: Transcript
    mode: TranscriptionMode
    from_chunks: bool
    language: str | None = None


class Transcriber:
    def __init__(
        self, *, audio: AudioTools, recognizer: SpeechRecognizer, speaker_pass: SpeakerPass,
        text_pass: TimedTextPass, blobs: BlobStore, clock: Clock, policy: Policy,
    ) -> None:
        self._audio = audio
        self._recognizer = recognizer
        self._speaker_pass = speaker_pass
        self._text_pass = text_pass
        self._blobs = blobs
        self._clock = clock
        self._policy = policy

    # -- stages ---------------------------------------------------------------------------------
    def transcode(self, source: Path, workdir: Path, declared_s: float | None,
                  deadline: Deadline | None = None) -> Transcoded:
        """Encode with the profile the domain picks and measure the real decoded duration.

        ``deadline``: when the work must be done (a worker step's end); ffmpeg is stopped there.
        """
        def limit() -> float | None:
            return None if deadline is None else deadline.remaining()

        cap_s = self._policy.decode_limit
        profile = choose_profile(declared_s)
        target = workdir / f"audio.{profile.extension}"
        probe = self._audio.transcode(source, target, profile, silences_min_s=self._policy.min_silence_s,
                                      time_limit_s=limit(), max_output_s=cap_s)
        if probe.duration_ms <= 0 or not probe.has_audio:
            if probe.has_video and not probe.has_audio:
                raise SilentVideo("audio", "a video without sound", code="no_audio")
            raise UndecodableMedia("audio", "no audio track", code="no_audio")
        if probe.duration_ms >= cap_s * 1000 - DECODE_LIMIT_SLACK_MS:
            raise DecodeLimitReached(probe.duration_ms, cap_s)
        if choose_profile(probe.duration_ms / 1000) != profile:
            # Telegram's duration was missing or wrong: encode again with the right profile.
            probe = self._audio.transcode(source, target, choose_profile(probe.duration_ms / 1000),
                                          silences_min_s=self._policy.min_silence_s, time_limit_s=limit(),
                                          max_output_s=cap_s)
        return Transcoded(target, probe, profile.mime_type)

    def transcribe(self, audio: Callable[[], Transcoded], *, dialogue: bool, language: str | None,
                   progress: Progress, state: RecognitionState | None = None, deadline: Deadline | None = None,
                   audio_key: str | None = None) -> TranscriptionResult:
        """``audio`` gives the transcoded audio (called only when it is needed); ``audio_key`` names
        the same audio in the blob store (dialogue mode signs a URL for it)."""
        state = state or Scratch()
        deadline = deadline or Deadline.after(self._clock, float("inf"))
        if dialogue and audio_key is not None:
            result = self._dialogue(audio_key, language, progress, state, deadline)
            if result is not None:
                return result
        return self._plain(audio(), language, progress, state, deadline,
                           after_dialogue=dialogue)

    # -- plain ----------------------------------------------------------------------------------
    def _recognize(self, clip: AudioClip, language: str | None) -> Recognition:
        return with_retries(
            lambda: self._recognizer.recognize(clip, language=language), clock=self._clock,
            attempts=self._policy.retry_attempts, base_delay_s=self._policy.retry_base_delay_s,
        )

    def _plain(self, audio: Transcoded, language: str | None, progress: Progress, state: RecognitionState,
               deadline: Deadline, after_dialogue: bool = False) -> TranscriptionResult:
        duration_ms = audio.probe.duration_ms
        # After the dialogue passes failed the progress says so and moves on (never back to "recognising").
        stage = M.stage_plain_fallback if after_dialogue else M.stage_asr
        if duration_ms <= self._policy.chunk_max_ms:
            if deadline.expired():
                raise StepInterrupted("no time left for the one request")
            progress(stage)
            clip = AudioClip(audio.path.read_bytes(), audio.mime_type, duration_ms)
            recognition = self._recognize(clip, language)
            return TranscriptionResult(Transcript(recognition.text.strip()), TranscriptionMode.PLAIN, False,
                                       recognition.language)
        silences = audio.probe.silences
        if silences is None:
            silences = self._audio.detect_silences(audio.path, min_silence_s=self._policy.min_silence_s)
        chunks = plan_chunks(duration_ms, silences, self._policy)
        texts: dict[int, str] = {i: t for i, t in state.chunk_texts().items() if 0 <= i < len(chunks)}
        todo = [c for c in chunks if c.index not in texts]
        done_before = len(texts)
        # When this step's recognition started, and when its latest chunk was finished.
        timing = {"started": self._clock.now(), "last": 0.0}

        def chunk_progress() -> None:
            # "Part i of n": the part under way, counted from 1; on long jobs also the time left,
            # from this step's elapsed time per chunk finished (once it finished one).
            done, n = len(texts), len(chunks)
            params: dict[str, object] = {"i": min(done + 1, n), "n": n}
            finished_now = done - done_before
            if n >= self._policy.progress_eta_min_chunks and 0 < finished_now and done < n:
                params["eta_s"] = max(0.0, timing["last"] - timing["started"]) / finished_now * (n - done)
            progress(CHUNKED_STAGE[stage], **params)

        chunk_progress()
        if todo:
            with tempfile.TemporaryDirectory(prefix="chunks-") as tmp:
                files = self._audio.cut(audio.path, [Span(c.start_ms, c.end_ms) for c in todo], Path(tmp))
                timing["started"] = self._clock.now()

                def run(path: Path, chunk: Chunk) -> tuple[str, float] | None:
                    if deadline.expired():  # the step's budget is spent: leave it to the next step
                        return None
                    clip = AudioClip(path.read_bytes(), audio.mime_type, chunk.length_ms, offset_ms=chunk.start_ms)
                    text = self._recognize(clip, language).text.strip()
                    return text, self._clock.now()

                workers = max(1, min(self._policy.asr_concurrency, len(todo)))
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr") as pool:
                    futures = {pool.submit(run, path, chunk): chunk.index
                               for chunk, path in zip(todo, files, strict=True)}
                    try:
                        for future in as_completed(futures):
                            result = future.result()
                            if result is None:
                                continue
                            text, finished_at = result
                            timing["last"] = max(timing["last"], finished_at)
                            texts[futures[future]] = text
                            state.save_chunk(futures[future], text)
                            chunk_progress()
                    except BaseException:
                        for f in futures:
                            f.cancel()
                        raise
        if len(texts) < len(chunks):
            raise StepInterrupted(f"{len(texts)} of {len(chunks)} chunks recognised")
        text = stitch_texts(chunks, [texts[c.index] for c in chunks])
        return TranscriptionResult(Transcript(text), TranscriptionMode.PLAIN, True, language)

    # -- dialogue -------------------------------------------------------------------------------
    def _dialogue(self, audio_key: str, language: str | None, progress: Progress, state: RecognitionState,
                  deadline: Deadline) -> TranscriptionResult | None:
        tasks = state.pass_tasks()
        if tasks and all(tasks.get(name, FAILED_TASK) == FAILED_TASK for name in ("speaker", "text")):
            return None  # an earlier step saw both fail: the plain path goes on, the progress stays forward
        progress(M.stage_diarize)
        if not tasks:
            if deadline.expired():
                raise StepInterrupted("no time left to submit the passes")
            url = self._blobs.signed_url(audio_key, SIGNED_URL_TTL_S)
            tasks = {"speaker": self._submit("speaker", lambda: self._speaker_pass.submit(url, language=language)),
                     "text": self._submit("text", lambda: self._text_pass.submit(url, language=language))}
            state.save_pass_tasks(tasks)
        speakers, text = self._collect_passes(tasks, state, deadline)
        if text is not None and speakers is not None and speakers.turns:
            progress(M.stage_merge)
            segments, quality = merge_and_assess(text, speakers)
            if quality.is_dialogue():
                return TranscriptionResult(Transcript(text.text, segments), TranscriptionMode.DIALOGUE, False, language)
            return TranscriptionResult(Transcript(text.text, segments), TranscriptionMode.PLAIN, False, language)
        if text is not None:
            return TranscriptionResult(Transcript(text.text), TranscriptionMode.PLAIN, False, language)
        if speakers is not None and speakers.turns and speakers.text:
            segments = _segments_from_turns(speakers)
            return TranscriptionResult(Transcript(speakers.text, segments), TranscriptionMode.DIALOGUE, False, language)
        return None

    def _submit(self, name: str, call: Callable[[], str]) -> str:
        try:
            return with_retries(call, clock=self._clock, attempts=2, base_delay_s=self._policy.retry_base_delay_s)
        except PortError as exc:
            log.warning("%s pass not submitted", name, extra={"error": str(exc)})
            return FAILED_TASK

    def _collect_passes(self, tasks: dict[str, str], state: RecognitionState,
                        deadline: Deadline) -> tuple[SpeakerPassResult | None, TextPassResult | None]:
        """Both results (None for a failed pass); StepInterrupted while one still runs at the deadline."""
        collectors = {"speaker": self._speaker_pass.collect, "text": self._text_pass.collect}
        results: dict[str, object] = {}
        running: list[str] = []

        def collect(name: str) -> object:
            return collectors[name](tasks[name], wait_s=max(0.0, deadline.remaining()))

        live = [name for name in ("speaker", "text") if tasks.get(name, FAILED_TASK) != FAILED_TASK]
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pass") as pool:
            futures = {name: pool.submit(collect, name) for name in live}
            for name, future in futures.items():
                try:
                    result = future.result()
                except PermanentFailure as exc:
                    log.warning("%s pass failed", name, extra={"error": str(exc)})
                    tasks = {**tasks, name: FAILED_TASK}
                    state.save_pass_tasks(tasks)
                    continue
                except TransientFailure as exc:  # the task lives on: ask again in the next step
                    log.warning("%s pass not collected now", name, extra={"error": str(exc)})
                    running.append(name)
                    continue
                if result is None:
                    running.append(name)
                else:
                    results[name] = result
        if running:
            raise StepInterrupted(f"passes still running: {', '.join(running)}")
        speakers = results.get("speaker")
        text = results.get("text")
        return (speakers if isinstance(speakers, SpeakerPassResult) else None,
                text if isinstance(text, TextPassResult) else None)


def _segments_from_turns(speakers: SpeakerPassResult) -> tuple[Segment, ...]:
    """Segments straight from the speaker pass's own text (the text pass failed)."""
    labels: dict[str, str] = {}
    segments = []
    for turn in sorted(speakers.turns, key=lambda t: (t.start_ms, t.end_ms)):
        if not turn.text.strip():
            continue
        label = labels.setdefault(turn.speaker, str(len(labels) + 1))
        segments.append(Segment(label, turn.start_ms, turn.end_ms, spread_words(turn.text, turn.start_ms, turn.end_ms)))
    return tuple(segments)
