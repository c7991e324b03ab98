"""Figures for the owner's ``/stat``, ``/cost``, ``/export`` and the daily report (``usecases.reports``).

Every figure comes from iterating the ports to the end — ``Users.scan``, ``Jobs.scan``,
``Logs.transcriptions``/``payments`` paginate through the whole table — so nothing is capped at
a fixed number of rows (one unpaginated scan stops at a page and silently undercounts).
Every window is ``(since, until]`` in epoch seconds (``in_window``): "the last 30 days" includes
what happened this very second, and consecutive daily reports count each moment once.

Cost estimate (``/cost``). The bot keeps no invoice from the cloud, so the cost is estimated from
what it did and from the prices of the configured models, which live in one place:
``domain.costs`` (per-second audio prices, per-million-token text prices; a model without a price
is named in the report). Russian text is about 2.5 characters per token and each transcription
adds about 700 prompt tokens; fixed infrastructure (Function Compute $5, Tablestore $1, MNS $0.50
per 30 days) is prorated to the window.

Actions on transcripts (summary, key points, translation; ``action_usage``). They are counted from
their own rows (``ActionStore.finished``), by the moment they settled (``finished_at``) in the
window: a completed action charged its price (its reservation was kept), a failed one charged
nothing (its reservation was given back), so the minutes here plus the transcriptions' are what
left the users' balances. An action still queued or running holds a reservation that is counted
once it settles; a failed request pressed again is the same row in a new round, so only its last
round is seen; ``/forget`` deletes a user's finished rows and the table keeps rows 30 days.
Their model cost is estimated from what each row keeps, at the configured text model's prices:
every model answer checkpointed on the row is output, and one call each (plus the same ~700
prompt tokens a call); the input is the transcript as sent (``source_chars``, once across its
pieces) plus, for a summary or key points, the partial answers that were merged (every answer
but the final result). A row written before ``source_chars`` existed counts its answers' length
as its input. An answer the guard refused and asked again is not on the row, so it is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable

import attrs

from domain.costs import CostRates
from domain.job import Job
from domain.transcript import TranscriptionMode
from domain.transcript_actions import ActionKind, ActionRecord, ActionStatus
from ports.action_store import ActionStore
from ports.repositories import Jobs, Logs, Users

DAY_S = 24 * 3600.0
CSV_BOM = "\ufeff"


@attrs.frozen
class UserUsage:
    user_id: int
    name: str
    transcriptions: int
    audio_seconds: float
    billed_minutes: int


@attrs.frozen
class ActionUsage:
    """The actions on transcripts that settled in a window (see the module doc)."""

    summaries: int = 0
    key_points: int = 0
    translations: int = 0
    minutes: int = 0
    failed: int = 0
    # What the models were given and answered, in characters, and how many answers (calls).
    input_chars: int = 0
    output_chars: int = 0
    model_calls: int = 0

    @property
    def completed(self) -> int:
        return self.summaries + self.key_points + self.translations


def charged_minutes(record: ActionRecord) -> int:
    """What a settled action took from the balance: a completed one keeps the reservation of its
    price (``usecases.transcript_actions``), a failed one gave it all back."""
    return record.price if record.status is ActionStatus.COMPLETED else 0


def model_chars(record: ActionRecord) -> tuple[int, int, int]:
    """(input characters, output characters, calls) the row's model answers stand for."""
    answers = list(record.step_results.values())
    if not answers and record.result_text:
        answers = [record.result_text]
    output = sum(len(a) for a in answers)
    source = record.source_chars if record.source_chars is not None else output
    merged = 0
    if record.kind is not ActionKind.TRANSLATE and len(answers) > 1:
        merged = max(0, output - len(record.result_text or ""))
    return source + merged if answers else 0, output, len(answers)


def action_usage(actions: ActionStore, since: float, until: float) -> ActionUsage:
    counts = {kind: 0 for kind in ActionKind}
    minutes = failed = chars_in = chars_out = calls = 0
    for record in actions.finished(since):
        if record.finished_at is None or not in_window(record.finished_at, since, until):
            continue
        if record.status is ActionStatus.COMPLETED:
            counts[record.kind] += 1
        elif record.status is ActionStatus.FAILED:
            failed += 1
        else:
            continue
        minutes += charged_minutes(record)
        used_in, used_out, used_calls = model_chars(record)
        chars_in += used_in
        chars_out += used_out
        calls += used_calls
    return ActionUsage(counts[ActionKind.SUMMARY], counts[ActionKind.KEY_POINTS], counts[ActionKind.TRANSLATE],
                       minutes, failed, chars_in, chars_out, calls)


@attrs.frozen
class UsageStats:
    since: float
    until: float
    users_total: int
    users_new: int
    users_active: int
    transcriptions: int
    audio_seconds: float
    dialogue_seconds: float
    billed_minutes: int
    characters: int
    top_users: tuple[UserUsage, ...]
    balances_total: int = 0
    actions: ActionUsage = ActionUsage()


def in_window(ts: float, since: float, until: float) -> bool:
    """Whether ``ts`` falls in the window ``(since, until]`` every owner figure uses."""
    return since < ts <= until


def usage_stats(users: Users, logs: Logs, since: float, until: float, top: int = 5, *,
                actions: ActionStore | None = None) -> UsageStats:
    """The window's figures; the actions on transcripts are counted when their store is given."""
    def inside(ts: float) -> bool:
        return in_window(ts, since, until)

    users_total = users_new = balances = 0
    names: dict[int, str] = {}
    for user in users.scan():
        users_total += 1
        users_new += inside(user.created_at)
        balances += user.balance_minutes
        names[user.user_id] = user.display_name
    per_user: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    transcriptions = billed = chars = 0
    audio = dialogue = 0.0
    for entry in logs.transcriptions(since):
        if not inside(entry.timestamp) or entry.status != "completed":
            continue
        transcriptions += 1
        audio += entry.duration_s
        dialogue += entry.duration_s if entry.mode is TranscriptionMode.DIALOGUE else 0.0
        billed += entry.minutes
        chars += entry.chars
        row = per_user[entry.user_id]
        row[0] += 1
        row[1] += entry.duration_s
        row[2] += entry.minutes
    ranked = sorted(per_user.items(), key=lambda kv: (-kv[1][1], kv[0]))[:top]
    top_users = tuple(
        UserUsage(uid, names.get(uid, str(uid)), int(row[0]), float(row[1]), int(row[2])) for uid, row in ranked
    )
    return UsageStats(since, until, users_total, users_new, len(per_user), transcriptions, audio, dialogue,
                      billed, chars, top_users, balances,
                      action_usage(actions, since, until) if actions is not None else ActionUsage())


@attrs.frozen
class CostEstimate:
    asr_usd: float
    llm_usd: float
    infra_usd: float
    audio_minutes: float
    actions_usd: float = 0.0

    @property
    def total_usd(self) -> float:
        return self.asr_usd + self.llm_usd + self.actions_usd + self.infra_usd

    @property
    def usd_per_minute(self) -> float:
        return self.total_usd / self.audio_minutes if self.audio_minutes else 0.0


def estimate_cost(stats: UsageStats, rates: CostRates) -> CostEstimate:
    plain_s = stats.audio_seconds - stats.dialogue_seconds
    asr = plain_s * rates.asr_usd_per_s + stats.dialogue_seconds * rates.dialogue_usd_per_s
    text_tokens = stats.characters / rates.chars_per_token
    llm = ((text_tokens + stats.transcriptions * rates.prompt_tokens_per_job) * rates.llm_input_usd_per_mtok
           + text_tokens * rates.llm_output_usd_per_mtok) / 1_000_000
    acts = stats.actions
    tokens_in = acts.input_chars / rates.chars_per_token + acts.model_calls * rates.prompt_tokens_per_job
    tokens_out = acts.output_chars / rates.chars_per_token
    actions = (tokens_in * rates.llm_input_usd_per_mtok + tokens_out * rates.llm_output_usd_per_mtok) / 1_000_000
    infra = rates.infra_usd_per_30_days * (stats.until - stats.since) / (30 * DAY_S)
    return CostEstimate(asr, llm, infra, stats.audio_seconds / 60, actions)


# -- jobs ------------------------------------------------------------------------------------------


def active_jobs(jobs: Jobs, user_id: int | None = None) -> list[Job]:
    """Every unfinished job (of one user when given), oldest first."""
    active = [j for j in jobs.scan()
              if not j.status.is_terminal and (user_id is None or j.user_id == user_id)]
    return sorted(active, key=lambda j: (j.created_at, j.job_id))


# -- CSV exports -----------------------------------------------------------------------------------


def iso(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else ""


# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @, a tab or a
# carriage return (some programs strip them before looking), and the full-width = + - @ that East
# Asian spreadsheet locales also accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_safe(cell: object) -> object:
    """A text cell that a spreadsheet would run as a formula (a user named ``=HYPERLINK(…)`` or
    ``=cmd|' /C calc'!A0``), quoted with a leading apostrophe so it is shown as text. Leading
    whitespace does not hide it (spreadsheets skip it; ``str.lstrip`` takes spaces, line breaks and
    no-break spaces alike). Numbers stay numbers: they are ours, and a negative figure is no formula."""
    if not isinstance(cell, str):
        return cell
    if cell.startswith(FORMULA_STARTS) or cell.lstrip().startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _csv(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    """Every export goes through here, so every text cell is neutralised (``csv_safe``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    # The BOM makes Excel read the file as UTF-8 (names are often Cyrillic).
    return (CSV_BOM + buffer.getvalue()).encode("utf-8")


def users_csv(users: Users) -> tuple[bytes, int]:
    rows = [
        [u.user_id, u.first_name, u.last_name, u.username, u.balance_minutes, u.trial.value, u.micro_purchases,
         u.settings.ui_language, iso(u.created_at), iso(u.last_activity)]
        for u in sorted(users.scan(), key=lambda u: (u.created_at, u.user_id))
    ]
    header = ["user_id", "first_name", "last_name", "username", "balance_minutes", "trial_status",
              "micro_purchases", "ui_language", "created_at", "last_activity"]
    return _csv(header, rows), len(rows)


def logs_csv(logs: Logs, since: float) -> tuple[bytes, int]:
    entries = sorted(logs.transcriptions(since), key=lambda e: (e.timestamp, e.log_id))
    rows = [[iso(e.timestamp), e.user_id, e.job_id, f"{e.duration_s:.1f}", e.minutes, e.chars, e.mode, e.status]
            for e in entries]
    header = ["timestamp", "user_id", "job_id", "duration_s", "minutes", "chars", "mode", "status"]
    return _csv(header, rows), len(rows)


def payments_csv(logs: Logs, since: float) -> tuple[bytes, int]:
    entries = sorted(logs.payments(since), key=lambda e: (e.timestamp, e.charge_id))
    rows = [[iso(e.timestamp), e.user_id, e.package_id, e.minutes, e.stars, e.charge_id] for e in entries]
    header = ["timestamp", "user_id", "package", "minutes", "stars", "telegram_payment_charge_id"]
    return _csv(header, rows), len(rows)
