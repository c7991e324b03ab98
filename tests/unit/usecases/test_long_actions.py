"""A 4-hour dialogue summarised in pieces over several worker steps, with a crash in the middle:
every piece and every merge is answered (paid) exactly once, and the user gets one summary."""

from __future__ import annotations

import re
from collections import Counter

from domain.action_planning import plan_pieces
from domain.dialogue import parse_dialogue_lines
from domain.transcript_actions import ActionStatus
from ports.text_tasks import TaskKind, TextTask
from tests.unit.usecases.test_transcript_actions import delivered_job
from tests.world import USER

JOB = "d" * 32
HOURS = 4
TURNS = 720
WORDS = ("бюджет", "запуск", "смета", "поставщик", "договор", "сроки", "команда", "клиент", "отчёт", "риски")


def four_hour_dialogue() -> tuple[str, list[dict]]:
    """About 200,000 characters: 720 turns of three speakers spread over four hours."""
    lines, segments = [], []
    span = HOURS * 3_600_000 // TURNS
    for i in range(TURNS):
        speaker = str(i % 3 + 1) if i % 7 else "2"
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(36))
        text = f"Реплика {i}. Мы обсуждаем {words}. Итог реплики {i} записан."
        segments.append({"speaker": speaker, "start_ms": i * span, "end_ms": (i + 1) * span, "text": text})
        lines.append(f"— {text}")
    # Consecutive turns of one speaker are one turn on screen: merge them as format_dialogue does.
    merged_lines, merged_segments = [], []
    for line, segment in zip(lines, segments, strict=True):
        if merged_segments and merged_segments[-1]["speaker"] == segment["speaker"]:
            merged_lines[-1] += " " + line[2:]
            merged_segments[-1] = dict(merged_segments[-1], end_ms=segment["end_ms"],
                                       text=merged_segments[-1]["text"] + " " + segment["text"])
        else:
            merged_lines.append(line)
            merged_segments.append(segment)
    return "\n".join(merged_lines), merged_segments


class Meeting:
    """A model that takes 20 s per answer (so a 200 s step holds about ten) and can crash the worker."""

    def __init__(self, world) -> None:
        self.world = world
        self.answered: list[TextTask] = []
        self.crash_at: int | None = None

    def __call__(self, task: TextTask) -> str:
        if self.crash_at is not None and len(self.answered) == self.crash_at:
            self.crash_at = None
            raise SystemExit("the worker process was killed")  # before any answer: nothing paid
        self.world.clock.advance(20)
        self.answered.append(task)
        if task.kind is TaskKind.SUMMARY:
            speakers = sorted(set(re.findall(r"Спикер \d", task.text)))
            return f"Часть {task.part}: {', '.join(speakers)} обсуждали бюджет и сроки."
        return "Итог: " + " ".join(line.split(":", 1)[0] for line in task.text.split("\n\n"))[:1500]


def run_worker_with_crashes(world) -> int:
    """The queue trigger: a killed worker's message comes back once its lease ran out."""
    rounds = 0
    while (message := world.queue.receive()) is not None:
        rounds += 1
        assert rounds < 200
        try:
            delivered = world.worker.deliver(message.job_id)
        except SystemExit:
            delivered = None
        if delivered is None or delivered.failure is not None:
            world.clock.advance(world.policy.job_lease_s + 1)
            world.queue.release(message.receipt)
            continue
        world.queue.ack(message.receipt)
    return rounds


def test_a_four_hour_dialogue_is_summarised_in_pieces_and_a_crash_repeats_no_paid_call(world):
    text, segments = four_hour_dialogue()
    assert len(text) > 190_000
    job = delivered_job(world, job_id=JOB, text=text, segments=segments, mode="dialogue",
                        duration_ms=HOURS * 3_600_000, balance=HOURS * 60 + 10)
    meeting = Meeting(world)
    meeting.crash_at = 14  # mid-way through the pieces, in the middle of a step
    world.text_primary.answer = meeting
    before = world.balance()

    world.press(f"act:{job.job_id}:sum")
    run_worker_with_crashes(world)

    record = world.actions_store.get(f"act.sum.{JOB}")
    assert record.status is ActionStatus.COMPLETED
    assert record.steps >= 2  # continued step after step (and once after the crash)
    assert world.balance() == before - 2  # 0.5 min per started hour: 4 hours cost 2 minutes, once

    labelled = world.text_primary.tasks[0].text.split("\n")[0]
    assert labelled.startswith("— Спикер ")  # the model sees who speaks
    pieces = [t for t in meeting.answered if t.kind is TaskKind.SUMMARY]
    merges = [t for t in meeting.answered if t.kind is TaskKind.SUMMARY_MERGE]
    assert len(pieces) == pieces[0].parts >= 30
    # Every piece answered exactly once, in full turns, each within the budget.
    assert Counter(t.part for t in pieces) == Counter(range(1, pieces[0].parts + 1))
    assert all(len(t.text) <= world.policy.action_piece_chars for t in pieces)
    assert sum(len(parse_dialogue_lines(t.text)) for t in pieces) == len(parse_dialogue_lines(text))
    assert len(merges) == len({t.text for t in merges}) >= 1  # and every merge once
    expected = plan_pieces(world.text_primary.tasks[0].text and "\n".join(t.text for t in pieces),
                           dialogue=True, budget=world.policy.action_piece_chars)
    assert len(expected) == len(pieces)

    summaries = [t for t in world.texts(USER) if t.startswith("📝 Краткое содержание")]
    assert len(summaries) == 1 and summaries[0].startswith("📝 Краткое содержание\n\nИтог:")
