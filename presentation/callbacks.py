"""The data behind every inline button, written and read in one place.

Telegram hands a pressed button's ``callback_data`` back as a string of at most 64 bytes. Each
kind of button is a frozen value here; ``encode`` writes the string the keyboard carries and
``parse`` reads it back (None for anything else, such as a button of an older release or made up
by a client). The use cases build their keyboards with ``encode`` and dispatch on ``parse``.

- ``export:<job>:<fmt>`` — a transcript's export buttons (``ExportPress``);
- ``act:<job>:<action>[:<language>]`` — an action on a transcript: ``sum``, ``pts``, ``tr`` (the
  language picker) or ``tr:<code>``, ``names`` (``ActionPress``);
- ``buy:<package>`` — a package of minutes (``BuyPress``);
- ``set:<field>`` — a setting, ``set:language`` (the picker), ``set:back`` (``SettingPress``);
  ``set:lang:<code>`` / ``set:lang:auto`` — a recognition language (``LanguagePick``);
- ``trial:approve:<user>`` / ``trial:deny:<user>`` — the owner's decision (``TrialDecision``);
- ``users:page:<n>[:<query>]`` — the owner's user list (``UsersPage``).
"""

from __future__ import annotations

import attrs

MAX_CALLBACK_BYTES = 64
EXPORT_FORMATS: tuple[str, ...] = ("txt", "srt", "vtt")
# Buttons that only the owner's messages carry: for anyone else they do nothing at all.
OWNER_PREFIXES: tuple[str, ...] = ("trial:", "users:")


@attrs.frozen
class ExportPress:
    job_id: str
    fmt: str


@attrs.frozen
class ActionPress:
    job_id: str
    action: str  # domain.transcript_actions.ActionKind's value
    language: str | None = None  # a translation's target


@attrs.frozen
class BuyPress:
    package_id: str


@attrs.frozen
class SettingPress:
    field: str


@attrs.frozen
class LanguagePick:
    code: str | None  # None: auto-detect


@attrs.frozen
class TrialDecision:
    user_id: int
    approve: bool


@attrs.frozen
class UsersPage:
    page: int
    query: str = ""


Callback = ExportPress | ActionPress | BuyPress | SettingPress | LanguagePick | TrialDecision | UsersPage


def _digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²" (which ``int`` refuses)."""
    return value.isascii() and value.isdigit()


def encode(press: Callback) -> str:
    match press:
        case ExportPress(job_id, fmt):
            return f"export:{job_id}:{fmt}"
        case ActionPress(job_id, action, language):
            return f"act:{job_id}:{action}" + (f":{language}" if language else "")
        case BuyPress(package_id):
            return f"buy:{package_id}"
        case SettingPress(field):
            return f"set:{field}"
        case LanguagePick(code):
            return f"set:lang:{code or 'auto'}"
        case TrialDecision(user_id, approve):
            return f"trial:{'approve' if approve else 'deny'}:{user_id}"
        case UsersPage(page, query):
            return f"users:page:{page}" + (f":{query}" if query else "")
    raise TypeError(f"not a button: {press!r}")


def parse(data: str) -> Callback | None:
    kind, separator, rest = data.partition(":")
    if not separator:
        return None
    if kind == "export":
        parts = rest.split(":")
        return ExportPress(parts[0], parts[1]) if len(parts) == 2 else None
    if kind == "act":
        parts = rest.split(":")
        if len(parts) in (2, 3) and all(parts):
            return ActionPress(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
        return None
    if kind == "buy":
        return BuyPress(rest)
    if kind == "set":
        if rest.startswith("lang:"):
            code = rest.removeprefix("lang:")
            return LanguagePick(None if code == "auto" else code)
        return SettingPress(rest)
    if kind == "trial":
        parts = rest.split(":")
        if len(parts) == 2 and parts[0] in ("approve", "deny") and _digits(parts[1]):
            return TrialDecision(int(parts[1]), parts[0] == "approve")
        return None
    if kind == "users":
        parts = rest.split(":")
        if len(parts) >= 2 and parts[0] == "page" and _digits(parts[1]):
            return UsersPage(int(parts[1]), ":".join(parts[2:]))
        return None
    return None
