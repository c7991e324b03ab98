"""The actions under a delivered transcript, through the use cases on memory adapters: what the user
sees, what the ledger holds (checked after every test by the ``world`` fixture, actions included)."""

from __future__ import annotations

import json

import attrs
import pytest

from domain.audio import MediaKind
from domain.dialogue import parse_dialogue_lines
from domain.job import Job, JobStatus
from domain.transcript import TranscriptionMode
from domain.transcript_actions import ActionStatus, action_id
from ports.text_tasks import TaskKind, TextTask
from tests.world import USER

JOB = "b" * 32

DIALOGUE_SEGMENTS = [
    {"speaker": "1", "start_ms": 0, "end_ms": 4_000, "text": "Доброе утро. Обсудим запуск в марте."},
    {"speaker": "2", "start_ms": 4_000, "end_ms": 9_000, "text": "Да. Я подготовлю смету до пятницы."},
    {"speaker": "1", "start_ms": 9_000, "end_ms": 12_000, "text": "Хорошо, решили: бюджет 2 миллиона."},
]
DIALOGUE_TEXT = ("— Доброе утро. Обсудим запуск в марте.\n— Да. Я подготовлю смету до пятницы.\n"
                 "— Хорошо, решили: бюджет 2 миллиона.")
PLAIN_TEXT = ("Сегодня мы обсудили план на квартал. Решили перенести запуск на март.\n\n"
              "Анна подготовит смету до пятницы. Бюджет 2 миллиона.")


def delivered_job(world, *, job_id: str = JOB, user_id: int = USER, text: str = PLAIN_TEXT,
                  segments: list | None = None, mode: str = "plain", duration_ms: int = 30 * 60_000,
                  balance: int = 100) -> Job:
    """A completed job as the worker leaves it, with the minutes it took in the journal."""
    if world.users.get(user_id) is None:
        world.user(user_id, balance=balance)
    heard = -(-duration_ms // 60_000)
    world.users.apply_balance(user_id, f"reserve:{job_id}", -heard)
    job = Job(job_id=job_id, user_id=user_id, chat_id=user_id, message_id=1, file_id="f", file_unique_id="u",
              kind=MediaKind.VOICE, declared_duration_s=duration_ms / 1000, file_size=10, reserved_minutes=heard,
              status_message_id=None, created_at=world.clock.now(), status=JobStatus.COMPLETED,
              result_text=text, result_mode=TranscriptionMode(mode), real_duration_ms=duration_ms, charged_minutes=heard,
              segments_json=json.dumps(segments, ensure_ascii=False) if segments else None, delivered=True)
    world.jobs.create(job)
    return job


def dialogue_job(world, **kwargs) -> Job:
    return delivered_job(world, text=DIALOGUE_TEXT, segments=DIALOGUE_SEGMENTS, mode="dialogue", **kwargs)


def last_text(world) -> str:
    return world.texts(USER)[-1]


def callback_answer(world) -> str:
    return [e for e in world.chat.events if e.kind == "callback"][-1].text


# -- summary ------------------------------------------------------------------------------------


def test_summary_is_reserved_made_by_the_worker_delivered_and_charged(world):
    job = delivered_job(world)
    before = world.balance()
    assert world.press(f"act:{job.job_id}:sum") == "act:sum:queued"
    assert last_text(world) == "⏳ Готовлю краткое содержание…"
    assert world.balance() == before - 1  # 0.5 min per started hour, rounded up: 1 minute reserved
    world.drain()
    shown = last_text(world)
    assert shown.startswith("📝 Краткое содержание\n\n")
    assert "[офлайн-пример" in shown  # the stand-in model says what it is
    assert "Сегодня мы обсудили план на квартал." in shown
    record = world.actions_store.get(action_id(world.actions_store.get(f"act.sum.{JOB}").kind, JOB))
    assert record.status is ActionStatus.COMPLETED and record.charged == 1
    assert record.model == "qwen-llm:qwen-flash"
    assert world.balance() == before - 1


def test_a_second_press_returns_the_stored_result_without_a_second_charge_or_call(world):
    job = delivered_job(world)
    world.press(f"act:{job.job_id}:sum")
    world.drain()
    first = last_text(world)
    balance, calls = world.balance(), len(world.text_primary.tasks)
    assert world.press(f"act:{job.job_id}:sum") == "act:sum:stored"
    assert last_text(world) == first
    assert world.balance() == balance
    assert len(world.text_primary.tasks) == calls


def test_a_press_while_the_action_runs_says_so_and_charges_nothing_more(world):
    job = delivered_job(world)
    world.press(f"act:{job.job_id}:pts")
    balance = world.balance()
    assert world.press(f"act:{job.job_id}:pts") == "act:pts:busy"
    assert callback_answer(world) == "Уже готовлю — результат придёт сюда."
    assert world.balance() == balance
    world.drain()
    assert last_text(world).startswith("📌 Ключевые моменты, решения и задачи")
    assert len(world.text_primary.tasks) == 1  # two messages in the queue, one run


def test_key_points_list_decisions_and_tasks(world):
    job = delivered_job(world)
    world.press(f"act:{job.job_id}:pts")
    world.drain()
    shown = last_text(world)
    assert "• Анна подготовит смету до пятницы." in shown
    assert world.text_primary.tasks[0].kind is TaskKind.KEY_POINTS
    assert world.text_primary.tasks[0].answer_language == "ru"


def test_someone_elses_or_unfinished_transcript_is_not_available(world):
    job = delivered_job(world)
    world.user(555, balance=10)
    assert world.press(f"act:{job.job_id}:sum", user_id=555) == "act:unavailable"
    assert callback_answer(world) == "Этот текст больше недоступен."
    world.jobs.save(attrs.evolve(world.jobs.get(job.job_id), status=JobStatus.PROCESSING,
                                 lease_until=world.clock.now() + 900))
    assert world.press(f"act:{job.job_id}:sum") == "act:unavailable"
    assert world.actions_store.get(f"act.sum.{JOB}") is None
    assert world.balance(555) == 10


def test_without_enough_minutes_nothing_is_taken_and_the_price_is_said(world):
    job = delivered_job(world, duration_ms=3 * 3600_000 + 1, balance=4 * 60)  # 4 started hours
    world.users.apply_balance(USER, "spend", -world.balance())
    world.users.apply_balance(USER, "gift", 1)
    assert world.press(f"act:{job.job_id}:tr:en") == "act:tr:no_minutes"
    assert last_text(world) == ("Не хватает минут: это стоит 4 мин., на балансе 1 мин. Пополнить: /buy_minutes")
    assert world.balance() == 1
    assert world.actions_store.get(f"act.tr-en.{JOB}").status is ActionStatus.FAILED
    assert world.queue.pending() == []


def test_free_actions_by_policy_take_nothing(world):
    from tests.world import evolve_policy

    evolve_policy(world, summary_minutes_per_hour=0.0)
    job = delivered_job(world)
    before = world.balance()
    world.press(f"act:{job.job_id}:sum")
    world.drain()
    assert world.balance() == before
    assert world.actions_store.get(f"act.sum.{JOB}").status is ActionStatus.COMPLETED


# -- translation --------------------------------------------------------------------------------


def test_translate_offers_the_interface_language_first_then_the_short_list(world):
    job = dialogue_job(world)
    assert world.press(f"act:{job.job_id}:tr") == "act:tr:pick"
    picker = [e for e in world.chat.events if e.keyboard][-1]
    assert picker.text == "На какой язык перевести?"
    codes = [b.data.rsplit(":", 1)[1] for row in picker.keyboard for b in row]
    assert codes == ["ru", "en", "uk", "de", "es", "fr", "it", "zh"]
    assert [b.text for b in picker.keyboard[0]] == ["русский", "английский", "украинский"]
    assert world.press(f"act:{job.job_id}:tr:xx") == "ignored"  # not on the list: nothing at all


def test_a_translation_keeps_every_turn_and_its_label(world):
    job = dialogue_job(world)
    world.text_primary.answer = lambda task: task.text.replace("Доброе утро", "Good morning")
    world.press(f"act:{job.job_id}:tr:en")
    world.drain()
    shown = last_text(world)
    assert shown.startswith("🌐 Перевод: английский\n\n")
    turns = parse_dialogue_lines(shown)
    assert turns[0] == "— Спикер 1: Good morning. Обсудим запуск в марте."
    assert [t.split(":")[0] for t in turns] == ["— Спикер 1", "— Спикер 2", "— Спикер 1"]
    task = world.text_primary.tasks[0]
    assert task.kind is TaskKind.TRANSLATE and task.target_language == "en" and task.dialogue


def test_a_translation_that_drops_a_turn_is_asked_of_the_other_model(world):
    job = dialogue_job(world)
    world.text_primary.answer = lambda task: "\n".join(task.text.splitlines()[:2])  # loses a turn
    world.text_fallback.answer = lambda task: task.text.replace("Доброе утро", "Good morning")
    world.press(f"act:{job.job_id}:tr:en")
    world.drain()
    assert "Good morning" in last_text(world)
    record = world.actions_store.get(f"act.tr-en.{JOB}")
    assert record.status is ActionStatus.COMPLETED and record.model == "gemini:gemini-3.8-flash"
    assert len(world.text_primary.tasks) == len(world.text_fallback.tasks) == 1


def test_when_both_models_distort_the_text_the_user_is_told_plainly_and_refunded(world):
    job = dialogue_job(world)
    before = world.balance()
    invent = lambda task: task.text + "\n— Спикер 7: Я тоже здесь."  # noqa: E731 - an invented speaker
    world.text_primary.answer = invent
    world.text_fallback.answer = invent
    world.press(f"act:{job.job_id}:tr:en")
    world.drain()
    assert last_text(world).startswith("Не получилось сделать это достоверно")
    assert "Минуты возвращены" in last_text(world)
    assert world.balance() == before
    record = world.actions_store.get(f"act.tr-en.{JOB}")
    assert record.status is ActionStatus.FAILED and "turns changed" in record.error
    # Pressed again later: a new round, a new reservation, and this time it works.
    world.text_primary.answer = lambda task: task.text
    assert world.press(f"act:{job.job_id}:tr:en") == "act:tr:queued"
    world.drain()
    assert world.actions_store.get(f"act.tr-en.{JOB}").status is ActionStatus.COMPLETED
    assert world.balance() == before - 1


def test_a_summary_that_invents_a_speaker_is_refused(world):
    job = dialogue_job(world)
    world.text_primary.answer = lambda task: "Спикер 3 предложил перенести запуск."
    world.press(f"act:{job.job_id}:sum")
    world.drain()
    assert "Спикер 3" not in last_text(world)
    assert world.actions_store.get(f"act.sum.{JOB}").model == "gemini:gemini-3.8-flash"


def test_a_model_outage_retries_later_and_pays_no_piece_twice(world):
    job = delivered_job(world)
    world.text_primary.fail_next(2)  # both tries of the first model
    world.text_fallback.fail_next(2)
    world.press(f"act:{job.job_id}:sum")
    world.drain()
    assert world.actions_store.get(f"act.sum.{JOB}").status is ActionStatus.COMPLETED
    answered = [t for t in world.text_primary.tasks + world.text_fallback.tasks]
    assert len(answered) == 5  # 4 failed tries, then one answer


# -- named speakers -------------------------------------------------------------------------------


def test_speakers_are_named_one_reply_each_and_the_transcript_is_shown_with_them(world):
    job = dialogue_job(world)
    assert world.press(f"act:{job.job_id}:names") == "act:names:asked"
    assert last_text(world).startswith("Как зовут «Спикер 1»?")
    assert world.text("Анна") == "act:names:next"
    assert last_text(world) == "Записал. Как зовут «Спикер 2»?"
    assert world.text("Борис") == "act:names:saved"
    texts = world.texts(USER)
    assert texts[-2] == ("👥 Имена сохранены: Спикер 1 → Анна, Спикер 2 → Борис. "
                         "Текст и выгрузки .txt/.srt/.vtt теперь с именами.")
    assert texts[-1] == ("— Анна: Доброе утро. Обсудим запуск в марте.\n"
                         "— Борис: Да. Я подготовлю смету до пятницы.\n"
                         "— Анна: Хорошо, решили: бюджет 2 миллиона.")
    resent = [e for e in world.chat.events if e.kind == "send"][-1]
    assert [b.data for b in resent.keyboard[0]] == [f"export:{JOB}:txt", f"export:{JOB}:srt", f"export:{JOB}:vtt"]
    # Remembered: the next message is not taken for a name, and the exports use the names.
    assert world.text("привет") == "hint"


def test_one_line_names_every_speaker_and_the_exports_follow(world):
    segments = [dict(s, words=[{"start_ms": s["start_ms"], "end_ms": s["end_ms"], "text": s["text"]}])
                for s in DIALOGUE_SEGMENTS]
    job = delivered_job(world, text=DIALOGUE_TEXT, segments=segments, mode="dialogue")
    world.press(f"act:{job.job_id}:names")
    assert world.text("1=Анна, 2 = Борис") == "act:names:saved"
    world.press(f"export:{job.job_id}:txt")
    txt = world.chat.documents(USER)[-1].data.decode()
    assert "] Анна: Доброе утро." in txt and "] Борис: Да." in txt and "Спикер" not in txt


def test_names_feed_the_summary_and_rename_a_stored_one(world):
    job = dialogue_job(world)
    world.press(f"act:{job.job_id}:sum")
    world.drain()
    assert "Спикер 1:" in last_text(world)
    world.press(f"act:{job.job_id}:names")
    world.text("1=Анна, 2=Борис")
    calls = len(world.text_primary.tasks)
    world.press(f"act:{job.job_id}:sum")
    assert "Анна:" in last_text(world) and "Спикер 1" not in last_text(world)
    assert len(world.text_primary.tasks) == calls  # renamed for free, not asked again
    world.press(f"act:{job.job_id}:pts")
    world.drain()
    assert world.text_primary.tasks[-1].text.startswith("— Анна: Доброе утро.")


def test_names_are_only_for_dialogue_transcripts_and_nonsense_is_not_a_name(world):
    plain = delivered_job(world)
    assert world.press(f"act:{plain.job_id}:names") == "act:names:unavailable"
    job = dialogue_job(world, job_id="c" * 32)
    world.press(f"act:{job.job_id}:names")
    assert world.text("—:") == "act:names:bad"
    assert world.text("Анна") == "act:names:next"


def test_forget_deletes_stored_results_and_names(world):
    job = dialogue_job(world)
    world.press(f"act:{job.job_id}:sum")
    world.drain()
    world.press(f"act:{job.job_id}:names")
    world.text("1=Анна, 2=Борис")
    world.text("/forget")
    assert last_text(world) == "Удалены краткие содержания, переводы и имена спикеров: 2."
    assert list(world.actions_store.scan()) == []
    assert world.actions_store.names(job.job_id) is None
    assert world.press(f"act:{job.job_id}:sum") == "act:unavailable"  # the transcript is gone too


def test_an_action_on_a_forgotten_transcript_fails_with_a_refund(world):
    job = delivered_job(world)
    before = world.balance()
    world.press(f"act:{job.job_id}:sum")
    world.jobs.save(attrs.evolve(world.jobs.get(job.job_id), result_text=None))
    world.drain()
    assert world.balance() == before
    assert world.actions_store.get(f"act.sum.{JOB}").status is ActionStatus.FAILED


@pytest.mark.parametrize("language", ["en"])
def test_interface_language_is_the_summary_language(world, language):
    job = delivered_job(world)
    user = world.users.get(USER)
    world.users.save(attrs.evolve(user, settings=attrs.evolve(user.settings, ui_language=language)))
    world.press(f"act:{job.job_id}:sum")
    world.drain()
    assert last_text(world).startswith("📝 Summary\n\n[offline sample: no language model connected]")
    assert world.text_primary.tasks[-1] == TextTask(TaskKind.SUMMARY, PLAIN_TEXT, answer_language="en",
                                                    target_language=None, dialogue=False)


def test_a_question_about_names_left_unanswered_for_an_hour_is_dropped(world):
    job = dialogue_job(world)
    world.press(f"act:{job.job_id}:names")
    world.clock.advance(3601)
    assert world.text("Анна") == "hint"
    assert world.actions_store.asking(USER) is None
    assert world.actions_store.names(job.job_id).names == {}


def test_a_press_that_died_before_reserving_is_reserved_by_the_worker(world):
    from domain.transcript_actions import ActionKind, ActionRecord

    job = delivered_job(world)
    before = world.balance()
    # The row was created, then the webhook died: no reservation, no queue message.
    world.actions_store.create(ActionRecord(f"act.sum.{JOB}", JOB, USER, USER, ActionKind.SUMMARY, 1,
                                            world.clock.now()))
    assert world.press(f"act:{job.job_id}:sum") == "act:sum:busy"  # the next press sends it on its way
    world.drain()
    assert world.balance() == before - 1
    assert world.actions_store.get(f"act.sum.{JOB}").status is ActionStatus.COMPLETED


def test_the_sweeper_republishes_a_lost_action_and_refunds_an_abandoned_one(world):
    job = delivered_job(world)
    before = world.balance()
    world.press(f"act:{job.job_id}:sum")
    world.queue.receive()  # the message is lost: taken and never acknowledged nor released
    world.clock.advance(60)
    assert world.actions.sweep() == {"republished": 0, "failed": 0}  # too early to tell
    world.clock.advance(900)
    assert world.actions.sweep() == {"republished": 1, "failed": 0}
    world.drain()
    assert world.actions_store.get(f"act.sum.{JOB}").status is ActionStatus.COMPLETED

    world.press(f"act:{job.job_id}:pts")
    world.queue.receive()
    world.clock.advance(6 * 3600 + 1)
    assert world.actions.sweep() == {"republished": 0, "failed": 1}
    assert last_text(world).startswith("Не получилось: сервис обработки текста недоступен.")
    assert world.balance() == before - 1  # the summary kept, the key points refunded


def test_a_one_message_transcript_is_edited_in_place_with_the_names(world):
    job = dialogue_job(world)
    shown = world.chat.send_text(USER, DIALOGUE_TEXT)  # the delivered transcript, buttons under it
    world.press(f"act:{job.job_id}:names", message_id=shown)
    world.text("1=Анна, 2=Борис")
    assert world.chat.messages[(USER, shown)] == (
        "— Анна: Доброе утро. Обсудим запуск в марте.\n— Борис: Да. Я подготовлю смету до пятницы.\n"
        "— Анна: Хорошо, решили: бюджет 2 миллиона.")
    edit = [e for e in world.chat.events if e.kind == "edit"][-1]
    assert edit.message_id == shown and edit.keyboard[0][0].data == f"export:{JOB}:txt"
    assert last_text(world).startswith("👥 Имена сохранены")
    assert world.texts(USER).count(world.chat.messages[(USER, shown)]) == 1  # not sent a second time


def test_a_monospace_transcript_stays_monospace_with_the_names(world):
    job = dialogue_job(world)
    user = world.users.get(USER)
    world.users.save(attrs.evolve(user, settings=attrs.evolve(user.settings, use_code=True)))
    shown = world.chat.send_text(USER, f"<code>{DIALOGUE_TEXT}</code>", html=True)
    world.press(f"act:{job.job_id}:names", message_id=shown)
    world.text("1=Анна & Co, 2=Борис")
    assert world.chat.messages[(USER, shown)].startswith("<code>— Анна &amp; Co: Доброе утро.")
    assert [e for e in world.chat.events if e.kind == "edit"][-1].html is True


def test_the_transcripts_own_language_is_not_offered(world):
    job = dialogue_job(world)
    world.jobs.save(attrs.evolve(world.jobs.get(job.job_id), result_language="ru"))
    world.press(f"act:{job.job_id}:tr")
    picker = [e for e in world.chat.events if e.keyboard][-1]
    codes = [b.data.rsplit(":", 1)[1] for row in picker.keyboard for b in row]
    assert codes == ["en", "uk", "de", "es", "fr", "it", "zh"]
    assert world.press(f"act:{job.job_id}:tr:ru") == "ignored"


def test_forget_while_an_action_runs_lets_it_settle_first(world):
    job = delivered_job(world)
    before = world.balance()
    world.press(f"act:{job.job_id}:sum")
    world.text("/forget")  # the transcript's text is cleared; the queued action is kept
    world.drain()
    record = world.actions_store.get(f"act.sum.{JOB}")
    assert record.status is ActionStatus.FAILED  # its transcript is gone: refunded
    assert world.balance() == before
    world.text("/forget")
    assert world.actions_store.get(f"act.sum.{JOB}") is None
