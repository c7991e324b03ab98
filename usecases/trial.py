"""Trial minutes: the user asks, the owner decides at once from a notification with two buttons.

- ``/trial`` stores a request with the clock's current time and notifies the owner
  immediately with ✅/❌ buttons; ``/review_trials`` lists the requests still pending.
- Approval credits ``policy.trial_minutes`` exactly once however often, and however
  concurrently, the button is pressed: the request moves pending → approved with a
  conditional write, the credit uses the operation key ``trial:<user>``, and a user already marked
  approved is never credited again (so the bounded memory of operation keys cannot let a much
  later press through). The user's status is set only after the credit, so a press after a crash
  in between completes the approval instead of refusing it.
- A denial tells the user. A denied user cannot file a new request (no request spam).
"""

from __future__ import annotations

import logging

import attrs

from domain.policy import Policy
from domain.users import TrialStatus, User
from ports.chat import Button, Chat, Keyboard
from ports.clock import Clock
from ports.errors import ConflictError, PortError
from ports.repositories import TrialRequest, Trials, Users
from presentation.callbacks import TrialDecision, encode
from presentation.catalogue import owner_say, say, utc_time
from presentation.keys import OM, M

log = logging.getLogger(__name__)


def decision_keyboard(user_id: int) -> Keyboard:
    return ((Button(owner_say(OM.trial_approve), encode(TrialDecision(user_id, approve=True))),
             Button(owner_say(OM.trial_deny), encode(TrialDecision(user_id, approve=False)))),)


class TrialRequests:
    def __init__(self, *, users: Users, trials: Trials, chat: Chat, clock: Clock, policy: Policy,
                 owner_id: int | None) -> None:
        self._users = users
        self._trials = trials
        self._chat = chat
        self._clock = clock
        self._policy = policy
        self._owner_id = owner_id

    # -- the user's side -------------------------------------------------------------------------
    def request(self, chat_id: int, user: User) -> str:
        """Handle ``/trial``; returns what happened (requested, pending, used, denied)."""
        lang = user.settings.ui_language
        existing = self._trials.get(user.user_id)
        status = existing.status if existing else None
        if user.trial is TrialStatus.APPROVED or status is TrialStatus.APPROVED:
            self._chat.send_text(chat_id, say(lang, M.trial_used))
            return "used"
        if user.trial is TrialStatus.DENIED or status is TrialStatus.DENIED:
            self._chat.send_text(chat_id, say(lang, M.trial_denied_before))
            return "denied"
        if status is TrialStatus.PENDING and existing is not None and user.trial is TrialStatus.NONE:
            # An earlier delivery of /trial stored the request, then met an outage before the user
            # was marked pending (its webhook answered 503): this delivery finishes it.
            return self._requested(chat_id, user, existing)
        if status is TrialStatus.PENDING:
            self._chat.send_text(chat_id, say(lang, M.trial_pending))
            return "pending"
        if self._owner_id is None:
            # Nobody could ever approve it: say so instead of "we will let you know".
            self._chat.send_text(chat_id, say(lang, M.trial_no_owner))
            return "unavailable"
        try:
            request = self._trials.put(TrialRequest(user.user_id, user.display_name, self._clock.now()))
        except ConflictError:
            self._chat.send_text(chat_id, say(lang, M.trial_pending))
            return "pending"
        return self._requested(chat_id, user, request)

    def _requested(self, chat_id: int, user: User, request: TrialRequest) -> str:
        """Mark the user pending, then tell them and the owner. The marking is what a retry needs
        (an outage here propagates, and the next delivery resumes above); once it is stored the
        messages are best effort, so a retry never files the request twice."""
        self._set_status(user.user_id, TrialStatus.PENDING)
        try:
            self._chat.send_text(chat_id, say(user.settings.ui_language, M.trial_requested))
        except PortError:
            log.warning("user not told the trial was requested", extra={"user_id": user.user_id})
        self.notify_owner(user, request)
        return "requested"

    # -- the owner's side ------------------------------------------------------------------------
    def card(self, user: User | None, request: TrialRequest) -> str:
        username = f"@{user.username}" if user and user.username else "—"
        balance = user.balance_minutes if user else 0
        return owner_say(OM.trial_card, name=request.name, user_id=request.user_id, username=username,
                         requested=utc_time(request.requested_at), balance=balance)

    def notify_owner(self, user: User, request: TrialRequest) -> None:
        if self._owner_id is None:
            return
        text = owner_say(OM.trial_new) + "\n" + self.card(user, request)
        try:
            self._chat.send_text(self._owner_id, text, keyboard=decision_keyboard(user.user_id))
        except PortError:
            log.warning("owner not notified of a trial request", extra={"user_id": user.user_id})

    def decide(self, user_id: int, approve: bool) -> str:
        """Apply the owner's decision; returns the new text of the owner's card."""
        user = self._users.get(user_id)
        if user is None:
            return owner_say(OM.user_not_found, user_id=user_id)
        request = self._trials.get(user_id)
        if request is None and user.trial is not TrialStatus.PENDING:
            return owner_say(OM.trial_none, name=user.display_name, user_id=user_id)
        wanted = TrialStatus.APPROVED if approve else TrialStatus.DENIED
        won = request is None  # no request row (expired) but the user is still pending
        if request is not None and request.status is TrialStatus.PENDING:
            try:
                request = self._trials.put(attrs.evolve(request, status=wanted, decided_at=self._clock.now()))
                won = True
            except ConflictError:
                request = self._trials.get(user_id)  # decided meanwhile (a second press)
        decided = request.status if request is not None else wanted
        if decided != wanted:
            return owner_say(OM.trial_already, status=decided, name=user.display_name, user_id=user_id)
        return self._approve(user) if approve else self._deny(user, won)

    def _approve(self, user: User) -> str:
        minutes = self._policy.trial_minutes
        if user.trial is TrialStatus.APPROVED:
            return owner_say(OM.trial_already, status=TrialStatus.APPROVED, name=user.display_name, user_id=user.user_id)
        change = self._users.apply_balance(user.user_id, f"trial:{user.user_id}", minutes)
        self._set_status(user.user_id, TrialStatus.APPROVED)
        if not change.applied:
            return owner_say(OM.trial_already, status=TrialStatus.APPROVED, name=user.display_name, user_id=user.user_id)
        self._tell(user, say(user.settings.ui_language, M.trial_approved_user, minutes=minutes))
        return owner_say(OM.trial_approved, name=user.display_name, user_id=user.user_id, minutes=minutes,
                         balance=change.balance)

    def _deny(self, user: User, won: bool) -> str:
        self._set_status(user.user_id, TrialStatus.DENIED)
        if not won or user.trial is TrialStatus.DENIED:
            return owner_say(OM.trial_already, status=TrialStatus.DENIED, name=user.display_name, user_id=user.user_id)
        self._tell(user, say(user.settings.ui_language, M.trial_denied_user))
        return owner_say(OM.trial_denied, name=user.display_name, user_id=user.user_id)

    def _tell(self, user: User, text: str) -> None:
        try:
            self._chat.send_text(user.user_id, text)
        except PortError:
            log.warning("user not told about the trial decision", extra={"user_id": user.user_id})

    def _set_status(self, user_id: int, status: TrialStatus) -> None:
        for _ in range(5):
            user = self._users.get(user_id)
            if user is None or user.trial is status:
                return
            try:
                self._users.save(attrs.evolve(user, trial=status))
                return
            except ConflictError:
                continue
