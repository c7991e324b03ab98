"""The ``TextFormatter`` contract for ScriptedFormatter and GeminiFormatter (on a loopback Gemini API),
then the Gemini pitfalls: wire shape, key hygiene, truncation, blocking, throttling, timeouts.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from adapters.gemini.gemini_formatter import GeminiFormatter
from adapters.memory.formatter import ScriptedFormatter
from domain.models import DEFAULT_MODELS, GEMINI
from ports.errors import ContentRejected, ModelUnavailable, PermanentFailure, PortError, TransientFailure
from ports.formatter import FormatRequest, TextFormatter
from tests.loopback.gemini_server import GeminiLoopback, running_gemini_server
from usecases.formatting import accept_answer

MODEL = DEFAULT_MODELS[GEMINI]
KEY = "AIzaSy-TEST-KEY-do-not-leak"
ROOT = Path(__file__).resolve().parents[2]
RAW = ("ну вот значит мы встретились вчера с командой и обсудили план на следующий квартал "
       "все согласились что надо начинать с исследования пользователей а потом уже делать прототип")
FORMATTED = ("Ну вот, значит, мы встретились вчера с командой и обсудили план на следующий квартал.\n\n"
             "Все согласились, что надо начинать с исследования пользователей, а потом уже делать прототип.")


@attrs.define
class Harness:
    name: str
    formatter: TextFormatter
    answer: Callable[[str], None]  # the next answer is this text
    outage: Callable[[], None]  # the next call fails transiently
    refusal: Callable[[], None]  # the next call fails permanently
    server: GeminiLoopback | None = None


def _scripted() -> Iterator[Harness]:
    scripted = ScriptedFormatter()
    pending: list[str] = []

    def transform(text: str) -> str:
        return pending.pop(0) if pending else text

    scripted.transform = transform
    yield Harness("scripted", scripted, answer=pending.append, outage=scripted.fail_next,
                  refusal=lambda: scripted.fail_next(permanent=True))


def _gemini(**kwargs) -> Iterator[Harness]:
    with running_gemini_server(KEY) as gm:
        formatter = GeminiFormatter(KEY, base_url=gm.base_url, **{"model": MODEL, **kwargs})
        try:
            yield Harness("gemini", formatter, answer=gm.reply_text,
                          outage=lambda: gm.reply_error(503, "UNAVAILABLE", "The model is overloaded."),
                          refusal=lambda: gm.reply_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
                          server=gm)
        finally:
            formatter.close()


@pytest.fixture(params=["scripted", "gemini"])
def h(request) -> Iterator[Harness]:
    yield from (_scripted() if request.param == "scripted" else _gemini())


@pytest.fixture
def gem() -> Iterator[Harness]:
    yield from _gemini()


# ---------------------------------------------------------------------------------------- contract

def test_returns_the_formatted_text(h: Harness) -> None:
    h.answer(FORMATTED)
    assert h.formatter.format(FormatRequest(RAW, language="ru")) == FORMATTED


def test_an_outage_is_transient_and_the_next_call_works(h: Harness) -> None:
    h.outage()
    with pytest.raises(TransientFailure):
        h.formatter.format(FormatRequest(RAW))
    assert h.formatter.format(FormatRequest(RAW)) == RAW


def test_a_refusal_is_permanent(h: Harness) -> None:
    h.refusal()
    with pytest.raises(PermanentFailure):
        h.formatter.format(FormatRequest(RAW))


# -------------------------------------------------------------------------------------- the wire

def test_request_shape_key_header_and_generation_config(gem: Harness) -> None:
    gem.answer(FORMATTED)
    gem.formatter.format(FormatRequest(RAW, language="ru", dialogue=False))
    (request,) = gem.server.requests
    assert request.path == "/v1beta/models/gemini-3.8-flash:generateContent"
    assert request.headers["x-goog-api-key"] == KEY
    assert request.query == {}  # never ?key=...
    assert request.headers["content-type"].startswith("application/json")
    assert request.body["generationConfig"] == {
        "temperature": 0.3, "topP": 0.95, "maxOutputTokens": 8192, "thinkingConfig": {"thinkingLevel": "low"}}
    assert request.body["contents"] == [{"role": "user", "parts": [{"text": RAW}]}]
    assert request.system_text  # the rules from domain.prompts
    assert "ISO code \"ru\"" in request.system_text


def test_api_version_model_and_thinking_are_configurable() -> None:
    for harness in _gemini(api_version="v1", model="gemini-2.5-flash-lite", thinking_budget=None):
        harness.formatter.format(FormatRequest(RAW))
        (request,) = harness.server.requests
        assert request.path == "/v1/models/gemini-2.5-flash-lite:generateContent"
        assert "thinkingConfig" not in request.body["generationConfig"]


def test_dialogue_and_yo_settings_reach_the_prompt_and_the_answer(gem: Harness) -> None:
    text = "— Спикер 1: ещё раз привет\n— Спикер 2: всё хорошо спасибо что спросил как дела у тебя"
    gem.answer("— Спикер 1: Ещё раз, привет.\n— Спикер 2: Всё хорошо, спасибо, что спросил. Как дела у тебя?")
    request = FormatRequest(text, dialogue=True, use_yo=False)
    result = accept_answer(request, gem.formatter.format(request)).text
    assert result is not None and "ё" not in result and "Еще раз" in result
    assert "dialogue" in gem.server.requests[0].system_text


# ------------------------------------------------------------------------------------ the answer

def test_max_tokens_is_a_permanent_failure_not_a_truncated_text(gem: Harness) -> None:
    gem.server.reply_text(FORMATTED[:60], finish_reason="MAX_TOKENS")
    with pytest.raises(PermanentFailure) as caught:
        gem.formatter.format(FormatRequest(RAW))
    assert caught.value.code == "MAX_TOKENS" and not isinstance(caught.value, ContentRejected)


def test_a_blocked_prompt_is_content_rejected(gem: Harness) -> None:
    gem.server.reply_blocked("PROHIBITED_CONTENT")
    with pytest.raises(ContentRejected) as caught:
        gem.formatter.format(FormatRequest(RAW))
    assert caught.value.code == "PROHIBITED_CONTENT"


def test_a_safety_stop_is_content_rejected(gem: Harness) -> None:
    gem.server.reply_text("", finish_reason="SAFETY")
    with pytest.raises(ContentRejected):
        gem.formatter.format(FormatRequest(RAW))


def test_no_candidates_without_a_block_reason_is_permanent(gem: Harness) -> None:
    gem.server.reply(200, {"usageMetadata": {"promptTokenCount": 3}})
    with pytest.raises(PermanentFailure):
        gem.formatter.format(FormatRequest(RAW))


@pytest.mark.parametrize("answer", ["", "   ", "OK", "Конечно! Вот текст."])
def test_empty_or_very_short_answers_are_refused(gem: Harness, answer: str) -> None:
    gem.server.reply_text(answer)
    request = FormatRequest(RAW)
    assert accept_answer(request, gem.formatter.format(request)).text is None


def test_thought_parts_and_think_blocks_are_not_delivered(gem: Harness) -> None:
    gem.server.reply_text(f"<think>the user wants paragraphs</think>\n{FORMATTED}", thought="Planning the edit")
    request = FormatRequest(RAW)
    assert accept_answer(request, gem.formatter.format(request)).text == FORMATTED


def test_a_non_json_200_is_transient(gem: Harness) -> None:
    gem.server.reply(200, b"<html>proxy error</html>")
    with pytest.raises(TransientFailure):
        gem.formatter.format(FormatRequest(RAW))


# -------------------------------------------------------------------------------------- failures

def test_429_is_transient_with_the_servers_retry_delay(gem: Harness) -> None:
    gem.server.reply_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for metric", retry_delay="7s")
    with pytest.raises(TransientFailure) as caught:
        gem.formatter.format(FormatRequest(RAW))
    assert caught.value.retry_after_s == 7.0 and caught.value.code == "RESOURCE_EXHAUSTED"


def test_retry_after_header_is_honoured(gem: Harness) -> None:
    gem.server.reply_error(503, "UNAVAILABLE", "overloaded", headers={"Retry-After": "2"})
    with pytest.raises(TransientFailure) as caught:
        gem.formatter.format(FormatRequest(RAW))
    assert caught.value.retry_after_s == 2.0


@pytest.mark.parametrize(("status", "kind"), [
    (500, TransientFailure), (502, TransientFailure), (504, TransientFailure), (408, TransientFailure),
    (400, PermanentFailure), (403, PermanentFailure), (404, PermanentFailure),
])
def test_status_codes_map_to_failure_kinds(gem: Harness, status: int, kind: type[PortError]) -> None:
    gem.server.reply_error(status, "SOMETHING", "message")
    with pytest.raises(kind) as caught:
        gem.formatter.format(FormatRequest(RAW))
    if kind is PermanentFailure:
        assert not isinstance(caught.value, TransientFailure)


def test_a_slow_server_is_a_transient_timeout() -> None:
    for harness in _gemini(timeout_s=0.2):
        harness.server.delay_s = 0.6
        with pytest.raises(TransientFailure) as caught:
            harness.formatter.format(FormatRequest(RAW))
        assert caught.value.code == "timeout"


def test_connection_refused_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    formatter = GeminiFormatter(KEY, base_url=f"http://127.0.0.1:{port}", model=MODEL, connect_timeout_s=1.0)
    with pytest.raises(TransientFailure) as caught:
        formatter.format(FormatRequest(RAW))
    assert caught.value.code == "network"


def test_the_key_never_appears_in_errors() -> None:
    with running_gemini_server("the-right-key") as gm:
        formatter = GeminiFormatter(KEY, base_url=gm.base_url, model=MODEL)
        with pytest.raises(PermanentFailure) as wrong_key:
            formatter.format(FormatRequest(RAW))
        gm.api_key = KEY
        gm.reply_error(400, "INVALID_ARGUMENT", f"echoing a bad header value {KEY}")
        with pytest.raises(PermanentFailure) as echoed:
            formatter.format(FormatRequest(RAW))
        formatter.close()
    for failure in (wrong_key.value, echoed.value):
        assert KEY not in str(failure) and KEY not in repr(failure)
        assert failure.__cause__ is None and (failure.__context__ is None or failure.__suppress_context__)
    assert "API key not valid" in str(wrong_key.value)
    assert KEY not in repr(formatter)


def test_missing_key_is_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        GeminiFormatter("  ", base_url="https://generativelanguage.googleapis.com", model=MODEL)


def test_importing_the_formatter_does_not_import_httpx() -> None:
    code = "import sys, adapters.gemini.gemini_formatter; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------ retired models

@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.0-flash", "gemini-9-nonexistent"])
def test_a_shut_down_model_is_model_unavailable_naming_it(model) -> None:
    """The Gemini API answers 404 NOT_FOUND "models/<id> is not found for API version v1beta ..."."""
    for harness in _gemini(model=model):
        with pytest.raises(ModelUnavailable) as caught:
            harness.formatter.format(FormatRequest(RAW))
        assert caught.value.model == model and caught.value.code == "NOT_FOUND"
        assert "is not found for API version v1beta" in str(caught.value)
        assert KEY not in str(caught.value)


def test_gemini_2_models_get_a_thinking_budget_and_later_ones_a_thinking_level() -> None:
    for harness in _gemini(model="gemini-2.5-flash-lite"):
        harness.formatter.format(FormatRequest(RAW))
        assert harness.server.requests[0].body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0}
    for harness in _gemini(model="gemini-3.5-flash-lite"):
        harness.formatter.format(FormatRequest(RAW))
        assert harness.server.requests[0].body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "low"}
