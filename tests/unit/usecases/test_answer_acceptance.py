"""The one rule every formatter's answer meets before it is delivered (``accept_answer``).

Formatters only transport; this table is the whole contract of what a model may send back.
"""

from __future__ import annotations

import pytest

from adapters.memory.clock import FakeClock
from adapters.memory.formatter import ScriptedFormatter
from domain.policy import Policy
from ports.formatter import FormatRequest
from usecases.formatting import FormattingChain, Verdict, accept_answer

TEXT = "ну вот мы встретились в понедельник и обсудили план потом пошли домой было уже поздно"
FORMATTED = "Ну вот, мы встретились в понедельник и обсудили план. Потом пошли домой, было уже поздно."
YO = "всё решили ещё вчера и её брат пришёл тоже и все были довольны результатом дня"
DIALOGUE = "— привет как дела\n— хорошо а у тебя\n— тоже хорошо"
LABELLED = "— Спикер 1: привет как дела\n— Спикер 2: хорошо а у тебя"

PLAIN = FormatRequest(TEXT)
NO_YO = FormatRequest(YO, use_yo=False)
KEEP_YO = FormatRequest(YO, use_yo=True)
TURNS = FormatRequest(DIALOGUE, dialogue=True)
LABELS = FormatRequest(LABELLED, dialogue=True)

CASES = [
    # (request, answer, delivered text or None, reason)
    (PLAIN, FORMATTED, FORMATTED, ""),
    (PLAIN, f"  {FORMATTED}\n\n", FORMATTED, ""),
    (PLAIN, f"<think>\nthe user wants commas\n</think>\n{FORMATTED}", FORMATTED, ""),
    (PLAIN, f"reasoning whose start was cut</think>{FORMATTED}", FORMATTED, ""),
    (PLAIN, f"{FORMATTED}<think>never closed", FORMATTED, ""),
    (PLAIN, f"<code>{FORMATTED}</code>", FORMATTED, ""),
    (PLAIN, f"```text\n{FORMATTED}\n```", FORMATTED, ""),
    (PLAIN, "", None, "empty or near-empty answer"),
    (PLAIN, "Ок.", None, "empty or near-empty answer"),
    (PLAIN, "<think>only reasoning, never closed", None, "empty or near-empty answer"),
    (PLAIN, FORMATTED[:40], None, "answer shorter than 50% of the input"),
    # The ё setting is applied before the checks: what is checked is what is delivered.
    (NO_YO, "Всё решили ещё вчера, и её брат пришёл тоже. Все были довольны результатом дня.",
     "Все решили еще вчера, и ее брат пришел тоже. Все были довольны результатом дня.", ""),
    (KEEP_YO, "Всё решили ещё вчера, и её брат пришёл тоже. Все были довольны результатом дня.",
     "Всё решили ещё вчера, и её брат пришёл тоже. Все были довольны результатом дня.", ""),
    # Dialogue: the same turn lines ("— ", an em dash and a space), the same labels.
    (TURNS, "— Привет, как дела?\n— Хорошо, а у тебя?\n— Тоже хорошо.",
     "— Привет, как дела?\n— Хорошо, а у тебя?\n— Тоже хорошо.", ""),
    (TURNS, "— Привет, как дела? Хорошо, а у тебя?\n— Тоже хорошо.", None, "dialogue turns changed (3 in, 2 out)"),
    (TURNS, "— Привет, как дела?\n– Хорошо, а у тебя?\n— Тоже хорошо.", None,
     "dialogue turns changed (3 in, 2 out)"),  # an en dash does not start a turn
    (TURNS, "— Привет, как дела?\n—Хорошо, а у тебя?\n— Тоже хорошо.", None,
     "dialogue turns changed (3 in, 2 out)"),  # nor an em dash without its space
    (LABELS, "— Спикер 1: Привет, как дела?\n— Спикер 2: Хорошо, а у тебя?",
     "— Спикер 1: Привет, как дела?\n— Спикер 2: Хорошо, а у тебя?", ""),
    (LABELS, "— Привет, как дела?\n— Хорошо, а у тебя? Спасибо.", None, "speaker labels changed"),
    (LABELS, "— Спикер 1: Привет, как дела?\n— Спикер 1: Хорошо, а у тебя?", None, "speaker labels changed"),
]


@pytest.mark.parametrize(("request_", "answer", "text", "reason"), CASES)
def test_accept_answer(request_: FormatRequest, answer: str, text: str | None, reason: str) -> None:
    assert accept_answer(request_, answer) == Verdict(text, reason)


def test_the_chain_delivers_only_accepted_answers() -> None:
    """A refused answer falls through to the next formatter, and at worst the raw piece is kept."""
    text = DIALOGUE * 10  # over ``llm_min_chars``, one piece
    merged = ScriptedFormatter(lambda t: t.replace("\n— ", " "), name="merges-turns")
    en_dash = ScriptedFormatter(lambda t: t.replace("— ", "– "), name="en-dash")
    upper = ScriptedFormatter(str.upper, name="upper")
    chain = FormattingChain([merged, en_dash, upper], Policy(), FakeClock())
    assert chain.format(text, language="ru", use_yo=True, dialogue=True) == text.upper()
    assert len(merged.requests) == len(en_dash.requests) == len(upper.requests) == 1
    refusing = FormattingChain([merged, en_dash], Policy(), FakeClock())
    assert refusing.format(text, language="ru", use_yo=True, dialogue=True) == text
