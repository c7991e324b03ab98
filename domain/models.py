"""The provider models the bot relies on: current defaults, retired names, documented languages.

Pure facts, each with a row in ``docs/provider-contracts.md`` (source URL, date checked):

- **Defaults** (``DEFAULT_MODELS``): one current model per role. Model names stay configuration;
  these are what ``entrypoints.settings`` uses when a variable is unset.
- **Refused names** (``refusal``): models a provider has retired, or that cannot do the bot's job,
  each with the model to configure instead. ``check_settings`` refuses them at start-up and
  ``admin_cli check-config`` prints the same message.
- **Documented languages** (``documented_languages``): the language codes each recognition model's
  page lists. Adapters send a code to a model only when that model documents it (otherwise they
  leave the language out and the model detects it), and ``/language`` offers only codes that both
  text-producing recognizers document (``offered_languages``).

A model this catalogue does not know documents no language: it always detects the language itself.
"""

from __future__ import annotations

import attrs

# ------------------------------------------------------------------------------- current defaults

# Roles, named after the settings that configure them.
ASR = "asr"                # plain recognition, one clip at a time (DashScope REST)
REALTIME_ASR = "realtime"  # plain recognition over the realtime WebSocket
SPEAKER_PASS = "speakers"  # dialogue pass 1: speaker turns (needs diarization: Fun-ASR only)
TEXT_PASS = "text_pass"    # dialogue pass 2: accurate text with word times
LLM = "llm"                # formatting (DashScope text generation)
GEMINI = "gemini"          # fallback formatting (Gemini API)

DEFAULT_MODELS: dict[str, str] = {
    ASR: "qwen3-asr-flash",
    REALTIME_ASR: "qwen3-asr-flash-realtime",
    SPEAKER_PASS: "fun-asr",
    TEXT_PASS: "qwen3-asr-flash-filetrans",
    # Flash-class, text-only, served on the text-generation path that ``Generation.call`` uses.
    # The Qwen3.6+ flash models are multimodal and documented on the multimodal-generation path.
    LLM: "qwen-flash",
    GEMINI: "gemini-3.8-flash",
}


# ---------------------------------------------------------------------------------- refused names

@attrs.frozen
class Refusal:
    """Why a configured model name cannot be used, and the model to configure instead."""

    model: str
    replacement: str
    reason: str

    def message(self, variable: str) -> str:
        return f"{variable}={self.model} cannot be used: {self.reason}; set {variable}={self.replacement}"


_QWEN_RETIRED = "retired by Model Studio on 2026-10-10 (calls to it return no result)"
_GEMINI_SHUT_DOWN = "shut down on the Gemini API (past its shutdown date)"
_CHINA_ONLY = "not served on the international endpoint (answers 'Model not exist')"

# Exact names (lower case) → (replacement, reason).
_REFUSED: dict[str, tuple[str, str]] = {
    "qwen-turbo": (DEFAULT_MODELS[LLM], _QWEN_RETIRED),
    "qwen-vl-max": (DEFAULT_MODELS[LLM], _QWEN_RETIRED),
    "qwen-vl-plus": (DEFAULT_MODELS[LLM], _QWEN_RETIRED),
    "qwq-plus": (DEFAULT_MODELS[LLM], _QWEN_RETIRED),
    "qvq-max": (DEFAULT_MODELS[LLM], _QWEN_RETIRED),
    "gemini-2.5-flash": (DEFAULT_MODELS[GEMINI], _GEMINI_SHUT_DOWN),
    "gemini-2.5-pro": (DEFAULT_MODELS[GEMINI], _GEMINI_SHUT_DOWN),
    "gemini-2.0-flash": (DEFAULT_MODELS[GEMINI], _GEMINI_SHUT_DOWN),
    "gemini-2.0-flash-001": (DEFAULT_MODELS[GEMINI], _GEMINI_SHUT_DOWN),
    "gemini-2.0-flash-lite": (DEFAULT_MODELS[GEMINI], _GEMINI_SHUT_DOWN),
    "gemini-2.0-flash-lite-001": (DEFAULT_MODELS[GEMINI], _GEMINI_SHUT_DOWN),
    "fun-asr-mtl": (DEFAULT_MODELS[SPEAKER_PASS],
                    "its documented languages do not include Russian (nor Ukrainian, German, French, "
                    "Spanish or Italian); Alibaba recommends fun-asr, its upgrade"),
}

# Name prefixes (lower case) → (replacement, or None for the role's default; reason).
_REFUSED_PREFIXES: tuple[tuple[str, str | None, str], ...] = (
    ("qwen-turbo-", DEFAULT_MODELS[LLM], _QWEN_RETIRED),          # qwen-turbo-latest and snapshots
    ("fun-asr-mtl-", DEFAULT_MODELS[SPEAKER_PASS], "a snapshot of fun-asr-mtl, which documents no Russian"),
    ("paraformer", None, _CHINA_ONLY),
    ("speech-to-text", None, _CHINA_ONLY),
)


def refusal(model: str, role: str | None = None) -> Refusal | None:
    """Why ``model`` cannot be configured (for ``role``), or None when nothing is known against it."""
    name = (model or "").strip().lower()
    if name in _REFUSED:
        replacement, reason = _REFUSED[name]
        return Refusal(model, replacement, reason)
    for prefix, prefix_replacement, reason in _REFUSED_PREFIXES:
        if name.startswith(prefix):
            instead = prefix_replacement or DEFAULT_MODELS.get(role or "", "") or (
                f"{DEFAULT_MODELS[ASR]} (text) / {DEFAULT_MODELS[SPEAKER_PASS]} (speakers)")
            return Refusal(model, instead, reason)
    return None


# ----------------------------------------------------------------------------- documented languages

@attrs.frozen
class RecognitionModel:
    """A recognition model and the language codes its documentation lists for the language option."""

    name: str
    languages: frozenset[str]


# Qwen3-ASR-Flash: "11 languages": Chinese (with its dialects), English, Arabic, French, German,
# Spanish, Italian, Portuguese, Russian, Japanese, Korean. No Ukrainian.
_QWEN3_ASR = frozenset({"zh", "en", "ar", "fr", "de", "es", "it", "pt", "ru", "ja", "ko"})
# Fun-ASR (the version of April 2026, = fun-asr-2025-11-07): Chinese and 29 more. No Ukrainian.
_FUN_ASR = frozenset({
    "zh", "en", "ja", "ko", "vi", "th", "id", "ms", "fil", "hi", "ar", "fr", "de", "es", "pt", "ru", "it",
    "nl", "sv", "da", "fi", "no", "el", "pl", "cs", "hu", "ro", "bg", "hr", "sk",
})

RECOGNITION_MODELS: dict[str, RecognitionModel] = {
    m.name: m for m in (
        RecognitionModel("qwen3-asr-flash", _QWEN3_ASR),
        RecognitionModel("qwen3-asr-flash-filetrans", _QWEN3_ASR),
        RecognitionModel("qwen3-asr-flash-realtime", _QWEN3_ASR),
        RecognitionModel("fun-asr", _FUN_ASR),
    )
}

# The order languages are offered in: the bot's audience first, then alphabetical.
PREFERRED_LANGUAGES = ("ru", "en", "uk", "de", "es", "fr", "it", "zh")


def documented_languages(model: str) -> frozenset[str]:
    """The language codes ``model`` documents; empty for a model this catalogue does not know."""
    known = RECOGNITION_MODELS.get((model or "").strip().lower())
    return known.languages if known else frozenset()


def documents(model: str, code: str | None) -> bool:
    """Whether ``model`` documents the language ``code`` (so it may be sent to it)."""
    return bool(code) and code in documented_languages(model)


def ordered(codes: frozenset[str] | set[str]) -> tuple[str, ...]:
    first = tuple(c for c in PREFERRED_LANGUAGES if c in codes)
    return first + tuple(sorted(c for c in codes if c not in first))


def offered_languages(plain_model: str, text_pass_model: str) -> tuple[str, ...]:
    """The recognition languages a user may fix: those both text-producing recognizers document.

    One list for plain and dialogue mode, because a user switches dialogue on and off without
    touching the language, and a dialogue that fails falls back to the plain recognizer. The
    speaker pass is not part of it: it only tells voices apart, gets the language only when it
    documents it, and otherwise detects it.
    """
    return ordered(documented_languages(plain_model) & documented_languages(text_pass_model))


# ------------------------------------------------------------------- languages of the text models

# The translation targets a user is offered: a short list, each one a language both configured
# text models document (the fallback model may answer any piece).
# Gemini API "Available languages" (ai.google.dev): the codes as listed there (Hebrew is ``iw``).
_GEMINI_TEXT = frozenset({
    "ar", "bn", "bg", "zh", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "iw", "hi", "hu",
    "id", "it", "ja", "ko", "lv", "lt", "no", "pl", "pt", "ro", "ru", "sr", "sk", "sl", "es", "sw", "sv",
    "th", "tr", "uk", "vi",
})
# Qwen3 text models: "119 languages and dialects" (no code list could be read), which include
# every language of the bot's own short list; only those are claimed here.
_QWEN_TEXT = frozenset({"ru", "en", "uk", "de", "es", "fr", "it", "zh", "pt", "ja", "ko", "ar"})
# The short list offered under a transcript (the bot's audience first).
TRANSLATION_CHOICES = ("en", "ru", "uk", "de", "es", "fr", "it", "zh")


def text_model_languages(model: str) -> frozenset[str]:
    """The languages a text (LLM) model documents; empty for a model this catalogue does not know."""
    name = (model or "").strip().lower()
    if name.startswith("gemini-"):
        return _GEMINI_TEXT
    if name.startswith(("qwen", "qwq")):
        return _QWEN_TEXT
    return frozenset()


def translation_languages(llm_model: str, fallback_model: str | None = None) -> tuple[str, ...]:
    """The short list of translation targets: ``TRANSLATION_CHOICES`` the configured text models
    both document (an unknown model documents nothing, so only a known one narrows the list)."""
    offered = [code for code in TRANSLATION_CHOICES]
    for model in (llm_model, fallback_model):
        known = text_model_languages(model or "")
        if model and known:
            offered = [code for code in offered if code in known]
    return tuple(offered)
