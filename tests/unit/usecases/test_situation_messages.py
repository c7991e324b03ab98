"""Messages that fit their situation: what the user sees, through the use cases.

Dialogue fallbacks say so and the progress never goes back; progress counts parts from 1, says
"video" for videos and estimates the time left on long jobs; a video without sound is called
that; long transcripts by default arrive as a preview plus a file; the low-balance warning comes
once per crossing; counts agree with their words in both languages.
"""

from __future__ import annotations

import pytest

from adapters.alibaba import dashscope_results
from adapters.memory.speech import ScriptedRecognizer
from domain.audio import MediaKind
from domain.job import JobStatus
from domain.users import LongTextMode, UserSettings
from presentation.catalogue import owner_say, say
from presentation.keys import OM, M
from tests.audio_factory import ffmpeg, fixture, make_audio, make_tone_without_silence
from tests.world import OWNER, USER, evolve_policy
from usecases.progress import progress_text

pytestmark = pytest.mark.slow


def status_texts(world, update_id: int) -> list[str]:
    """Every text the job's status message showed, in order (its send, then its edits)."""
    job = world.job_of(update_id)
    return [e.text for e in world.chat.events
            if e.kind in ("send", "edit") and e.message_id == job.status_message_id]


class ClockedRecognizer(ScriptedRecognizer):
    """Each request takes ``seconds`` of the world's (fake) clock."""

    def __init__(self, clock, seconds: float, responses=None) -> None:
        super().__init__(responses)
        self._clock, self._seconds = clock, seconds

    def recognize(self, clip, *, language=None):
        self._clock.advance(self._seconds)
        return super().recognize(clip, language=language)


# -- dialogue that could not separate the speakers --------------------------------------------------

TEXT_DOC = {"transcripts": [{"channel_id": 0, "sentences": [
    {"begin_time": 0, "end_time": 3000, "text": "Good morning, everyone.", "words": [
        {"begin_time": 100, "end_time": 600, "text": "Good", "punctuation": ""},
        {"begin_time": 600, "end_time": 1200, "text": "morning", "punctuation": ", "},
        {"begin_time": 1200, "end_time": 2000, "text": "everyone", "punctuation": "."}]}]}]}

STAGE_ORDER = [M.received, M.queued, M.stage_download, M.stage_convert, M.stage_diarize, M.stage_merge,
               M.stage_plain_fallback, M.stage_format, M.dialogue_fallback]


def stage_ranks(texts: list[str]) -> list[int]:
    ranks = []
    for text in texts:
        for rank, key in enumerate(STAGE_ORDER):
            if text.startswith(say("ru", key).split("...")[0]):
                ranks.append(rank)
                break
        else:
            pytest.fail(f"unexpected status text {text!r}")
    return ranks


def test_no_speakers_says_the_speakers_could_not_be_separated_above_the_plain_text(world, tmp_path):
    world.user(balance=10)
    world.text("/dialogue")
    world.text_pass.result = dashscope_results.text_pass(TEXT_DOC)  # the speaker pass fails (no result): no speakers
    update_id, _ = world.media(make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg"))
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.result_mode == "plain"
    note = "👥 Разделить спикеров не удалось — вот обычный текст."
    # The status message became the note and stays; the plain text follows in its own message.
    assert world.chat.messages[(USER, job.status_message_id)] == note
    assert world.texts()[-2:] == [note, "Good morning, everyone."]
    ranks = stage_ranks(status_texts(world, update_id))
    assert ranks == sorted(ranks), status_texts(world, update_id)
    assert not any("Объединяю" in t for t in status_texts(world, update_id)), "nothing was merged"


def test_both_passes_failed_goes_forward_to_plain_recognition_and_says_so(world):
    world.user(balance=10)
    world.text("/dialogue")
    world.recognizer = type(world.recognizer)(["Hello there."])
    world.rebuild()
    update_id, _ = world.media(fixture("hello_en"))
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.result_mode == "plain"
    shown = status_texts(world, update_id)
    assert say("ru", M.stage_diarize) in shown
    assert say("ru", M.stage_plain_fallback) in shown
    assert not any(t.startswith(say("ru", M.stage_asr)) for t in shown), "the progress went back"
    ranks = stage_ranks(shown)
    assert ranks == sorted(ranks), shown
    assert world.texts()[-2:] == [say("ru", M.dialogue_fallback), "Hello there."]


def test_real_dialogue_carries_no_fallback_note(world, tmp_path):
    world.user(balance=10, settings=UserSettings(dialogue=True, ui_language="en"))
    world.speaker_pass.result = dashscope_results.speaker_pass({"transcripts": [{"channel_id": 0, "sentences": [
        {"begin_time": 0, "end_time": 1100, "text": "Good morning", "speaker_id": 0},
        {"begin_time": 1150, "end_time": 3000, "text": "everyone", "speaker_id": 1}]}]})
    world.text_pass.result = dashscope_results.text_pass(TEXT_DOC)
    update_id, _ = world.media(make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg"))
    world.drain()
    job = world.job_of(update_id)
    assert job.result_mode == "dialogue"
    assert not any("could not be separated" in t for t in world.texts())


# -- progress ---------------------------------------------------------------------------------------


def test_progress_counts_parts_from_one_and_estimates_the_time_left_on_long_jobs(world, tmp_path):
    evolve_policy(world, chunk_max_s=20.0, chunk_min_s=10.0, asr_concurrency=1, progress_eta_min_chunks=4)
    world.recognizer = ClockedRecognizer(world.clock, 30.0)
    world.rebuild()
    world.user(balance=5)
    update_id, _ = world.media(make_tone_without_silence(tmp_path, 70.0), kind=MediaKind.AUDIO)
    world.drain()
    assert world.job_of(update_id).status is JobStatus.COMPLETED
    n = len(world.recognizer.clips)
    assert n == 4
    parts = [t for t in status_texts(world, update_id) if "(часть" in t]
    # 30 s per part: after one, 3 parts left ≈ 1.5 min → "2"; after two, 2 left = 1 min; after three, 30 s → "1".
    assert parts == [
        "🎙 Распознаю речь... (часть 1 из 4)",
        "🎙 Распознаю речь... (часть 2 из 4, осталось около 2 минут)",
        "🎙 Распознаю речь... (часть 3 из 4, осталось около 1 минуты)",
        "🎙 Распознаю речь... (часть 4 из 4, осталось около 1 минуты)",
        "🎙 Распознаю речь... (часть 4 из 4)",  # all four done
    ]


def test_short_jobs_show_no_estimate_and_never_part_zero(world, tmp_path):
    world.user(balance=20)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 100.0), "speaker_b"],
                       fmt="mp3")
    update_id, _ = world.media(audio, kind=MediaKind.AUDIO)
    world.drain()
    parts = [t for t in status_texts(world, update_id) if "(часть" in t]
    assert parts and parts[0] == say("ru", M.stage_asr_chunk, i=1, n=len(world.recognizer.clips))
    assert not any("часть 0" in t or "осталось" in t for t in parts)


def test_estimate_wording_in_both_languages():
    assert progress_text("en", M.stage_asr_chunk, i=2, n=29, eta_s=60) == \
        "🎙 Recognising speech... (part 2 of 29, about 1 minute left)"
    assert progress_text("en", M.stage_asr_chunk, i=2, n=29, eta_s=300) == \
        "🎙 Recognising speech... (part 2 of 29, about 5 minutes left)"
    assert progress_text("en", M.stage_asr_chunk, i=28, n=29, eta_s=10) == \
        "🎙 Recognising speech... (part 28 of 29, less than a minute left)"
    assert progress_text("ru", M.stage_asr_chunk, i=2, n=29, eta_s=21 * 60) == \
        "🎙 Распознаю речь... (часть 2 из 29, осталось около 21 минуты)"
    assert progress_text("ru", M.stage_asr_chunk, i=2, n=29, eta_s=3 * 60) == \
        "🎙 Распознаю речь... (часть 2 из 29, осталось около 3 минут)"


def test_a_video_is_called_a_video(world):
    world.user(balance=5, settings=UserSettings(ui_language="en"))
    update_id, route = world.media(fixture("clip"), kind=MediaKind.VIDEO)
    assert route == "media:inline:completed"
    shown = status_texts(world, update_id)
    assert shown[0] == "🎬 Video received. Processing..."
    assert "🎛 Extracting the sound from the video..." in shown
    assert not any("Audio" in t or "audio" in t for t in shown[:-1])  # the last is the (placeholder) transcript
    # Queued (Telegram claims it is long) it says "video" too.
    update_id, route = world.media(fixture("clip"), kind=MediaKind.VIDEO_NOTE, duration_s=70)
    assert route == "media:queued"
    assert world.chat.messages[(USER, world.job_of(update_id).status_message_id)] == "⏳ Video queued for processing..."
    world.drain()


def test_a_video_without_sound_is_told_so(world, tmp_path):
    silent = tmp_path / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5", "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           str(silent))
    world.user(balance=5)
    for kind in (MediaKind.VIDEO, MediaKind.DOCUMENT):
        update_id, _ = world.media(silent, kind=kind, duration_s=2 if kind is MediaKind.VIDEO else None)
        world.drain()
        assert world.job_of(update_id).status is JobStatus.FAILED
        assert world.texts()[-1] == "В этом видео нет звука — распознавать нечего. Минуты возвращены."
    assert world.balance() == 5


# -- long transcripts ----------------------------------------------------------------------------------

PARAGRAPH = ("Это предложение для проверки длинного текста. " * 20).strip()


def long_text(chars: int) -> str:
    return "\n\n".join([PARAGRAPH] * (chars // len(PARAGRAPH) + 1))


def deliver(world, text: str, **settings) -> int:
    world.user(balance=10, settings=UserSettings(**settings))
    world.recognizer = type(world.recognizer)([text])
    world.rebuild()
    update_id, _ = world.media(fixture("hello_en"))
    assert world.job_of(update_id).status is JobStatus.COMPLETED
    return update_id


def test_a_long_transcript_by_default_is_a_preview_plus_the_file(world):
    text = long_text(15000)
    update_id = deliver(world, text)
    job = world.job_of(update_id)
    texts = world.texts()
    assert len(texts) == 2, "one short preview and the file, no wall of messages"
    preview = texts[0]
    assert len(preview) < 1000 and preview.startswith(PARAGRAPH[:200])
    assert preview.endswith(say("ru", M.preview_note))
    documents = world.chat.documents(USER)
    assert len(documents) == 1 and documents[0].data.decode() == job.result_text
    assert documents[0].text == say("ru", M.file_caption, chars=len(job.result_text))
    assert documents[0].keyboard[0][0].data.startswith("export:")
    assert (job.planned_parts, job.delivered_parts) == (2, 2)


def test_the_users_own_choice_wins_over_the_default(world):
    text = long_text(15000)
    deliver(world, text, long_text=LongTextMode.SPLIT)
    assert len(world.texts()) >= 4 and not world.chat.documents(USER)
    assert all(len(t) <= 4096 for t in world.texts())


def test_file_choice_sends_the_file_alone(world):
    deliver(world, long_text(15000), long_text=LongTextMode.FILE)
    assert world.texts() == ["[transcript.txt] " + say("ru", M.file_caption, chars=len(world.chat.documents(USER)[0].data.decode()))]


def test_under_the_threshold_the_default_is_messages_and_the_threshold_is_configurable(world):
    text = long_text(7000)
    deliver(world, text)
    assert len(world.texts()) == 2 and not world.chat.documents(USER)
    evolve_policy(world, long_text_file_chars=5000)
    world.recognizer = type(world.recognizer)([text])
    world.rebuild()
    world.media(fixture("hello_en"), unique="again")
    assert len(world.chat.documents(USER)) == 1


def test_the_settings_menu_cycles_back_to_the_default(world):
    world.user(settings=UserSettings(ui_language="en"))
    seen = []
    for _ in range(3):
        world.text("/output")
        seen.append(world.texts()[-1])
    assert seen == ["Long text: 📄 .txt file", "Long text: 💬 several messages",
                    "Long text: ✂️ auto: a preview and a .txt file when long"]


# -- the low-balance warning ---------------------------------------------------------------------------


def one_minute_note(world) -> None:
    world.clock.advance(60)
    update_id, route = world.media(fixture("hello_en"))
    assert route == "media:inline:completed", route


def warnings(world) -> list[str]:
    return [t for t in world.texts() if t.startswith(("⚠️ Низкий баланс", "❌ Баланс исчерпан"))]


def test_the_low_balance_warning_comes_once_per_crossing(world):
    world.user(balance=7)
    for _ in range(4):  # 7 → 3: crosses the line (5) once
        one_minute_note(world)
    assert warnings(world) == [say("ru", M.low_balance, balance=4)]
    world.users.apply_balance(USER, "pay:test", 2)  # a top-up back to the line (5)...
    one_minute_note(world)  # ...and below it again: a new crossing
    assert warnings(world)[1:] == [say("ru", M.low_balance, balance=4)]
    for _ in range(4):  # 4 → 0: still low, then empty once
        one_minute_note(world)
    assert warnings(world)[2:] == [say("ru", M.empty_balance)]
    assert world.users.get(USER).balance_notice == "empty"


def test_two_jobs_ending_together_warn_once(world, tmp_path):
    world.user(balance=6)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 65.0)], fmt="ogg")
    world.media(audio)
    world.media(audio, unique="second")
    assert world.balance() == 2
    assert world.drain() == 2
    assert warnings(world) == [say("ru", M.low_balance, balance=2)]


def test_back_above_the_line_rearms_the_warning(world):
    world.user(balance=5)
    one_minute_note(world)
    assert len(warnings(world)) == 1
    world.users.apply_balance(USER, "pay:test", 50)
    one_minute_note(world)
    assert world.users.get(USER).balance_notice == ""
    assert len(warnings(world)) == 1


# -- plurals ---------------------------------------------------------------------------------------------


def test_counts_agree_with_their_words_in_both_languages(world):
    assert [say("ru", M.invoice_title, minutes=n) for n in (1, 2, 5, 21)] == \
        ["1 минута", "2 минуты", "5 минут", "21 минута"]
    assert [say("en", M.invoice_title, minutes=n) for n in (1, 50)] == ["1 minute", "50 minutes"]
    assert say("ru", M.file_caption, chars=1) == "Текст записи (1 символ)"
    assert say("ru", M.file_caption, chars=3) == "Текст записи (3 символа)"
    assert say("en", M.file_caption, chars=1) == "Transcript (1 character)"
    assert owner_say(OM.export_caption, kind="logs", rows=1, days=1) == "logs: 1 row, last 1 day"
    assert "1 trial minute\n" in say("en", M.help, trial=1)
    assert "заявка на 1 пробную минуту" in say("ru", M.help, trial=1)
    assert "заявка на 15 пробных минут" in say("ru", M.help, trial=15)
    assert "within 1 day of payment" in say("en", M.refund_policy, days=1)
    assert "for up to 1 day after it was last used" in say("en", M.retention, job_days=7, cache_days=1, log_days=90)
    # Through the owner's /user search: one match is "1 user".
    world.user(user_id=5_550_123, first_name="Марина")
    world.text("/user Марина", user_id=OWNER)
    assert "“Марина”: 1 user ·" in world.texts(OWNER)[-1]
