"""The owner's daily report (anchor §14), built from full scans of the stores.

Every figure comes from iterating the ports to the end (their ``scan``/``transcriptions``/
``payments`` iterators paginate through the whole table), so nothing is silently capped (D2, D47).
The window is ``[since, until)`` in epoch seconds; the totals are for the whole deployment.

The owner reads English: every owner-facing string is in ``OWNER_TEXTS`` below. The text is HTML
(sent with ``html=True``); everything that comes from data is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import logging

import attrs

from domain.job import JobStatus
from ports.chat import Chat
from ports.clock import Clock
from ports.repositories import Jobs, Logs, Users

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0
MAX_REPORT_CHARS = 4000

OWNER_TEXTS: dict[str, str] = {
    "daily_title": "📊 Daily report",
    "window": "{since} – {until} UTC",
    "section_window": "Last {hours:g} h",
    "transcriptions": "Transcriptions: {count}",
    "minutes": "Audio: {audio:.1f} min (billed {billed} min)",
    "characters": "Characters: {chars}",
    "users_active": "Active users: {active} · new users: {new}",
    "payments": "Payments: {count} ({stars} ⭐, {minutes} min)",
    "jobs": "Jobs failed: {failed} · unfinished: {unfinished}",
    "section_totals": "Totals",
    "users_total": "Users: {users}",
    "balances": "Balances: {minutes} min",
    "failed": "❌ Daily report failed: {error}",
}


@attrs.frozen
class ReportFigures:
    since: float
    until: float
    users_total: int = 0
    users_new: int = 0
    users_active: int = 0
    transcriptions: int = 0
    audio_minutes: float = 0.0
    billed_minutes: int = 0
    characters: int = 0
    payments: int = 0
    stars: int = 0
    minutes_sold: int = 0
    jobs_failed: int = 0
    jobs_unfinished: int = 0
    balances_total: int = 0


def _num(value: int) -> str:
    return f"{value:,}"


def _utc(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")


class DailyReport:
    def __init__(self, *, users: Users, jobs: Jobs, logs: Logs, chat: Chat, clock: Clock,
                 owner_id: int | None) -> None:
        self._users = users
        self._jobs = jobs
        self._logs = logs
        self._chat = chat
        self._clock = clock
        self._owner_id = owner_id

    def figures(self, since: float, until: float) -> ReportFigures:
        def inside(ts: float) -> bool:
            return since <= ts < until

        users_total = users_new = balances = 0
        for user in self._users.scan():
            users_total += 1
            balances += user.balance_minutes
            users_new += inside(user.created_at)
        active: set[int] = set()
        transcriptions = billed = chars = 0
        audio_s = 0.0
        for entry in self._logs.transcriptions(since):
            if not inside(entry.timestamp) or entry.status != "completed":
                continue
            transcriptions += 1
            active.add(entry.user_id)
            audio_s += entry.duration_s
            billed += entry.minutes
            chars += entry.chars
        payments = stars = sold = 0
        for payment in self._logs.payments(since):
            if inside(payment.timestamp):
                payments += 1
                stars += payment.stars
                sold += payment.minutes
        failed = unfinished = 0
        for job in self._jobs.scan():
            if not inside(job.created_at):
                continue
            failed += job.status is JobStatus.FAILED
            unfinished += not job.status.is_terminal
        return ReportFigures(
            since=since, until=until, users_total=users_total, users_new=users_new, users_active=len(active),
            transcriptions=transcriptions, audio_minutes=audio_s / 60, billed_minutes=billed, characters=chars,
            payments=payments, stars=stars, minutes_sold=sold, jobs_failed=failed, jobs_unfinished=unfinished,
            balances_total=balances,
        )

    def build(self, since: float, until: float, title: str) -> str:
        f = self.figures(since, until)
        t = OWNER_TEXTS
        lines = [
            f"<b>{html.escape(title)}</b>",
            html.escape(t["window"].format(since=_utc(since), until=_utc(until))),
            "",
            f"<b>{html.escape(t['section_window'].format(hours=round((until - since) / 3600, 1)))}</b>",
            t["transcriptions"].format(count=_num(f.transcriptions)),
            t["minutes"].format(audio=f.audio_minutes, billed=_num(f.billed_minutes)),
            t["characters"].format(chars=_num(f.characters)),
            t["users_active"].format(active=_num(f.users_active), new=_num(f.users_new)),
            t["payments"].format(count=_num(f.payments), stars=_num(f.stars), minutes=_num(f.minutes_sold)),
            t["jobs"].format(failed=_num(f.jobs_failed), unfinished=_num(f.jobs_unfinished)),
            "",
            f"<b>{html.escape(t['section_totals'])}</b>",
            t["users_total"].format(users=_num(f.users_total)),
            t["balances"].format(minutes=_num(f.balances_total)),
        ]
        return "\n".join(lines)[:MAX_REPORT_CHARS]

    def send_daily(self) -> str | None:
        """Send the last 24 hours to the owner; returns the text sent (None without an owner).

        A failure to build the report is reported to the owner instead of the figures; a failure
        to send propagates (TransientFailure lets the timer's retry try again).
        """
        owner = self._owner_id
        if owner is None:
            log.warning("daily report skipped: OWNER_ID is not set")
            return None
        until = self._clock.now()
        try:
            text = self.build(until - DAY_S, until, OWNER_TEXTS["daily_title"])
        except Exception as exc:  # noqa: BLE001 - the owner hears about it either way
            log.warning("daily report could not be built", exc_info=True)
            error = f"{type(exc).__name__}: {exc}"[:500]
            text = OWNER_TEXTS["failed"].format(error=html.escape(error))
        self._chat.send_text(owner, text, html=True)
        return text
