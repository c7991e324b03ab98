"""SpeakerPass / TimedTextPass contract: the memory twins and the DashScope async passes.

The real passes submit, poll (on a FakeClock: no real waiting) and download the result file from
a loopback DashScope; the twins replay the same result documents. Then the DashScope
quirks: request parameters, hosts and models, result shapes, malformed replies, task states,
polling and downloads.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from adapters.alibaba import dashscope_results
from adapters.alibaba.dashscope_config import INTL_HTTP_BASE_URL
from adapters.alibaba.dashscope_passes import DashScopeSpeakerPass, DashScopeTimedTextPass
from adapters.memory.clock import FakeClock
from adapters.memory.speech import ScriptedSpeakerPass, ScriptedTimedTextPass
from domain.models import DEFAULT_MODELS, SPEAKER_PASS, TEXT_PASS
from ports.errors import ContentRejected, ModelUnavailable, PermanentFailure, PortError, TransientFailure
from tests.loopback.dashscope_server import (
    FILETRANS_DOCUMENT,
    FUN_ASR_DOCUMENT,
    INTERNAL,
    INVALID,
    MODERATED,
    THROTTLED,
    Reply,
    TaskPlan,
    error_reply,
)

API_KEY = "sk-SECRET-passes-never-shown-51d0"
AUDIO_URL = "https://bucket.oss-ap-southeast-1.aliyuncs.com/dialogue.mp3?Expires=1767229200&Signature=abc"

RUSSIAN_SPEAKERS = {
    "file_url": AUDIO_URL,
    "transcripts": [{"channel_id": 0, "sentences": [
        {"sentence_id": 1, "begin_time": 0, "end_time": 1500, "text": "Привет, как дела?", "speaker_id": 1},
        {"sentence_id": 2, "begin_time": 1600, "end_time": 2400, "text": "Нормально.", "speaker_id": 0},
        {"sentence_id": 3, "begin_time": 2500, "end_time": 2600, "text": "Угу."},
    ]}],
}
RUSSIAN_TEXT = {
    "file_url": AUDIO_URL,
    "audio_info": {"format": "mp3", "sample_rate": 16000},
    "transcripts": [{"channel_id": 0, "text": "Привет, как дела?", "sentences": [
        {"sentence_id": 0, "begin_time": 0, "end_time": 1500, "text": "Привет, как дела?", "language": "ru",
         "words": [{"begin_time": 0, "end_time": 600, "text": "Привет", "punctuation": ", "},
                   {"begin_time": 600, "end_time": 1000, "text": "как", "punctuation": ""},
                   {"begin_time": 1000, "end_time": 1500, "text": "дела", "punctuation": "?"}]},
        {"sentence_id": 1, "begin_time": 1600, "end_time": 1900, "text": "Ок.", "language": "ru"},
    ]}],
}
SPEAKER_DOCS = {"english": FUN_ASR_DOCUMENT, "russian": RUSSIAN_SPEAKERS}
TEXT_DOCS = {"english": FILETRANS_DOCUMENT, "russian": RUSSIAN_TEXT}


def assert_no_key(exc: BaseException) -> None:
    for shown in (str(exc), repr(exc), *map(str, exc.args)):
        assert API_KEY not in shown and API_KEY[3:] not in shown


@pytest.fixture
def clock():
    return FakeClock()


def speaker_pass(server, clock, **kwargs) -> DashScopeSpeakerPass:
    kwargs.setdefault("poll_interval_s", 5.0)
    kwargs.setdefault("poll_timeout_s", 240.0)
    return DashScopeSpeakerPass(API_KEY, clock=clock, base_url=server.base_url,
                                **{"model": DEFAULT_MODELS[SPEAKER_PASS], **kwargs})


def text_pass(server, clock, **kwargs) -> DashScopeTimedTextPass:
    kwargs.setdefault("poll_interval_s", 5.0)
    kwargs.setdefault("poll_timeout_s", 240.0)
    return DashScopeTimedTextPass(API_KEY, clock=clock, base_url=server.base_url,
                                  **{"model": DEFAULT_MODELS[TEXT_PASS], **kwargs})


def run_pass(which: str, implementation, **kwargs):
    if which == "speakers":
        return implementation.speaker_turns(AUDIO_URL, **kwargs)
    return implementation.timed_text(AUDIO_URL, **{k: v for k, v in kwargs.items() if k != "speaker_count"})


# --------------------------------------------------------------------------------- the contract

class MemoryTwin:
    def __init__(self, which: str) -> None:
        self.which = which
        self.document: dict[str, Any] | None = None
        self._fail: str | None = None

    def answer(self, document: dict[str, Any]) -> None:
        self.document = document

    def fail(self, kind: str) -> None:
        if kind == "task-failed":
            self.document = None  # the twin's "no result": a permanent failure
        else:
            self._fail = kind

    def build(self):
        # The twin takes domain values: the recorded document goes through the Alibaba parser.
        if self.which == "speakers":
            twin = ScriptedSpeakerPass(None if self.document is None else dashscope_results.speaker_pass(self.document))
        else:
            twin = ScriptedTimedTextPass(None if self.document is None else dashscope_results.text_pass(self.document))
        if self._fail:
            twin.fail_next(permanent=self._fail == "permanent")
        return twin


class RealPass:
    def __init__(self, which: str, server, clock) -> None:
        self.which, self.server, self.clock = which, server, clock

    def answer(self, document: dict[str, Any]) -> None:
        self.server.plan_next_task(TaskPlan(document=document))

    def fail(self, kind: str) -> None:
        if kind == "task-failed":
            self.server.plan_next_task(TaskPlan(final_status="FAILED", code="InternalError.Algo"))
        else:
            self.server.script("submit", INVALID if kind == "permanent" else THROTTLED)

    def build(self):
        factory = speaker_pass if self.which == "speakers" else text_pass
        return factory(self.server, self.clock)


@pytest.fixture(params=["memory", "dashscope"])
def implementation(request, server, clock):
    if request.param == "memory":
        return lambda which: MemoryTwin(which)
    return lambda which: RealPass(which, server, clock)


@pytest.mark.parametrize("case", sorted(SPEAKER_DOCS))
def test_speaker_pass_gives_the_parsed_turns(implementation, case):
    twin = implementation("speakers")
    twin.answer(SPEAKER_DOCS[case])
    result = twin.build().speaker_turns(AUDIO_URL, speaker_count=2, language="ru")
    assert result == dashscope_results.speaker_pass(SPEAKER_DOCS[case])
    assert result.turns  # the documents have speakers


@pytest.mark.parametrize("case", sorted(TEXT_DOCS))
def test_text_pass_gives_the_parsed_sentences_and_words(implementation, case):
    twin = implementation("text")
    twin.answer(TEXT_DOCS[case])
    result = twin.build().timed_text(AUDIO_URL, language="ru")
    assert result == dashscope_results.text_pass(TEXT_DOCS[case])
    assert result.sentences[0].words  # word times made it through


@pytest.mark.parametrize("which", ["speakers", "text"])
@pytest.mark.parametrize("kind, expected", [("transient", TransientFailure), ("permanent", PermanentFailure),
                                            ("task-failed", PermanentFailure)])
def test_failures_are_port_failures(implementation, which, kind, expected):
    twin = implementation(which)
    twin.fail(kind)
    with pytest.raises(expected) as caught:
        run_pass(which, twin.build(), speaker_count=2, language="ru")
    if expected is PermanentFailure:
        assert not isinstance(caught.value, TransientFailure)
    assert_no_key(caught.value)


# -------------------------------------------------------------------------------- wire formats

def test_speaker_pass_submits_fun_asr_with_diarization_and_language_hints(server, clock):
    speaker_pass(server, clock).speaker_turns(AUDIO_URL, speaker_count=2, language="ru")
    (submit,) = server.calls("submit")
    assert submit.headers["x-dashscope-async"] == "enable"
    assert submit.headers["authorization"] == f"Bearer {API_KEY}"
    assert submit.body["model"] == "fun-asr"  # fun-asr-mtl documents no Russian
    assert submit.body["input"] == {"file_urls": [AUDIO_URL]}
    params = submit.body["parameters"]
    assert params["diarization_enabled"] is True and params["speaker_count"] == 2
    assert params["language_hints"] == ["ru"] and "language" not in params


def test_speaker_pass_leaves_out_unknown_count_and_language(server, clock):
    speaker_pass(server, clock).speaker_turns(AUDIO_URL)
    params = server.calls("submit")[0].body["parameters"]
    assert "speaker_count" not in params and "language_hints" not in params
    assert params["diarization_enabled"] is True


@pytest.mark.parametrize("code, hinted", [("ru", True), ("de", True), ("uk", False), ("kk", False), ("yue", False)])
def test_speaker_pass_hints_only_a_language_fun_asr_documents(server, clock, code, hinted):
    """fun-asr documents 30 languages, Russian among them but not Ukrainian (domain.models)."""
    speaker_pass(server, clock).speaker_turns(AUDIO_URL, language=code)
    params = server.calls("submit")[0].body["parameters"]
    assert params.get("language_hints") == ([code] if hinted else None)


@pytest.mark.parametrize("code, sent", [("ru", True), ("pt", True), ("uk", False), ("nl", False)])
def test_text_pass_sends_only_a_language_filetrans_documents(server, clock, code, sent):
    text_pass(server, clock).timed_text(AUDIO_URL, language=code)
    params = server.calls("submit")[0].body["parameters"]
    assert params.get("language") == (code if sent else None)


def test_the_loopback_refuses_language_hints_a_model_does_not_document(server):
    from dashscope.audio.asr import Transcription

    reply = Transcription.async_call(model="fun-asr-mtl", file_urls=[AUDIO_URL], api_key=API_KEY,
                                     base_address=server.base_url, diarization_enabled=True, language_hints=["ru"])
    assert reply.status_code == 400 and reply.code == "InvalidParameter"


@pytest.mark.parametrize("which", ["speaker", "text"])
def test_a_model_the_provider_does_not_serve_is_model_unavailable(server, clock, which):
    if which == "speaker":
        with pytest.raises(ModelUnavailable) as caught:
            speaker_pass(server, clock, model="fun-asr-2099-01-01").speaker_turns(AUDIO_URL)
    else:
        with pytest.raises(ModelUnavailable) as caught:
            text_pass(server, clock, model="qwen3-asr-flash-filetrans-2099").timed_text(AUDIO_URL)
    assert caught.value.model.endswith(("2099-01-01", "2099"))
    assert len(server.calls("submit")) == 1 and server.calls("task") == []


def test_fun_asr_mtl_is_refused_because_it_documents_no_russian(clock):
    with pytest.raises(ValueError, match="Russian") as caught:
        DashScopeSpeakerPass(API_KEY, clock=clock, base_url=INTL_HTTP_BASE_URL, model="fun-asr-mtl")
    assert "fun-asr" in str(caught.value)


def test_text_pass_sends_language_not_language_hints(server, clock):
    """filetrans takes one ``language``; ``language_hints`` is wrong for it."""
    text_pass(server, clock).timed_text(AUDIO_URL, language="ru")
    (submit,) = server.calls("submit")
    assert submit.headers["x-dashscope-async"] == "enable"
    assert submit.body["model"] == "qwen3-asr-flash-filetrans"
    assert submit.body["input"] == {"file_url": AUDIO_URL}
    params = submit.body["parameters"]
    assert params["language"] == "ru" and "language_hints" not in params
    assert params["enable_words"] is True
    assert "diarization_enabled" not in params and "speaker_count" not in params


def test_submit_reply_carries_task_status_and_polls_need_no_async_header(server, clock):
    text_pass(server, clock).timed_text(AUDIO_URL)
    polls = server.calls("task")
    assert polls and all(p.method == "GET" and p.path == "/api/v1/tasks/task-1" for p in polls)
    assert all(p.headers["authorization"] == f"Bearer {API_KEY}" for p in polls)
    assert server.tasks["task-1"].plan.omit_task_status is False  # the loopback answers like the provider


def test_polls_run_on_the_injected_clock(server, clock):
    server.plan_next_task(TaskPlan(polls_before_done=3))
    speaker_pass(server, clock, poll_interval_s=5.0).speaker_turns(AUDIO_URL)
    assert clock.slept == [5.0] * 4  # PENDING, RUNNING, RUNNING, SUCCEEDED
    assert len(server.calls("task")) == 4
    assert len(server.calls("result")) == 1


def test_sdk_never_reaches_the_default_beijing_host(server, clock):
    speaker_pass(server, clock).speaker_turns(AUDIO_URL)
    text_pass(server, clock).timed_text(AUDIO_URL)
    assert len(server.calls("submit")) == 2  # every submit and poll landed on the loopback
    assert {r.route for r in server.requests} == {"submit", "task", "result"}


# ------------------------------------------------------------------------------ result shapes

def test_filetrans_result_is_read_from_the_singular_result(server, clock):
    """filetrans answers in ``output.result``: reading only ``output.results[0]`` would lose every result."""
    server.plan_next_task(TaskPlan(shape="result"))
    result = text_pass(server, clock).timed_text(AUDIO_URL)
    assert result.text == "Welcome to Alibaba Cloud. Thank you."
    assert len(result.sentences[0].words) == 4


def test_fun_asr_result_is_read_from_the_plural_results(server, clock):
    server.plan_next_task(TaskPlan(shape="results"))
    result = speaker_pass(server, clock).speaker_turns(AUDIO_URL)
    assert [t.speaker for t in result.turns] == ["0", "1"]


@pytest.mark.parametrize("shape", ["results", "result"])
@pytest.mark.parametrize("which", ["speakers", "text"])
def test_both_passes_read_both_shapes(server, clock, which, shape):
    server.plan_next_task(TaskPlan(shape=shape))
    factory = speaker_pass if which == "speakers" else text_pass
    result = run_pass(which, factory(server, clock))
    assert result.text


@pytest.mark.parametrize("shape", ["results", "result"])
@pytest.mark.parametrize("which", ["speakers", "text"])
def test_succeeded_task_with_failed_subtask_is_permanent(server, clock, which, shape):
    server.plan_next_task(TaskPlan(shape=shape, subtask_status="FAILED", code="InvalidFile.DownloadFailed"))
    factory = speaker_pass if which == "speakers" else text_pass
    with pytest.raises(PermanentFailure) as caught:
        run_pass(which, factory(server, clock))
    assert caught.value.code == "InvalidFile.DownloadFailed"
    assert server.calls("result") == []
    assert_no_key(caught.value)


def test_succeeded_task_without_any_result_is_permanent(server, clock):
    server.plan_next_task(TaskPlan(shape="none"))
    with pytest.raises(PermanentFailure) as caught:
        text_pass(server, clock).timed_text(AUDIO_URL)
    assert caught.value.code == "NoResult"


def test_submit_reply_without_task_status_fails_cleanly(server, clock):
    """The SDK's output class needs task_status; its TypeError must not escape the adapter."""
    server.plan_next_task(TaskPlan(omit_task_status=True))
    with pytest.raises(PermanentFailure) as caught:
        speaker_pass(server, clock).speaker_turns(AUDIO_URL)
    assert caught.value.code == "MalformedSubmitReply"


# ------------------------------------------------------------------------------- audio URLs

@pytest.mark.parametrize("url", [
    "http://bucket.oss-ap-southeast-1.aliyuncs.com/a.mp3?Expires=1&Signature=x",  # e75a4d8: HTTP refused
    "oss://bucket/a.mp3",
    "file:///tmp/a.mp3",
    "/tmp/a.mp3",
])
@pytest.mark.parametrize("which", ["speakers", "text"])
def test_non_https_audio_urls_are_refused_before_submitting(server, clock, which, url):
    factory = speaker_pass if which == "speakers" else text_pass
    implementation = factory(server, clock)
    with pytest.raises(PermanentFailure) as caught:
        if which == "speakers":
            implementation.speaker_turns(url)
        else:
            implementation.timed_text(url)
    assert caught.value.code == "InsecureAudioURL"
    assert server.requests == []


def test_loopback_http_audio_is_allowed_for_tests(server, clock):
    # the adapter lets it through; the loopback, like the provider, then fails the download
    with pytest.raises(PermanentFailure) as caught:
        text_pass(server, clock).timed_text("http://127.0.0.1:9/a.mp3")
    assert caught.value.code == "InvalidFile.DownloadFailed"
    assert len(server.calls("submit")) == 1


# ----------------------------------------------------------------------------- polling rules

def test_poll_deadline_is_a_transient_timeout(server, clock):
    server.plan_next_task(TaskPlan(polls_before_done=10**6))
    with pytest.raises(TransientFailure) as caught:
        text_pass(server, clock, poll_interval_s=5.0, poll_timeout_s=20.0).timed_text(AUDIO_URL)
    assert caught.value.code == "PollTimeout"
    assert "timeout" in str(caught.value)
    assert clock.slept == [5.0] * 4
    assert len(server.calls("task")) == 4
    assert_no_key(caught.value)


def test_last_sleep_is_cut_to_the_deadline(server, clock):
    server.plan_next_task(TaskPlan(polls_before_done=10**6))
    with pytest.raises(TransientFailure):
        speaker_pass(server, clock, poll_interval_s=5.0, poll_timeout_s=12.0).speaker_turns(AUDIO_URL)
    assert clock.slept == [5.0, 5.0, 2.0]


@pytest.mark.parametrize("replies", [
    [THROTTLED], [INTERNAL], [error_reply(503, "ServiceUnavailable"), error_reply(504, "GatewayTimeout")],
    [error_reply(408, "RequestTimeOut")],
])
def test_transient_poll_errors_keep_polling(server, clock, replies):
    server.plan_next_task(TaskPlan(polls_before_done=1))
    server.script("task", *replies)
    result = speaker_pass(server, clock).speaker_turns(AUDIO_URL)
    assert result.turns
    assert len(server.calls("task")) == len(replies) + 2


def test_transient_poll_errors_until_the_deadline_are_a_timeout(server, clock):
    server.script("task", *[INTERNAL] * 10)
    with pytest.raises(TransientFailure) as caught:
        speaker_pass(server, clock, poll_timeout_s=15.0).speaker_turns(AUDIO_URL)
    assert caught.value.code == "PollTimeout"


@pytest.mark.parametrize("reply", [error_reply(400, "InvalidParameter"), error_reply(404, "InvalidParameter"),
                                   error_reply(401, "InvalidApiKey")])
def test_client_errors_on_a_poll_are_permanent(server, clock, reply):
    server.script("task", reply)
    with pytest.raises(PermanentFailure) as caught:
        text_pass(server, clock).timed_text(AUDIO_URL)
    assert caught.value.code == reply.body["code"]
    assert len(server.calls("task")) == 1
    assert_no_key(caught.value)


@pytest.mark.parametrize("status, code, expected", [
    ("FAILED", "InvalidFile.DownloadFailed", PermanentFailure),
    ("FAILED", "InternalError", PermanentFailure),
    ("CANCELED", "", PermanentFailure),
    ("UNKNOWN", "", PermanentFailure),
    ("FAILED", "DataInspectionFailed", ContentRejected),
])
@pytest.mark.parametrize("which", ["speakers", "text"])
def test_failed_tasks_are_permanent(server, clock, which, status, code, expected):
    server.plan_next_task(TaskPlan(final_status=status, code=code))
    factory = speaker_pass if which == "speakers" else text_pass
    with pytest.raises(PortError) as caught:
        run_pass(which, factory(server, clock))
    assert type(caught.value) is expected
    assert caught.value.code == (code or "InternalError")  # the loopback fills a code in, like the provider
    assert_no_key(caught.value)


# ---------------------------------------------------------------------------- submit errors

@pytest.mark.parametrize("reply, expected", [
    (THROTTLED, TransientFailure),
    (INTERNAL, TransientFailure),
    (error_reply(429, "Throttling.AllocationQuota"), PermanentFailure),
    (INVALID, PermanentFailure),
    (MODERATED, ContentRejected),
    (error_reply(403, "Model.AccessDenied"), PermanentFailure),
])
@pytest.mark.parametrize("which", ["speakers", "text"])
def test_submit_errors_translate(server, clock, which, reply, expected):
    server.script("submit", reply)
    factory = speaker_pass if which == "speakers" else text_pass
    with pytest.raises(PortError) as caught:
        run_pass(which, factory(server, clock), language="ru")
    assert type(caught.value) is expected
    assert caught.value.code == reply.body["code"]
    assert server.calls("task") == []
    assert_no_key(caught.value)


def test_wrong_key_is_permanent_and_not_shown(server, clock):
    wrong = "sk-WRONG-pass-key-8080"
    implementation = DashScopeSpeakerPass(wrong, clock=clock, base_url=server.base_url,
                                          model=DEFAULT_MODELS[SPEAKER_PASS])
    with pytest.raises(PermanentFailure) as caught:
        implementation.speaker_turns(AUDIO_URL)
    assert caught.value.code == "InvalidApiKey"
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)


# ------------------------------------------------------------------------- result downloads

@pytest.mark.parametrize("reply, expected, code", [
    (Reply(500, "oss error"), TransientFailure, "ResultHTTP500"),
    (Reply(503, "slow down"), TransientFailure, "ResultHTTP503"),
    (Reply(403, "<Error><Code>AccessDenied</Code></Error>"), PermanentFailure, "ResultHTTP403"),
    (Reply(404, "<Error><Code>NoSuchKey</Code></Error>"), PermanentFailure, "ResultHTTP404"),
    (Reply(200, "this is not json"), PermanentFailure, "ResultNotJSON"),
    (Reply(200, {"file_url": AUDIO_URL}), PermanentFailure, "ResultShape"),
    (Reply(200, {"transcripts": [{"sentences": [{"begin_time": "zero", "end_time": 1, "text": "x",
                                                 "speaker_id": 0}]}]}), PermanentFailure, "ResultShape"),
])
def test_result_download_failures(server, clock, reply, expected, code):
    server.plan_next_task(TaskPlan(result_reply=reply))
    with pytest.raises(PortError) as caught:
        speaker_pass(server, clock).speaker_turns(AUDIO_URL)
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert "Signature" not in str(caught.value)  # signed result URLs stay out of messages


def test_result_download_timeout_is_transient(server, clock):
    server.plan_next_task(TaskPlan(result_reply=Reply(200, FUN_ASR_DOCUMENT, delay_s=0.5)))
    with pytest.raises(TransientFailure) as caught:
        speaker_pass(server, clock, request_timeout_s=0.1).speaker_turns(AUDIO_URL)
    assert "Timeout" in caught.value.code


def test_sentences_without_speaker_are_skipped_by_the_speaker_pass(server, clock):
    server.plan_next_task(TaskPlan(document=copy.deepcopy(RUSSIAN_SPEAKERS)))
    result = speaker_pass(server, clock).speaker_turns(AUDIO_URL)
    assert [(t.speaker, t.text) for t in result.turns] == [("1", "Привет, как дела?"), ("0", "Нормально.")]


# ---------------------------------------------------------------------------- configuration

@pytest.mark.parametrize("cls, model", [(DashScopeSpeakerPass, "paraformer-v2"),
                                        (DashScopeTimedTextPass, "paraformer-v1")])
def test_china_only_models_are_refused(clock, cls, model):
    with pytest.raises(ValueError, match="fun-asr"):
        cls(API_KEY, clock=clock, base_url=INTL_HTTP_BASE_URL, model=model)


@pytest.mark.parametrize("cls", [DashScopeSpeakerPass, DashScopeTimedTextPass])
def test_beijing_host_is_refused(clock, cls):
    with pytest.raises(ValueError, match="dashscope-intl"):
        cls(API_KEY, clock=clock, base_url="https://dashscope.aliyuncs.com/api/v1",
            model=DEFAULT_MODELS[SPEAKER_PASS if cls is DashScopeSpeakerPass else TEXT_PASS])


def test_repr_never_shows_the_key(server, clock):
    assert API_KEY not in repr(speaker_pass(server, clock))
    assert API_KEY not in repr(text_pass(server, clock))
