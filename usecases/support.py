"""What Telegram and users expect of a bot that sells with Stars: /paysupport, /terms, /privacy, and
the command menu.

- ``/paysupport``: Telegram's Bot Developer Terms (§6.2.1) require every bot that sells digital goods
  to answer it and handle payment problems itself (Telegram does not mediate). It gives the owner's
  contact (``SUPPORT_CONTACT``) and the refund policy (``REFUND_WINDOW_DAYS``; 0: purchases are
  final); the owner refunds with ``/refund <charge_id>`` (``usecases.refunds``).
- ``/terms``: what is sold and how it is billed, the refund policy, support, and how long data is kept.
- ``/privacy``: the same Terms (§4) require bots to answer it: what is stored, why, and for how long.
- Retention, as stored: a job row (with its transcript) lives ``JOB_RECORD_DAYS`` after its last write
  (the Tablestore table's TTL), a cached transcript ``Policy.results_ttl_s`` (``RESULTS_TTL_S``; the
  cache table's TTL must match it, which ``doctor`` checks), a usage log row without text
  ``USAGE_LOG_DAYS``; payment rows, the balance and the settings stay (accounting). ``/forget``
  deletes the user's transcripts at once (``usecases.user_requests``). A test checks these numbers
  against the adapter's ``TABLES``.
- The command menu: ``command_menus()`` is what ``admin_cli set-commands`` registers with
  ``setMyCommands`` (scope: all private chats, one list per language code) and ``doctor`` reads back.
"""

from __future__ import annotations

import attrs

from domain.policy import Policy
from presentation.catalogue import MENU, say
from presentation.keys import M

DAY_S = 86400
# Lifetimes of stored rows (adapters.alibaba.tablestore.TABLES; a test keeps them equal).
JOB_RECORD_DAYS = 7
USAGE_LOG_DAYS = 90

# The menu, in the order users see it (the rest of the commands are in /help and /settings).
MENU_COMMANDS = ("start", "help", "balance", "buy_minutes", "trial", "settings", "language", "dialogue",
                 "cancel", "forget", "paysupport", "terms", "privacy", "upload")
# Telegram client language → interface language of the menu ("" is every other language). The same
# mapping as ``catalogue.ui_language_for``: Russian for ru, uk, be and kk clients, English otherwise.
MENU_LANGUAGES: dict[str, str] = {"": "en", "en": "en", "ru": "ru", "uk": "ru", "be": "ru", "kk": "ru"}


@attrs.frozen
class CommandMenu:
    language_code: str  # "" for the default list
    commands: tuple[tuple[str, str], ...]  # (command, description)


def command_menus() -> tuple[CommandMenu, ...]:
    """One menu per Telegram language code, with the interface language's descriptions."""
    return tuple(CommandMenu(code, tuple((name, say(ui, MENU[name])) for name in MENU_COMMANDS))
                 for code, ui in MENU_LANGUAGES.items())


class SupportPages:
    def __init__(self, *, policy: Policy, support_contact: str, refund_window_days: int) -> None:
        self._policy = policy
        self._support_contact = support_contact
        self._refund_window_days = refund_window_days

    def contact(self, lang: str) -> str:
        return self._support_contact or say(lang, M.support_contact_unset)

    def refund_policy(self, lang: str) -> str:
        days = self._refund_window_days
        return say(lang, M.refund_policy, days=days) if days > 0 else say(lang, M.refund_policy_none)

    def retention(self, lang: str) -> str:
        cache_days = max(1, round(self._policy.results_ttl_s / DAY_S))
        return say(lang, M.retention, job_days=JOB_RECORD_DAYS, cache_days=cache_days, log_days=USAGE_LOG_DAYS)

    def paysupport(self, lang: str) -> str:
        return say(lang, M.paysupport, contact=self.contact(lang), refund=self.refund_policy(lang))

    def terms(self, lang: str) -> str:
        return say(lang, M.terms, refund=self.refund_policy(lang), contact=self.contact(lang),
                   retention=self.retention(lang))

    def privacy(self, lang: str) -> str:
        return say(lang, M.privacy, retention=self.retention(lang), contact=self.contact(lang))
