"""The ``export:<job>:<txt|srt|vtt>`` buttons under a transcript: the text with timestamps as a file.

- Only the user whose job it is may export it, and only once the job is completed (delivered and
  charged); anyone else, or a job that is gone, failed (refunded), still running or never produced
  text, gets a short "not available" answer on the button and nothing else.
- Times come from the job's speaker segments when it has them (dialogue mode, and a one-speaker
  result of the two passes): exact word times, with ``Speaker N:`` labels in dialogue mode.
  Otherwise (plain mode: ``qwen3-asr-flash`` returns no times) they are estimated from the text
  length over the real duration (``domain.exports.cues_from_text``), and the file's caption says
  the times are approximate.
- ``.txt`` lines are ``[HH:MM:SS] text`` of up to about 30 s; ``.srt``/``.vtt`` cues are at most
  7 s and 2 lines of 42 characters.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

import attrs

from domain.exports import (
    SUBTITLES,
    TRANSCRIPT,
    Cue,
    cues_from_segments,
    cues_from_text,
    render_srt,
    render_txt,
    render_vtt,
)
from domain.job import Job, JobStatus
from domain.splitting import replace_yo
from domain.stored_segments import StoredSegment, UnreadableSegments, decode_segments
from domain.transcript import TranscriptionMode
from ports.chat import Chat
from ports.repositories import Jobs, Users
from presentation.callbacks import EXPORT_FORMATS, ExportPress
from presentation.catalogue import say
from presentation.keys import M
from usecases.routes import IGNORED, Route, Via

log = logging.getLogger(__name__)

FORMATS = EXPORT_FORMATS
# The route detail of a button whose transcript is gone or not the presser's (otherwise the format).
UNAVAILABLE = "unavailable"


@attrs.frozen
class ExportFile:
    filename: str
    data: bytes
    estimated: bool


def job_segments(job: Job) -> tuple[StoredSegment, ...]:
    """The job's stored speaker segments; an unreadable column reads as none (and is logged)."""
    try:
        return decode_segments(job.segments_json)
    except UnreadableSegments as exc:
        log.warning("unreadable segments_json", extra={"job_id": job.job_id, "error": str(exc)})
        return ()


def export_file(job: Job, fmt: str, *, label_word: str, use_yo: bool = True,
                names: Mapping[str, str] | None = None) -> ExportFile:
    """The export of a finished job in ``fmt`` (txt, srt or vtt); ``names``: the speakers' names."""
    limits = TRANSCRIPT if fmt == "txt" else SUBTITLES
    segments = job_segments(job)
    estimated = not any(s.words for s in segments)
    if not estimated:
        label = label_word if job.result_mode is TranscriptionMode.DIALOGUE else None
        cues: list[Cue] = cues_from_segments(segments, label_word=label, limits=limits, names=names)
    else:
        cues = cues_from_text(job.result_text or "", job.real_duration_ms, limits=limits)
    if not use_yo:
        cues = [attrs.evolve(c, text=replace_yo(c.text)) for c in cues]
    body = {"txt": render_txt, "srt": render_srt, "vtt": render_vtt}[fmt](cues)
    stamp = dt.datetime.fromtimestamp(job.created_at, tz=dt.UTC).strftime("%Y-%m-%d_%H%M")
    return ExportFile(f"transcript_{stamp}.{fmt}", body.encode("utf-8"), estimated)


class TranscriptExports:
    def __init__(self, *, users: Users, jobs: Jobs, chat: Chat,
                 speaker_names: Callable[[str], Mapping[str, str]] | None = None) -> None:
        """``speaker_names(job_id)``: the names the user gave the job's speakers (none when absent)."""
        self._users = users
        self._jobs = jobs
        self._chat = chat
        self._names = speaker_names or (lambda job_id: {})

    def press(self, presser_id: int, lang: str, press: ExportPress, chat_id: int | None) -> tuple[Route, str]:
        """Handle an export button; returns (route, text for the button's answer)."""
        if press.fmt not in FORMATS or chat_id is None:
            return IGNORED, ""
        job_id, fmt = press.job_id, press.fmt
        job = self._jobs.get(job_id) if job_id else None
        if job is None or job.user_id != presser_id or job.status is not JobStatus.COMPLETED or not job.result_text:
            return Route(Via.EXPORT, (UNAVAILABLE,)), say(lang, M.export_unavailable)
        user = self._users.get(presser_id)
        use_yo = user.settings.use_yo if user else True
        file = export_file(job, fmt, label_word=say(lang, M.speaker), use_yo=use_yo, names=self._names(job_id))
        caption = say(lang, M.export_caption_estimated if file.estimated else M.export_caption, fmt=fmt)
        self._chat.send_document(chat_id, file.filename, file.data, caption=caption)
        return Route(Via.EXPORT, (fmt,)), ""
