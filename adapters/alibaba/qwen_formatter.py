"""A Qwen text model (``qwen-flash`` by default) formatting transcripts.

Always ``result_format="message"`` (the server default changed over time) and
``enable_thinking=False`` (hybrid-thinking Qwen3 models leaked reasoning into user output).
A ``finish_reason`` of ``length`` means the answer was cut: it is a PermanentFailure, never
delivered. The adapter only transports: the prompt is ``domain.prompts``, and whether the answer
may be delivered (reasoning blocks, length, dialogue turns) is judged by
``usecases.formatting.accept_answer`` for every formatter alike. The same request serves the
text tasks on a transcript (``run_task``: summary, key points, translation; prompts in
``adapters.text_task_prompts``), judged in the same place (``accept_summary``, ``accept_translation``).
"Model not exist." (the model was retired or renamed) is ``ModelUnavailable``, so the chain can
fall back and the owner be told.
"""

from __future__ import annotations

from typing import Any

from adapters.alibaba.dashscope_calls import DashScopeClient, checked_call
from adapters.alibaba.dashscope_config import sdk_base_kwargs
from adapters.text_task_prompts import build_task_prompt
from domain.prompts import format_prompt
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
    ) -> None:
        super().__init__(api_key, base_url=base_url, model=model, role="llm")
        # (connect, read): requests applies one to the connection and one to the reply.
        self._timeout_s = (connect_timeout_s, request_timeout_s)
        self._temperature = temperature
        self._max_tokens = max_tokens

    @property
    def model_name(self) -> str:
        return f"{PROVIDER}:{self._model}"

    def format(self, request: FormatRequest) -> str:
        system, user = format_prompt(request.text, language=request.language, use_yo=request.use_yo,
                                     dialogue=request.dialogue, from_chunks=request.from_chunks)
        return self._ask(system, user)

    def run_task(self, task: TextTask) -> str:
        """A summary, key points or translation (``ports.text_tasks``), as the model sent it."""
        system, user = build_task_prompt(task)
        return self._ask(system, user)

    def _ask(self, system: str, user: str) -> str:
        """The answer to one chat request; a cut-off or shapeless answer raises."""
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
        return text
