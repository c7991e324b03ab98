"""Owner commands and owner buttons: what the owner sees, that nobody else sees anything, and the ledger."""

from __future__ import annotations

import csv
import io

import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from domain.users import TrialStatus
from ports.repositories import PaymentLog, TranscriptionLog
from presentation.catalogue import say
from presentation.keys import M
from tests.messages import returns_minutes
from tests.world import OWNER, USER
from usecases.alerts import OwnerAlerts
from usecases.owner import MUTE_KEY, OwnerCommands
from usecases.owner_stats import DAY_S
from usecases.sweep_jobs import QUEUED_GRACE_S


def owner(world, text: str) -> str:
    route = world.text(text, user_id=OWNER)
    assert route.startswith("owner:"), route
    return world.texts(OWNER)[-1]


def owner_event(world):
    return [e for e in world.chat.events if e.chat_id == OWNER][-1]


def queued_voice(world, tmp_path, user_id: int = USER, seconds: float = 90) -> str:
    """A voice note long enough to be queued (no ffmpeg runs): returns its job id."""
    source = tmp_path / "voice.ogg"
    source.write_bytes(b"OggS" + bytes(64))
    update_id, route = world.media(source, kind=MediaKind.VOICE, duration_s=seconds, user_id=user_id)
    assert route == "media:queued"
    return world.job_of(update_id).job_id


def log_transcription(world, user_id: int, seconds: float, *, ago_s: float = 60, chars: int = 100,
                      mode: str = "plain") -> None:
    n = len(world.logs.transcription_rows)
    world.logs.add_transcription(TranscriptionLog(
        log_id=f"log-{n}", user_id=user_id, job_id=f"job-{n}", duration_s=seconds, minutes=-(-int(seconds) // 60),
        chars=chars, mode=mode, timestamp=world.clock.now() - ago_s))


def read_csv(event) -> list[list[str]]:
    text = event.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# -- nobody but the owner ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [f"/{c}" for c in OwnerCommands.COMMANDS] + [f"/credit {USER} 1000",
                                                                                 "/mute 5", "/export users"])
def test_owner_commands_give_strangers_no_reaction_at_all(world, command):
    world.user(balance=3)
    assert world.text(command) == "ignored"
    assert world.text(command.split()[0] + "@TranscriberBot", user_id=999) == "ignored"
    assert world.chat.events == []
    assert world.balance() == 3 and world.users.get(999) is None
    assert world.state.get(MUTE_KEY) is None


@pytest.mark.parametrize("data", [f"trial:approve:{USER}", "users:page:2", "users:page:1:ann"])
def test_owner_buttons_do_nothing_for_strangers(world, data):
    world.user(trial=TrialStatus.PENDING)
    assert world.press(data, user_id=USER, message_id=3) == "ignored"
    assert world.chat.events == [] and world.balance() == 0


def test_without_an_owner_id_nobody_is_the_owner(world):
    world.rebuild(owner_id=None)
    assert world.text("/admin", user_id=OWNER) == "ignored"
    assert world.chat.events == []


def test_admin_lists_every_owner_command(world):
    text = owner(world, "/admin")
    for command in OwnerCommands.COMMANDS:
        if command != "admin":
            assert f"/{command}" in text


# -- /user ------------------------------------------------------------------------------------------------


def seed_users(world, count: int) -> None:
    for i in range(count):
        world.clock.advance(1)
        world.user(user_id=10_000 + i, first_name=f"Name{i:03d}", username=f"handle{i:03d}", created_at=world.clock.now())


def test_user_lists_twenty_per_page_and_the_buttons_edit_the_same_message(world):
    seed_users(world, 45)
    text = owner(world, "/user")
    event = owner_event(world)
    assert text.startswith("👥 Users: 45 · page 1/3") and event.html
    assert text.count("<code>") == 20
    assert "Name044" in text  # newest first
    assert [b.data for b in event.keyboard[0]] == ["users:page:2"]
    assert world.press("users:page:3", user_id=OWNER, message_id=event.message_id) == "owner:users:page"
    page3 = world.chat.messages[(OWNER, event.message_id)]
    assert page3.startswith("👥 Users: 45 · page 3/3") and page3.count("<code>") == 5 and "Name000" in page3
    edit = [e for e in world.chat.events if e.kind == "edit"][-1]
    assert [b.text for b in edit.keyboard[0]] == ["← Back"]
    assert world.chat.events[-1].kind == "callback"


def test_user_search_by_name_username_or_id_case_insensitively(world):
    seed_users(world, 30)
    world.user(user_id=5_550_123, first_name="Марина", last_name="Иванова", username="MarinaIV")
    assert "Марина Иванова" in owner(world, "/user марина")
    assert "1 user ·" in owner(world, "/user ИВАНОВА")
    assert "<code>5550123</code>" in owner(world, "/user @marinaiv")
    assert "Марина" in owner(world, "/user 550123")
    text = owner(world, "/user NAME02")
    assert text.startswith("🔎 “NAME02”: 10 users") and "Name029" in text and "Name019" not in text
    assert "Nobody matches." in owner(world, "/user nobody-like-this")


def test_user_search_pages_keep_the_query(world):
    seed_users(world, 45)
    owner(world, "/user handle0")  # handle000..handle044 all match: 45 users
    event = owner_event(world)
    assert event.keyboard[0][0].data == "users:page:2:handle0"
    world.press("users:page:2:handle0", user_id=OWNER, message_id=event.message_id)
    assert world.chat.messages[(OWNER, event.message_id)].startswith("🔎 “handle0”: 45 users · page 2/3")


def test_user_list_shows_balance_and_trial_state_and_escapes_names(world):
    world.user(user_id=1, first_name="<b>Eve</b>", balance=12, trial=TrialStatus.APPROVED)
    text = owner(world, "/user eve")
    assert "&lt;b&gt;Eve&lt;/b&gt;" in text and "12 min" in text and text.splitlines()[1].startswith("✅")


def test_user_page_argument_and_out_of_range_pages(world):
    seed_users(world, 25)
    assert "page 2/2" in owner(world, "/user --page 2")
    assert "page 2/2" in owner(world, "/user -p 99")


# -- /credit ----------------------------------------------------------------------------------------------


def test_credit_adds_whole_minutes_and_tells_the_user(world):
    world.user(balance=5)
    assert owner(world, f"/credit {USER} 15") == f"✅ Ann ({USER}): +15 min, balance 20 min"
    assert world.balance() == 20
    assert world.texts()[-1] == say("ru", M.credited_by_admin, minutes=15, balance=20)


def test_credit_negative_debits_but_never_below_zero(world):
    world.user(balance=5)
    owner(world, f"/credit {USER} -3")
    assert world.balance() == 2 and world.texts()[-1] == say("ru", M.debited_by_admin, minutes=3, balance=2)
    assert owner(world, f"/credit {USER} -100") == f"✅ Ann ({USER}): -2 min, balance 0 min"
    assert world.balance() == 0
    assert owner(world, f"/credit {USER} -1") == f"✅ Ann ({USER}): +0 min, balance 0 min"
    assert world.balance() == 0


@pytest.mark.parametrize("args", ["", "777", "777 1.5", "777 ten", "abc 5", "777 0", "777 5 extra"])
def test_credit_with_bad_arguments_shows_the_usage_and_changes_nothing(world, args):
    world.user(balance=5)
    assert owner(world, f"/credit {args}").startswith("Usage: /credit")
    assert world.balance() == 5 and world.texts() == []


def test_credit_to_an_unknown_user(world):
    assert owner(world, "/credit 123 5") == "User 123 not found"


def test_credit_redelivered_update_applies_once(world):
    world.user()
    world.text(f"/credit {USER} 7", user_id=OWNER, update_id=4242)
    world.text(f"/credit {USER} 7", user_id=OWNER, update_id=4242)
    assert world.balance() == 7


# -- /review_trials ---------------------------------------------------------------------------------------


def test_review_trials_with_nothing_pending(world):
    assert owner(world, "/review_trials") == "✅ No pending trial requests"


# -- statistics ----------------------------------------------------------------------------------------------


def test_stat_counts_thirty_days_and_ranks_the_top_five(world):
    for i in range(8):
        world.user(user_id=100 + i, first_name=f"User{i}", created_at=world.clock.now() - 40 * DAY_S)
    for i in range(7):
        for _ in range(i + 1):
            log_transcription(world, 100 + i, 60 * (i + 1), chars=10)
    log_transcription(world, 107, 6000, ago_s=31 * DAY_S)  # outside the window
    text = owner(world, "/stat")
    assert "Users: 8 (new 0), active 7" in text
    assert "Transcriptions: 28" in text  # 1 + 2 + ... + 7
    assert "Characters: 280" in text
    top = [line for line in text.splitlines() if line[:2] in ("1.", "2.", "3.", "4.", "5.", "6.")]
    assert len(top) == 5 and top[0].startswith("1. User6 (<code>106</code>) — 49.0 min, 7 files")
    assert "User1 " not in text


def test_cost_estimates_from_the_documented_rates(world):
    world.user()
    log_transcription(world, USER, 600, chars=5000)  # 10 min plain
    log_transcription(world, USER, 600, chars=5000, mode="dialogue")  # 10 min dialogue
    text = owner(world, "/cost")
    # ASR: 600 s × 0.000035 + 600 s × 0.00007 = 0.063; infrastructure: 6.5 per 30 days.
    assert "Audio: 20.0 min" in text and "ASR: $0.06" in text and "Infrastructure: $6.50" in text
    assert "LLM: $0.00" in text and "Total: $6.56" in text
    assert "qwen3-asr-flash $3.5e-05/s" in text and "fun-asr + qwen3-asr-flash-filetrans" in text


def test_cost_uses_the_rates_of_the_configured_models_and_names_an_unpriced_one(world):
    world.configure(asr_model="qwen3-asr-flash", speaker_model="fun-asr",
                    text_pass_model="qwen3-asr-flash-filetrans", llm_model="qwen9-future")
    world.user()
    log_transcription(world, USER, 600, chars=5000)
    text = owner(world, "/cost")
    assert "qwen9-future $0/$0 per M tokens" in text
    assert "No known price for: qwen9-future" in text


def test_metrics_honours_its_hours(world):
    world.user()
    log_transcription(world, USER, 60, ago_s=30 * 60)
    log_transcription(world, USER, 60, ago_s=30 * 3600)
    one = owner(world, "/metrics 1")
    two_days = owner(world, "/metrics 48")
    assert "Last 1 h" in one and "Transcriptions: 1" in one
    assert "Last 48 h" in two_days and "Transcriptions: 2" in two_days
    assert "Transcriptions: 1" in owner(world, "/metrics")  # 24 h by default
    assert "Unfinished jobs now: 0" in one


@pytest.mark.parametrize("hours", ["0", "-5", "abc", "nan", "100000"])
def test_metrics_with_bad_hours_shows_the_usage(world, hours):
    assert owner(world, f"/metrics {hours}").startswith("Usage: /metrics")


def test_report_daily_and_weekly(world):
    world.user()
    world.logs.add_payment(PaymentLog("p1", USER, "start_50", 50, 35, world.clock.now() - 3 * DAY_S))
    daily = owner(world, "/report daily")
    weekly = owner(world, "/report weekly")
    assert daily.startswith("<b>📊 Daily report</b>") and "Payments: 0" in daily
    assert weekly.startswith("<b>📊 Weekly report</b>") and "Payments: 1 (35 ⭐, 50 min)" in weekly
    assert owner(world, "/report").startswith("<b>📊 Daily report</b>")
    assert owner(world, "/report monthly") == "Usage: /report daily|weekly"


# -- jobs: /status, /batch, /flush ----------------------------------------------------------------------------


def test_status_and_batch_list_unfinished_jobs(world, tmp_path):
    world.user(balance=20)
    world.user(user_id=888, balance=20)
    mine = [queued_voice(world, tmp_path) for _ in range(2)]
    theirs = queued_voice(world, tmp_path, user_id=888)
    status = owner(world, "/status")
    assert status.startswith("⚙️ Unfinished jobs: 3 (queued 3, processing 0)")
    for job_id in (*mine, theirs):
        assert job_id[:8] in status
    batch = owner(world, f"/batch {USER}")
    assert batch.startswith(f"⚙️ Unfinished jobs of {USER}: 2") and theirs[:8] not in batch
    assert owner(world, "/batch").startswith("Usage: /batch")
    world.drain()  # nothing to decode: the dummy files fail, and are refunded
    assert owner(world, "/status").startswith("⚙️ Unfinished jobs: 0")


def test_flush_fails_stuck_jobs_with_a_refund_of_what_they_took_and_tells_the_user(world, tmp_path):
    world.user(balance=10)
    job_id = queued_voice(world, tmp_path)  # 90 s: 2 minutes reserved
    world.queue.receive()  # the worker took the message and died: nothing acknowledges it
    assert world.balance() == 8
    assert owner(world, "/flush") == "🧹 Stuck jobs: 0 sent to the queue again, 0 failed with a refund"
    world.clock.advance(4 * 3600)
    # Never attempted, workers idle: its message is taken for lost and published once more ...
    assert owner(world, "/flush") == "🧹 Stuck jobs: 1 sent to the queue again, 0 failed with a refund"
    world.clock.advance(QUEUED_GRACE_S + 1)
    text = owner(world, "/flush")  # ... and when even that one is not taken, the job is failed
    assert text.startswith("🧹 Stuck jobs: 0 sent to the queue again, 1 failed with a refund")
    assert job_id[:8] in text
    assert world.jobs.get(job_id).status is JobStatus.FAILED
    assert world.balance() == 10
    assert returns_minutes(world.texts()[-1])
    owner(world, "/flush")
    assert world.balance() == 10


# -- /mute ------------------------------------------------------------------------------------------------------


def test_mute_sets_shows_and_clears_the_deadline_in_bot_state(world):
    assert owner(world, "/mute") == "🔔 Alerts on"
    assert owner(world, "/mute 2").startswith("🔕 Alerts muted for 2 h (until 2026-01-01 02:00 UTC)")
    assert float(world.state.get(MUTE_KEY)) == world.clock.now() + 7200
    alerts = OwnerAlerts(world.chat, world.state, world.clock, OWNER)
    assert alerts.alert("boom") is False
    world.clock.advance(1800)
    assert owner(world, "/mute").startswith("🔕 Muted for 1.5 h more")
    assert owner(world, "/mute off") == "🔔 Alerts on" and world.state.get(MUTE_KEY) is None
    assert alerts.alert("boom") is True


@pytest.mark.parametrize("arg", ["0", "-1", "soon", "100000", "inf"])
def test_mute_with_bad_hours_shows_the_usage(world, arg):
    assert owner(world, f"/mute {arg}").startswith("Usage: /mute")
    assert world.state.get(MUTE_KEY) is None


# -- /export ----------------------------------------------------------------------------------------------------


def test_export_users_is_a_utf8_csv_with_a_bom_and_every_user(world):
    world.user(user_id=1, first_name="Пётр", balance=3)
    world.user(user_id=2, first_name="Ann", trial=TrialStatus.PENDING)
    owner(world, "/export users")
    event = owner_event(world)
    assert event.kind == "document" and event.filename.startswith("users_") and event.filename.endswith(".csv")
    rows = read_csv(event)
    assert rows[0][:6] == ["user_id", "first_name", "last_name", "username", "balance_minutes", "trial_status"]
    assert {(r[0], r[1], r[4], r[5]) for r in rows[1:]} == {("1", "Пётр", "3", "none"), ("2", "Ann", "0", "pending")}
    assert event.text == "users: 2 rows"


def test_export_logs_and_payments_have_one_row_per_entry_within_the_days(world):
    world.user()
    for ago in (1, 2, 3):
        log_transcription(world, USER, 30, ago_s=ago * DAY_S - 10)
    log_transcription(world, USER, 30, ago_s=40 * DAY_S)
    for i, ago in enumerate((1, 5)):
        world.logs.add_payment(PaymentLog(f"ch{i}", USER, "start_50", 50, 35, world.clock.now() - ago * DAY_S + 10))
    owner(world, "/export logs 7")
    logs = read_csv(owner_event(world))
    assert logs[0][:3] == ["timestamp", "user_id", "job_id"] and len(logs) == 1 + 3
    owner(world, "/export logs")
    assert len(read_csv(owner_event(world))) == 1 + 3  # 30 days by default: the 40-day-old row is out
    owner(world, "/export payments 2")
    payments = read_csv(owner_event(world))
    assert payments[1][1:] == [str(USER), "start_50", "50", "35", "ch0"] and len(payments) == 2
    assert owner_event(world).text == "payments: 1 row, last 2 days"


@pytest.mark.parametrize("args", ["", "everything", "logs 0", "logs x", "users -1"])
def test_export_with_bad_arguments_shows_the_usage(world, args):
    assert owner(world, f"/export {args}").startswith("Usage: /export")


def test_user_list_with_very_long_names_stays_within_a_message_and_keeps_tags_whole(world):
    for i in range(20):
        world.user(user_id=50 + i, first_name="&<>" * 60, last_name="&" * 64, created_at=float(i))
    text = owner(world, "/user")
    assert len(text) <= 4000
    assert text.count("<code>") == text.count("</code>") and text.count("<b>") == text.count("</b>")


def test_review_trials_sends_at_most_twenty_cards_at_once(world):
    for uid in range(300, 325):
        world.user(user_id=uid)
        world.text("/trial", user_id=uid)
    sent_before = len(world.texts(OWNER))
    owner(world, "/review_trials")
    new = world.texts(OWNER)[sent_before:]
    assert new[0] == "⏳ Pending trial requests: 25" and len(new) == 1 + 20 + 1
    assert new[-1].startswith("… and 5 more")
