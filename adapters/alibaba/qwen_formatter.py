"""A Qwen text model (``qwen-flash`` by default) formatting transcripts (``api-contracts.md`` §1.3).

Always ``result_format="message"`` (the server default changed over time) and
``enable_thinking=False`` (hybrid-thinking Qwen3 models leaked reasoning into user output, D38);
``<think>`` blocks are stripped anyway. A ``finish_reason`` of ``length`` means the answer was cut:
it is a PermanentFailure, never delivered (D37). So are answers under 5 characters, shorter than
half the input, or that changed the dialogue's turns -- the chain then tries the next formatter.
"Model not exist." (the model was retired or renamed) is ``ModelUnavailable``, so the chain can
fall back and the owner be told.

The same requests serve the text tasks on a transcript (``run_task``: summary, key points,
translation; prompts in ``adapters.text_task_prompts``); their answers are only cleaned here and
checked by the use case (``domain.answer_checks``).
"""

from __future__ import annotations

from typing import Any

from adapters.alibaba.dashscope_calls import DashScopeClient, checked_call
from adapters.alibaba.dashscope_config import sdk_base_kwargs
from adapters.formatting_prompt import apply_yo, build_format_prompt, clean_llm_output, rejection_reason
from adapters.text_task_prompts import build_task_prompt
from ports.errors import PermanentFailure
from ports.formatter import FormatRequest, TextFormatter
from ports.text_tasks import TextTask, TextTasks

PROVIDER = "qwen-llm"


def _answer(output: Any) -> tuple[str | None, str]:
    """(text, finish_reason) of a message-format or legacy text-format output."""
    if not isinstance(output, dict):
        return None, ""
    choices = output.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        choice = choices[0]
        message = choice.get("message") or {}
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # multimodal-style content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return (content if isinstance(content, str) else None), str(choice.get("finish_reason") or "")
    if isinstance(output.get("text"), str):
        return output["text"], str(output.get("finish_reason") or "")
    return None, ""


class QwenFormatter(DashScopeClient, TextFormatter, TextTasks):
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        model: str,
        request_timeout_s: float = 50.0,
        connect_timeout_s: float = 2.0,
        temperature: float = 0.3,
        max_tokens: int = 8192,
        min_ratio: float = 0.5,
    ) -> None:
        super().__init__(api_key, base_url=base_url, model=model, role="llm")
        # (connect, read): requests applies one to the connection and one to the reply.
        self._timeout_s = (connect_timeout_s, request_timeout_s)
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._min_ratio = min_ratio

    @property
    def model_name(self) -> str:
        return f"{PROVIDER}:{self._model}"

    def _ask(self, system: str, user: str) -> tuple[str, str]:
        """(cleaned answer, request id) of one chat request; a cut-off or shapeless answer raises."""
        import dashscope  # lazy: importing this module stays cheap

        response = checked_call(PROVIDER, lambda: dashscope.Generation.call(
            api_key=self._api_key,
            model=self._model,
            # The SDK's stub types messages as its Message class, a dict subclass; its documented
            # calls pass plain role/content dicts, as here.
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],  # type: ignore[list-item]
            result_format="message",
            enable_thinking=False,
            temperature=self._temperature,
            max_tokens=self._max_tokens,
            request_timeout=self._timeout_s,
            **sdk_base_kwargs(self._base_url),
        ), model=self._model)
        request_id = str(getattr(response, "request_id", "") or "")
        text, finish_reason = _answer(getattr(response, "output", None))
        if finish_reason == "length":
            raise PermanentFailure(PROVIDER, "answer truncated at max_tokens", code="length", request_id=request_id)
        if text is None:
            raise PermanentFailure(PROVIDER, "response has no message content", code="UnexpectedShape",
                                   request_id=request_id)
        return clean_llm_output(text), request_id

    def format(self, request: FormatRequest) -> str:
        system, user = build_format_prompt(request)
        text, request_id = self._ask(system, user)
        answer = apply_yo(text, request.use_yo)
        reason = rejection_reason(request, answer, min_ratio=self._min_ratio)
        if reason:
            raise PermanentFailure(PROVIDER, reason, code="RejectedAnswer", request_id=request_id)
        return answer

    def run_task(self, task: TextTask) -> str:
        """A summary, key points or translation (``ports.text_tasks``); the use case checks it."""
        system, user = build_task_prompt(task)
        text, request_id = self._ask(system, user)
        if not text.strip():
            raise PermanentFailure(PROVIDER, "empty answer", code="EmptyAnswer", request_id=request_id)
        return text
