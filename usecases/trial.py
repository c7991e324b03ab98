"""Trial minutes: the user asks, the owner decides at once from a notification with two buttons.

Approval credits the trial exactly once however often the button is pressed (the op key is the
user id); a denial tells the user (the reference bot's D5, D16).
"""

from __future__ import annotations

import logging

import attrs

from domain.users import TrialStatus, User
from ports.chat import Button
from ports.errors import ConflictError, PortError
from ports.repositories import TrialRequest
from usecases.catalogue import say
from usecases.services import BotServices

log = logging.getLogger(__name__)


class TrialRequests:
    def __init__(self, services: BotServices) -> None:
        self._s = services

    def request(self, chat_id: int, user: User) -> None:
        lang = user.settings.ui_language
        if user.trial is TrialStatus.APPROVED:
            self._s.chat.send_text(chat_id, say(lang, "trial_used"))
            return
        existing = self._s.trials.get(user.user_id)
        if user.trial is TrialStatus.PENDING or (existing and existing.status == "pending"):
            self._s.chat.send_text(chat_id, say(lang, "trial_pending"))
            return
        if existing and existing.status in ("approved", "denied"):
            self._s.chat.send_text(chat_id, say(lang, "trial_used"))
            return
        try:
            self._s.trials.put(TrialRequest(user.user_id, user.display_name, self._s.clock.now()))
        except ConflictError:
            self._s.chat.send_text(chat_id, say(lang, "trial_pending"))
            return
        self._set_status(user.user_id, TrialStatus.PENDING)
        self._s.chat.send_text(chat_id, say(lang, "trial_requested"))
        self.notify_owner(user)

    def notify_owner(self, user: User) -> None:
        if self._s.owner_id is None:
            return
        keyboard = ((Button("✅ Approve", f"trial:approve:{user.user_id}"),
                     Button("❌ Deny", f"trial:deny:{user.user_id}")),)
        text = f"🆕 Trial request: {user.display_name} (id {user.user_id}, @{user.username or '—'})"
        try:
            self._s.chat.send_text(self._s.owner_id, text, keyboard=keyboard)
        except PortError:
            log.warning("owner not notified of a trial request")

    def decide(self, user_id: int, approve: bool) -> str:
        """Apply the owner's decision; returns a line for the owner's card."""
        request = self._s.trials.get(user_id)
        user = self._s.users.get(user_id)
        if user is None:
            return f"User {user_id} not found"
        if request is not None and request.status != "pending":
            return f"Already {request.status}: {user.display_name} ({user_id})"
        if request is not None:
            try:
                self._s.trials.put(attrs.evolve(request, status="approved" if approve else "denied",
                                                decided_at=self._s.clock.now()))
            except ConflictError:
                return f"Changed meanwhile: {user.display_name} ({user_id})"
        lang = user.settings.ui_language
        if approve:
            minutes = self._s.policy.trial_minutes
            change = self._s.users.apply_balance(user_id, f"trial:{user_id}", minutes)
            self._set_status(user_id, TrialStatus.APPROVED)
            if change.applied:
                self._tell(user_id, say(lang, "trial_approved_user", minutes=minutes))
            return f"✅ Approved: {user.display_name} ({user_id}), +{minutes} min"
        self._set_status(user_id, TrialStatus.DENIED)
        self._tell(user_id, say(lang, "trial_denied_user"))
        return f"❌ Denied: {user.display_name} ({user_id})"

    def _tell(self, user_id: int, text: str) -> None:
        try:
            self._s.chat.send_text(user_id, text)
        except PortError:
            log.warning("user not told about the trial decision", extra={"user_id": user_id})

    def _set_status(self, user_id: int, status: TrialStatus) -> None:
        for _ in range(5):
            user = self._s.users.get(user_id)
            if user is None or user.trial is status:
                return
            try:
                self._s.users.save(attrs.evolve(user, trial=status))
                return
            except ConflictError:
                continue
