"""Offline text tasks: a deterministic stand-in for the language model (local runner, tests), and a
scripted one for tests of the use case.

``OfflineTextTasks`` never pretends to be a model: every answer starts with a line saying it was
made offline. A summary is the first sentence of each turn (or paragraph), thinned to about a
fifth of the text; key points are the sentences with figures, dates or words of decision or
assignment; a "translation" is the text itself, turn for turn, under the offline line.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from domain.speaker_names import split_label
from ports.errors import PermanentFailure, TransientFailure
from ports.text_tasks import TaskKind, TextTask, TextTasks

OFFLINE_NOTE = {
    "ru": "[офлайн-пример: языковая модель не подключена]",
    "en": "[offline sample: no language model connected]",
}
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_DECISION = re.compile(
    r"\d|решил|договорил|надо|нужно|сделает|сделаю|подготов|напомн|позвон|завтра|до\s|срок|"
    r"decid|agree|will\s|must|need|deadline|remind|tomorrow|call\s|by\s",
    re.IGNORECASE)


def _note(lang: str | None) -> str:
    return OFFLINE_NOTE.get(lang or "", OFFLINE_NOTE["en"])


def _units(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"\n+", text) if line.strip()]


def _first_sentence(unit: str) -> str:
    return _SENTENCE.split(unit, maxsplit=1)[0].strip()


class OfflineTextTasks(TextTasks):
    model_name = "offline"

    def run_task(self, task: TextTask) -> str:
        if task.kind is TaskKind.TRANSLATE:
            return f"{_note(task.answer_language or task.target_language)}\n{task.text.strip()}"
        lines = [u for u in _units(task.text) if u not in OFFLINE_NOTE.values()]
        if task.kind in (TaskKind.SUMMARY, TaskKind.SUMMARY_MERGE) and len(lines) == 1:
            # One paragraph: its most informative (longest) sentences, in their order.
            sentences = [s.strip() for s in _SENTENCE.split(lines[0]) if s.strip()]
            budget = max(120, len(lines[0]) // 3)
            chosen: set[int] = set()
            for i in sorted(range(len(sentences)), key=lambda i: -len(sentences[i])):
                if chosen and sum(len(sentences[j]) for j in chosen) + len(sentences[i]) > budget:
                    continue
                chosen.add(i)
            return f"{_note(task.answer_language)}\n" + " ".join(sentences[i] for i in sorted(chosen))
        if task.kind in (TaskKind.SUMMARY, TaskKind.SUMMARY_MERGE):
            firsts = [_first_sentence(u) for u in lines]
            budget = max(200, len(task.text) // 5)
            picked: list[str] = []
            step = max(1, len(firsts) * 80 // budget) if firsts else 1
            for sentence in firsts[::step]:
                if sum(len(s) for s in picked) + len(sentence) > budget:
                    break
                picked.append(sentence.lstrip("—– ").strip())
            return f"{_note(task.answer_language)}\n" + " ".join(picked)
        sentences = [s.lstrip("—–• ").strip() for u in lines for s in _SENTENCE.split(u)]
        # A label's number is not a figure: "Спикер 1: Привет." is no decision.
        items = [s for s in sentences if _DECISION.search(split_label(s)[1])][:12] or sentences[:3]
        return f"{_note(task.answer_language)}\n" + "\n".join(f"• {s}" for s in items)


class ScriptedTextTasks(TextTasks):
    """Answers with ``answer(task)`` (default: the offline answer); ``fail_next`` injects failures.
    Records every task it was asked."""

    def __init__(self, answer: Callable[[TextTask], str] | None = None, name: str = "scripted") -> None:
        self.answer = answer or OfflineTextTasks().run_task
        self._name = name
        self.tasks: list[TextTask] = []
        self._failures = 0
        self._permanent = False

    @property
    def model_name(self) -> str:
        return self._name

    def fail_next(self, count: int = 1, *, permanent: bool = False) -> None:
        self._failures += count
        self._permanent = permanent

    def run_task(self, task: TextTask) -> str:
        self.tasks.append(task)
        if self._failures > 0:
            self._failures -= 1
            if self._permanent:
                raise PermanentFailure(self._name, "scripted refusal")
            raise TransientFailure(self._name, "scripted outage")
        return self.answer(task)
