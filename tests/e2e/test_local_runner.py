"""The local runner end to end: real Telegram-shaped updates, the webhook contract, the worker,
real ffmpeg on generated speech, memory adapters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.local.bot import LocalBot
from tests.audio_factory import fixture, make_audio

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "fixtures" / "dashscope"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.local", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})


def test_readme_demo_transcribes_the_bundled_sample():
    result = run_cli("transcribe", "samples/voice_note.ogg")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Аудио получено" in out or "Audio received" in out
    assert "placeholder transcript" in out
    assert "[completed]" in out and "'charged': 1" in out


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
