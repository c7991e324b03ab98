"""What the providers charge for the configured models: the one place ``/cost`` reads its rates from.

Prices per model (USD): audio models per second of audio, text models per million tokens in and
out. They are estimates for the owner's report, not billing: re-check them with the provider's
price list when a model changes (docs/provider-contracts.md, "Prices"). A model without a known
price is reported as such, never silently priced at zero.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class ModelPrice:
    usd_per_audio_s: float = 0.0
    usd_per_mtok_in: float = 0.0
    usd_per_mtok_out: float = 0.0


PRICES: dict[str, ModelPrice] = {
    "qwen3-asr-flash": ModelPrice(usd_per_audio_s=0.000035),
    "qwen3-asr-flash-filetrans": ModelPrice(usd_per_audio_s=0.000035),
    "qwen3-asr-flash-realtime": ModelPrice(usd_per_audio_s=0.000035),
    "fun-asr": ModelPrice(usd_per_audio_s=0.000035),
    "qwen-flash": ModelPrice(usd_per_mtok_in=0.05, usd_per_mtok_out=0.40),
}


@attrs.frozen
class CostRates:
    """The rates one deployment's report uses, with the models they belong to."""

    asr_model: str = "qwen3-asr-flash"
    dialogue_models: tuple[str, ...] = ("fun-asr", "qwen3-asr-flash-filetrans")
    llm_model: str = "qwen-flash"
    asr_usd_per_s: float = 0.000035
    dialogue_usd_per_s: float = 0.00007
    llm_input_usd_per_mtok: float = 0.05
    llm_output_usd_per_mtok: float = 0.40
    chars_per_token: float = 2.5
    prompt_tokens_per_job: int = 700
    infra_usd_per_30_days: float = 5.0 + 1.0 + 0.5
    # Configured models with no known price (their share is left out of the estimate).
    unpriced: tuple[str, ...] = ()


def rates_for(asr_model: str, speaker_model: str, text_pass_model: str, llm_model: str) -> CostRates:
    """The report's rates for the configured models (dialogue pays both passes for every second)."""
    unpriced = tuple(m for m in dict.fromkeys((asr_model, speaker_model, text_pass_model, llm_model))
                     if m not in PRICES)

    def price(model: str) -> ModelPrice:
        return PRICES.get(model, ModelPrice())

    return CostRates(
        asr_model=asr_model, dialogue_models=(speaker_model, text_pass_model), llm_model=llm_model,
        asr_usd_per_s=price(asr_model).usd_per_audio_s,
        dialogue_usd_per_s=price(speaker_model).usd_per_audio_s + price(text_pass_model).usd_per_audio_s,
        llm_input_usd_per_mtok=price(llm_model).usd_per_mtok_in,
        llm_output_usd_per_mtok=price(llm_model).usd_per_mtok_out,
        unpriced=unpriced,
    )
