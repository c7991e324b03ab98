"""TextTasks contract: the real Qwen adapter (loopback DashScope) and the real Gemini adapter
(loopback Gemini API) answer summary, key-point and translation tasks like the memory twin, and
the actions on a transcript run end to end on them: a piece one model distorts goes to the
other, and a 4-hour dialogue is summarised in pieces over HTTP with a crash in the middle."""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs
import pytest

from adapters.alibaba.qwen_formatter import QwenFormatter
from adapters.gemini.gemini_formatter import GeminiFormatter
from adapters.memory.text_tasks import OfflineTextTasks, ScriptedTextTasks
from adapters.text_task_prompts import build_task_prompt
from domain.models import DEFAULT_MODELS, LLM
from domain.models import GEMINI as GEMINI_ROLE
from domain.transcript_actions import ActionStatus
from ports.errors import PermanentFailure, TransientFailure
from ports.text_tasks import TaskKind, TextTask, TextTasks
from tests.loopback.dashscope_server import THROTTLED, Reply, llm_body
from tests.loopback.gemini_server import running_gemini_server

API_KEY = "sk-SECRET-text-tasks-never-shown-42"
QWEN, GEMINI = DEFAULT_MODELS[LLM], DEFAULT_MODELS[GEMINI_ROLE]
GEMINI_KEY = "AIzaSy-TEXT-TASKS-do-not-leak"
DIALOGUE = ("— Спикер 1: Доброе утро. Обсудим запуск в марте.\n"
            "— Спикер 2: Да. Я подготовлю смету до пятницы.\n"
            "— Спикер 1: Хорошо, решили: бюджет 2 миллиона.")
TASKS = {
    "summary": TextTask(TaskKind.SUMMARY, DIALOGUE, answer_language="ru", dialogue=True),
    "points": TextTask(TaskKind.KEY_POINTS, DIALOGUE, answer_language="en", dialogue=True),
    "translate": TextTask(TaskKind.TRANSLATE, DIALOGUE, target_language="en", dialogue=True),
    "merge": TextTask(TaskKind.SUMMARY_MERGE, "Часть 1.\n\nЧасть 2.", answer_language="ru"),
}


def model(text: str) -> str:
    """The 'model' every implementation runs here: the first sentence of each line, upper-cased."""
    return "\n".join(line.split(".")[0].upper() + "." for line in text.splitlines() if line.strip())


@attrs.define
class Harness:
    name: str
    tasks: TextTasks
    outage: object
    truncated: object


@pytest.fixture(params=["memory", "qwen", "gemini"])
def h(request, server) -> Iterator[Harness]:
    if request.param == "memory":
        scripted = ScriptedTextTasks(lambda task: model(task.text))
        yield Harness("memory", scripted, outage=scripted.fail_next,
                      truncated=lambda: scripted.fail_next(permanent=True))
    elif request.param == "qwen":
        server.llm_transform = model
        yield Harness("qwen", QwenFormatter(API_KEY, base_url=server.base_url, model=QWEN),
                      outage=lambda: server.script("llm", THROTTLED),
                      truncated=lambda: server.script("llm", Reply(200, llm_body("HALF", finish_reason="length"))))
    else:
        with running_gemini_server(GEMINI_KEY) as gm:
            gm.default = lambda r: __import__("tests.loopback.gemini_server", fromlist=["text_reply"]).text_reply(
                model(r.user_text), model=r.model)
            gemini = GeminiFormatter(GEMINI_KEY, base_url=gm.base_url, model=GEMINI)
            try:
                yield Harness("gemini", gemini,
                              outage=lambda: gm.reply_error(503, "UNAVAILABLE", "The model is overloaded."),
                              truncated=lambda: gm.reply_text("HALF", finish_reason="MAX_TOKENS"))
            finally:
                gemini.close()


@pytest.mark.parametrize("case", sorted(TASKS))
def test_every_model_answers_the_task_with_its_text(h, case):
    assert h.tasks.run_task(TASKS[case]) == model(TASKS[case].text)


def test_an_outage_is_transient_and_a_cut_answer_permanent(h):
    h.outage()
    with pytest.raises(TransientFailure):
        h.tasks.run_task(TASKS["summary"])
    h.truncated()
    with pytest.raises(PermanentFailure) as caught:
        h.tasks.run_task(TASKS["summary"])
    assert not isinstance(caught.value, TransientFailure)
    for shown in (str(caught.value), repr(caught.value)):
        assert API_KEY not in shown and GEMINI_KEY not in shown


# ------------------------------------------------------------------------------- wire format


def test_qwen_sends_the_task_prompt_as_system_and_the_transcript_alone_as_user(server):
    QwenFormatter(API_KEY, base_url=server.base_url, model=QWEN).run_task(TASKS["translate"])
    (call,) = server.calls("llm")
    assert call.path == "/api/v1/services/aigc/text-generation/generation"
    params = call.body["parameters"]
    assert params["result_format"] == "message" and params["enable_thinking"] is False
    system, user = call.body["input"]["messages"]
    assert system == {"role": "system", "content": build_task_prompt(TASKS["translate"])[0]}
    assert "Translate the transcript into English" in system["content"]
    assert "exactly as written, untranslated" in system["content"]
    assert user == {"role": "user", "content": DIALOGUE}


def test_gemini_sends_the_task_prompt_as_system_instruction():
    with running_gemini_server(GEMINI_KEY) as gm:
        gemini = GeminiFormatter(GEMINI_KEY, base_url=gm.base_url, model=GEMINI)
        try:
            gemini.run_task(TASKS["points"])
        finally:
            gemini.close()
        (request,) = gm.requests
    assert request.path.endswith("/v1beta/models/gemini-3.8-flash:generateContent")
    assert "the key points; the decisions taken; the action items" in request.system_text
    assert "never invent a speaker" in request.system_text
    assert request.user_text == DIALOGUE
    assert request.body["contents"][0]["role"] == "user"


def test_the_adapter_transports_and_acceptance_strips_reasoning_and_fences(server):
    from usecases.formatting import accept_summary

    raw = "<think>plan</think>\n```\n• Пункт.\n```"
    server.script("llm", Reply(200, llm_body(raw)))
    answer = QwenFormatter(API_KEY, base_url=server.base_url, model=QWEN).run_task(TASKS["points"])
    assert answer == raw  # the adapter only transports
    assert accept_summary(DIALOGUE, answer).text == "• Пункт."  # judged where the formatter's answers are


def test_offline_answers_say_they_are_offline_and_keep_turns():
    offline = OfflineTextTasks()
    translated = offline.run_task(TASKS["translate"])
    assert translated.splitlines()[0] == "[offline sample: no language model connected]"
    assert translated.splitlines()[1:] == DIALOGUE.splitlines()
    summary = offline.run_task(TASKS["summary"])
    assert summary.startswith("[офлайн-пример: языковая модель не подключена]\n")
    assert offline.run_task(TASKS["summary"]) == summary  # deterministic


# ------------------------------------------------------------ the use case on the real adapters


def _world_on_real_models(world, server, gm):
    qwen = QwenFormatter(API_KEY, base_url=server.base_url, model=QWEN)
    gemini = GeminiFormatter(GEMINI_KEY, base_url=gm.base_url, model=GEMINI)
    world.text_primary, world.text_fallback = qwen, gemini
    world.rebuild()
    return gemini


def test_a_translation_qwen_distorts_is_made_by_gemini(world, server):
    from tests.loopback.gemini_server import text_reply
    from tests.unit.usecases.test_transcript_actions import JOB, dialogue_job, last_text

    server.llm_transform = lambda text: text.splitlines()[0]  # drops two turns
    with running_gemini_server(GEMINI_KEY) as gm:
        gm.default = lambda r: text_reply(r.user_text.replace("Доброе утро", "Good morning"), model=r.model)
        gemini = _world_on_real_models(world, server, gm)
        try:
            job = dialogue_job(world)
            world.press(f"act:{job.job_id}:tr:en")
            world.drain()
        finally:
            gemini.close()
        assert len(gm.requests) == 1
    assert len(server.calls("llm")) == 1
    record = world.actions_store.get(f"act.tr-en.{JOB}")
    assert record.status is ActionStatus.COMPLETED and record.model == "gemini:gemini-3.8-flash"
    assert "— Спикер 1: Good morning." in last_text(world)


def test_a_four_hour_dialogue_over_http_pays_each_piece_once_despite_a_crash(world, server):
    from tests.unit.usecases.test_long_actions import HOURS, four_hour_dialogue, run_worker_with_crashes

    def summarise(text: str) -> str:
        world.clock.advance(20)
        if text.startswith("— "):
            speakers = sorted(set(re.findall(r"Спикер \d", text)))
            return f"{', '.join(speakers)} обсуждали бюджет и сроки ({text[:12]})."
        return "Итог: бюджет и сроки обсуждались всеми."

    # The worker dies right after its 19th write of the row (the claims, continuations and answers).
    saves = {"n": 0}
    save = world.actions_store.save

    def save_then_die(record):
        stored = save(record)
        saves["n"] += 1
        if saves["n"] == 19:
            saves["died"] = record.step_results.keys()
            raise SystemExit("the worker process was killed")
        return stored

    world.actions_store.save = save_then_die
    server.llm_transform = summarise
    text, segments = four_hour_dialogue()
    from tests.unit.usecases.test_transcript_actions import delivered_job

    with running_gemini_server(GEMINI_KEY) as gm:
        gemini = _world_on_real_models(world, server, gm)
        try:
            job = delivered_job(world, job_id="e" * 32, text=text, segments=segments, mode="dialogue",
                                duration_ms=HOURS * 3_600_000, balance=HOURS * 60 + 5)
            before = world.balance()
            world.press(f"act:{job.job_id}:sum")
            run_worker_with_crashes(world)
        finally:
            gemini.close()
        assert gm.requests == []  # Qwen answered everything; Gemini was never needed
    record = world.actions_store.get(f"act.sum.{'e' * 32}")
    assert record.status is ActionStatus.COMPLETED and record.steps >= 2
    users = [c.body["input"]["messages"][1]["content"] for c in server.calls("llm")]
    pieces = [u for u in users if u.startswith("— ")]
    assert 10 <= len(saves["died"]) < len(pieces) / 2  # the crash came mid-way, answers on the row
    assert len(pieces) == len(set(pieces)) >= 30  # every piece asked once: none paid twice
    assert len(users) == len(set(users))  # nor any merge
    assert world.balance() == before - 2
    assert [t for t in world.texts(world.users.scan().__next__().user_id) if t.startswith("📝")] == [
        "📝 Краткое содержание\n\nИтог: бюджет и сроки обсуждались всеми."]
