"""Owner-only commands and buttons. Anyone else gets no reaction at all (checked by the caller)."""

from __future__ import annotations

import html

from ports.chat import Button
from usecases.catalogue import say
from usecases.services import BotServices
from usecases.trial import TrialRequests

MUTE_KEY = "owner_mute_until"


class OwnerCommands:
    COMMANDS = ("admin", "credit", "review_trials", "mute", "status")
    CALLBACK_PREFIXES = ("trial:",)

    def __init__(self, services: BotServices, trials: TrialRequests) -> None:
        self._s = services
        self._trials = trials

    def handles(self, name: str) -> bool:
        return name in self.COMMANDS

    def handles_callback(self, data: str) -> bool:
        return data.startswith(self.CALLBACK_PREFIXES)

    def command(self, name: str, args: list[str], chat_id: int) -> None:
        getattr(self, f"_cmd_{name}")(args, chat_id)

    def callback(self, data: str, chat_id: int | None, message_id: int | None) -> None:
        parts = data.split(":")
        if len(parts) == 3 and parts[0] == "trial" and parts[1] in ("approve", "deny") and parts[2].isdigit():
            line = self._trials.decide(int(parts[2]), parts[1] == "approve")
            if chat_id is not None and message_id is not None:
                self._s.chat.edit_text(chat_id, message_id, line)

    def _send(self, chat_id: int, text: str, **kw) -> None:
        self._s.chat.send_text(chat_id, text, **kw)

    def _cmd_admin(self, args, chat_id) -> None:
        self._send(chat_id, "Owner commands:\n" + "\n".join(f"/{c}" for c in self.COMMANDS))

    def _cmd_credit(self, args, chat_id) -> None:
        if len(args) != 2 or not args[0].lstrip("-").isdigit() or not args[1].lstrip("-").isdigit():
            self._send(chat_id, "Usage: /credit <user_id> <minutes> (whole minutes; negative to debit)")
            return
        user_id, minutes = int(args[0]), int(args[1])
        user = self._s.users.get(user_id)
        if user is None:
            self._send(chat_id, f"User {user_id} not found")
            return
        change = self._s.users.apply_balance(user_id, f"credit:{self._s.ids.new_id()}", minutes)
        if change.insufficient:
            self._send(chat_id, f"Refused: the balance is {change.balance} min, it cannot go below zero")
            return
        self._send(chat_id, f"✅ {user.display_name} ({user_id}): {minutes:+d} min, balance {change.balance} min")
        if minutes > 0:
            self._s.chat.send_text(user_id, say(user.settings.ui_language, "credited_by_admin",
                                                minutes=minutes, balance=change.balance))

    def _cmd_review_trials(self, args, chat_id) -> None:
        pending = list(self._s.trials.pending())
        if not pending:
            self._send(chat_id, "✅ No pending trial requests")
            return
        for request in pending:
            keyboard = ((Button("✅ Approve", f"trial:approve:{request.user_id}"),
                         Button("❌ Deny", f"trial:deny:{request.user_id}")),)
            self._send(chat_id, f"{html.escape(request.name)} (id {request.user_id})", keyboard=keyboard)

    def _cmd_mute(self, args, chat_id) -> None:
        now = self._s.clock.now()
        if args and args[0].lower() == "off":
            self._s.state.set(MUTE_KEY, None)
            self._send(chat_id, "🔔 Alerts on")
            return
        if args:
            try:
                hours = float(args[0])
            except ValueError:
                self._send(chat_id, "Usage: /mute [hours|off]")
                return
            if not 0 < hours <= 24 * 30:
                self._send(chat_id, "Usage: /mute [hours|off] (0 < hours ≤ 720)")
                return
            self._s.state.set(MUTE_KEY, str(now + hours * 3600))
            self._send(chat_id, f"🔕 Alerts muted for {hours:g} h")
            return
        until = float(self._s.state.get(MUTE_KEY) or 0)
        self._send(chat_id, f"🔕 Muted for {(until - now) / 3600:.1f} h more" if until > now else "🔔 Alerts on")

    def _cmd_status(self, args, chat_id) -> None:
        active = [j for j in self._s.jobs.scan() if not j.status.is_terminal]
        lines = [f"Active jobs: {len(active)}"]
        lines += [f"{j.job_id[:8]}… user {j.user_id} {j.status.value} ({j.declared_duration_s:.0f}s)" for j in active[:10]]
        self._send(chat_id, "\n".join(lines))
