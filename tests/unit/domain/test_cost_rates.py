"""The /cost report's rates follow the configured models, each model priced from its own entry;
a model without a known price is named once and contributes nothing."""

from __future__ import annotations

import pytest

from domain.costs import PRICES, CostRates, rates_for


def test_the_default_models_give_the_default_rates() -> None:
    assert rates_for("qwen3-asr-flash", "fun-asr", "qwen3-asr-flash-filetrans", "qwen-flash") == CostRates()


def test_each_rate_comes_from_its_own_model() -> None:
    rates = rates_for("qwen3-asr-flash-realtime", "fun-asr", "retired-pass", "qwen-flash")
    assert (rates.asr_model, rates.dialogue_models, rates.llm_model) == (
        "qwen3-asr-flash-realtime", ("fun-asr", "retired-pass"), "qwen-flash")
    assert rates.asr_usd_per_s == PRICES["qwen3-asr-flash-realtime"].usd_per_audio_s
    assert rates.dialogue_usd_per_s == PRICES["fun-asr"].usd_per_audio_s  # the unpriced pass adds nothing
    assert (rates.llm_input_usd_per_mtok, rates.llm_output_usd_per_mtok) == (0.05, 0.40)
    assert rates.unpriced == ("retired-pass",)


def test_unpriced_models_cost_nothing_and_are_each_named_once_in_order() -> None:
    rates = rates_for("new-asr", "retired-pass", "qwen3-asr-flash-filetrans", "new-llm")
    assert rates.asr_usd_per_s == 0.0
    assert rates.dialogue_usd_per_s == PRICES["qwen3-asr-flash-filetrans"].usd_per_audio_s
    assert (rates.llm_input_usd_per_mtok, rates.llm_output_usd_per_mtok) == (0.0, 0.0)
    assert rates.unpriced == ("new-asr", "retired-pass", "new-llm")
    assert rates_for("same", "same", "fun-asr", "same").unpriced == ("same",)


@pytest.mark.parametrize("pass_model", ["fun-asr", "qwen3-asr-flash-filetrans"])
def test_dialogue_pays_both_passes(pass_model: str) -> None:
    rates = rates_for("qwen3-asr-flash", pass_model, "unknown", "qwen-flash")
    assert rates.dialogue_usd_per_s == PRICES[pass_model].usd_per_audio_s
    both = rates_for("qwen3-asr-flash", "unknown", pass_model, "qwen-flash")
    assert both.dialogue_usd_per_s == PRICES[pass_model].usd_per_audio_s and both.dialogue_models[1] == pass_model
