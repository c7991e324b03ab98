"""``/settings``: one message with a button per setting, toggled in place."""

from __future__ import annotations

from domain.users import LongTextMode, User
from ports.chat import Button, Keyboard
from usecases.catalogue import LANGUAGES, say
from usecases.services import BotServices
from usecases.users import update_settings

# Recognition languages offered as buttons (any ISO code works with /language <code>).
LANGUAGE_CHOICES = (None, "ru", "en", "uk", "de", "es", "fr", "zh")


class SettingsMenu:
    def __init__(self, services: BotServices) -> None:
        self._s = services

    def toggle(self, user: User, field: str) -> User:
        st = user.settings
        if field == "long_text":
            value = LongTextMode.FILE if st.long_text is LongTextMode.SPLIT else LongTextMode.SPLIT
            return update_settings(self._s.users, user, long_text=value)
        return update_settings(self._s.users, user, **{field: not getattr(st, field)})

    def describe(self, user: User, field: str) -> str:
        st, lang = user.settings, user.settings.ui_language

        def onoff(flag: bool) -> str:
            return say(lang, "on" if flag else "off")

        if field == "use_code":
            return say(lang, "setting_code", value=onoff(st.use_code))
        if field == "use_yo":
            return say(lang, "setting_yo", value=say(lang, "yo_keep" if st.use_yo else "yo_replace"))
        if field == "long_text":
            return say(lang, "setting_output",
                       value=say(lang, "output_file" if st.long_text is LongTextMode.FILE else "output_split"))
        if field == "dialogue":
            return say(lang, "dialogue_note", value=onoff(st.dialogue))
        if field == "speaker_labels":
            return say(lang, "setting_speakers", value=onoff(st.speaker_labels))
        if field == "ui_language":
            return say(lang, "setting_ui", value=st.ui_language)
        return say(lang, "setting_language", value=st.language or say(lang, "language_auto"))

    def keyboard(self, user: User) -> Keyboard:
        fields = ("use_code", "use_yo", "long_text", "dialogue", "speaker_labels")
        rows = [(Button(self.describe(user, f), f"set:{f}"),) for f in fields]
        rows.append((Button(self.describe(user, "language"), "set:language"),))
        rows.append((Button(self.describe(user, "ui_language"), "set:ui_language"),))
        return tuple(rows)

    def show(self, chat_id: int, user: User) -> None:
        self._s.chat.send_text(chat_id, say(user.settings.ui_language, "settings_title"), keyboard=self.keyboard(user))

    def press(self, user: User, data: str, chat_id: int, message_id: int | None) -> None:
        field = data.removeprefix("set:")
        if field == "language":
            current = LANGUAGE_CHOICES.index(user.settings.language) if user.settings.language in LANGUAGE_CHOICES else 0
            user = update_settings(self._s.users, user,
                                   language=LANGUAGE_CHOICES[(current + 1) % len(LANGUAGE_CHOICES)])
        elif field == "ui_language":
            index = LANGUAGES.index(user.settings.ui_language)
            user = update_settings(self._s.users, user, ui_language=LANGUAGES[(index + 1) % len(LANGUAGES)])
        elif field in ("use_code", "use_yo", "long_text", "dialogue", "speaker_labels"):
            user = self.toggle(user, field)
        else:
            return
        title = say(user.settings.ui_language, "settings_title")
        if message_id is not None:
            self._s.chat.edit_text(chat_id, message_id, title, keyboard=self.keyboard(user))
        else:
            self.show(chat_id, user)
