"""The owner's figures count the paid actions on transcripts: pressed through the world (webhook,
queue, worker on memory adapters), then read back by ``/stat``, ``/cost`` and the daily report.
The minutes they show charged are exactly what left the users' balances for actions."""

from __future__ import annotations

import pytest

from domain.costs import CostRates
from domain.transcript_actions import ActionStatus
from ports.text_tasks import TaskKind, TextTask
from tests.ledger import action_net
from tests.unit.usecases.test_transcript_actions import PLAIN_TEXT, delivered_job, dialogue_job
from tests.world import OWNER
from usecases.owner_stats import DAY_S, action_usage, estimate_cost, usage_stats
from usecases.reports import DailyReport

JOB = "b" * 32  # 90 minutes of audio: 2 started hours — summary 1 min, key points 1 min, translation 2 min
OTHER = "c" * 32  # a 30-minute dialogue: its translation costs 1 min
SUMMARY = "Обсудили план на квартал: запуск переносится на март."
POINTS = "• Анна подготовит смету до пятницы."


def answer(task: TextTask) -> str:
    if task.kind is TaskKind.SUMMARY:
        return SUMMARY
    if task.kind is TaskKind.KEY_POINTS:
        return POINTS
    return task.text  # a faithful "translation"


def distort(task: TextTask) -> str:
    return task.text + "\n— Спикер 7: Я тоже здесь."  # an invented speaker: refused by the guard


def press_and_run(world, data: str) -> None:
    world.press(data)
    world.drain()
    world.clock.advance(60)


def actions_charged(world) -> int:
    """What left the balances for actions, from the balance journal (reservations minus refunds)."""
    return -sum(action_net(world.users.journal, record.action_id) for record in world.actions_store.scan())


@pytest.fixture
def pressed(world):
    """Four presses settled a minute apart: a summary, key points, a translation refused by both
    models (refunded), a translation that completed."""
    start = world.clock.now()
    world.clock.advance(60)  # the window (start, ...] leaves out its start
    delivered_job(world, job_id=JOB, duration_ms=90 * 60_000, balance=500)
    dialogue_job(world, job_id=OTHER)
    before = world.balance()
    world.text_primary.answer = answer
    press_and_run(world, f"act:{JOB}:sum")
    press_and_run(world, f"act:{JOB}:pts")
    world.text_primary.answer = world.text_fallback.answer = distort
    press_and_run(world, f"act:{OTHER}:tr:en")
    world.text_primary.answer = answer
    press_and_run(world, f"act:{JOB}:tr:en")
    assert world.actions_store.get(f"act.tr-en.{OTHER}").status is ActionStatus.FAILED
    assert world.actions_store.get(f"act.tr-en.{OTHER}").price == 1  # reserved, then given back
    assert before - world.balance() == 4
    return start, world.clock.now()


def test_the_figures_count_each_kind_charge_only_completed_actions_and_reconcile(world, pressed):
    since, until = pressed
    usage = action_usage(world.actions_store, since, until)
    assert (usage.summaries, usage.key_points, usage.translations, usage.failed) == (1, 1, 1, 1)
    assert usage.minutes == 4  # 1 + 1 + 2; the refunded translation charged nothing
    assert usage.minutes == actions_charged(world)
    assert usage_stats(world.users, world.logs, since, until, actions=world.actions_store).actions == usage


def test_a_refunded_action_counts_as_failed_and_zero_minutes(world, pressed):
    failed = world.actions_store.get(f"act.tr-en.{OTHER}")
    usage = action_usage(world.actions_store, failed.finished_at - 1, failed.finished_at)
    assert (usage.completed, usage.failed, usage.minutes) == (0, 1, 0)
    assert usage.model_calls == 0  # both answers were refused: none is on the row


def test_the_window_leaves_out_its_start_and_takes_in_its_end(world, pressed):
    summary = world.actions_store.get(f"act.sum.{JOB}")
    points = world.actions_store.get(f"act.pts.{JOB}")
    assert points.finished_at > summary.finished_at
    between = action_usage(world.actions_store, summary.finished_at, points.finished_at)
    assert (between.summaries, between.key_points, between.minutes) == (0, 1, 1)
    before = action_usage(world.actions_store, summary.finished_at - DAY_S, summary.finished_at)
    assert (before.summaries, before.key_points, before.minutes) == (1, 0, 1)


def test_an_action_counts_in_the_window_it_settled_in_not_the_one_it_was_pressed_in(world):
    pressed_at = world.clock.now()
    delivered_job(world, job_id=JOB)
    world.text_primary.answer = answer
    world.press(f"act:{JOB}:sum")  # reserved now
    world.clock.advance(120)
    world.drain()  # settled two minutes later
    settled = world.actions_store.get(f"act.sum.{JOB}")
    assert settled.created_at == pressed_at and settled.finished_at == pressed_at + 120
    assert action_usage(world.actions_store, pressed_at - DAY_S, pressed_at + 60).minutes == 0
    assert action_usage(world.actions_store, pressed_at + 60, pressed_at + 120).minutes == 1


def test_a_failed_action_pressed_again_counts_once_with_the_round_it_completed(world, pressed):
    since, _ = pressed
    world.text_primary.answer = answer
    press_and_run(world, f"act:{OTHER}:tr:en")
    usage = action_usage(world.actions_store, since, world.clock.now())
    assert (usage.translations, usage.failed, usage.minutes) == (2, 0, 5)
    assert usage.minutes == actions_charged(world)


def test_the_model_characters_are_what_the_rows_kept(world, pressed):
    since, until = pressed
    usage = action_usage(world.actions_store, since, until)
    # One call each (a short transcript is one piece): the summary and key points read the
    # transcript and answered their text; the translation answered the transcript itself.
    assert usage.model_calls == 3
    assert usage.input_chars == 3 * len(PLAIN_TEXT)
    assert usage.output_chars == len(SUMMARY) + len(POINTS) + len(PLAIN_TEXT)
    rates = CostRates()
    cost = estimate_cost(usage_stats(world.users, world.logs, since, until, actions=world.actions_store), rates)
    tokens_in = usage.input_chars / rates.chars_per_token + 3 * rates.prompt_tokens_per_job
    tokens_out = usage.output_chars / rates.chars_per_token
    assert cost.actions_usd == pytest.approx(
        (tokens_in * rates.llm_input_usd_per_mtok + tokens_out * rates.llm_output_usd_per_mtok) / 1e6)
    assert cost.total_usd == pytest.approx(cost.asr_usd + cost.llm_usd + cost.infra_usd + cost.actions_usd)


def test_a_long_summary_counts_its_merged_answers_as_input(world):
    since = world.clock.now()
    world.clock.advance(60)
    paragraph = "Сегодня мы обсудили план на квартал и решили перенести запуск на март. " * 20
    long_text = "\n\n".join([paragraph.strip()] * 12)  # well over one piece of the policy's budget
    delivered_job(world, job_id=JOB, text=long_text)
    answers: list[str] = []

    def summarise(task: TextTask) -> str:
        text = SUMMARY if task.kind is TaskKind.SUMMARY else "Итог: " + SUMMARY
        answers.append(text)
        return text

    world.text_primary.answer = summarise
    press_and_run(world, f"act:{JOB}:sum")
    record = world.actions_store.get(f"act.sum.{JOB}")
    assert record.status is ActionStatus.COMPLETED and len(answers) > 2
    usage = action_usage(world.actions_store, since, world.clock.now())
    assert usage.model_calls == len(answers)
    assert usage.output_chars == sum(len(a) for a in answers)
    # The transcript once across its pieces, and every answer that was merged (all but the last).
    assert usage.input_chars == len(long_text) + sum(len(a) for a in answers[:-1])


def owner_text(world, command: str) -> str:
    world.text(command, user_id=OWNER)
    return world.texts(OWNER)[-1]


LINE = "Actions: 📝 1 · 📌 1 · 🌐 1 · 4 min charged · 1 failed"


def test_stat_and_the_daily_report_show_one_line_for_the_actions(world, pressed):
    assert LINE in owner_text(world, "/stat").splitlines()
    assert LINE in owner_text(world, "/report daily").splitlines()
    assert LINE in owner_text(world, "/metrics 1").splitlines()
    report: DailyReport = world.container.daily_report()
    since, until = pressed
    assert report.figures(since, until).actions == action_usage(world.actions_store, since, until)


def test_cost_adds_the_actions_model_cost_to_the_total(world):
    paragraph = "Сегодня мы обсудили план на квартал и решили перенести запуск на март. " * 20
    long_text = "\n\n".join([paragraph.strip()] * 30)  # about 43,000 characters, several pieces
    delivered_job(world, job_id=JOB, text=long_text)
    answers: list[str] = []

    def translate(task: TextTask) -> str:
        answers.append(task.text.strip())
        return task.text

    world.text_primary.answer = translate
    world.clock.advance(60)
    press_and_run(world, f"act:{JOB}:tr:en")
    assert world.actions_store.get(f"act.tr-en.{JOB}").status is ActionStatus.COMPLETED and len(answers) > 1
    rates = CostRates()  # the defaults are the local deployment's models (qwen-flash)
    tokens_in = len(long_text) / rates.chars_per_token + len(answers) * rates.prompt_tokens_per_job
    tokens_out = sum(len(a) for a in answers) / rates.chars_per_token
    expected = (tokens_in * rates.llm_input_usd_per_mtok + tokens_out * rates.llm_output_usd_per_mtok) / 1e6
    assert round(expected, 2) == 0.01
    text = owner_text(world, "/cost")
    assert f"Actions (LLM): ${expected:.2f}" in text
    infra = rates.infra_usd_per_30_days
    assert f"Total: ${expected + infra:.2f}" in text  # no transcription logged: actions and infrastructure
