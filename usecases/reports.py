"""The owner's daily report, built from full scans of the stores.

Every figure comes from iterating the ports to the end (their ``scan``/``transcriptions``/
``payments`` iterators paginate through the whole table), so nothing is silently capped at a page size.
The usage figures are ``/stat``'s (``usecases.owner_stats.usage_stats``, the actions on
transcripts included), over the same window ``(since, until]``; the totals are for the whole deployment.

The owner reads English: every owner-facing string is in ``presentation.owner``. The text is HTML
(sent with ``html=True``); everything that comes from data is escaped.
"""

from __future__ import annotations

import logging

import attrs

from domain.job import JobStatus
from ports.action_store import ActionStore
from ports.chat import Chat
from ports.clock import Clock
from ports.repositories import Jobs, Logs, Users
from presentation.catalogue import owner_say, utc_time
from presentation.html import escape
from presentation.keys import OM
from usecases.owner_stats import ActionUsage, in_window, usage_stats

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0
MAX_REPORT_CHARS = 4000

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
    actions: ActionUsage = ActionUsage()
    payments: int = 0
    stars: int = 0
    minutes_sold: int = 0
    jobs_failed: int = 0
    jobs_unfinished: int = 0
    balances_total: int = 0


def _num(value: int) -> str:
    return f"{value:,}"


class DailyReport:
    def __init__(self, *, users: Users, jobs: Jobs, logs: Logs, actions: ActionStore, chat: Chat, clock: Clock,
                 owner_id: int | None) -> None:
        self._users = users
        self._jobs = jobs
        self._logs = logs
        self._actions = actions
        self._chat = chat
        self._clock = clock
        self._owner_id = owner_id

    def figures(self, since: float, until: float) -> ReportFigures:
        def inside(ts: float) -> bool:
            return in_window(ts, since, until)

        usage = usage_stats(self._users, self._logs, since, until, top=0, actions=self._actions)
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
            since=since, until=until, users_total=usage.users_total, users_new=usage.users_new,
            users_active=usage.users_active, transcriptions=usage.transcriptions,
            audio_minutes=usage.audio_seconds / 60, billed_minutes=usage.billed_minutes, characters=usage.characters,
            actions=usage.actions,
            payments=payments, stars=stars, minutes_sold=sold, jobs_failed=failed, jobs_unfinished=unfinished,
            balances_total=usage.balances_total,
        )

    def build(self, since: float, until: float, title: str) -> str:
        f = self.figures(since, until)
        lines = [
            f"<b>{escape(title)}</b>",
            escape(owner_say(OM.report_window, since=utc_time(since), until=utc_time(until))),
            "",
            f"<b>{escape(owner_say(OM.report_section_window, hours=round((until - since) / 3600, 1)))}</b>",
            owner_say(OM.report_transcriptions, count=_num(f.transcriptions)),
            owner_say(OM.report_minutes, audio=f.audio_minutes, billed=_num(f.billed_minutes)),
            owner_say(OM.report_characters, chars=_num(f.characters)),
            owner_say(OM.report_actions, summaries=_num(f.actions.summaries), points=_num(f.actions.key_points),
                      translations=_num(f.actions.translations), minutes=_num(f.actions.minutes),
                      failed=_num(f.actions.failed)),
            owner_say(OM.report_users_active, active=_num(f.users_active), new=_num(f.users_new)),
            owner_say(OM.report_payments, count=_num(f.payments), stars=_num(f.stars), minutes=_num(f.minutes_sold)),
            owner_say(OM.report_jobs, failed=_num(f.jobs_failed), unfinished=_num(f.jobs_unfinished)),
            "",
            f"<b>{escape(owner_say(OM.report_section_totals))}</b>",
            owner_say(OM.report_users_total, users=_num(f.users_total)),
            owner_say(OM.report_balances, minutes=_num(f.balances_total)),
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
            text = self.build(until - DAY_S, until, owner_say(OM.report_daily))
        except Exception as exc:  # noqa: BLE001 - the owner hears about it either way
            log.warning("daily report could not be built", exc_info=True)
            error = f"{type(exc).__name__}: {exc}"[:500]
            text = owner_say(OM.report_failed, error=escape(error))
        self._chat.send_text(owner, text, html=True)
        return text
