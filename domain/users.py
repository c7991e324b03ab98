"""A user of the bot: balance, trial state and personal settings."""

from __future__ import annotations

import enum

import attrs


class TrialStatus(enum.Enum):
    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class LongTextMode(enum.Enum):
    SPLIT = "split"
    FILE = "file"


@attrs.frozen
class UserSettings:
    """Per-user choices; defaults are what a new user gets."""

    use_code: bool = False
    use_yo: bool = True
    long_text: LongTextMode = LongTextMode.SPLIT
    dialogue: bool = False
    speaker_labels: bool = False
    # ``None`` means auto-detect; otherwise an ISO code such as "ru".
    language: str | None = None
    # Interface language of the bot's own messages.
    ui_language: str = "ru"

    def to_dict(self) -> dict[str, object]:
        return {
            "use_code": self.use_code,
            "use_yo": self.use_yo,
            "long_text": self.long_text.value,
            "dialogue": self.dialogue,
            "speaker_labels": self.speaker_labels,
            "language": self.language,
            "ui_language": self.ui_language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> UserSettings:
        data = data or {}
        default = cls()

        def flag(key: str, fallback: bool) -> bool:
            value = data.get(key, fallback)
            return value if isinstance(value, bool) else fallback

        long_text = data.get("long_text", default.long_text.value)
        language = data.get("language")
        ui = data.get("ui_language", default.ui_language)
        return cls(
            use_code=flag("use_code", default.use_code),
            use_yo=flag("use_yo", default.use_yo),
            long_text=LongTextMode(long_text) if long_text in ("split", "file") else default.long_text,
            dialogue=flag("dialogue", default.dialogue),
            speaker_labels=flag("speaker_labels", default.speaker_labels),
            language=language if isinstance(language, str) and language else None,
            ui_language=ui if ui in ("ru", "en") else default.ui_language,
        )


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
    version: int = 0

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or (f"@{self.username}" if self.username else str(self.user_id))
