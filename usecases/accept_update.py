"""The webhook's use case: one incoming update, answered or turned into a job.

- Commands, buttons and payments are answered here; media goes to ``AcceptMedia``.
- A repeated ``update_id`` changes nothing (commands and buttons claim the update id; media
  dedupes by its job id; payments by the charge id).
- ``/cmd@botname`` works (the reference bot's D1).
- Owner commands and owner buttons do nothing at all for anyone else.
"""

from __future__ import annotations

import logging

from domain.users import User
from usecases.accept_media import AcceptMedia
from usecases.catalogue import LANGUAGES, say
from usecases.inbound import Incoming, IncomingCallback, IncomingMessage, IncomingPreCheckout
from usecases.owner import OwnerCommands
from usecases.payments import Payments
from usecases.services import BotServices
from usecases.settings_menu import SettingsMenu
from usecases.transcribe_job import TranscribeJob
from usecases.trial import TrialRequests
from usecases.users import ensure_user, update_settings

log = logging.getLogger(__name__)


def parse_command(text: str, bot_username: str) -> tuple[str, list[str]] | None:
    """``/Cmd@Bot arg1 arg2`` → ("cmd", ["arg1", "arg2"]); None when addressed to another bot."""
    if not text.startswith("/"):
        return None
    head, *args = text.split()
    name, _, addressee = head[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), args


class AcceptUpdate:
    def __init__(self, services: BotServices, transcribe_job: TranscribeJob) -> None:
        self._s = services
        self._media = AcceptMedia(services, transcribe_job)
        self._payments = Payments(services)
        self._settings = SettingsMenu(services)
        self._trial = TrialRequests(services)
        self._owner = OwnerCommands(services, self._trial)

    def __call__(self, update: Incoming) -> str:
        """Handle one update; returns a short route name for logs and tests."""
        if isinstance(update, IncomingPreCheckout):
            self._payments.pre_checkout(update)
            return "pre_checkout"
        if isinstance(update, IncomingMessage) and update.payment is not None:
            self._payments.successful(update)
            return "payment"
        if isinstance(update, IncomingMessage) and update.media is not None:
            user = ensure_user(self._s.users, update.sender, self._s.clock)
            return "media:" + self._media(update, user)
        if not self._s.keys.claim(f"update:{update.update_id}", self._s.clock.now()):
            return "duplicate"
        if isinstance(update, IncomingCallback):
            return self._callback(update)
        return self._message(update)

    # -- messages ---------------------------------------------------------------------------------
    def _message(self, message: IncomingMessage) -> str:
        if not message.text or message.chat_type != "private":
            return "ignored"
        parsed = parse_command(message.text.strip(), self._s.bot_username)
        if parsed is None:
            return "ignored"
        name, args = parsed
        if self._owner.handles(name):
            if message.sender.user_id != self._s.owner_id:
                return "ignored"  # no reaction at all for non-owners
            self._owner.command(name, args, message.chat_id)
            return f"owner:{name}"
        user = ensure_user(self._s.users, message.sender, self._s.clock)
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            self._reply(message, user, "unknown_command")
            return "unknown"
        handler(message, user, args)
        return f"command:{name}"

    def _reply(self, message: IncomingMessage, user: User, key: str, **params: object) -> None:
        self._s.chat.send_text(message.chat_id, say(user.settings.ui_language, key, **params))

    def _cmd_start(self, message, user, args) -> None:
        self._reply(message, user, "start")

    def _cmd_help(self, message, user, args) -> None:
        self._reply(message, user, "help", trial=self._s.policy.trial_minutes)

    def _cmd_balance(self, message, user, args) -> None:
        self._reply(message, user, "balance", minutes=user.balance_minutes)

    def _cmd_settings(self, message, user, args) -> None:
        self._settings.show(message.chat_id, user)

    def _toggle(self, message, user, field: str) -> None:
        user = self._settings.toggle(user, field)
        self._s.chat.send_text(message.chat_id, self._settings.describe(user, field))

    def _cmd_code(self, message, user, args) -> None:
        self._toggle(message, user, "use_code")

    def _cmd_yo(self, message, user, args) -> None:
        self._toggle(message, user, "use_yo")

    def _cmd_output(self, message, user, args) -> None:
        self._toggle(message, user, "long_text")

    def _cmd_dialogue(self, message, user, args) -> None:
        self._toggle(message, user, "dialogue")

    def _cmd_speakers(self, message, user, args) -> None:
        self._toggle(message, user, "speaker_labels")

    def _cmd_language(self, message, user, args) -> None:
        if args:
            code = args[0].lower()
            if code in LANGUAGES and len(args) > 1 and args[1].lower() == "ui":
                user = update_settings(self._s.users, user, ui_language=code)
            else:
                user = update_settings(self._s.users, user, language=None if code == "auto" else code[:8])
            self._s.chat.send_text(message.chat_id, self._settings.describe(user, "language"))
            return
        self._settings.show(message.chat_id, user)

    def _cmd_trial(self, message, user, args) -> None:
        self._trial.request(message.chat_id, user)

    def _cmd_buy_minutes(self, message, user, args) -> None:
        self._payments.packages_message(message.chat_id, user.settings.ui_language)

    # -- buttons ----------------------------------------------------------------------------------
    def _callback(self, callback: IncomingCallback) -> str:
        self._s.chat.answer_callback(callback.callback_id)
        data = callback.data
        if self._owner.handles_callback(data):
            if callback.sender.user_id != self._s.owner_id:
                return "ignored"
            self._owner.callback(data, callback.chat_id, callback.message_id)
            return "owner_callback"
        user = ensure_user(self._s.users, callback.sender, self._s.clock)
        if data.startswith("buy:") and callback.chat_id is not None:
            self._payments.send_invoice(callback.chat_id, user.user_id, data[4:], user.settings.ui_language)
            return "buy"
        if data.startswith("set:") and callback.chat_id is not None:
            self._settings.press(user, data, callback.chat_id, callback.message_id)
            return "settings"
        return "ignored"



