"""A user of the bot: balance, trial state and personal settings."""

from __future__ import annotations

import enum

import attrs


@attrs.frozen
class Sender:
    """Who sent an update or opened the Mini App, as Telegram describes them."""

    user_id: int
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    language_code: str | None = None


class TrialStatus(enum.StrEnum):
    """The user's free trial, on the user row and on the trial request (stored as the value)."""

    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class LongTextMode(enum.Enum):
    """How a transcript too long for one message is delivered.

    ``AUTO`` (the user never chose): messages up to ``Policy.long_text_file_chars``, above that a
    short preview in the chat plus the whole text as a ``.txt`` file. ``SPLIT`` and ``FILE`` are
    the user's explicit choices and always win.
    """

    AUTO = "auto"
    SPLIT = "split"
    FILE = "file"


# The interface languages of the bot's own messages.
UI_LANGUAGES = ("ru", "en")


@attrs.frozen
class UserSettings:
    """Per-user choices; defaults are what a new user gets."""

    use_code: bool = False
    use_yo: bool = True
    long_text: LongTextMode = LongTextMode.AUTO
    dialogue: bool = False
    speaker_labels: bool = False
    # ``None`` means auto-detect; otherwise an ISO code such as "ru".
    language: str | None = None
    # Interface language of the bot's own messages (one of ``UI_LANGUAGES``).
    ui_language: str = "ru"


@attrs.frozen
class User:
    """A user row. ``version`` is the optimistic-lock counter the stores compare on update."""

    user_id: int
    balance_minutes: int = 0
    trial: TrialStatus = TrialStatus.NONE
    settings: UserSettings = UserSettings()
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    created_at: float = 0.0
    last_activity: float = 0.0
    micro_purchases: int = 0
    # The balance warning in force: "low" or "empty" once the user was told (at ``balance_notice_at``),
    # "" when none is; so a warning is shown once per crossing, not after every file.
    balance_notice: str = ""
    balance_notice_at: float = 0.0
    version: int = 0

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or (f"@{self.username}" if self.username else str(self.user_id))
