"""Owner-only commands and buttons. Anyone else gets no reaction at all (checked by the dispatcher).

Commands: ``/admin``, ``/user [query]``, ``/credit <id> <minutes>``, ``/review_trials``, ``/stat``,
``/cost``, ``/metrics [hours]``, ``/status``, ``/flush``, ``/batch <user>``, ``/mute [hours|off]``,
``/export users|logs|payments [days]``, ``/report daily|weekly``, ``/refund <charge_id>``
(``usecases.refunds``: the Stars back, the minutes taken back, exactly once).
Buttons: ``trial:approve:<id>`` / ``trial:deny:<id>`` and ``users:page:<n>[:<query>]``.

Rules:
- every figure comes from scans that paginate to the end, so no count stops at a page size;
  ``/metrics`` honours its hours;
- ``/mute`` lives in ``BotState``, shared by every instance and kept across cold starts;
- ``/credit`` takes whole minutes only (no silent truncation), never takes a balance below zero,
  and its wording depends on the sign, not on the amount (a credit of 15 is not a trial); it is
  exactly once per update;
- ``/flush`` runs the stuck-job sweeper, whose refunds give back only what a job really took
  (a stuck job that was never charged gets nothing back);
- ``/export logs|payments`` has one row per entry, not an aggregate.
The owner's strings are English and live in ``presentation.owner``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence

from domain.costs import CostRates
from domain.job import Job
from domain.users import TrialStatus, User
from ports.action_store import ActionStore
from ports.chat import Button, Chat, Keyboard
from ports.clock import Clock
from ports.errors import PortError
from ports.repositories import BotState, Jobs, Logs, Trials, Users
from presentation.callbacks import MAX_CALLBACK_BYTES, OWNER_PREFIXES, TrialDecision, UsersPage, encode, parse
from presentation.catalogue import REPORT_TITLES, owner_say, say, utc_time
from presentation.html import escape
from presentation.keys import OM, M
from usecases.owner_stats import (
    DAY_S,
    active_jobs,
    estimate_cost,
    logs_csv,
    payments_csv,
    usage_stats,
    users_csv,
)
from usecases.refunds import PaymentRefunds
from usecases.reports import DailyReport
from usecases.sweep_jobs import SweepJobs
from usecases.trial import TrialRequests, decision_keyboard

log = logging.getLogger(__name__)

# One owner command: (its arguments, the owner's chat, the update's id).
OwnerCommand = Callable[[list[str], int, int], None]

MUTE_KEY = "owner_mute_until"
USERS_PER_PAGE = 20
MAX_OWNER_TEXT = 4000
STAT_DAYS = 30
MAX_MUTE_HOURS = 24 * 30
MAX_METRICS_HOURS = 24 * 90
MAX_EXPORT_DAYS = 3650
MAX_TRIAL_CARDS = 20
# The largest /credit or debit at once (about 19 years of audio): anything larger is a typo, and
# a balance must stay far inside the stores' 64-bit integers.
MAX_CREDIT_MINUTES = 10_000_000
TRIAL_EMOJI = {TrialStatus.APPROVED: "✅", TrialStatus.PENDING: "⏳", TrialStatus.DENIED: "❌", TrialStatus.NONE: ""}


def _fit_lines(lines: list[str], limit: int = MAX_OWNER_TEXT) -> str:
    """Whole lines up to ``limit`` characters (never cutting an HTML tag in half)."""
    kept, size = [], 0
    for line in lines:
        if size + len(line) + 1 > limit:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def _short(name: str, limit: int = 64) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _cut_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")[:max(0, limit)]
    return data.decode("utf-8", errors="ignore")


def _digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²" or "①" (which ``int`` refuses) and
    ``int`` accepts "١٢" or "1_000"; an owner's number is written with 0-9 and nothing else."""
    return value.isascii() and value.isdigit()


def _whole(value: str) -> int | None:
    """A whole number ("15", "-3", "+2"); None for fractions and anything else."""
    body = value[1:] if value[:1] in "+-" else value
    return int(value) if _digits(body) else None


def _number(value: str) -> float | None:
    """A finite decimal number ("1.5", "24"), ASCII only (``float`` alone takes "١" and "1_0")."""
    if not value.isascii() or "_" in value:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def matches(user: User, query: str) -> bool:
    """Substring of the id, or case-insensitive substring of first/last name or username."""
    q = query.casefold().lstrip("@")
    if not q:
        return True
    fields = (str(user.user_id), user.first_name, user.last_name, user.username,
              f"{user.first_name} {user.last_name}")
    return any(q in f.casefold() for f in fields if f)


class OwnerPress(enum.StrEnum):
    """What an owner's button did (its route's detail)."""

    TRIAL_APPROVED = "trial:approve"
    TRIAL_DENIED = "trial:deny"
    USERS_PAGE = "users:page"
    IGNORED = "ignored"  # a button of another kind, or without a chat


class OwnerCommands:
    COMMANDS = ("admin", "user", "credit", "review_trials", "stat", "cost", "metrics", "status", "flush",
                "batch", "mute", "export", "report", "refund")
    CALLBACK_PREFIXES = OWNER_PREFIXES

    def __init__(self, *, users: Users, jobs: Jobs, logs: Logs, actions: ActionStore, trials: Trials,
                 state: BotState, chat: Chat, clock: Clock, cost_rates: CostRates, trial_requests: TrialRequests,
                 sweep: SweepJobs, report: DailyReport, refunds: PaymentRefunds) -> None:
        self._users = users
        self._jobs = jobs
        self._logs = logs
        self._actions = actions
        self._trials = trials
        self._state = state
        self._chat = chat
        self._clock = clock
        self._cost_rates = cost_rates
        self._trial_requests = trial_requests
        self._sweep = sweep
        self._report = report
        self._refunds = refunds
        # The owner's commands, by name (the route is ``owner:<name>``).
        self._commands: dict[str, OwnerCommand] = {
            "admin": self._cmd_admin, "user": self._cmd_user, "credit": self._cmd_credit,
            "review_trials": self._cmd_review_trials, "stat": self._cmd_stat, "cost": self._cmd_cost,
            "metrics": self._cmd_metrics, "status": self._cmd_status, "flush": self._cmd_flush,
            "batch": self._cmd_batch, "mute": self._cmd_mute, "export": self._cmd_export, "report": self._cmd_report,
            "refund": self._cmd_refund,
        }

    def handles(self, name: str) -> bool:
        return name in self._commands

    def handles_callback(self, data: str) -> bool:
        return data.startswith(self.CALLBACK_PREFIXES)

    def command(self, name: str, args: list[str], chat_id: int, update_id: int) -> None:
        self._commands[name](args, chat_id, update_id)

    def callback(self, data: str, chat_id: int | None, message_id: int | None) -> OwnerPress:
        press = parse(data)
        if isinstance(press, TrialDecision):
            line = self._trial_requests.decide(press.user_id, press.approve)
            if chat_id is not None and message_id is not None:
                self._chat.edit_text(chat_id, message_id, line)
            elif chat_id is not None:
                self._send(chat_id, line)
            return OwnerPress.TRIAL_APPROVED if press.approve else OwnerPress.TRIAL_DENIED
        if isinstance(press, UsersPage) and chat_id:
            text, keyboard = self._users_page(press.query, press.page)
            if message_id is not None:
                self._chat.edit_text(chat_id, message_id, text, html=True, keyboard=keyboard)
            else:
                self._send(chat_id, text, html=True, keyboard=keyboard)
            return OwnerPress.USERS_PAGE
        return OwnerPress.IGNORED

    def _send(self, chat_id: int, text: str, *, html: bool = False, keyboard: Keyboard | None = None) -> None:
        self._chat.send_text(chat_id, text[:MAX_OWNER_TEXT], html=html, keyboard=keyboard)

    # -- /admin ------------------------------------------------------------------------------------
    def _cmd_admin(self, args: list[str], chat_id: int, update_id: int) -> None:
        self._send(chat_id, owner_say(OM.admin) + "\n" + owner_say(OM.admin_refund))

    # -- /refund <charge_id> ---------------------------------------------------------------------------
    def _cmd_refund(self, args: list[str], chat_id: int, update_id: int) -> None:
        if len(args) != 1 or not args[0].isprintable() or len(args[0]) > 256:
            self._send(chat_id, owner_say(OM.refund_usage))
            return
        report = self._refunds.refund(args[0])
        self._send(chat_id, report)

    # -- /user [query] -----------------------------------------------------------------------------
    def _users_page(self, query: str, page: int) -> tuple[str, Keyboard | None]:
        found = sorted((u for u in self._users.scan() if matches(u, query)),
                       key=lambda u: (-u.created_at, u.user_id))
        pages = max(1, -(-len(found) // USERS_PER_PAGE))
        page = min(max(page, 1), pages)
        head = owner_say(OM.users_title_query if query else OM.users_title, count=len(found), page=page, pages=pages,
                         query=escape(query))
        lines = [head]
        for u in found[(page - 1) * USERS_PER_PAGE: page * USERS_PER_PAGE]:
            username = f" @{escape(u.username)}" if u.username else ""
            lines.append(owner_say(OM.users_line, name=escape(_short(u.display_name)), username=username,
                                   user_id=u.user_id, balance=u.balance_minutes, trial=TRIAL_EMOJI[u.trial]))
        if not found:
            lines.append(owner_say(OM.users_none))
        text = _fit_lines(lines)
        buttons = []
        if page > 1:
            buttons.append(Button(owner_say(OM.page_back), self._page_data(page - 1, query)))
        if page < pages:
            buttons.append(Button(owner_say(OM.page_next), self._page_data(page + 1, query)))
        return text, ((tuple(buttons),) if buttons else None)

    @staticmethod
    def _page_data(page: int, query: str) -> str:
        return encode(UsersPage(page, query))

    def _cmd_user(self, args: list[str], chat_id: int, update_id: int) -> None:
        page = 1
        if len(args) >= 2 and args[0] in ("--page", "-p") and _digits(args[1]):
            page, args = int(args[1]), args[2:]
        # The query travels in the page buttons' callback data: keep it within Telegram's 64 bytes.
        query = _cut_utf8(" ".join(args).replace(":", " ").strip(), MAX_CALLBACK_BYTES - len("users:page:9999:"))
        text, keyboard = self._users_page(query, page)
        self._send(chat_id, text, html=True, keyboard=keyboard)

    # -- /credit <id> <minutes> ------------------------------------------------------------------------
    def _cmd_credit(self, args: list[str], chat_id: int, update_id: int) -> None:
        user_id = _whole(args[0]) if len(args) == 2 else None
        minutes = _whole(args[1]) if len(args) == 2 else None
        if user_id is None or minutes is None or minutes == 0:
            self._send(chat_id, owner_say(OM.credit_usage))
            return
        if abs(minutes) > MAX_CREDIT_MINUTES:
            self._send(chat_id, owner_say(OM.credit_too_big, max_minutes=MAX_CREDIT_MINUTES))
            return
        user = self._users.get(user_id)
        if user is None:
            self._send(chat_id, owner_say(OM.user_not_found, user_id=user_id))
            return
        op_key = f"credit:{update_id}"
        change = self._users.apply_balance(user_id, op_key, minutes)
        moved = minutes
        for _ in range(5):  # a debit larger than the balance takes it to zero, not below
            if not change.insufficient:
                break
            moved = -change.balance
            change = self._users.apply_balance(user_id, op_key, moved)
        if change.duplicate:
            # This update was applied by an earlier delivery that met an outage before it could
            # answer (the webhook then asks Telegram to retry): say so instead of staying silent.
            self._send(chat_id, owner_say(OM.credit_repeat, name=user.display_name, user_id=user_id,
                                          balance=change.balance))
            return
        if change.insufficient:
            self._send(chat_id, owner_say(OM.credit_busy, user_id=user_id))
            return
        self._send(chat_id, owner_say(OM.credit_done, name=user.display_name, user_id=user_id, minutes=f"{moved:+d}",
                                      balance=change.balance))
        if moved == 0:
            return
        key = M.credited_by_admin if moved > 0 else M.debited_by_admin
        try:
            self._chat.send_text(user_id, say(user.settings.ui_language, key, minutes=abs(moved),
                                                balance=change.balance))
        except PortError:
            log.warning("user not told about a credit", extra={"user_id": user_id})

    # -- /review_trials ---------------------------------------------------------------------------------
    def _cmd_review_trials(self, args: list[str], chat_id: int, update_id: int) -> None:
        pending = list(self._trials.pending())
        if not pending:
            self._send(chat_id, owner_say(OM.trials_none))
            return
        self._send(chat_id, owner_say(OM.trials_count, count=len(pending)))
        for request in pending[:MAX_TRIAL_CARDS]:  # Telegram allows about 30 messages a second
            user = self._users.get(request.user_id)
            self._send(chat_id, self._trial_requests.card(user, request), keyboard=decision_keyboard(request.user_id))
        if len(pending) > MAX_TRIAL_CARDS:
            self._send(chat_id, owner_say(OM.trials_more, count=len(pending) - MAX_TRIAL_CARDS))

    # -- statistics --------------------------------------------------------------------------------------
    def _cmd_stat(self, args: list[str], chat_id: int, update_id: int) -> None:
        now = self._clock.now()
        st = usage_stats(self._users, self._logs, now - STAT_DAYS * DAY_S, now, actions=self._actions)
        acts = st.actions
        lines = [
            owner_say(OM.stat_title, days=STAT_DAYS),
            owner_say(OM.stat_users, total=st.users_total, new=st.users_new, active=st.users_active),
            owner_say(OM.stat_transcriptions, count=st.transcriptions),
            owner_say(OM.stat_minutes, audio=st.audio_seconds / 60, billed=st.billed_minutes),
            owner_say(OM.stat_chars, chars=st.characters),
            owner_say(OM.stat_actions, summaries=acts.summaries, points=acts.key_points,
                      translations=acts.translations, minutes=acts.minutes, failed=acts.failed),
            owner_say(OM.stat_top),
        ]
        lines += [owner_say(OM.stat_top_line, rank=i, name=escape(_short(u.name)), user_id=u.user_id,
                            minutes=u.audio_seconds / 60, count=u.transcriptions)
                  for i, u in enumerate(st.top_users, start=1)] or [owner_say(OM.stat_top_none)]
        self._send(chat_id, _fit_lines(lines), html=True)

    def _cmd_cost(self, args: list[str], chat_id: int, update_id: int) -> None:
        now = self._clock.now()
        st = usage_stats(self._users, self._logs, now - STAT_DAYS * DAY_S, now, actions=self._actions)
        rates = self._cost_rates
        cost = estimate_cost(st, rates)
        unpriced = owner_say(OM.cost_unpriced, models=", ".join(rates.unpriced)) if rates.unpriced else ""
        self._send(chat_id, owner_say(OM.cost, days=STAT_DAYS, minutes=cost.audio_minutes, asr=cost.asr_usd, llm=cost.llm_usd,
            actions=cost.actions_usd, infra=cost.infra_usd, total=cost.total_usd, per_minute=cost.usd_per_minute,
            asr_model=rates.asr_model, asr_rate=rates.asr_usd_per_s, dialogue_models=" + ".join(rates.dialogue_models),
            dialogue_rate=rates.dialogue_usd_per_s, llm_model=rates.llm_model, llm_in=rates.llm_input_usd_per_mtok,
            llm_out=rates.llm_output_usd_per_mtok, infra_rate=rates.infra_usd_per_30_days) + unpriced)

    def _cmd_metrics(self, args: list[str], chat_id: int, update_id: int) -> None:
        hours = _number(args[0]) if args else 24.0
        if hours is None or not 0 < hours <= MAX_METRICS_HOURS:
            self._send(chat_id, owner_say(OM.metrics_usage, max_hours=MAX_METRICS_HOURS))
            return
        now = self._clock.now()
        text = self._report.build(now - hours * 3600, now, owner_say(OM.metrics_title, hours=hours))
        text += "\n\n" + owner_say(OM.metrics_queue, active=len(active_jobs(self._jobs)))
        self._send(chat_id, text, html=True)

    def _cmd_report(self, args: list[str], chat_id: int, update_id: int) -> None:
        kind = args[0].lower() if args else "daily"
        days = {"daily": 1, "weekly": 7}.get(kind)
        if days is None:
            self._send(chat_id, owner_say(OM.report_usage))
            return
        now = self._clock.now()
        self._send(chat_id, self._report.build(now - days * DAY_S, now, owner_say(REPORT_TITLES[kind])), html=True)

    # -- jobs ----------------------------------------------------------------------------------------------
    def _job_lines(self, jobs: Sequence[Job]) -> list[str]:
        now = self._clock.now()
        return [owner_say(OM.job_line, job=j.job_id[:8], user_id=j.user_id, status=j.status.value,
                          duration=(j.real_duration_ms or 0) / 1000 or j.declared_duration_s, age=(now - j.created_at) / 60, attempts=j.attempts)
                for j in jobs[:10]]

    def _cmd_status(self, args: list[str], chat_id: int, update_id: int) -> None:
        jobs = active_jobs(self._jobs)
        queued = sum(j.status.value == "queued" for j in jobs)
        lines = [owner_say(OM.status, active=len(jobs), queued=queued, processing=len(jobs) - queued)]
        lines += self._job_lines(jobs)
        if len(jobs) > 10:
            lines.append(owner_say(OM.more, count=len(jobs) - 10))
        self._send(chat_id, "\n".join(lines))

    def _cmd_batch(self, args: list[str], chat_id: int, update_id: int) -> None:
        user_id = _whole(args[0]) if args else None
        if user_id is None:
            self._send(chat_id, owner_say(OM.batch_usage))
            return
        jobs = active_jobs(self._jobs, user_id)
        lines = [owner_say(OM.batch, user_id=user_id, count=len(jobs)), *self._job_lines(jobs)]
        if len(jobs) > 10:
            lines.append(owner_say(OM.more, count=len(jobs) - 10))
        self._send(chat_id, "\n".join(lines))

    def _cmd_flush(self, args: list[str], chat_id: int, update_id: int) -> None:
        report = self._sweep()
        lines = [owner_say(OM.flush, republished=len(report.republished), failed=len(report.failed))]
        lines += [owner_say(OM.flush_failed_line, job=j[:8]) for j in report.failed[:20]]
        self._send(chat_id, "\n".join(lines))

    # -- /mute ---------------------------------------------------------------------------------------------
    def _cmd_mute(self, args: list[str], chat_id: int, update_id: int) -> None:
        now = self._clock.now()
        if args and args[0].lower() == "off":
            self._state.set(MUTE_KEY, None)
            self._send(chat_id, owner_say(OM.mute_off))
            return
        if args:
            hours = _number(args[0])
            if hours is None or not 0 < hours <= MAX_MUTE_HOURS:
                self._send(chat_id, owner_say(OM.mute_usage, max_hours=MAX_MUTE_HOURS))
                return
            self._state.set(MUTE_KEY, repr(now + hours * 3600))
            self._send(chat_id, owner_say(OM.mute_on, hours=hours, until=utc_time(now + hours * 3600)))
            return
        try:
            until = float(self._state.get(MUTE_KEY) or 0)
        except ValueError:
            until = 0.0
        if until > now:
            self._send(chat_id, owner_say(OM.mute_status, hours=(until - now) / 3600, until=utc_time(until)))
        else:
            self._send(chat_id, owner_say(OM.mute_off))

    # -- /export -------------------------------------------------------------------------------------------
    def _cmd_export(self, args: list[str], chat_id: int, update_id: int) -> None:
        kind = args[0].lower() if args else ""
        days = _whole(args[1]) if len(args) > 1 else 30
        if kind not in ("users", "logs", "payments") or days is None or not 0 < days <= MAX_EXPORT_DAYS:
            self._send(chat_id, owner_say(OM.export_usage))
            return
        now = self._clock.now()
        since = now - days * DAY_S
        if kind == "users":
            data, rows = users_csv(self._users)
        elif kind == "logs":
            data, rows = logs_csv(self._logs, since)
        else:
            data, rows = payments_csv(self._logs, since)
        stamp = utc_time(now).replace(" ", "_").replace(":", "")
        caption = owner_say(OM.export_caption_all if kind == "users" else OM.export_caption, kind=kind, rows=rows,
                            days=days)
        self._chat.send_document(chat_id, f"{kind}_{stamp}.csv", data, caption=caption)
