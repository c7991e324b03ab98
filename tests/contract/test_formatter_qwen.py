"""TextFormatter contract for the Qwen formatter, plus the shared prompt.

The contract runs the same "model" (a text transform) as the memory ScriptedFormatter and as the
loopback DashScope's text-generation endpoint behind the real ``QwenFormatter``; then one test per
LLM pitfall, each through the real adapter and the one acceptance rule every formatter's answer
meets (``usecases.formatting.accept_answer``; its own table test is in tests/unit/usecases).
"""

from __future__ import annotations

import pytest

from adapters.alibaba.qwen_formatter import QwenFormatter
from adapters.memory.formatter import ScriptedFormatter
from domain.models import DEFAULT_MODELS, LLM
from domain.prompts import format_prompt
from domain.splitting import replace_yo
from ports.errors import ContentRejected, ModelUnavailable, PermanentFailure, PortError, TransientFailure
from ports.formatter import FormatRequest, TextFormatter
from tests.loopback.dashscope_server import (
    INTERNAL,
    INVALID,
    MODERATED,
    RESET,
    THROTTLED,
    Reply,
    error_reply,
    llm_body,
)
from usecases.formatting import accept_answer, clean_answer

API_KEY = "sk-SECRET-formatter-never-shown-77"
TEXT = ("so we met on monday and talked about the plan then we went home and it was late "
        "everyone was tired but happy with the result of the day")
DIALOGUE = "— hello how are you\n\n— fine thanks and you\n\n— good good let us start"
LABELLED = "— Speaker 1: hello how are you\n\n— Speaker 2: fine thanks and you"
RUSSIAN = "ну вот мы встретились в понедельник и обсудили план потом пошли домой было уже поздно"


def assert_no_key(exc: BaseException) -> None:
    for shown in (str(exc), repr(exc), *map(str, exc.args)):
        assert API_KEY not in shown and API_KEY[3:] not in shown


def punctuate(text: str) -> str:
    """The 'model' both implementations run: capitalise each line and end it with a full stop."""
    lines = []
    for line in text.split("\n"):
        body = line.strip()
        if body.startswith("— "):
            lines.append("— " + body[2:3].upper() + body[3:] + ".")
        elif body:
            lines.append(body[:1].upper() + body[1:] + ".")
        else:
            lines.append("")
    return "\n".join(lines)


def make(server, **kwargs) -> QwenFormatter:
    return QwenFormatter(API_KEY, base_url=server.base_url, **{"model": DEFAULT_MODELS[LLM], **kwargs})


def delivered(server, request: FormatRequest) -> str | None:
    """What the user would get from Qwen's answer: the accepted text, or None (refused)."""
    return accept_answer(request, make(server).format(request)).text


def refusal(server, request: FormatRequest) -> str:
    verdict = accept_answer(request, make(server).format(request))
    assert verdict.text is None
    return verdict.reason


def build_format_prompt(request: FormatRequest) -> tuple[str, str]:
    return format_prompt(request.text, language=request.language, use_yo=request.use_yo,
                         dialogue=request.dialogue, from_chunks=request.from_chunks)


# --------------------------------------------------------------------------------- the contract

class MemoryTwin:
    def __init__(self) -> None:
        self.fail_kind: str | None = None

    def build(self, transform) -> TextFormatter:
        formatter = ScriptedFormatter(transform)
        if self.fail_kind:
            formatter.fail_next(permanent=self.fail_kind == "permanent")
        return formatter

    def fail(self, kind: str) -> None:
        self.fail_kind = kind


class RealQwen:
    def __init__(self, server) -> None:
        self.server = server

    def build(self, transform) -> TextFormatter:
        self.server.llm_transform = transform
        return make(self.server)

    def fail(self, kind: str) -> None:
        self.server.script("llm", INVALID if kind == "permanent" else THROTTLED)


@pytest.fixture(params=["memory", "qwen"])
def twin(request, server):
    if request.param == "memory":
        return MemoryTwin()
    return RealQwen(server)


REQUESTS = {
    "plain": FormatRequest(TEXT, language="en"),
    "russian": FormatRequest(RUSSIAN, language="ru"),
    "dialogue": FormatRequest(DIALOGUE, dialogue=True),
    "labelled-dialogue": FormatRequest(LABELLED, dialogue=True),
    "chunked": FormatRequest(TEXT, from_chunks=True),
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_same_model_gives_same_text(twin, case):
    assert twin.build(punctuate).format(REQUESTS[case]) == punctuate(REQUESTS[case].text)


@pytest.mark.parametrize("kind, expected", [("transient", TransientFailure), ("permanent", PermanentFailure)])
def test_failures_are_port_failures(twin, kind, expected):
    twin.fail(kind)
    with pytest.raises(expected) as caught:
        twin.build(punctuate).format(REQUESTS["plain"])
    if kind == "permanent":
        assert not isinstance(caught.value, TransientFailure)
    assert_no_key(caught.value)


# ------------------------------------------------------------------------------- wire format

def test_request_is_message_format_without_thinking(server):
    make(server).format(FormatRequest(TEXT, language="en"))
    (call,) = server.calls("llm")
    assert call.path == "/api/v1/services/aigc/text-generation/generation"
    assert call.headers["authorization"] == f"Bearer {API_KEY}"
    assert call.body["model"] == "qwen-flash"  # qwen-turbo was retired on 2026-10-10
    params = call.body["parameters"]
    assert params["result_format"] == "message"
    assert params["enable_thinking"] is False
    assert params["temperature"] == 0.3
    assert params["max_tokens"] == 8192
    system, user = call.body["input"]["messages"]
    assert system["role"] == "system" and "language of the text" in system["content"]
    assert user == {"role": "user", "content": TEXT}


def test_sdk_never_reaches_the_default_beijing_host(server):
    import dashscope

    # The adapter passes its host per call; the module-wide default (Beijing, unless an earlier
    # import read DASHSCOPE_HTTP_BASE_URL) is never changed by it.
    before = dashscope.base_http_api_url
    make(server).format(REQUESTS["plain"])
    assert len(server.calls("llm")) == 1
    assert dashscope.base_http_api_url == before and server.base_url not in before


# --------------------------------------------------------------------------- answer pitfalls

def test_think_blocks_are_stripped(server):
    """Hybrid-thinking models put reasoning in ``<think>`` blocks; it never reaches the user."""
    server.script("llm", Reply(200, llm_body("<think>\nThe user wants commas.\n</think>\n\n" + punctuate(TEXT))))
    assert delivered(server, REQUESTS["plain"]) == punctuate(TEXT)


def test_truncated_answer_is_never_delivered(server):
    """finish_reason "length" means the text was cut at max_tokens: it is never delivered."""
    server.script("llm", Reply(200, llm_body(punctuate(TEXT), finish_reason="length")))
    with pytest.raises(PermanentFailure) as caught:
        make(server).format(REQUESTS["plain"])
    assert caught.value.code == "length"


@pytest.mark.parametrize("answer", ["", "Ok.", "<think>only reasoning, never closed", TEXT[: len(TEXT) // 3]])
def test_empty_or_much_shorter_answers_are_refused(server, answer):
    server.script("llm", Reply(200, llm_body(answer)))
    assert "answer" in refusal(server, REQUESTS["plain"])


def test_dialogue_with_merged_turns_is_refused(server):
    server.script("llm", Reply(200, llm_body("— Hello, how are you? Fine, thanks, and you?\n\n— Good, let us start.")))
    assert "turns" in refusal(server, REQUESTS["dialogue"])


def test_dialogue_with_dropped_labels_is_refused(server):
    """An answer that dropped the speakers' labels is refused (the model must keep real ones)."""
    server.script("llm", Reply(200, llm_body("— Hello, how are you?\n\n— Fine, thanks, and you?")))
    assert "labels" in refusal(server, REQUESTS["labelled-dialogue"])


def test_yo_is_replaced_when_the_user_asked(server):
    server.llm_transform = lambda text: text  # the model kept ё
    text = "Всё хорошо, ёлка стоит, мы ещё придём. Ёжик пришёл в гости, и всё было отлично."
    assert delivered(server, FormatRequest(text, use_yo=False)) == replace_yo(text)
    assert "ё" not in replace_yo(text) and "Ё" not in replace_yo(text)
    assert delivered(server, FormatRequest(text, use_yo=True)) == text


def test_code_tags_and_fences_are_stripped(server):
    server.script("llm", Reply(200, llm_body("<code>" + punctuate(TEXT) + "</code>")),
                  Reply(200, llm_body("```\n" + punctuate(TEXT) + "\n```")))
    assert delivered(server, REQUESTS["plain"]) == punctuate(TEXT)
    assert delivered(server, REQUESTS["plain"]) == punctuate(TEXT)


def test_legacy_text_format_answer_is_accepted(server):
    server.script("llm", Reply(200, {"request_id": "g2", "output": {"text": punctuate(TEXT), "finish_reason": "stop"},
                                     "usage": {"input_tokens": 5, "output_tokens": 4, "total_tokens": 9}}))
    assert make(server).format(REQUESTS["plain"]) == punctuate(TEXT)


def test_answer_without_content_is_permanent(server):
    server.script("llm", Reply(200, {"request_id": "g3", "output": {"choices": []}}))
    with pytest.raises(PermanentFailure):
        make(server).format(REQUESTS["plain"])


# ------------------------------------------------------------------------------------ errors

@pytest.mark.parametrize("reply, expected", [
    (THROTTLED, TransientFailure),
    (INTERNAL, TransientFailure),
    (error_reply(503, "ModelUnavailable"), TransientFailure),
    (INVALID, PermanentFailure),
    (MODERATED, ContentRejected),
    (error_reply(401, "InvalidApiKey"), PermanentFailure),
    (error_reply(429, "Throttling.AllocationQuota"), PermanentFailure),
])
def test_vendor_errors_translate(server, reply, expected):
    server.script("llm", reply)
    with pytest.raises(PortError) as caught:
        make(server).format(REQUESTS["plain"])
    assert type(caught.value) is expected
    assert caught.value.code == reply.body["code"]
    assert reply.body["message"] not in str(caught.value)
    assert_no_key(caught.value)


def test_dropped_connection_and_timeout_are_transient(server):
    server.script("llm", RESET, RESET)
    with pytest.raises(TransientFailure) as caught:
        make(server).format(REQUESTS["plain"])
    assert_no_key(caught.value)
    server.script("llm", Reply(200, llm_body(TEXT), delay_s=0.5))
    with pytest.raises(TransientFailure) as caught:
        make(server, request_timeout_s=0.1).format(REQUESTS["plain"])
    assert "Timeout" in caught.value.code


def test_config_refuses_beijing_and_repr_hides_the_key(server):
    with pytest.raises(ValueError, match="dashscope-intl"):
        QwenFormatter(API_KEY, base_url="https://dashscope.aliyuncs.com/api/v1", model=DEFAULT_MODELS[LLM])
    assert API_KEY not in repr(make(server))


# ----------------------------------------------------------------------- the shared prompt

def test_prompt_is_system_rules_plus_the_bare_text():
    system, user = build_format_prompt(FormatRequest(TEXT))
    assert user == TEXT
    lowered = system.lower()
    for rule in ("answer in the language of the text", "obvious recognition errors", "synonym",
                 "paragraphs", "no comments", "names", "<code>"):
        assert rule.lower() in lowered, rule
    assert "speaker turn" not in lowered and "seam" not in lowered  # only when asked for


def test_prompt_sections_follow_the_request():
    dialogue, _ = build_format_prompt(FormatRequest(DIALOGUE, dialogue=True))
    assert "— " in dialogue and "same number" in dialogue and "Speaker 1:" in dialogue and "Спикер 1:" in dialogue
    chunked, _ = build_format_prompt(FormatRequest(TEXT, from_chunks=True))
    assert "seam" in chunked
    keep, _ = build_format_prompt(FormatRequest(TEXT, use_yo=True))
    replace, _ = build_format_prompt(FormatRequest(TEXT, use_yo=False))
    assert "Keep the letter ё" in keep and "Replace every letter ё" in replace
    hinted, _ = build_format_prompt(FormatRequest(TEXT, language="th"))
    assert '"th"' in hinted


@pytest.mark.parametrize("request_", list(REQUESTS.values()))
def test_prompt_is_language_neutral_and_has_no_regional_toponyms(request_):
    system, _ = build_format_prompt(request_)
    for word in ("Thai", "Bangkok", "Pattaya", "Phuket", "Russian punctuation"):
        assert word not in system


def test_clean_answer_cases():
    assert clean_answer("<think>a</think>\nText") == "Text"
    assert clean_answer("reasoning leaked</think>Text") == "Text"
    assert clean_answer("Text<think>unfinished") == "Text"
    assert clean_answer("<pre><code>Text</code></pre>") == "Text"
    assert clean_answer("```text\nLine one.\nLine two.\n```") == "Line one.\nLine two."
    assert clean_answer("  Plain.  ") == "Plain."


def test_acceptance_cases():
    def reason(request: FormatRequest, answer: str) -> str:
        return accept_answer(request, answer).reason

    assert reason(FormatRequest(TEXT), punctuate(TEXT)) == ""
    assert reason(FormatRequest(TEXT), "Ok") != ""
    assert reason(FormatRequest(TEXT), TEXT[:40]) != ""
    assert reason(FormatRequest(DIALOGUE, dialogue=True), punctuate(DIALOGUE)) == ""
    assert reason(FormatRequest(LABELLED, dialogue=True), punctuate(LABELLED)) == ""
    relabelled = punctuate(LABELLED).replace("Speaker 2", "Speaker 1")
    assert reason(FormatRequest(LABELLED, dialogue=True), relabelled) == "speaker labels changed"


# ------------------------------------------------------------------------------ retired models

def test_a_model_the_provider_no_longer_serves_is_model_unavailable_naming_it(server):
    """Model Studio answers 400 InvalidParameter "Model not exist." for a retired or unknown model."""
    with pytest.raises(ModelUnavailable) as caught:
        make(server, model="qwen3.5-flash-retired-one-day").format(REQUESTS["plain"])
    assert caught.value.model == "qwen3.5-flash-retired-one-day"
    assert caught.value.code == "InvalidParameter"
    assert isinstance(caught.value, PermanentFailure)  # the chain moves on; nothing retries it
    assert len(server.calls("llm")) == 1
    assert_no_key(caught.value)


def test_a_known_retired_model_is_refused_at_construction_naming_the_replacement(server):
    with pytest.raises(ValueError, match="qwen-flash") as caught:
        make(server, model="qwen-turbo")
    assert "2026-10-10" in str(caught.value)
    assert server.calls("llm") == []
