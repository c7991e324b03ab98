"""Parsers of DashScope speech results into domain values (pure).

The Alibaba adapters parse what DashScope answers with them, and the local runner parses recorded
answers with them before handing the values to the scripted providers (which speak no vendor JSON).
Shapes handled:
- ``qwen3-asr-flash``: ``output.choices[0].message.content[*].text`` (content may also be a
  plain string, and a legacy ``output.text`` exists);
- Fun-ASR (``fun-asr``) result file: ``transcripts[].sentences[]`` with ``speaker_id`` (int or "spk0");
- ``qwen3-asr-flash-filetrans`` result file: ``transcripts[].sentences[].words[]``.
All times are milliseconds.
"""

from __future__ import annotations

from typing import Any

from domain.transcript import SpeakerPassResult, SpeakerTurn, TextPassResult, TimedSentence, Word
from ports.speech import Recognition


class ResultShapeError(ValueError):
    """The document does not have the shape the provider documents."""


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultShapeError(f"{field} is not a number: {value!r}")
    return int(value)


def asr_text(payload: dict[str, Any]) -> str:
    """Text of a ``qwen3-asr-flash`` response body (the whole JSON, ``output`` inside)."""
    output = payload.get("output") or {}
    choices = output.get("choices") or []
    if choices:
        message = (choices[0] or {}).get("message") or {}
        content = message.get("content")
        if isinstance(content, str):
            return content.strip()
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content if isinstance(part, dict)).strip()
    if isinstance(output.get("text"), str):
        return output["text"].strip()
    raise ResultShapeError("no choices[0].message.content and no output.text")


def asr_language(payload: dict[str, Any]) -> str | None:
    try:
        message = payload["output"]["choices"][0]["message"]
        for note in message.get("annotations") or []:
            if note.get("type") == "audio_info" and note.get("language"):
                return str(note["language"])
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return None


def recognition(payload: dict[str, Any]) -> Recognition:
    """A ``qwen3-asr-flash`` response body as the port's value; ResultShapeError without text."""
    usage = payload.get("usage")
    seconds = usage.get("seconds") if isinstance(usage, dict) else None
    return Recognition(
        text=asr_text(payload),
        language=asr_language(payload),
        billed_seconds=float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        else None,
        request_id=str(payload.get("request_id") or ""),
    )


def _speaker_label(value: Any) -> str:
    if isinstance(value, bool):
        raise ResultShapeError(f"speaker_id is not an id: {value!r}")
    if isinstance(value, (int, float)):
        return str(int(value))
    if isinstance(value, str) and value:
        digits = "".join(ch for ch in value if ch.isdigit())
        return digits or value
    raise ResultShapeError(f"speaker_id is not an id: {value!r}")


def _sentences(document: dict[str, Any]) -> list[dict[str, Any]]:
    transcripts = document.get("transcripts")
    if not isinstance(transcripts, list):
        raise ResultShapeError("no transcripts[]")
    out: list[dict[str, Any]] = []
    for transcript in transcripts:
        for sentence in (transcript or {}).get("sentences") or []:
            if isinstance(sentence, dict):
                out.append(sentence)
    return out


def speaker_pass(document: dict[str, Any]) -> SpeakerPassResult:
    """Speaker turns of a Fun-ASR result file; sentences without ``speaker_id`` are skipped."""
    turns = []
    for s in _sentences(document):
        if "speaker_id" not in s or s["speaker_id"] is None:
            continue
        start, end = _int(s.get("begin_time"), "begin_time"), _int(s.get("end_time"), "end_time")
        turns.append(SpeakerTurn(start, max(start, end), _speaker_label(s["speaker_id"]), str(s.get("text", ""))))
    return SpeakerPassResult(tuple(turns))


def _word(w: dict[str, Any]) -> Word:
    start, end = _int(w.get("begin_time"), "word begin_time"), _int(w.get("end_time"), "word end_time")
    return Word(start, max(start, end), str(w.get("text", "")), str(w.get("punctuation") or ""))


def text_pass(document: dict[str, Any]) -> TextPassResult:
    """Sentences (with words when present) of a filetrans or Fun-ASR result file."""
    sentences = []
    for s in _sentences(document):
        start, end = _int(s.get("begin_time"), "begin_time"), _int(s.get("end_time"), "end_time")
        words = tuple(_word(w) for w in s.get("words") or [] if isinstance(w, dict))
        sentences.append(TimedSentence(start, max(start, end), str(s.get("text", "")), words))
    return TextPassResult(tuple(sentences))
