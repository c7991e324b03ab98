"""From a downloaded media file to a transcript: transcode, chunk, recognise, or run the two passes.

Shared by the inline path (webhook, short audio) and the worker, so both behave the same.

Plain mode: audio up to ``policy.chunk_max_s`` is one request; longer audio is cut by the
domain's chunk plan (in silences; hard cuts with an overlap only where none exists), the chunks
are recognised in parallel with bounded concurrency and retries, and stitched back with the
seam rule. A chunk that still fails fails the whole job: never a silently missing piece.

Dialogue mode: the transcoded audio is uploaded once; the speaker pass and the timed-text pass
run in parallel on the same signed URL and are merged by time. Fallbacks (DESIGN §3): no
speakers → the text pass as plain text; no text pass → the speaker pass's own text by turn;
both failed → the plain chunked path.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, as_completed, wait
from pathlib import Path

import attrs

from domain.audio import ProbeResult, Span, choose_profile
from domain.chunking import plan_chunks, stitch_texts
from domain.merge import merge_and_assess
from domain.policy import Policy
from domain.transcript import Segment, SpeakerPassResult, TextPassResult, Transcript, Word
from ports.audio_tools import AudioTools
from ports.blob_store import BlobStore
from ports.clock import Clock, Ids
from ports.errors import PermanentFailure, PortError, TransientFailure
from ports.speech import AudioClip, SpeakerPass, SpeechRecognizer, TimedTextPass
from usecases.retrying import with_retries

log = logging.getLogger(__name__)

Progress = Callable[..., None]
SIGNED_URL_TTL_S = 3600


@attrs.frozen
class Transcoded:
    path: Path
    probe: ProbeResult
    mime_type: str


@attrs.frozen
class TranscriptionResult:
    transcript: Transcript
    mode: str  # "plain" or "dialogue"
    from_chunks: bool
    language: str | None = None
    fallback: str | None = None


class Transcriber:
    def __init__(
        self, *, audio: AudioTools, recognizer: SpeechRecognizer, speaker_pass: SpeakerPass,
        text_pass: TimedTextPass, blobs: BlobStore, ids: Ids, clock: Clock, policy: Policy,
    ) -> None:
        self._audio = audio
        self._recognizer = recognizer
        self._speaker_pass = speaker_pass
        self._text_pass = text_pass
        self._blobs = blobs
        self._ids = ids
        self._clock = clock
        self._policy = policy

    # -- stages ---------------------------------------------------------------------------------
    def transcode(self, source: Path, workdir: Path, declared_s: float | None) -> Transcoded:
        """Encode with the profile the domain picks and measure the real decoded duration."""
        profile = choose_profile(declared_s)
        target = workdir / f"audio.{profile.extension}"
        probe = self._audio.transcode(source, target, profile, silences_min_s=self._policy.min_silence_s)
        if probe.duration_ms <= 0 or not probe.has_audio:
            raise PermanentFailure("audio", "no audio track", code="no_audio")
        if choose_profile(probe.duration_ms / 1000) != profile:
            # Telegram's duration was missing or wrong: encode again with the right profile.
            probe = self._audio.transcode(source, target, choose_profile(probe.duration_ms / 1000),
                                          silences_min_s=self._policy.min_silence_s)
        return Transcoded(target, probe, profile.mime_type)

    def transcribe(self, audio: Transcoded, *, dialogue: bool, language: str | None,
                   progress: Progress) -> TranscriptionResult:
        if dialogue:
            result = self._dialogue(audio, language, progress)
            if result is not None:
                return result
        return self._plain(audio, language, progress, fallback="both_passes_failed" if dialogue else None)

    # -- plain ----------------------------------------------------------------------------------
    def _recognize(self, clip: AudioClip, language: str | None):
        return with_retries(
            lambda: self._recognizer.recognize(clip, language=language), clock=self._clock,
            attempts=self._policy.retry_attempts, base_delay_s=self._policy.retry_base_delay_s,
        )

    def _plain(self, audio: Transcoded, language: str | None, progress: Progress,
               fallback: str | None = None) -> TranscriptionResult:
        duration_ms = audio.probe.duration_ms
        if duration_ms <= self._policy.chunk_max_ms:
            progress("stage_asr")
            clip = AudioClip(audio.path.read_bytes(), audio.mime_type, duration_ms)
            recognition = self._recognize(clip, language)
            return TranscriptionResult(Transcript(recognition.text.strip()), "plain", False,
                                       recognition.language, fallback)
        silences = audio.probe.silences
        if silences is None:
            silences = self._audio.detect_silences(audio.path, min_silence_s=self._policy.min_silence_s)
        chunks = plan_chunks(duration_ms, silences, self._policy)
        progress("stage_asr_chunk", i=0, n=len(chunks))
        with tempfile.TemporaryDirectory(prefix="chunks-") as tmp:
            files = self._audio.cut(audio.path, [Span(c.start_ms, c.end_ms) for c in chunks], Path(tmp))
            texts: list[str | None] = [None] * len(chunks)
            workers = max(1, min(self._policy.asr_concurrency, len(chunks)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr") as pool:
                futures = {
                    pool.submit(self._recognize, AudioClip(path.read_bytes(), audio.mime_type, chunk.length_ms),
                                language): chunk.index
                    for chunk, path in zip(chunks, files, strict=True)
                }
                done_count = 0
                try:
                    for future in as_completed(futures):
                        texts[futures[future]] = future.result().text.strip()
                        done_count += 1
                        progress("stage_asr_chunk", i=done_count, n=len(chunks))
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
        text = stitch_texts(chunks, [t or "" for t in texts])
        return TranscriptionResult(Transcript(text), "plain", True, language, fallback)

    # -- dialogue -------------------------------------------------------------------------------
    def _dialogue(self, audio: Transcoded, language: str | None, progress: Progress) -> TranscriptionResult | None:
        progress("stage_diarize")
        key = f"audio/{self._ids.new_id()}.{audio.path.suffix.lstrip('.') or 'mp3'}"
        self._blobs.put(key, audio.path.read_bytes(), audio.mime_type)
        try:
            url = self._blobs.signed_url(key, SIGNED_URL_TTL_S)
            speakers, text = self._run_passes(url, language)
        finally:
            try:
                self._blobs.delete(key)
            except PortError as exc:  # the bucket lifecycle rule removes it later anyway
                log.warning("uploaded audio not deleted", extra={"error": str(exc)})
        progress("stage_merge")
        if text is not None and speakers is not None and speakers.turns:
            segments, quality = merge_and_assess(text, speakers)
            if quality.is_dialogue():
                return TranscriptionResult(Transcript(text.text, segments), "dialogue", False, language)
            return TranscriptionResult(Transcript(text.text, segments), "plain", False, language, "one_speaker")
        if text is not None:
            return TranscriptionResult(Transcript(text.text), "plain", False, language, "no_speakers")
        if speakers is not None and speakers.turns and speakers.text:
            segments = _segments_from_turns(speakers)
            return TranscriptionResult(Transcript(speakers.text, segments), "dialogue", False, language,
                                       "no_text_pass")
        return None

    def _run_passes(self, url: str, language: str | None) -> tuple[SpeakerPassResult | None, TextPassResult | None]:
        def attempt(call):
            return with_retries(call, clock=self._clock, attempts=2, base_delay_s=self._policy.retry_base_delay_s)

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pass") as pool:
            speaker_future = pool.submit(attempt, lambda: self._speaker_pass.speaker_turns(url, language=language))
            text_future = pool.submit(attempt, lambda: self._text_pass.timed_text(url, language=language))
            wait([speaker_future, text_future], return_when=FIRST_EXCEPTION)
            results = []
            for name, future in (("speaker", speaker_future), ("text", text_future)):
                try:
                    results.append(future.result())
                except (PermanentFailure, TransientFailure) as exc:
                    log.warning("%s pass failed", name, extra={"error": str(exc)})
                    results.append(None)
        return results[0], results[1]


def _segments_from_turns(speakers: SpeakerPassResult) -> tuple[Segment, ...]:
    """Segments straight from the speaker pass's own text (the text pass failed)."""
    labels: dict[str, str] = {}
    segments = []
    for turn in sorted(speakers.turns, key=lambda t: (t.start_ms, t.end_ms)):
        if not turn.text.strip():
            continue
        label = labels.setdefault(turn.speaker, str(len(labels) + 1))
        tokens = turn.text.split()
        step = (turn.end_ms - turn.start_ms) / max(1, len(tokens))
        words = tuple(
            Word(int(turn.start_ms + i * step), int(turn.start_ms + (i + 1) * step), tok)
            for i, tok in enumerate(tokens)
        )
        segments.append(Segment(label, turn.start_ms, turn.end_ms, words))
    return tuple(segments)
