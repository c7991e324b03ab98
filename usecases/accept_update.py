"""The webhook's use case: one incoming update, answered or turned into a job.

Routing (the order matters):
1. ``pre_checkout_query`` → ``Payments.pre_checkout`` (payload signature, user, package, currency
   and amount checked, and the limited package's purchase reserved there);
2. a message with ``successful_payment`` → ``Payments.successful``, before anything that could
   swallow it (a paid user must get the minutes), deduplicated by the charge id — in any chat:
   the Stars are taken wherever the invoice was paid (the confirmation goes to the payer's private chat);
3. anything else from a group, supergroup or channel is ignored: no reply, no charge, no user
   row, no claim — media, commands, text and buttons alike. The bot works in private chats only
   (``BOT_USERNAME`` still matters there: ``/cmd@OtherBot`` is not ours);
4. a message with media → ``AcceptMedia`` (deduplicated by its job id);
5. everything else claims its ``update_id`` first, so a redelivered update changes nothing.
   When the command meets a transient outage the claim is released before the webhook answers
   503, so Telegram's next delivery runs it (once: a command that changed something keeps its
   own idempotency — ``credit:{update}``, the trial request's conditional write — and once its
   change is stored, its replies are best effort and never make the update run again);
6. buttons: ``buy:<package>``, ``set:…`` (settings, edited in place), ``export:<job>:<fmt>``,
   ``act:<job>:<action>`` (summary, key points, translation, speaker names), and
   the owner's ``trial:…`` and ``users:page:…``, which do nothing at all for anyone else;
7. private messages: commands (``/cmd@botname`` works: the text is split at
   ``@`` into command and addressee; a command addressed to another bot is
   ignored); owner commands give no reaction at all to anyone but the owner, not even "unknown
   command"; a text while the bot asks for speaker names is the name; any other text, and
   photos, stickers or files that are not audio get a short hint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from domain.policy import Policy
from domain.users import User
from ports.chat import Chat
from ports.clock import Clock
from ports.errors import OutcomeUnknown, PortError, TransientFailure
from ports.repositories import IdempotencyKeys, Users
from presentation.callbacks import ActionPress, BuyPress, ExportPress, LanguagePick, SettingPress, parse
from presentation.catalogue import LANGUAGES, say
from presentation.keys import Key, M
from usecases.accept_media import AcceptMedia
from usecases.exports import TranscriptExports
from usecases.inbound import Incoming, IncomingCallback, IncomingMessage, IncomingPreCheckout
from usecases.owner import OwnerCommands
from usecases.payments import Payments
from usecases.routes import IGNORED, Route, Via
from usecases.settings_menu import SettingsMenu
from usecases.support import SupportPages
from usecases.transcript_actions import TranscriptActions
from usecases.trial import TrialRequests
from usecases.upload_offer import NO_UPLOAD_OFFER, UploadOffer
from usecases.user_requests import UserRequests
from usecases.users import ensure_user

log = logging.getLogger(__name__)

# Chat types the bot answers in; ``None`` is a button under an inline-mode message (no chat at all,
# ignored further down).
PRIVATE = ("private", None)


def parse_command(text: str, bot_username: str) -> tuple[str, list[str]] | None:
    """``/Cmd@Bot arg1 arg2`` → ("cmd", ["arg1", "arg2"]); None when addressed to another bot."""
    if not text.startswith("/"):
        return None
    head, *args = text.split()
    name, _, addressee = head[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), args


# One user command: (the message, its sender's row, the words after the command).
Command = Callable[[IncomingMessage, User, list[str]], None]


class AcceptUpdate:
    def __init__(self, *, users: Users, keys: IdempotencyKeys, chat: Chat, clock: Clock, policy: Policy,
                 owner_id: int | None, bot_username: str, media: AcceptMedia, payments: Payments,
                 settings_menu: SettingsMenu, trial_requests: TrialRequests, exports: TranscriptExports,
                 support: SupportPages, user_requests: UserRequests, owner: OwnerCommands,
                 upload_offer: UploadOffer = NO_UPLOAD_OFFER, actions: TranscriptActions | None = None) -> None:
        """``actions``: the summary, key points, translation and speaker-name buttons under a
        transcript, and the replies that name speakers (``usecases.transcript_actions``)."""
        self._users = users
        self._keys = keys
        self._chat = chat
        self._clock = clock
        self._policy = policy
        self._owner_id = owner_id
        self._bot_username = bot_username
        self._media = media
        self._payments = payments
        self._settings = settings_menu
        self._trial = trial_requests
        self._exports = exports
        self._support = support
        self._requests = user_requests
        self._owner = owner
        self._upload_offer = upload_offer
        self._actions = actions
        # Users' commands, by name (the route is ``command:<name>``); any other is "unknown".
        self._commands: dict[str, Command] = {
            "start": self._cmd_start, "help": self._cmd_help, "balance": self._cmd_balance,
            "settings": self._cmd_settings, "code": self._cmd_code, "yo": self._cmd_yo, "output": self._cmd_output,
            "dialogue": self._cmd_dialogue, "speakers": self._cmd_speakers, "language": self._cmd_language,
            "trial": self._cmd_trial, "buy_minutes": self._cmd_buy_minutes, "paysupport": self._cmd_paysupport,
            "terms": self._cmd_terms, "privacy": self._cmd_privacy, "cancel": self._cmd_cancel,
            "forget": self._cmd_forget, "upload": self._cmd_upload,
        }

    def __call__(self, update: Incoming) -> Route:
        """Handle one update; returns where it went and what came of it (for the webhook's answer and logs)."""
        if isinstance(update, IncomingPreCheckout):
            return Route(Via.PRE_CHECKOUT, ("ok" if self._payments.pre_checkout(update) else "refused",))
        if isinstance(update, IncomingMessage) and update.payment is not None:
            return Route(Via.PAYMENT, (self._payments.successful(update),))
        if update.chat_type not in PRIVATE:
            return IGNORED  # groups and channels (see the module doc)
        if isinstance(update, IncomingMessage) and update.media is not None:
            user = ensure_user(self._users, update.sender, self._clock)
            return self._media(update, user)
        key = f"update:{update.update_id}"
        if not self._keys.claim(key, self._clock.now()):
            return Route(Via.DUPLICATE)
        try:
            if isinstance(update, IncomingCallback):
                return self._callback(update)
            return self._message(update)
        except TransientFailure as exc:
            # The webhook answers 503 and Telegram delivers the update again: that delivery must run.
            # Unless a message went out and only its answer was lost: it may be on the screen, so
            # the update counts as handled rather than be answered twice.
            if not isinstance(exc, OutcomeUnknown):
                self._release(key)
            raise

    def _release(self, key: str) -> None:
        try:
            self._keys.release(key)
        except PortError as exc:
            log.error("update claim not released; its redelivery will be dropped", extra={"key": key, "error": str(exc)})

    # -- messages ---------------------------------------------------------------------------------
    def _message(self, message: IncomingMessage) -> Route:
        text = (message.text or "").strip()
        if not text.startswith("/"):
            user = ensure_user(self._users, message.sender, self._clock)
            if text and self._actions is not None:
                # The answer to "what is the name of Speaker 1?" (usecases.transcript_actions).
                route = self._actions.reply(user.user_id, message.chat_id, text, user.settings.ui_language)
                if route is not None:
                    return route
            # Plain text, a photo, a sticker, a file that is not audio: say what the bot is for.
            self._reply(message, user, M.text_hint)
            return Route(Via.HINT)
        parsed = parse_command(text, self._bot_username)
        if parsed is None:
            return IGNORED  # addressed to another bot
        name, args = parsed
        if self._owner.handles(name):
            if self._owner_id is None or message.sender.user_id != self._owner_id:
                return IGNORED  # no reaction at all for non-owners
            self._owner.command(name, args, message.chat_id, message.update_id)
            return Route(Via.OWNER, (name,))
        user = ensure_user(self._users, message.sender, self._clock)
        handler = self._commands.get(name)
        if handler is None:
            self._reply(message, user, M.unknown_command)
            return Route(Via.UNKNOWN)
        handler(message, user, args)
        return Route(Via.COMMAND, (name,))

    def _reply(self, message: IncomingMessage, user: User, key: Key, **params: object) -> None:
        self._chat.send_text(message.chat_id, say(user.settings.ui_language, key, **params))

    def _cmd_start(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._reply(message, user, M.start)

    def _cmd_help(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        lang = user.settings.ui_language
        more = say(lang, M.help_more)
        if self._upload_offer.miniapp_url:  # /upload only opens the uploader when a Mini App is configured
            more += "\n" + say(lang, M.help_upload, max_mb=self._upload_offer.max_mb)
        self._chat.send_text(message.chat_id, say(lang, M.help, trial=self._policy.trial_minutes) + "\n\n" + more)

    def _cmd_balance(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._reply(message, user, M.balance, minutes=user.balance_minutes)

    def _cmd_settings(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._settings.show(message.chat_id, user)

    def _toggle(self, message: IncomingMessage, user: User, field: str) -> None:
        user = self._settings.toggle(user, field)
        # Toggled and stored: a retry of this update would toggle it back, so the answer is best effort.
        try:
            self._chat.send_text(message.chat_id, self._settings.describe(user, field))
        except PortError as exc:
            log.warning("setting changed, answer not sent", extra={"user_id": user.user_id, "error": str(exc)})

    def _cmd_code(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._toggle(message, user, "use_code")

    def _cmd_yo(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._toggle(message, user, "use_yo")

    def _cmd_output(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._toggle(message, user, "long_text")

    def _cmd_dialogue(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._toggle(message, user, "dialogue")

    def _cmd_speakers(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._toggle(message, user, "speaker_labels")

    def _cmd_language(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        """``/language`` (a picker), ``/language auto``, ``/language <documented code>``, ``/language ui <ru|en>``."""
        words = [a.lower() for a in args]
        lang = user.settings.ui_language
        if not words:
            self._chat.send_text(message.chat_id, say(lang, M.language_title) + "\n\n" + say(lang, M.language_usage),
                                   keyboard=self._settings.language_keyboard(user))
            return
        if "ui" in words and len(words) == 2:
            code = words[1] if words[0] == "ui" else words[0]
            if code in LANGUAGES:
                user = self._settings.set_ui_language(user, code)
                self._chat.send_text(message.chat_id, self._settings.describe(user, "ui_language"))
                return
        elif len(words) == 1 and (words[0] == "auto" or self._settings.accepts_language(words[0])):
            user = self._settings.set_language(user, None if words[0] == "auto" else words[0])
            self._chat.send_text(message.chat_id, self._settings.describe(user, "language"))
            return
        elif len(words) == 1:
            # Only codes the configured recognizers document: say which ones.
            self._chat.send_text(message.chat_id, self._settings.unknown_language(user, words[0]))
            return
        self._reply(message, user, M.language_usage)

    def _cmd_trial(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._trial.request(message.chat_id, user)

    def _cmd_buy_minutes(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._payments.packages_message(message.chat_id, user.user_id, user.settings.ui_language)

    # -- what a paid bot owes its users (usecases.support, usecases.user_requests) -------------------
    def _cmd_paysupport(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._chat.send_text(message.chat_id, self._support.paysupport(user.settings.ui_language))

    def _cmd_terms(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._chat.send_text(message.chat_id, self._support.terms(user.settings.ui_language))

    def _cmd_privacy(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._chat.send_text(message.chat_id, self._support.privacy(user.settings.ui_language))

    def _cmd_cancel(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._requests.cancel(message.chat_id, user)

    def _cmd_forget(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        self._requests.forget(message.chat_id, user)
        if self._actions is not None:
            count = self._actions.forget(user.user_id)
            if count:
                self._chat.send_text(message.chat_id,
                                     say(user.settings.ui_language, M.action_forget_actions, count=count))

    def _cmd_upload(self, message: IncomingMessage, user: User, args: list[str]) -> None:
        """The Mini App for a file over Telegram's download limit (usecases.uploads)."""
        lang = user.settings.ui_language
        if not self._upload_offer.send(self._chat, message.chat_id, lang, M.upload_offer):
            self._chat.send_text(message.chat_id, say(lang, M.upload_unavailable))

    # -- buttons ----------------------------------------------------------------------------------
    def _callback(self, callback: IncomingCallback) -> Route:
        data = callback.data
        if self._owner.handles_callback(data):
            if self._owner_id is None or callback.sender.user_id != self._owner_id:
                return IGNORED  # not even the button is answered
            try:
                return Route(Via.OWNER, (self._owner.callback(data, callback.chat_id, callback.message_id),))
            finally:
                self._answer(callback, "")
        route, answer = IGNORED, ""
        try:
            user = ensure_user(self._users, callback.sender, self._clock)
            lang = user.settings.ui_language
            if callback.chat_id is None:
                return route  # a button under an inline-mode message: nothing of ours
            press = parse(data)
            if isinstance(press, BuyPress):
                route = Route(Via.BUY, (self._payments.send_invoice(callback.chat_id, user.user_id, press.package_id, lang),))
            elif isinstance(press, SettingPress | LanguagePick):
                route = Route(Via.SETTINGS) if self._settings.press(user, press, callback.chat_id, callback.message_id) \
                    else IGNORED
            elif isinstance(press, ExportPress):
                route, answer = self._exports.press(user.user_id, lang, press, callback.chat_id)
            elif isinstance(press, ActionPress) and self._actions is not None:
                route, answer = self._actions.press(user.user_id, lang, press, callback.chat_id,
                                                    callback.message_id)
            return route
        finally:
            self._answer(callback, answer)

    def _answer(self, callback: IncomingCallback, text: str) -> None:
        try:
            self._chat.answer_callback(callback.callback_id, text)
        except PortError:
            log.info("callback not answered", extra={"callback_id": callback.callback_id})
