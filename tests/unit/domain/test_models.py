"""The model catalogue: current defaults, refused names with their replacements, documented languages."""

from __future__ import annotations

import pytest

from domain import models
from entrypoints.settings import (
    MODEL_SETTINGS,
    SettingsError,
    check_settings,
    load_settings,
    model_refusals,
    recognition_languages,
)


def test_no_default_is_refused_and_settings_use_them():
    settings = load_settings({})
    for field, (_, role) in MODEL_SETTINGS.items():
        assert getattr(settings, field) == models.DEFAULT_MODELS[role]
        assert models.refusal(models.DEFAULT_MODELS[role], role) is None
    assert model_refusals(settings) == []


@pytest.mark.parametrize(("name", "replacement"), [
    ("qwen-turbo", "qwen-flash"), ("QWEN-TURBO", "qwen-flash"), ("qwen-turbo-latest", "qwen-flash"),
    ("qwen-turbo-2025-04-28", "qwen-flash"), ("qwq-plus", "qwen-flash"), ("qwen-vl-max", "qwen-flash"),
    ("gemini-2.5-flash", "gemini-3.8-flash"), ("gemini-2.0-flash-001", "gemini-3.8-flash"),
    ("gemini-2.0-flash-lite", "gemini-3.8-flash"), ("fun-asr-mtl", "fun-asr"), ("fun-asr-mtl-2025-08-25", "fun-asr"),
])
def test_refused_names_carry_their_replacement(name, replacement):
    found = models.refusal(name)
    assert found is not None and found.replacement == replacement
    assert found.message("X_MODEL").endswith(f"set X_MODEL={replacement}")


@pytest.mark.parametrize(("name", "role", "replacement"), [
    ("paraformer-v2", models.ASR, "qwen3-asr-flash"),
    ("paraformer-realtime-v2", models.REALTIME_ASR, "qwen3-asr-flash-realtime"),
    ("paraformer-v2", models.SPEAKER_PASS, "fun-asr"),
])
def test_china_only_names_are_replaced_by_the_roles_default(name, role, replacement):
    assert models.refusal(name, role).replacement == replacement


@pytest.mark.parametrize("name", ["fun-asr", "qwen-plus", "gemini-2.5-flash-lite", "qwen3-asr-flash-2026-02-10"])
def test_current_or_unknown_names_are_not_refused(name):
    assert models.refusal(name) is None


def test_check_settings_names_every_refused_model_with_its_replacement():
    settings = load_settings({"LLM_MODEL": "qwen-turbo", "GEMINI_MODEL": "gemini-2.5-flash"})
    with pytest.raises(SettingsError) as caught:
        check_settings(settings)
    message = str(caught.value)
    assert "set LLM_MODEL=qwen-flash" in message and "set GEMINI_MODEL=gemini-3.8-flash" in message


def test_the_speaker_pass_model_documents_russian_and_the_old_one_did_not():
    assert models.documents("fun-asr", "ru")
    assert not models.documents("fun-asr-mtl", "ru")  # not in the catalogue at all: it is refused
    assert not models.documents("fun-asr", None)


def test_offered_languages_are_what_both_text_recognizers_document_russian_first():
    offered = recognition_languages(load_settings({}))
    assert offered[:2] == ("ru", "en")
    assert set(offered) == models.documented_languages("qwen3-asr-flash") & models.documented_languages(
        "qwen3-asr-flash-filetrans")
    assert "uk" not in offered and "kk" not in offered  # no current recognizer documents them


def test_an_unknown_model_documents_nothing_so_only_auto_detection_is_offered():
    assert models.documented_languages("qwen-audio-9-asr") == frozenset()
    assert recognition_languages(load_settings({"TEXT_PASS_MODEL": "qwen-audio-9-asr"})) == ()


def test_the_realtime_backend_offers_what_the_realtime_model_documents():
    settings = load_settings({"ASR_BACKEND": "dashscope-realtime", "REALTIME_ASR_MODEL": "something-new"})
    assert recognition_languages(settings) == ()
    assert recognition_languages(load_settings({"ASR_MODEL": "something-new"})) == ()


def test_a_refusal_names_the_model_as_configured_and_says_why():
    found = models.refusal(" Qwen-Turbo ")
    assert found is not None and found.model == " Qwen-Turbo "
    assert "retired" in found.reason
    assert found.message("LLM_MODEL") == (f"LLM_MODEL= Qwen-Turbo  cannot be used: {found.reason}; "
                                          "set LLM_MODEL=qwen-flash")
    by_prefix = models.refusal("Paraformer-v2", models.ASR)
    assert by_prefix.model == "Paraformer-v2" and "international endpoint" in by_prefix.reason


def test_a_china_only_name_without_a_role_suggests_both_recognition_models():
    found = models.refusal("paraformer-v2")
    assert found.replacement == (f"{models.DEFAULT_MODELS[models.ASR]} (text) / "
                                 f"{models.DEFAULT_MODELS[models.SPEAKER_PASS]} (speakers)")


@pytest.mark.parametrize(("name", "documented"), [
    ("gemini-3.8-flash", models._GEMINI_TEXT),
    ("  Gemini-2.5-Pro ", models._GEMINI_TEXT),  # as an operator may type it in the settings
    ("qwen-flash", models._QWEN_TEXT),
    ("QWEN3-MAX", models._QWEN_TEXT),
    ("qwq-plus", models._QWEN_TEXT),
    ("QwQ-32B", models._QWEN_TEXT),
    ("gemini", frozenset()),  # a family name without a model is no model
    ("gpt-4o", frozenset()),
    ("", frozenset()),
])
def test_a_text_model_documents_its_familys_languages_whatever_the_case(name, documented):
    assert models.text_model_languages(name) == documented
    assert {"sw", "iw"} <= models._GEMINI_TEXT and not {"sw", "iw"} & models._QWEN_TEXT  # two distinct lists
