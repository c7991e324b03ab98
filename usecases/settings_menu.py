"""``/settings``: one message with a button per setting, changed in place (the message is edited).

Buttons (callback data):
- ``set:use_code`` / ``set:use_yo`` / ``set:long_text`` / ``set:dialogue`` / ``set:speaker_labels``
  toggle that setting;
- ``set:ui_language`` switches the interface between Russian and English (the menu is redrawn in
  the new language);
- ``set:language`` turns the message into a picker of recognition languages, ``set:lang:<code>``
  (or ``set:lang:auto``) chooses one and returns to the menu, ``set:back`` returns without a change.

Recognition languages: the picker and ``/language <code>`` offer exactly the codes the configured
recognizers document (``recognition_languages``, given by the container from ``domain.models``); any other
code is refused with the list of accepted ones.
"""

from __future__ import annotations

import logging

from domain.users import LongTextMode, User
from ports.chat import Button, Chat, Keyboard
from ports.errors import PortError
from ports.repositories import Users
from presentation.callbacks import LanguagePick, SettingPress, encode
from presentation.catalogue import LANGUAGE_NAMES, LANGUAGES, UI_NAMES, say
from presentation.keys import M
from usecases.users import update_settings

log = logging.getLogger(__name__)

TOGGLES = ("use_code", "use_yo", "long_text", "dialogue", "speaker_labels")
# ``set:long_text`` cycles through the three modes, back to the default (auto) too.
NEXT_LONG_TEXT = {LongTextMode.AUTO: LongTextMode.FILE, LongTextMode.FILE: LongTextMode.SPLIT,
                  LongTextMode.SPLIT: LongTextMode.AUTO}
OUTPUT_NAMES = {LongTextMode.AUTO: M.output_auto, LongTextMode.FILE: M.output_file, LongTextMode.SPLIT: M.output_split}


def language_name(lang: str, code: str | None) -> str:
    if code is None:
        return say(lang, M.language_auto)
    key = LANGUAGE_NAMES.get(code)
    return say(lang, key) if key is not None else code


class SettingsMenu:
    def __init__(self, *, users: Users, chat: Chat, recognition_languages: tuple[str, ...]) -> None:
        self._users = users
        self._chat = chat
        self._recognition_languages = recognition_languages

    # -- changes ---------------------------------------------------------------------------------
    def toggle(self, user: User, field: str) -> User:
        st = user.settings
        if field == "long_text":
            return update_settings(self._users, user, long_text=NEXT_LONG_TEXT[st.long_text])
        if field == "ui_language":
            index = LANGUAGES.index(st.ui_language) if st.ui_language in LANGUAGES else 0
            return update_settings(self._users, user, ui_language=LANGUAGES[(index + 1) % len(LANGUAGES)])
        return update_settings(self._users, user, **{field: not getattr(st, field)})

    def set_language(self, user: User, code: str | None) -> User:
        return update_settings(self._users, user, language=code)

    def set_ui_language(self, user: User, code: str) -> User:
        return update_settings(self._users, user, ui_language=code)

    # -- recognition languages ---------------------------------------------------------------------
    def language_choices(self) -> tuple[str | None, ...]:
        """``None`` (auto-detect) and every code the configured recognizers document."""
        return (None, *self._recognition_languages)

    def accepts_language(self, code: str) -> bool:
        return code in self._recognition_languages

    def unknown_language(self, user: User, code: str) -> str:
        """The answer to a code no configured recognizer documents: what is accepted instead."""
        codes = ", ".join(self._recognition_languages) or "—"
        return say(user.settings.ui_language, M.language_unknown, code=code[:16], codes=codes)

    # -- texts -----------------------------------------------------------------------------------
    def describe(self, user: User, field: str) -> str:
        st, lang = user.settings, user.settings.ui_language

        def onoff(flag: bool) -> str:
            return say(lang, M.on if flag else M.off)

        if field == "use_code":
            return say(lang, M.setting_code, value=onoff(st.use_code))
        if field == "use_yo":
            return say(lang, M.setting_yo, value=say(lang, M.yo_keep if st.use_yo else M.yo_replace))
        if field == "long_text":
            return say(lang, M.setting_output, value=say(lang, OUTPUT_NAMES[st.long_text]))
        if field == "dialogue":
            return say(lang, M.dialogue_note, value=onoff(st.dialogue))
        if field == "speaker_labels":
            return say(lang, M.setting_speakers, value=onoff(st.speaker_labels))
        if field == "ui_language":
            return say(lang, M.setting_ui, value=say(lang, UI_NAMES[st.ui_language]))
        return say(lang, M.setting_language, value=language_name(lang, st.language))

    def keyboard(self, user: User) -> Keyboard:
        rows = [(Button(self.describe(user, f), encode(SettingPress(f))),) for f in TOGGLES]
        rows.append((Button(self.describe(user, "language"), encode(SettingPress("language"))),))
        rows.append((Button(self.describe(user, "ui_language"), encode(SettingPress("ui_language"))),))
        return tuple(rows)

    def language_keyboard(self, user: User) -> Keyboard:
        lang = user.settings.ui_language
        buttons = [
            Button(("✅ " if user.settings.language == code else "") + language_name(lang, code),
                   encode(LanguagePick(code)))
            for code in self.language_choices()
        ]
        rows = [tuple(buttons[i:i + 3]) for i in range(0, len(buttons), 3)]
        rows.append((Button(say(lang, M.back), encode(SettingPress("back"))),))
        return tuple(rows)

    def text(self, user: User) -> str:
        """The menu's text: the title and every current value (so each change edits the text too)."""
        fields = (*TOGGLES, "language", "ui_language")
        return say(user.settings.ui_language, M.settings_title) + "\n\n" + "\n".join(
            "• " + self.describe(user, f) for f in fields)

    # -- the message -----------------------------------------------------------------------------
    def show(self, chat_id: int, user: User) -> None:
        self._chat.send_text(chat_id, self.text(user), keyboard=self.keyboard(user))

    def press(self, user: User, press: SettingPress | LanguagePick, chat_id: int, message_id: int | None) -> bool:
        """Apply a settings button and redraw the same message; False for a field it does not know."""
        lang = user.settings.ui_language
        if isinstance(press, LanguagePick):
            if press.code is not None and not self.accepts_language(press.code):
                return False
            user = self.set_language(user, press.code)
            self._redraw(chat_id, message_id, self.text(user), self.keyboard(user))
            return True
        field = press.field
        if field == "language":
            self._redraw(chat_id, message_id, say(lang, M.language_title), self.language_keyboard(user))
            return True
        if field in (*TOGGLES, "ui_language"):
            user = self.toggle(user, field)
            try:
                self._redraw(chat_id, message_id, self.text(user), self.keyboard(user))
            except PortError as exc:
                # Toggled and stored: a retry of this press would toggle it back, so the redraw is
                # best effort (the next /settings shows the truth).
                log.warning("setting changed, menu not redrawn", extra={"user_id": user.user_id, "error": str(exc)})
            return True
        elif field != "back":
            return False
        self._redraw(chat_id, message_id, self.text(user), self.keyboard(user))
        return True

    def _redraw(self, chat_id: int, message_id: int | None, text: str, keyboard: Keyboard) -> None:
        if message_id is not None:
            self._chat.edit_text(chat_id, message_id, text, keyboard=keyboard)
        else:
            self._chat.send_text(chat_id, text, keyboard=keyboard)
