"""A configured formatter model the provider says does not exist: the transcript still arrives
(formatted by the fallback), and the owner hears of it once, not once per job."""

from __future__ import annotations

from adapters.memory.chat import RecordingChat
from adapters.memory.clock import FakeClock
from adapters.memory.formatter import ScriptedFormatter
from adapters.memory.repositories import InMemoryBotState
from domain.policy import Policy
from ports.errors import ModelUnavailable
from ports.formatter import FormatRequest
from usecases.alerts import ModelMissingAlert, OwnerAlerts
from usecases.formatting import FormattingChain

OWNER = 42
TEXT = "слово " * 60


class RetiredModel(ScriptedFormatter):
    def format(self, request: FormatRequest) -> str:
        self.requests.append(request)
        raise ModelUnavailable("qwen", "qwen-turbo", code="InvalidParameter")


def test_a_missing_model_falls_back_and_alerts_the_owner_once_across_jobs() -> None:
    clock, chat, state = FakeClock(), RecordingChat(), InMemoryBotState()
    alerts = OwnerAlerts(chat, state, clock, OWNER, cooldown_s=0.0)
    primary = RetiredModel(name="qwen")
    fallback = ScriptedFormatter(transform=str.upper, name="gemini")
    chain = FormattingChain([primary, fallback], Policy(), clock, ModelMissingAlert(alerts, state, clock))
    for _ in range(3):  # three jobs
        text = chain.format(TEXT, language="ru", use_yo=True, dialogue=False)
        assert text == TEXT.upper().strip()  # the fallback's answer, not the raw text
        clock.advance(3600)
    assert len(primary.requests) == 3  # asked each time (the configuration may have been fixed)
    owner_messages = chat.texts(OWNER)
    assert len(owner_messages) == 1 and "qwen-turbo" in owner_messages[0]
    # Another instance (fresh alert object, same state) stays silent too.
    again = FormattingChain([primary, fallback], Policy(), clock, ModelMissingAlert(alerts, state, clock))
    again.format(TEXT, language="ru", use_yo=True, dialogue=False)
    assert len(chat.texts(OWNER)) == 1
