"""Formatting the messages: ``say(lang, M.key, **params)`` for users, ``owner_say(OM.key, ...)``.

An unknown interface language falls back to Russian, the bot's first language. Strings meant for
HTML mode escape their parameters at the call site (``presentation.html.escape``).

Counts agree with their words through ``{n:plural:FORMS}``: FORMS are the language's plural
forms separated by ``|`` in the order of ``domain.plurals.CATEGORIES`` (ru: one|few|many, en:
one|other), and ``#`` in a form stands for the number: ``{chars:plural:# символ|# символа|#
символов}`` gives "1 символ", "3 символа", "5 символов". Abbreviations ("5 мин.", "5 min") need none.

Messages chosen by a value (a package, a recognition language, a menu command, a progress stage
with its variants) are looked up in the tables below, so every name the code can produce is a
``Key`` the type checker has seen.
"""

from __future__ import annotations

import datetime
import string
from collections.abc import Mapping

from domain.plurals import choose
from presentation.en import EN
from presentation.keys import OM, Key, M, OwnerKey, OwnerMessages, UserMessages
from presentation.owner import OWNER
from presentation.ru import RU

CATALOGUES: Mapping[str, UserMessages[str]] = {"ru": RU, "en": EN}
LANGUAGES: tuple[str, ...] = tuple(CATALOGUES)
DEFAULT_LANGUAGE = "ru"


class _Messages(string.Formatter):
    """``str.format`` plus the ``plural:`` format spec (module doc), in one language."""

    def __init__(self, lang: str) -> None:
        self._lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith("plural:"):
            if not isinstance(value, int | float):
                raise TypeError(f"a plural needs a number, got {value!r}")
            form = choose(self._lang, value, format_spec.removeprefix("plural:").split("|"))
            return form.replace("#", str(value))
        return str(super().format_field(value, format_spec))


_FORMATTERS = {lang: _Messages(lang) for lang in CATALOGUES}


def template(lang: str, key: Key) -> str:
    """The unformatted text of ``key`` in ``lang`` (Russian for an unknown language)."""
    text: str = getattr(CATALOGUES.get(lang, CATALOGUES[DEFAULT_LANGUAGE]), key.name)
    return text


def owner_template(key: OwnerKey, messages: OwnerMessages[str] = OWNER) -> str:
    text: str = getattr(messages, key.name)
    return text


def say(lang: str, key: Key, **params: object) -> str:
    if lang not in CATALOGUES:
        lang = DEFAULT_LANGUAGE
    return _FORMATTERS[lang].format(template(lang, key), **params)


def owner_say(key: OwnerKey, **params: object) -> str:
    return _FORMATTERS["en"].format(owner_template(key), **params)


def placeholders(text: str) -> frozenset[str]:
    """The parameter names a template uses (``{minutes}``, ``{n:plural:…}`` → minutes, n)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


# -- messages chosen by a value ----------------------------------------------------------------------

PACKAGE_NAMES: Mapping[str, Key] = {
    "micro_10": M.package_micro_10,
    "start_50": M.package_start_50,
    "standard_200": M.package_standard_200,
    "profi_1000": M.package_profi_1000,
    "max_8888": M.package_max_8888,
}

# Recognition languages with a name in the interface; any other documented code is shown as is.
LANGUAGE_NAMES: Mapping[str, Key] = {
    "ru": M.lang_name_ru, "en": M.lang_name_en, "uk": M.lang_name_uk, "de": M.lang_name_de,
    "es": M.lang_name_es, "fr": M.lang_name_fr, "it": M.lang_name_it, "zh": M.lang_name_zh,
    "ar": M.lang_name_ar, "ja": M.lang_name_ja, "ko": M.lang_name_ko, "pt": M.lang_name_pt,
}

UI_NAMES: Mapping[str, Key] = {"ru": M.ui_name_ru, "en": M.ui_name_en}

# The command menu (setMyCommands): each command's description.
MENU: Mapping[str, Key] = {
    "start": M.menu_start, "help": M.menu_help, "balance": M.menu_balance, "buy_minutes": M.menu_buy_minutes,
    "trial": M.menu_trial, "settings": M.menu_settings, "language": M.menu_language,
    "dialogue": M.menu_dialogue, "cancel": M.menu_cancel, "forget": M.menu_forget,
    "paysupport": M.menu_paysupport, "terms": M.menu_terms, "privacy": M.menu_privacy, "upload": M.menu_upload,
}

# A recognition stage split into parts says which part ("part i of n")...
CHUNKED_STAGE: Mapping[Key, Key] = {
    M.stage_asr: M.stage_asr_chunk,
    M.stage_plain_fallback: M.stage_plain_fallback_chunk,
}
# ...and, on long jobs, how long is left.
STAGE_WITH_ETA: Mapping[Key, Key] = {
    M.stage_asr_chunk: M.stage_asr_chunk_eta,
    M.stage_plain_fallback_chunk: M.stage_plain_fallback_chunk_eta,
}

REPORT_TITLES: Mapping[str, OwnerKey] = {"daily": OM.report_daily, "weekly": OM.report_weekly}


def utc_time(ts: float) -> str:
    """``2026-01-01 09:30`` (UTC) for people to read."""
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M")


def ui_language_for(language_code: str | None) -> str:
    """Russian for Russian-speaking Telegram clients (ru, uk, be, kk), English for the rest."""
    if language_code and language_code.split("-")[0].lower() in ("ru", "uk", "be", "kk"):
        return "ru"
    return "en" if language_code else "ru"
