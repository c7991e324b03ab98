"""The actions on a transcript in the local runner, offline: pressed in ``chat`` like any button, and
by ``transcribe --action`` on the bundled sample and a recorded dialogue (the stand-in language
model labels its answers)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from adapters.alibaba import dashscope_results
from entrypoints.local.bot import LocalBot
from tests.audio_factory import fixture, make_audio
from tests.e2e.test_local_serve_and_chat import button, chat

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "fixtures" / "dashscope"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_in_chat_the_action_buttons_can_be_pressed(monkeypatch, capsys, tmp_path):
    out = chat(monkeypatch, capsys, [
        str(fixture("hello_en")), button("act:"),  # the last action button of the row: Translate
        lambda seen: "press " + re.findall(r"\((act:[^)]*:sum)\)", seen)[-1],
        lambda seen: "press " + re.findall(r"\((act:[^)]*:tr:de)\)", seen)[-1],
        lambda seen: "press " + re.findall(r"\((act:[^)]*:sum)\)", seen)[-1],
        "/balance",
    ], "--ui", "en", "--export-dir", str(tmp_path))
    assert "[📝 Summary]" in out and "[🌐 Translate]" in out
    assert "Translate into which language?" in out and "[German] (act:" in out
    assert out.count("📝 Summary\n") == 2  # made once, shown again on the second press
    assert out.count("Writing the summary") == 1
    assert "🌐 Translation: German" in out
    assert "[offline sample: no language model connected]" in out
    # 1 minute for the file, 1 for the summary (0.5 per started hour), 1 for the translation.
    assert "Your balance: 597 min." in out


def test_transcribe_presses_the_actions_on_the_bundled_sample_and_a_recorded_dialogue(tmp_path):
    bot = LocalBot(printer=None, ui="en",
                   recognitions=[dashscope_results.recognition(recorded("asr_voice_note.json"))])
    try:
        report = bot.transcribe(ROOT / "samples" / "voice_note.ogg",
                                actions=("summary", "points", "translate:ru"))
    finally:
        bot.close()
    shown = "\n".join(line.strip() for message in report["messages"] for line in message.splitlines())
    assert report["status"] == "completed"
    assert "📝 Summary\n\n[offline sample: no language model connected]\nHi! This is a demo voice note." in shown
    assert "• Please remind me to buy milk and call the dentist tomorrow morning." in shown
    assert "🌐 Translation: Russian" in shown

    audio = make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg")
    bot = LocalBot(printer=None, ui="en", speakers=dashscope_results.speaker_pass(recorded("funasr_dialogue.json")),
                   timed_text=dashscope_results.text_pass(recorded("filetrans_dialogue.json")))
    try:
        report = bot.transcribe(audio, dialogue=True, export_dir=tmp_path / "out",
                                actions=("summary", "names:1=Anna, 2=Boris"))
    finally:
        bot.close()
    shown = "\n".join(line.strip() for message in report["messages"] for line in message.splitlines())
    assert "— Anna: Good morning. Did you finish the quarterly report?" in shown
    assert "— Boris: Yes, I sent it to the whole team yesterday evening." in shown
    assert "Anna: Good morning. Boris: Yes" in shown.split("📝 Summary\n")[-1]  # named before it was summarised
    assert (tmp_path / "out" / f"{audio.stem}.txt").read_text(encoding="utf-8").splitlines()[0].endswith(
        "Anna: Good morning. Did you finish the quarterly report?")
