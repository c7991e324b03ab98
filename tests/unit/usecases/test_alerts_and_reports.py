"""Owner alerts (cooldown and /mute kept in BotState) and the daily report's figures."""

from __future__ import annotations

import attrs
import pytest

from adapters.memory.action_store import InMemoryActionStore
from adapters.memory.chat import RecordingChat
from adapters.memory.clock import FakeClock
from adapters.memory.repositories import (
    InMemoryBotState,
    InMemoryJobs,
    InMemoryLogs,
    InMemoryUsers,
)
from domain.audio import MediaKind
from domain.job import Job, JobStatus
from domain.users import User
from ports.errors import TransientFailure
from ports.repositories import PaymentLog, TranscriptionLog
from usecases.alerts import COOLDOWN_KEY, OwnerAlerts
from usecases.owner import MUTE_KEY
from usecases.owner_stats import in_window, usage_stats
from usecases.reports import DAY_S, DailyReport

OWNER = 42


@pytest.fixture
def clock():
    return FakeClock()


@attrs.frozen
class Adapters:
    """The memory adapters these tests hand to OwnerAlerts and DailyReport."""

    users: InMemoryUsers
    jobs: InMemoryJobs
    logs: InMemoryLogs
    actions: InMemoryActionStore
    state: InMemoryBotState
    chat: RecordingChat
    clock: FakeClock
    owner_id: int | None


@pytest.fixture
def services(clock):
    return Adapters(users=InMemoryUsers(), jobs=InMemoryJobs(), logs=InMemoryLogs(), actions=InMemoryActionStore(),
                    state=InMemoryBotState(), chat=RecordingChat(), clock=clock, owner_id=OWNER)


def alerts_of(s: Adapters, **kw) -> OwnerAlerts:
    return OwnerAlerts(s.chat, s.state, s.clock, s.owner_id, **kw)


def report_of(s: Adapters) -> DailyReport:
    return DailyReport(users=s.users, jobs=s.jobs, logs=s.logs, actions=s.actions, chat=s.chat, clock=s.clock,
                       owner_id=s.owner_id)


def sent(s: Adapters) -> list[str]:
    return [e.text for e in s.chat.events if e.chat_id == OWNER]


# -- alerts -----------------------------------------------------------------------------------------


def test_alert_is_sent_with_the_siren_then_held_back_for_the_cooldown(services, clock):
    alerts = alerts_of(services)
    assert alerts.alert("database down") is True
    assert alerts.alert("database still down") is False
    clock.advance(59)
    assert alerts.alert("again") is False
    clock.advance(2)
    assert alerts.alert("after the cooldown") is True
    assert sent(services) == ["🚨 database down", "🚨 after the cooldown"]


def test_the_cooldown_survives_a_cold_start_and_is_shared_between_instances(services, clock):
    assert alerts_of(services).alert("from instance A") is True
    assert services.state.get(COOLDOWN_KEY) is not None
    assert alerts_of(services).alert("from a new instance B") is False
    clock.advance(61)
    assert alerts_of(services).alert("later, instance C") is True
    assert len(sent(services)) == 2


def test_mute_is_read_from_bot_state_and_survives_a_new_instance(services, clock):
    services.state.set(MUTE_KEY, str(clock.now() + 3600))
    assert alerts_of(services).alert("muted") is False
    clock.advance(1800)
    assert alerts_of(services).alert("still muted after a cold start") is False
    clock.advance(1801)
    assert alerts_of(services).alert("mute expired") is True
    assert sent(services) == ["🚨 mute expired"]


def test_alert_text_is_cut_to_4000_characters(services):
    alerts_of(services).alert("x" * 10_000)
    assert len(sent(services)[0]) == 4000 and sent(services)[0].startswith("🚨 x")


def test_alerts_never_raise(services, clock):
    services.chat.fail_next(1)
    assert alerts_of(services).alert("telegram down") is False
    assert OwnerAlerts(services.chat, services.state, clock, None).alert("no owner") is False


def test_a_failing_state_store_still_alerts_with_a_local_cooldown(services, clock):
    alerts = alerts_of(services)
    services.state.fail_next(10)
    assert alerts.alert("tablestore down") is True
    assert alerts.alert("tablestore down again") is False  # the in-process cooldown holds
    assert sent(services) == ["🚨 tablestore down"]


# -- report -----------------------------------------------------------------------------------------


def job(job_id: str, created_at: float, status: JobStatus) -> Job:
    return Job(job_id=job_id, user_id=1, chat_id=1, message_id=1, file_id="f", file_unique_id="u",
               kind=MediaKind.VOICE, declared_duration_s=30, file_size=1, reserved_minutes=1,
               status_message_id=None, created_at=created_at, status=status)


@pytest.fixture
def seeded(services, clock):
    now = clock.now()
    since = now - DAY_S
    users = services.users
    for uid in range(1, 1201):  # more than an unpaginated scan's 1000-row cap
        created = since + 10 if uid <= 3 else since - 1000
        users.create(User(user_id=uid, first_name=f"u{uid}", created_at=created))
    users.apply_balance(1, "seed1", 10)
    users.apply_balance(2, "seed2", 25)
    logs = services.logs
    logs.add_transcription(TranscriptionLog("l1", 1, "j1", 90.0, 2, 1200, "plain", since + 100))
    logs.add_transcription(TranscriptionLog("l2", 1, "j2", 30.0, 1, 300, "plain", since + 200))
    logs.add_transcription(TranscriptionLog("l3", 2, "j3", 60.0, 1, 500, "dialogue", now - 1))
    logs.add_transcription(TranscriptionLog("old", 3, "j0", 600.0, 10, 9999, "plain", since - 1))
    logs.add_transcription(TranscriptionLog("late", 3, "j9", 600.0, 10, 9999, "plain", now + 1))
    logs.add_payment(PaymentLog("c1", 1, "p100", 100, 150, since + 50))
    logs.add_payment(PaymentLog("c2", 2, "p30", 30, 50, since + 60))
    logs.add_payment(PaymentLog("c0", 2, "p30", 30, 50, since - 60))
    services.jobs.create(job("a", since + 1, JobStatus.FAILED))
    services.jobs.create(job("b", since + 2, JobStatus.PROCESSING))
    services.jobs.create(job("c", since + 3, JobStatus.COMPLETED))
    services.jobs.create(job("d", since - 3, JobStatus.FAILED))
    return since, now


def test_report_figures_count_only_the_window_and_scan_everything(services, seeded):
    since, until = seeded
    f = report_of(services).figures(since, until)
    assert (f.users_total, f.users_new, f.users_active) == (1200, 3, 2)
    assert (f.transcriptions, f.billed_minutes, f.characters) == (3, 4, 2000)
    assert f.audio_minutes == pytest.approx(3.0)
    assert (f.payments, f.stars, f.minutes_sold) == (2, 200, 130)
    assert (f.jobs_failed, f.jobs_unfinished) == (1, 1)
    assert f.balances_total == 35


def test_the_report_and_stat_count_the_same_window_the_same_way(services, seeded):
    """One computation: the daily report's usage figures are /stat's over the same window."""
    since, until = seeded
    f = report_of(services).figures(since, until)
    st = usage_stats(services.users, services.logs, since, until)
    assert (f.users_total, f.users_new, f.users_active) == (st.users_total, st.users_new, st.users_active)
    assert (f.transcriptions, f.billed_minutes, f.characters) == (st.transcriptions, st.billed_minutes, st.characters)
    assert f.audio_minutes == pytest.approx(st.audio_seconds / 60)


def test_the_window_leaves_out_its_start_and_takes_in_its_end(services, clock):
    """(since, until]: consecutive reports count each moment once, and /stat sees this very second."""
    now = clock.now()
    for log_id, ts in (("at-start", now - DAY_S), ("inside", now - 10), ("at-end", now)):
        services.logs.add_transcription(TranscriptionLog(log_id, 1, log_id, 60.0, 1, 10, "plain", ts))
    assert report_of(services).figures(now - DAY_S, now).transcriptions == 2
    assert usage_stats(services.users, services.logs, now - DAY_S, now).transcriptions == 2
    assert report_of(services).figures(now - 2 * DAY_S, now - DAY_S).transcriptions == 1
    assert (in_window(now - DAY_S, now - DAY_S, now), in_window(now, now - DAY_S, now)) == (False, True)


def test_report_text_is_html_safe_and_in_english(services, seeded):
    since, until = seeded
    text = report_of(services).build(since, until, "Report <for> Tom & Jerry")
    assert text.startswith("<b>Report &lt;for&gt; Tom &amp; Jerry</b>")
    for line in ("Transcriptions: 3", "Audio: 3.0 min (billed 4 min)", "Characters: 2,000",
                 "Active users: 2 · new users: 3", "Payments: 2 (200 ⭐, 130 min)", "Jobs failed: 1 · unfinished: 1",
                 "Users: 1,200", "Balances: 35 min", "Last 24 h"):
        assert line in text, line
    stripped = text.replace("<b>", "").replace("</b>", "")
    assert "<" not in stripped.replace("&lt;", "")


def test_send_daily_goes_to_the_owner_as_html(services, seeded):
    text = report_of(services).send_daily()
    event = services.chat.events[-1]
    assert event.chat_id == OWNER and event.html and event.text == text and "Daily report" in text


def test_send_daily_without_an_owner_sends_nothing(services):
    report = report_of(attrs.evolve(services, owner_id=None))
    assert report.send_daily() is None and services.chat.events == []


def test_a_report_that_cannot_be_built_tells_the_owner_why(services):
    services.users.fail_next(1)
    text = report_of(services).send_daily()
    assert text.startswith("❌ Daily report failed: TransientFailure")
    assert services.chat.events[-1].text == text


def test_a_report_that_cannot_be_sent_propagates_for_the_timer_retry(services):
    services.chat.fail_next(1)
    with pytest.raises(TransientFailure):
        report_of(services).send_daily()
