"""``qwen3-asr-flash`` through the DashScope SDK: one short clip in, its text out.

The audio goes inline as a ``data:<mime>;base64,...`` URL: a local path would make the SDK upload
through three extra requests to a default (Beijing) host, and a public URL needs an upload first.
The provider accepts up to 10 MB per request *after* base64 encoding (about 7.5 MB of audio);
the use cases cut audio into chunks of at most the policy's length long before that.

``asr_options.language`` carries a code only when the model documents it (``domain.models``);
any other code is left out and the model detects the language itself.
"""

from __future__ import annotations

import base64
from typing import Any

from adapters.alibaba import dashscope_results
from adapters.alibaba.dashscope_calls import DashScopeClient, checked_call, plain
from adapters.alibaba.dashscope_config import sdk_base_kwargs
from domain import models
from ports.errors import PermanentFailure
from ports.speech import AudioClip, Recognition, SpeechRecognizer

PROVIDER = "dashscope-asr"
MAX_DATA_URI_BYTES = 10 * 1024 * 1024


class DashScopeRecognizer(DashScopeClient, SpeechRecognizer):
    """Synchronous recognition of one clip.

    ``enable_itn`` (inverse text normalisation: "twenty" → "20") is documented for zh/en only and
    is harmless elsewhere. ``context_text`` goes into the system message, which the model uses to
    bias recognition (names, terms); empty by default.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        model: str,
        request_timeout_s: float = 50.0,
        connect_timeout_s: float = 2.0,
        enable_itn: bool = True,
        context_text: str = "",
    ) -> None:
        super().__init__(api_key, base_url=base_url, model=model, role="asr")
        # (connect, read): requests applies one to the connection and one to the reply.
        self._timeout_s = (connect_timeout_s, request_timeout_s)
        self._enable_itn = enable_itn
        self._context_text = context_text

    def _messages(self, clip: AudioClip) -> list[dict[str, Any]]:
        encoded = base64.b64encode(clip.data).decode("ascii")
        mime = clip.mime_type or "application/octet-stream"
        return [
            {"role": "system", "content": [{"text": self._context_text}]},
            {"role": "user", "content": [{"audio": f"data:{mime};base64,{encoded}"}]},
        ]

    def recognize(self, clip: AudioClip, *, language: str | None = None) -> Recognition:
        if not clip.data:
            raise PermanentFailure(PROVIDER, "empty audio clip", code="EmptyAudio")
        if (len(clip.data) + 2) // 3 * 4 + len(clip.mime_type) + 13 > MAX_DATA_URI_BYTES:
            raise PermanentFailure(PROVIDER, "clip is over the 10 MB request limit once base64-encoded",
                                   code="BadRequest.TooLarge")
        asr_options: dict[str, Any] = {"enable_itn": self._enable_itn}
        if models.documents(self._model, language):
            asr_options["language"] = language
        import dashscope  # lazy: importing this module stays cheap

        response = checked_call(PROVIDER, lambda: dashscope.MultiModalConversation.call(
            api_key=self._api_key,
            model=self._model,
            messages=self._messages(clip),
            result_format="message",
            asr_options=asr_options,
            request_timeout=self._timeout_s,
            **sdk_base_kwargs(self._base_url),
        ), model=self._model)
        payload = {
            "request_id": getattr(response, "request_id", "") or "",
            "output": plain(getattr(response, "output", None) or {}),
            "usage": plain(getattr(response, "usage", None) or {}),
        }
        try:
            return dashscope_results.recognition(payload)
        except dashscope_results.ResultShapeError:
            raise PermanentFailure(PROVIDER, "response has no recognised text field", code="UnexpectedShape",
                                   request_id=payload["request_id"]) from None
