"""SpeechRecognizer contract: the memory twin, ``qwen3-asr-flash`` and ``qwen3-asr-flash-realtime``.

The contract runs the same scripted provider answer through each implementation and expects the
same domain value; the real adapters talk to loopback servers speaking DashScope's wire format.
Then one test per DashScope quirk that concerns recognition.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.alibaba import dashscope_results
from adapters.alibaba.dashscope_config import INTL_HTTP_BASE_URL, INTL_WS_BASE_URL, check_dashscope_config
from adapters.alibaba.dashscope_realtime import DashScopeRealtimeRecognizer
from adapters.alibaba.dashscope_recognizer import DashScopeRecognizer
from adapters.memory.speech import ScriptedRecognizer
from domain.models import ASR, DEFAULT_MODELS, REALTIME_ASR
from ports.errors import ContentRejected, ModelUnavailable, PermanentFailure, PortError, TransientFailure
from ports.speech import AudioClip, Recognition, SpeechRecognizer
from tests.loopback.dashscope_server import (
    INTERNAL,
    INVALID,
    MODERATED,
    RESET,
    THROTTLED,
    Reply,
    asr_body,
    error_reply,
)
from tests.loopback.realtime_ws_server import running_realtime_server

ASR_MODEL, REALTIME_MODEL = DEFAULT_MODELS[ASR], DEFAULT_MODELS[REALTIME_ASR]
API_KEY = "sk-SECRET-never-in-messages-7f3a9c"
ROOT = Path(__file__).resolve().parents[2]
CLIP = AudioClip(data=b"OggS\x00fake-voice-note-bytes", mime_type="audio/ogg", duration_ms=2000)
PCM = bytes(range(256)) * 39 + b"\x01\x02" * 8  # 10000 bytes: chunks of 3200, 3200, 3200, 400


def assert_no_key(exc: BaseException) -> None:
    for shown in (str(exc), repr(exc), *map(str, exc.args)):
        assert API_KEY not in shown
        assert API_KEY[3:] not in shown


@pytest.fixture(scope="module")
def _realtime():
    with running_realtime_server(API_KEY) as server:
        yield server


@pytest.fixture
def realtime(_realtime):
    _realtime.reset()
    yield _realtime


# --------------------------------------------------------------------------------- the contract

class MemoryTwin:
    def __init__(self) -> None:
        self._bodies: list[dict[str, Any] | str] = []
        self._fail: str | None = None

    def answer(self, body: dict[str, Any]) -> None:
        self._bodies.append(body)

    def fail(self, kind: str) -> None:
        self._fail = kind

    def build(self) -> SpeechRecognizer:
        # The twin takes domain values: the recorded bodies go through the Alibaba parser.
        recognizer = ScriptedRecognizer([dashscope_results.recognition(b) if isinstance(b, dict) else b
                                         for b in self._bodies])
        if self._fail:
            recognizer.fail_next(permanent=self._fail == "permanent")
        return recognizer


class SyncAdapter:
    def __init__(self, server) -> None:
        self.server = server

    def answer(self, body: dict[str, Any]) -> None:
        self.server.script("asr", Reply(200, body))

    def fail(self, kind: str) -> None:
        self.server.script("asr", INVALID if kind == "permanent" else THROTTLED)

    def build(self) -> SpeechRecognizer:
        return DashScopeRecognizer(API_KEY, base_url=self.server.base_url, model=ASR_MODEL, request_timeout_s=5)


class RealtimeAdapter:
    """The WebSocket server answers one transcript per session, taken from the same body."""

    def __init__(self, server) -> None:
        self.server = server
        self.bodies: list[dict[str, Any]] = []

    def answer(self, body: dict[str, Any]) -> None:
        self.bodies.append(body)

    def fail(self, kind: str) -> None:
        self.server.error_event = {"type": "invalid_request_error" if kind == "permanent" else "server_error",
                                   "code": "invalid_value" if kind == "permanent" else "InternalError"}

    def build(self) -> SpeechRecognizer:
        inner = DashScopeRealtimeRecognizer(API_KEY, lambda clip: PCM, ws_base_url=self.server.ws_base,
                                            model=REALTIME_MODEL, timeout_s=5)
        harness = self

        class OneBodyPerCall(SpeechRecognizer):
            def recognize(self, clip, *, language=None):
                if harness.bodies:
                    body = harness.bodies.pop(0)
                    harness.server.transcript = dashscope_results.asr_text(body)
                    harness.server.language = dashscope_results.asr_language(body)
                return inner.recognize(clip, language=language)

        return OneBodyPerCall()


@pytest.fixture(params=["memory", "qwen3-asr-flash", "qwen3-asr-flash-realtime"])
def twin(request, server, realtime):
    if request.param == "memory":
        return MemoryTwin()
    if request.param == "qwen3-asr-flash":
        return SyncAdapter(server)
    return RealtimeAdapter(realtime)


PLAIN_STRING_BODY = {"request_id": "r-plain", "output": {"choices": [{"finish_reason": "stop", "message": {
    "role": "assistant", "content": "  Plain string content.  "}}]}, "usage": {"seconds": 1}}

BODIES = {
    "english": asr_body("Hello world.", language="en", seconds=2),
    "russian": asr_body("Привет, мир. Это проверка.", language="ru", seconds=3),
    "silence": asr_body("", language=None, seconds=1),
    "content-as-string": PLAIN_STRING_BODY,
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_same_answer_gives_same_text_and_language(twin, case):
    twin.answer(BODIES[case])
    result = twin.build().recognize(CLIP, language="ru")
    assert isinstance(result, Recognition)
    assert result.text == dashscope_results.asr_text(BODIES[case])
    assert result.language == dashscope_results.asr_language(BODIES[case])


def test_answers_come_back_in_order(twin):
    twin.answer(asr_body("First clip.", language="en"))
    twin.answer(asr_body("Second clip.", language="en"))
    recognizer = twin.build()
    assert [recognizer.recognize(CLIP).text for _ in range(2)] == ["First clip.", "Second clip."]


@pytest.mark.parametrize("kind, expected", [("transient", TransientFailure), ("permanent", PermanentFailure)])
def test_failures_are_port_failures(twin, kind, expected):
    twin.fail(kind)
    with pytest.raises(expected) as caught:
        twin.build().recognize(CLIP)
    assert not (kind == "permanent" and isinstance(caught.value, TransientFailure))
    assert_no_key(caught.value)


@pytest.mark.parametrize("case", sorted(BODIES))
def test_sync_adapter_matches_memory_twin_field_for_field(server, case):
    memory, real = MemoryTwin(), SyncAdapter(server)
    memory.answer(BODIES[case])
    real.answer(BODIES[case])
    assert real.build().recognize(CLIP) == memory.build().recognize(CLIP)


# ------------------------------------------------------------------- qwen3-asr-flash pitfalls

def make(server, **kwargs) -> DashScopeRecognizer:
    return DashScopeRecognizer(API_KEY, base_url=server.base_url, **{"model": ASR_MODEL, **kwargs})


def test_request_is_the_documented_wire_format(server):
    result = make(server).recognize(CLIP, language="ru")
    assert result == Recognition("Hello world.", "en", 2, "568e2bf0-d6f2-97f8-9f15-a57b11dc6977")
    (call,) = server.calls("asr")
    assert call.path == "/api/v1/services/aigc/multimodal-generation/generation"
    assert call.headers["authorization"] == f"Bearer {API_KEY}"
    body = call.body
    assert body["model"] == "qwen3-asr-flash"
    assert body["parameters"] == {"asr_options": {"enable_itn": True, "language": "ru"}, "result_format": "message"}
    system, user = body["input"]["messages"]
    assert system == {"role": "system", "content": [{"text": ""}]}
    assert user["role"] == "user"
    (part,) = user["content"]
    assert part["audio"] == "data:audio/ogg;base64," + base64.b64encode(CLIP.data).decode()


def test_language_is_omitted_for_auto_detection_and_never_sent_as_hints(server):
    make(server).recognize(CLIP, language=None)
    options = server.calls("asr")[0].body["parameters"]["asr_options"]
    assert options == {"enable_itn": True}
    assert "language_hints" not in options


@pytest.mark.parametrize("code", ["uk", "kk", "yue"])
def test_a_language_the_model_does_not_document_is_left_out_and_detected(server, code):
    """qwen3-asr-flash documents 11 languages (domain.models); the loopback refuses any other code."""
    make(server).recognize(CLIP, language=code)
    assert server.calls("asr")[0].body["parameters"]["asr_options"] == {"enable_itn": True}


def test_the_loopback_refuses_an_undocumented_language_and_a_missing_model(server):
    import dashscope

    reply = dashscope.MultiModalConversation.call(
        api_key=API_KEY, model="qwen3-asr-flash", base_address=server.base_url, result_format="message",
        messages=[{"role": "user", "content": [{"audio": "data:audio/ogg;base64,AAAA"}]}],
        asr_options={"language": "uk"})
    assert reply.status_code == 400 and reply.code == "InvalidParameter"
    with pytest.raises(ModelUnavailable) as caught:
        make(server, model="qwen3-asr-flash-2099-01-01").recognize(CLIP)
    assert caught.value.model == "qwen3-asr-flash-2099-01-01"


def test_a_request_over_10_mb_is_refused_by_the_adapter_before_it_and_by_the_loopback(server):
    import dashscope

    # 7.6 MB of audio is ~10.1 MB once base64-encoded: over the documented 10 MB request limit.
    big = AudioClip(b"\x00" * 7_900_000, "audio/mpeg", 140_000)
    with pytest.raises(PermanentFailure):
        make(server).recognize(big)
    assert not server.calls("asr")  # refused before any request was sent
    data_uri = "data:audio/mpeg;base64," + base64.b64encode(big.data).decode()
    reply = dashscope.MultiModalConversation.call(
        api_key=API_KEY, model="qwen3-asr-flash", base_address=server.base_url, result_format="message",
        messages=[{"role": "user", "content": [{"audio": data_uri}]}], asr_options={})
    assert reply.status_code == 400 and reply.code == "InvalidParameter" and "10 MB" in reply.message


def test_sdk_never_reaches_the_default_beijing_host(server):
    import dashscope

    before = dashscope.base_http_api_url
    make(server).recognize(CLIP)
    assert len(server.calls("asr")) == 1  # the loopback got the call ...
    # ... through the per-call base_address: the module default was left alone
    assert dashscope.base_http_api_url == before and server.base_url not in before


@pytest.mark.parametrize("reply, expected, code", [
    (THROTTLED, TransientFailure, "Throttling.RateQuota"),
    (error_reply(429, "Throttling"), TransientFailure, "Throttling"),
    (error_reply(429, "Throttling.AllocationQuota"), PermanentFailure, "Throttling.AllocationQuota"),
    (INTERNAL, TransientFailure, "InternalError"),
    (error_reply(503, "ServiceUnavailable"), TransientFailure, "ServiceUnavailable"),
    (error_reply(408, "RequestTimeOut"), TransientFailure, "RequestTimeOut"),
    (Reply(502, "<html>Bad gateway</html>"), TransientFailure, "Unknown"),
    (INVALID, PermanentFailure, "InvalidParameter"),
    (MODERATED, ContentRejected, "DataInspectionFailed"),
    (error_reply(400, "Arrearage"), PermanentFailure, "Arrearage"),
    (error_reply(401, "InvalidApiKey"), PermanentFailure, "InvalidApiKey"),
    (error_reply(403, "AccessDenied.Unpurchased"), PermanentFailure, "AccessDenied.Unpurchased"),
    (error_reply(404, "ModelNotFound"), ModelUnavailable, "ModelNotFound"),
    (error_reply(400, "InvalidParameter", "Model not exist."), ModelUnavailable, "InvalidParameter"),
    (error_reply(404, "InvalidParameter", "Model not exist."), ModelUnavailable, "InvalidParameter"),
    (error_reply(413, "BadRequest.TooLarge"), PermanentFailure, "BadRequest.TooLarge"),
    (error_reply(415, "BadRequest.UnsupportedFileFormat"), PermanentFailure, "BadRequest.UnsupportedFileFormat"),
])
def test_vendor_errors_translate_at_the_edge(server, reply, expected, code):
    server.script("asr", reply)
    with pytest.raises(PortError) as caught:
        make(server).recognize(CLIP)
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert_no_key(caught.value)
    if reply.body and isinstance(reply.body, dict):
        assert reply.body["message"] not in str(caught.value)  # vendor text stays out of messages


def test_throttling_passes_a_retry_after_hint_on(server):
    server.script("asr", error_reply(429, "Throttling.RateQuota", headers={"Retry-After": "3"}))
    with pytest.raises(TransientFailure) as caught:
        make(server).recognize(CLIP)
    assert caught.value.retry_after_s == 3.0


def test_dropped_connection_is_transient(server):
    server.script("asr", RESET, RESET)  # the SDK resends once on a dropped connection
    with pytest.raises(TransientFailure) as caught:
        make(server).recognize(CLIP)
    assert_no_key(caught.value)


def test_request_timeout_is_transient(server):
    server.script("asr", Reply(200, asr_body(), delay_s=0.5))
    with pytest.raises(TransientFailure) as caught:
        make(server, request_timeout_s=0.1).recognize(CLIP)
    assert "Timeout" in caught.value.code
    assert_no_key(caught.value)


def test_wrong_key_is_permanent_and_not_shown(server):
    wrong = "sk-WRONG-key-also-secret-1234"
    with pytest.raises(PermanentFailure) as caught:
        DashScopeRecognizer(wrong, base_url=server.base_url, model=ASR_MODEL).recognize(CLIP)
    assert caught.value.code == "InvalidApiKey"
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)


def test_empty_or_oversized_clips_fail_before_any_request(server):
    with pytest.raises(PermanentFailure):
        make(server).recognize(AudioClip(b"", "audio/ogg", 0))
    with pytest.raises(PermanentFailure) as caught:
        make(server).recognize(AudioClip(b"\x00" * (8 * 1024 * 1024), "audio/mpeg", 290_000))
    assert caught.value.code == "BadRequest.TooLarge"
    assert server.calls("asr") == []


def test_unexpected_response_shape_is_permanent(server):
    server.script("asr", Reply(200, {"request_id": "odd", "output": {"something": "else"}}))
    with pytest.raises(PermanentFailure):
        make(server).recognize(CLIP)


def test_missing_usage_gives_no_billed_seconds(server):
    body = asr_body("Text.")
    del body["usage"]["seconds"]
    server.script("asr", Reply(200, body))
    assert make(server).recognize(CLIP).billed_seconds is None


def test_repr_never_shows_the_key(server):
    assert API_KEY not in repr(make(server))


# ------------------------------------------------------------------------ configuration checks

@pytest.mark.parametrize("url", ["https://dashscope.aliyuncs.com/api/v1", "http://dashscope.aliyuncs.com/api/v1",
                                 "https://ws1.cn-beijing.maas.aliyuncs.com/api/v1"])
def test_beijing_host_is_refused_with_the_international_one_named(url):
    with pytest.raises(ValueError, match="https://dashscope-intl.aliyuncs.com/api/v1"):
        check_dashscope_config(url, {"asr": "qwen3-asr-flash"})
    with pytest.raises(ValueError, match="dashscope-intl"):
        DashScopeRecognizer(API_KEY, base_url=url, model=ASR_MODEL)


@pytest.mark.parametrize("model", ["paraformer-v2", "paraformer-realtime-v2", "Paraformer-8k-v1", "speech-to-text"])
def test_china_only_or_retired_models_are_refused(model):
    with pytest.raises(ValueError, match="qwen3-asr-flash") as caught:
        check_dashscope_config("https://dashscope-intl.aliyuncs.com/api/v1", {"asr": model})
    assert "fun-asr" in str(caught.value)
    with pytest.raises(ValueError):
        DashScopeRecognizer(API_KEY, base_url=INTL_HTTP_BASE_URL, model=model)


@pytest.mark.parametrize("url", ["https://dashscope-intl.aliyuncs.com/api/v1", "http://127.0.0.1:8080/api/v1",
                                 "http://localhost:9/api/v1/"])
def test_international_and_loopback_hosts_are_accepted(url):
    check_dashscope_config(url, {"asr": "qwen3-asr-flash", "speakers": "fun-asr"})


@pytest.mark.parametrize("url", ["http://dashscope-intl.aliyuncs.com/api/v1", "https://dashscope-intl.aliyuncs.com",
                                 "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "not a url"])
def test_plain_http_or_wrong_paths_are_refused(url):
    with pytest.raises(ValueError):
        check_dashscope_config(url, {"asr": "qwen3-asr-flash"})


def test_adapter_modules_import_without_the_sdk():
    modules = ["adapters.alibaba.dashscope_recognizer", "adapters.alibaba.dashscope_realtime",
               "adapters.alibaba.dashscope_passes", "adapters.alibaba.qwen_formatter"]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "heavy = [m for m in ('dashscope', 'websocket', 'httpx', 'requests') if m in sys.modules]\n"
            + "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------ qwen3-asr-flash-realtime

def make_realtime(realtime, decoder=lambda clip: PCM, key: str = API_KEY, **kwargs) -> DashScopeRealtimeRecognizer:
    return DashScopeRealtimeRecognizer(key, decoder, ws_base_url=realtime.ws_base, timeout_s=5,
                                       **{"model": REALTIME_MODEL, **kwargs})


def test_realtime_speaks_the_provider_protocol(realtime):
    result = make_realtime(realtime).recognize(CLIP, language="ru")
    assert result.text == "Hello world." and result.language == "en"
    assert realtime.violations == []
    (session,) = realtime.sessions
    assert session.headers["authorization"] == f"Bearer {API_KEY}"
    assert session.headers["openai-beta"] == "realtime=v1"
    assert session.path == "/api-ws/v1/realtime" and session.query["model"] == ["qwen3-asr-flash-realtime"]
    kinds = [e["type"] for e in session.events]
    assert kinds == (["session.update"] + ["input_audio_buffer.append"] * 4
                     + ["input_audio_buffer.commit", "session.finish"])
    assert session.chunk_sizes == [3200, 3200, 3200, 400]
    assert bytes(session.pcm) == PCM
    update = session.events[0]["session"]
    assert update == {"modalities": ["text"], "input_audio_format": "pcm", "sample_rate": 16000,
                      "input_audio_transcription": {"language": "ru"}, "turn_detection": None}


def test_realtime_auto_language_sends_no_language(realtime):
    make_realtime(realtime).recognize(CLIP)
    assert realtime.sessions[0].events[0]["session"]["input_audio_transcription"] == {}


def test_realtime_silence_is_empty_text_not_a_timeout(realtime):
    realtime.transcript = None  # the server sends no completed event, only session.finished
    assert make_realtime(realtime).recognize(CLIP).text == ""
    assert realtime.violations == []


def test_realtime_empty_pcm_needs_no_session(realtime):
    assert make_realtime(realtime, decoder=lambda clip: b"").recognize(CLIP).text == ""
    assert realtime.sessions == []


def test_realtime_drops_a_dangling_half_sample(realtime):
    make_realtime(realtime, decoder=lambda clip: b"\x01\x02\x03").recognize(CLIP)
    assert realtime.sessions[0].chunk_sizes == [2]


@pytest.mark.parametrize("error, expected", [
    ({"type": "server_error", "code": "InternalError"}, TransientFailure),
    ({"type": "invalid_request_error", "code": "invalid_value"}, PermanentFailure),
    ({"type": "invalid_request_error", "code": "DataInspectionFailed"}, ContentRejected),
])
def test_realtime_error_events_translate(realtime, error, expected):
    realtime.error_event = error
    with pytest.raises(PortError) as caught:
        make_realtime(realtime).recognize(CLIP)
    assert type(caught.value) is expected
    assert_no_key(caught.value)


@pytest.mark.parametrize("status, expected", [(401, PermanentFailure), (403, PermanentFailure),
                                              (429, TransientFailure), (503, TransientFailure)])
def test_realtime_refused_handshake_translates(realtime, status, expected):
    realtime.handshake_status = status
    with pytest.raises(PortError) as caught:
        make_realtime(realtime).recognize(CLIP)
    assert type(caught.value) is expected
    assert_no_key(caught.value)


def test_realtime_wrong_key_is_refused_and_not_shown(realtime):
    wrong = "sk-WRONG-realtime-secret-99"
    with pytest.raises(PermanentFailure) as caught:
        make_realtime(realtime, key=wrong).recognize(CLIP)
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)


def test_realtime_unreachable_server_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    recognizer = DashScopeRealtimeRecognizer(API_KEY, lambda clip: PCM, ws_base_url=f"ws://127.0.0.1:{port}",
                                             model=REALTIME_MODEL, timeout_s=1)
    with pytest.raises(TransientFailure) as caught:
        recognizer.recognize(CLIP)
    assert_no_key(caught.value)


def test_realtime_decoder_failures(realtime):
    def broken(clip):
        raise ValueError("ffmpeg: invalid data found when processing input")

    def refusing(clip):
        raise PermanentFailure("ffmpeg", "unsupported media", code="Unsupported")

    with pytest.raises(PermanentFailure) as caught:
        make_realtime(realtime, decoder=broken).recognize(CLIP)
    assert caught.value.code == "DecodeFailed"
    with pytest.raises(PermanentFailure) as caught:
        make_realtime(realtime, decoder=refusing).recognize(CLIP)
    assert caught.value.code == "Unsupported"
    assert realtime.sessions == []


@pytest.mark.parametrize("ws", ["wss://dashscope.aliyuncs.com", "ws://dashscope-intl.aliyuncs.com"])
def test_realtime_refuses_beijing_or_unencrypted_hosts(ws):
    with pytest.raises(ValueError):
        DashScopeRealtimeRecognizer(API_KEY, lambda clip: PCM, ws_base_url=ws, model=REALTIME_MODEL)
    with pytest.raises(ValueError):
        DashScopeRealtimeRecognizer(API_KEY, lambda clip: PCM, ws_base_url=INTL_WS_BASE_URL,
                                    model="paraformer-realtime-v2")
