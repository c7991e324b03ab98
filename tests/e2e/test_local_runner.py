"""The local runner end to end: real Telegram-shaped updates, the webhook contract, the worker,
real ffmpeg on generated speech, memory adapters."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.local.bot import LocalBot
from tests.audio_factory import fixture, make_audio

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "fixtures" / "dashscope"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.local", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", **(env or {})})


CYRILLIC = re.compile(r"[\u0400-\u04FF]")
SRT_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)$")
VTT_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)$")


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _check_cues(blocks: list[list[str]], timing: re.Pattern[str], duration_ms: int) -> list[tuple[int, int, str]]:
    """Every block is an optional id line, a timing line (start < end, in order, inside the audio)
    and at least one line of text; returns (start, end, text) per cue."""
    cues, previous_start = [], 0
    for block in blocks:
        time_line = next(i for i, line in enumerate(block) if "-->" in line)
        assert time_line <= 1, block
        match = timing.match(block[time_line])
        assert match, block[time_line]
        start, end = _ms(*match.groups()[:4]), _ms(*match.groups()[4:])
        assert previous_start <= start < end <= duration_ms + 1000, block
        text = "\n".join(block[time_line + 1:]).strip()
        assert text, block
        cues.append((start, end, text))
        previous_start = start
    assert cues
    return cues


def parse_srt(data: str, duration_ms: int) -> list[tuple[int, int, str]]:
    blocks = [b.split("\n") for b in re.split(r"\n\s*\n", data.strip()) if b.strip()]
    assert [int(b[0]) for b in blocks] == list(range(1, len(blocks) + 1))  # numbered from 1, in order
    return _check_cues(blocks, SRT_TIME, duration_ms)


def parse_vtt(data: str, duration_ms: int) -> list[tuple[int, int, str]]:
    header, *rest = re.split(r"\n\s*\n", data.strip())
    assert header.split("\n")[0].rstrip() == "WEBVTT"
    return _check_cues([b.split("\n") for b in rest if b.strip()], VTT_TIME, duration_ms)


def parse_txt(data: str) -> list[str]:
    lines = [line for line in data.splitlines() if line.strip()]
    assert lines and all(re.match(r"^\[\d\d:\d\d:\d\d\] \S", line) for line in lines), lines
    return lines


def test_readme_demo_transcribes_the_bundled_sample():
    result = run_cli("transcribe", "samples/voice_note.ogg")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Аудио получено" in out or "Audio received" in out
    assert "placeholder transcript" in out
    assert "[completed] billing: reserved 1 min, charged 1 min, refunded 0 min" in out


def test_transcribe_writes_the_three_exports_and_speaks_only_english(tmp_path):
    """The bundled note through ``transcribe``: --export-dir, --ui en (even in a Russian shell)."""
    export_dir = tmp_path / "out"
    result = run_cli("transcribe", "samples/voice_note.ogg", "--export-dir", str(export_dir), "--ui", "en",
                     env={"LANG": "ru_RU.UTF-8"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not CYRILLIC.search(out), out
    assert "<code>" not in out and "<b>" not in out
    files = {p.name: p.read_text(encoding="utf-8") for p in export_dir.iterdir()}
    assert sorted(files) == ["voice_note.srt", "voice_note.txt", "voice_note.vtt"]
    assert all(files.values())
    srt, vtt = parse_srt(files["voice_note.srt"], 7500), parse_vtt(files["voice_note.vtt"], 7500)
    assert [c[:2] for c in srt] == [c[:2] for c in vtt] and srt[-1][1] >= 6500  # the same cues, the whole note
    assert "placeholder transcript" in parse_txt(files["voice_note.txt"])[0]
    # It says where each file went.
    for name in files:
        assert f"saved to {export_dir / name}" in out
    assert f"exports written to {export_dir.resolve()}: voice_note.txt, voice_note.srt, voice_note.vtt" in out


def test_exports_of_a_replayed_transcript_and_of_a_dialogue_carry_its_text_and_times(tmp_path):
    plain = run_cli("transcribe", "samples/voice_note.ogg", "--ui", "en", "--export-dir", str(tmp_path / "plain"),
                    "--asr-response", str(RECORDED / "asr_voice_note.json"), "--json")
    assert plain.returncode == 0, plain.stderr
    report = json.loads(plain.stdout)
    assert [Path(p).name for p in report["exports"]] == ["voice_note.txt", "voice_note.srt", "voice_note.vtt"]
    srt = parse_srt((tmp_path / "plain" / "voice_note.srt").read_text(encoding="utf-8"), report["duration_ms"])
    assert " ".join(c[2] for c in srt).replace("\n", " ").startswith("Hi! This is a demo voice note.")

    audio = make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg")
    dialogue = run_cli("transcribe", str(audio), "--dialogue", "--ui", "en", "--export-dir", str(tmp_path / "dia"),
                       "--speaker-pass", str(RECORDED / "funasr_dialogue.json"),
                       "--text-pass", str(RECORDED / "filetrans_dialogue.json"))
    assert dialogue.returncode == 0, dialogue.stderr
    assert "Times are approximate" not in dialogue.stdout  # exact word times from the passes
    vtt = parse_vtt((tmp_path / "dia" / f"{audio.stem}.vtt").read_text(encoding="utf-8"), 60_000)
    assert vtt[0][2].startswith("Speaker 1:") and any(c[2].startswith("Speaker 2:") for c in vtt)


@pytest.mark.parametrize(("env", "args", "expected"), [
    ({"LANG": "ru_RU.UTF-8"}, [], "ru"),
    ({"LANG": "en_GB.UTF-8"}, [], "en"),
    ({}, [], "en"),
    ({"LANG": "ru_RU.UTF-8", "LC_ALL": "C.UTF-8"}, [], "en"),  # LC_ALL wins over LANG
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, [], "ru"),
    ({"LANG": "en_US.UTF-8"}, ["--ui", "ru"], "ru"),
    ({"LC_ALL": "ru_RU.UTF-8"}, ["--ui", "en"], "en"),
])
def test_the_interface_language_follows_the_locale_and_ui_chooses_it(env, args, expected):
    result = run_cli("transcribe", "samples/voice_note.ogg", *args, env=env)
    assert result.returncode == 0, result.stderr
    if expected == "ru":
        assert "Аудио получено" in result.stdout and "списано 1 мин." in result.stdout
    else:
        assert "Audio received" in result.stdout and not CYRILLIC.search(result.stdout), result.stdout


def test_replays_of_the_dialogue_passes_are_refused_without_dialogue():
    for option in ("--speaker-pass", "--text-pass"):
        result = run_cli("transcribe", "samples/voice_note.ogg", option, str(RECORDED / "funasr_dialogue.json"))
        assert result.returncode == 2 and result.stdout == ""
        assert "usage:" in result.stderr and "need --dialogue" in result.stderr
    unreadable = run_cli("transcribe", "samples/voice_note.ogg", "--dialogue", "--speaker-pass", "missing.json",
                         "--text-pass", str(RECORDED / "filetrans_dialogue.json"))
    assert unreadable.returncode == 2 and "Traceback" not in unreadable.stderr
    assert "cannot read --speaker-pass missing.json" in unreadable.stderr


def test_offline_dialogue_without_replays_says_what_it_needs(tmp_path):
    result = run_cli("transcribe", "samples/voice_note.ogg", "--dialogue", "--json", "--ui", "en")
    assert result.returncode == 0, result.stderr
    assert "--speaker-pass FILE --text-pass FILE" in result.stderr
    assert json.loads(result.stdout)["mode"] != "dialogue"  # plain text, as the note says
    with_replays = run_cli("transcribe", "samples/voice_note.ogg", "--dialogue", "--json",
                           "--speaker-pass", str(RECORDED / "funasr_dialogue.json"),
                           "--text-pass", str(RECORDED / "filetrans_dialogue.json"))
    assert "--speaker-pass" not in with_replays.stderr


def test_help_renders_without_markup():
    for args in ([], ["transcribe"], ["chat"], ["serve"]):
        result = run_cli(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: python -m entrypoints.local" in result.stdout
        assert not re.search(r"``|:class:|:func:|\*\*", result.stdout), result.stdout
    assert "--export-dir" in run_cli("transcribe", "--help").stdout


def test_a_user_without_minutes_is_told_so_and_nothing_is_charged():
    result = run_cli("transcribe", "samples/voice_note.ogg", "--minutes", "0", "--ui", "en")
    assert result.returncode == 1
    assert "Not enough minutes" in result.stdout and "charged 0 min" in result.stdout


def test_json_report_with_a_replayed_recognizer_response():
    result = run_cli("transcribe", "samples/voice_note.ogg", "--json",
                     "--asr-response", str(RECORDED / "asr_voice_note.json"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["text"].startswith("Hi! This is a demo voice note.")
    assert report["billing"] == {"reserved": 1, "charged": 1, "refunded": 0}
    assert report["status"] == "completed" and 6500 <= report["duration_ms"] <= 7500
    assert any("Audio received" in m or "Аудио получено" in m for m in report["messages"])


def test_dialogue_replay_gives_every_word_its_speaker(tmp_path):
    audio = make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg")
    result = run_cli("transcribe", str(audio), "--dialogue", "--json",
                     "--speaker-pass", str(RECORDED / "funasr_dialogue.json"),
                     "--text-pass", str(RECORDED / "filetrans_dialogue.json"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "dialogue"
    words = [(w["text"].strip(" .,?"), s["speaker"]) for s in report["segments"] for w in s["words"]]
    expected_a = ["Good", "morning", "Did", "you", "finish", "the", "quarterly", "report"]
    expected_b = ["Yes", "I", "sent", "it", "to", "the", "whole", "team", "yesterday", "evening"]
    assert words == [(w, "1") for w in expected_a] + [(w, "2") for w in expected_b]
    assert report["text"] == ("— Good morning. Did you finish the quarterly report?\n"
                              "— Yes, I sent it to the whole team yesterday evening.")


def test_video_and_long_chunked_file_through_the_local_bot(tmp_path):
    bot = LocalBot(env={}, printer=None)
    try:
        video = bot.transcribe(fixture("clip"))
        assert video["status"] == "completed"
        long = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 80.0), "speaker_b"],
                          fmt="ogg")
        report = bot.transcribe(long)
        assert report["status"] == "completed"
        assert any("(part 2 of" in m or "(часть 2 из" in m for m in report["messages"])
        assert report["billing"]["charged"] == 4
    finally:
        bot.close()


def test_forged_webhook_without_the_secret_is_refused(tmp_path):
    bot = LocalBot(env={"TELEGRAM_WEBHOOK_SECRET": "s3cret-token"}, printer=None)
    try:
        bot.grant()
        answer = bot.post(bot.text_update("/balance"), secret="wrong")
        assert answer.status == 403 and bot.chat.events == []
        assert bot.post(bot.text_update("/balance")).status == 200
        assert "600" in bot.chat.events[-1].text
    finally:
        bot.close()
