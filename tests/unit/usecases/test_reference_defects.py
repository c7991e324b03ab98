"""One test per rule about commands, trials, payments and billing that is easy to get wrong.

Each docstring states the rule and how breaking it would show; the test fails if it is broken. Everything goes
through the webhook use case (``World.text/press/pre_checkout/paid/media``) and asserts on what
the user and the owner see and on the ledger.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from domain.users import TrialStatus, User
from ports.errors import ConflictError
from ports.repositories import TranscriptionLog
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import make_audio
from tests.messages import is_message, returns_minutes
from tests.world import OWNER, USER
from usecases.alerts import OwnerAlerts
from usecases.inbound import IncomingMessage, SuccessfulPayment
from usecases.owner import MUTE_KEY
from usecases.sweep_jobs import ABANDONED_AFTER_S


def owner(world, text: str) -> str:
    assert world.text(text, user_id=OWNER).startswith("owner:")
    return world.texts(OWNER)[-1]


def open_invoice(world, package: str) -> tuple[str, int]:
    world.press(f"buy:{package}", message_id=1)
    invoice = [e for e in world.chat.events if e.kind == "invoice"][-1]
    return invoice.extra["payload"], invoice.extra["stars"]


def dummy_voice(tmp_path):
    source = tmp_path / "voice.ogg"
    source.write_bytes(b"OggS" + bytes(64))
    return source


# -- commands and owner tools ----------------------------------------------------------------------------


def test_d1_start_at_botname_is_the_start_command(world):
    """``/start@BotName`` runs ``/start`` (stripping ``@`` before splitting made it "unknown command")."""
    assert world.text("/start@TranscriberBot") == "command:start"
    assert world.text("/BALANCE@transcriberbot") == "command:balance"
    assert world.texts()[0].startswith("👋") and world.texts()[1].startswith("💰")
    assert say("ru", M.unknown_command) not in world.texts()


def test_d2_metrics_honours_its_hours_and_counts_every_row(world):
    """``/metrics <hours>`` covers those hours, counted from scans that read every row."""
    world.user()
    now = world.clock.now()
    for i in range(1_200):  # more rows than a fixed scan cap of 1000
        world.logs.add_transcription(TranscriptionLog(f"l{i}", USER, f"j{i}", 30.0, 1, 10, "plain", now - 600))
    world.logs.add_transcription(TranscriptionLog("old", USER, "jold", 30.0, 1, 10, "plain", now - 30 * 3600))
    one_hour = owner(world, "/metrics 1")
    two_days = owner(world, "/metrics 48")
    assert "Transcriptions: 1,200" in one_hour
    assert "Transcriptions: 1,201" in two_days
    assert one_hour != two_days


def test_d3_mute_is_shared_state_and_survives_a_cold_start(world):
    """The mute deadline is shared state: an instance's temporary disk would lose it on a cold start."""
    owner(world, "/mute 3")
    world.rebuild()  # a cold start: a new AcceptUpdate, nothing kept in memory
    assert owner(world, "/mute").startswith("🔕 Muted for 3.0 h more")
    # Another function's instance (the worker's alert handler) reads the same deadline.
    assert OwnerAlerts(world.chat, world.state, world.clock, OWNER).alert("failure") is False
    assert float(world.state.get(MUTE_KEY)) == world.clock.now() + 3 * 3600


def test_d4_trial_requests_store_a_real_timestamp(world):
    """A trial request stores the real time of the request, not a placeholder such as ``'now'``."""
    world.clock.advance(86_400 + 3_600 * 13 + 60 * 7)  # 2026-01-02 13:07 UTC
    world.user()
    world.text("/trial")
    request = world.trials.get(USER)
    assert isinstance(request.requested_at, float) and request.requested_at == world.clock.now()
    assert "Requested 2026-01-02 13:07 UTC" in world.texts(OWNER)[-1]


def test_d5_owner_is_told_of_trial_requests_and_denied_users_are_told(world):
    """The owner is told of every trial request, and a denied user is told too."""
    world.user()
    world.text("/trial")
    card = [e for e in world.chat.events if e.chat_id == OWNER][-1]
    assert card.text.startswith("🆕 Trial request") and card.keyboard
    world.press(f"trial:deny:{USER}", user_id=OWNER, message_id=card.message_id)
    assert world.texts()[-1] == say("ru", M.trial_denied_user)


def test_d6_credit_wording_does_not_depend_on_the_amount_and_fractions_are_refused(world):
    """``/credit`` wording depends on the sign, not on the amount (15 is not "trial approved");
    fractions are refused, not truncated."""
    world.user()
    owner(world, f"/credit {USER} 15")
    assert world.texts()[-1] == say("ru", M.credited_by_admin, minutes=15, balance=15)
    assert "одобрена" not in world.texts()[-1].lower()
    assert world.users.get(USER).trial is TrialStatus.NONE
    assert owner(world, f"/credit {USER} 1.9").startswith("Usage: /credit")
    assert world.balance() == 15


@pytest.mark.slow
def test_d7_documents_are_billed_from_the_decoded_duration_and_undecodable_ones_not_at_all(world, tmp_path):
    """Documents (declared duration 0) are queued, never run in the webhook; an undecodable one is free."""
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 65.0)], fmt="mp3")  # about 67 s: 2 minutes
    update_id, route = world.media(audio, kind=MediaKind.DOCUMENT)
    assert route == "media:queued"  # never inside the webhook
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 2
    assert world.balance() == 8
    garbage = tmp_path / "notes.mp3"
    garbage.write_bytes(b"ID3" + bytes(range(256)) * 40)
    update_id, _ = world.media(garbage, kind=MediaKind.DOCUMENT)
    world.drain()
    assert world.job_of(update_id).status is JobStatus.FAILED
    assert world.balance() == 8  # not 10 minutes, not even 1


# -- billing and payments --------------------------------------------------------------------------------------


@pytest.mark.parametrize("trial", list(TrialStatus))
def test_d8_an_empty_balance_blocks_every_trial_status(world, tmp_path, trial):
    """An empty balance blocks a file whatever the trial status (pending, approved and denied included)."""
    world.user(balance=0, trial=trial)
    update_id, route = world.media(dummy_voice(tmp_path), duration_s=20)
    assert route == "media:no_minutes"
    assert world.job_of(update_id) is None and world.balance() == 0
    assert is_message(world.texts()[-1], M.no_minutes)


def test_d9_minutes_are_taken_before_any_work_not_after_delivery(world, tmp_path):
    """Minutes are taken before any work: charging after delivery would make a late failure free."""
    world.user(balance=10)
    update_id, route = world.media(dummy_voice(tmp_path), duration_s=150)
    assert route == "media:queued" and world.job_of(update_id).status is JobStatus.QUEUED
    assert world.balance() == 7  # reserved at acceptance, before the worker even started


def test_d10_concurrent_files_never_overspend(world, tmp_path):
    """Parallel files never overspend: each reservation is checked against the current balance."""
    world.user(balance=5)
    source = dummy_voice(tmp_path)
    barrier = threading.Barrier(20)

    def send(i: int) -> str:
        barrier.wait()
        return world.media(source, duration_s=90, update_id=60_000 + i, unique=f"f{i}")[1]

    with ThreadPoolExecutor(max_workers=20) as pool:
        routes = list(pool.map(send, range(20)))
    assert routes.count("media:queued") == 2 and routes.count("media:no_minutes") == 18
    assert world.balance() == 1


def test_d11_writes_are_conditional_and_the_micro_counter_is_locked(world):
    """Balance writes are conditional (a row without the column never passes) and the micro counter is locked.

    Here every write is conditional on the row's version (see tests/contract/test_repositories.py:
    ``test_save_with_a_stale_version_conflicts``, ``test_a_row_missing_its_version_never_passes_a_versioned_write``,
    ``test_fifty_concurrent_debits_never_overspend``, ``test_micro_purchases_stop_at_the_limit_once_per_key``,
    run against the memory twins and the Tablestore adapter on a loopback server).
    """
    world.user()
    stale = world.users.get(USER)
    world.text("/code")  # a concurrent change
    with pytest.raises(ConflictError):
        world.users.save(attrs.evolve(stale, first_name="Lost update"))
    barrier = threading.Barrier(16)

    def count(i: int) -> bool:
        barrier.wait()
        return world.users.increment_micro_purchases(USER, f"op{i}", 3)

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert sum(pool.map(count, range(16))) == 3
    assert world.users.get(USER).micro_purchases == 3


def test_d12_flush_never_refunds_minutes_that_were_never_taken(world, tmp_path):
    """``/flush`` refunds only minutes a stuck job really took; one never charged gets nothing back."""
    world.user(balance=3)
    stuck, _ = world.media(dummy_voice(tmp_path), duration_s=90)  # 2 minutes reserved
    refused, route = world.media(dummy_voice(tmp_path), duration_s=600)  # 10 minutes: refused, no job
    assert route == "media:no_minutes" and world.balance() == 1
    world.queue.receive()  # taken by a worker that then died
    world.clock.advance(ABANDONED_AFTER_S + 1)  # never claimed for a day: given up on
    owner(world, "/flush")
    assert world.job_of(stuck).status is JobStatus.FAILED
    assert world.job_of(refused) is None
    assert world.balance() == 3  # exactly what was taken, nothing for the refused file
    owner(world, "/flush")
    owner(world, "/flush")
    assert world.balance() == 3


def test_d13_pre_checkout_validates_and_a_real_invoice_passes(world):
    """Pre-checkout validates the invoice, and a real invoice passes (a check against fields the invoice
    does not carry would reject every payment)."""
    world.user()
    payload, stars = open_invoice(world, "standard_200")
    assert world.pre_checkout(payload, stars) == "pre_checkout:ok"
    assert world.pre_checkout(payload, 1) == "pre_checkout:refused"
    assert world.pre_checkout("minutes_200", stars) == "pre_checkout:refused"
    assert world.pre_checkout("buy_standard_200", stars) == "pre_checkout:refused"
    assert world.pre_checkout(payload.replace(str(USER), "778"), stars) == "pre_checkout:refused"
    oks = [e.extra["ok"] for e in world.chat.events if e.kind == "pre_checkout"]
    assert oks == [True, False, False, False, False]


def test_d14_the_micro_limit_is_enforced_at_pre_checkout(world):
    """The micro limit holds at pre-checkout: several invoices opened at the button cannot all be paid."""
    world.user()
    invoices = [open_invoice(world, "micro_10") for _ in range(6)]
    routes = [world.pre_checkout(payload, stars) for payload, stars in invoices]
    assert routes.count("pre_checkout:ok") == 3
    assert world.users.get(USER).micro_purchases == 3


def test_d15_a_redelivered_successful_payment_credits_once(world):
    """A redelivered ``successful_payment`` credits once (keyed on ``telegram_payment_charge_id``)."""
    world.user()
    payload, stars = open_invoice(world, "start_50")
    world.pre_checkout(payload, stars)
    for update_id in (1, 1, 2, 3):
        world.paid(payload, stars, charge_id="charge-42", update_id=update_id)
    assert world.balance() == 50 and len(world.logs.payment_rows) == 1


def test_d16_approving_a_trial_twice_credits_once_and_it_does_not_reappear(world):
    """An approved request leaves /review_trials, and a second approval credits nothing."""
    world.user()
    world.text("/trial")
    world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=None)
    assert owner(world, "/review_trials") == "✅ No pending trial requests"
    world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=None)
    world.text("/trial")
    world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=None)
    assert world.balance() == 15


def test_d17_successful_payment_is_not_swallowed_by_the_message_handler(world):
    """``successful_payment`` is routed before the generic message handling, so a paying user is credited."""
    world.user()
    payload, stars = open_invoice(world, "start_50")
    world.pre_checkout(payload, stars)
    # Even a payment message that also carries text and an update id the command path has seen.
    world.text("/balance", update_id=9_999)
    message = IncomingMessage(9_999, world.sender(), USER, 55, text="thanks",
                              payment=SuccessfulPayment("XTR", stars, payload, "charge-17"))
    assert world.accept(message) == "payment:credited"
    assert world.balance() == 50
    assert world.texts()[-1] == say("ru", M.payment_ok, minutes=50, balance=50)


def test_d18_balance_arithmetic_is_exact_whole_minutes(world, tmp_path):
    """Balance arithmetic is exact whole minutes, stored as an integer (61 s costs 2 minutes)."""
    world.user(balance=10)
    world.media(dummy_voice(tmp_path), duration_s=61)  # 61 s costs 2 minutes
    balance = world.users.get(USER).balance_minutes
    assert balance == 8 and type(balance) is int


def test_d19_a_failed_job_refunds_everything_it_took(world, tmp_path):
    """A failed job refunds everything it took (minutes are taken up front: "not charging" is not enough)."""
    world.user(balance=10)
    update_id, _ = world.media(dummy_voice(tmp_path), duration_s=150)
    assert world.balance() == 7
    job = world.job_of(update_id)
    (world.media_dir / job.file_id).unlink()  # Telegram no longer serves the file
    world.drain()
    assert world.job_of(update_id).status is JobStatus.FAILED
    assert world.balance() == 10
    assert returns_minutes(world.texts()[-1])


def test_d23_jobs_carry_their_creation_time_so_stuck_ones_are_found(world, tmp_path):
    """Jobs carry ``created_at``: stuck-job detection needs it to find them."""
    world.user(balance=10)
    update_id, _ = world.media(dummy_voice(tmp_path), duration_s=90)
    assert world.job_of(update_id).created_at == world.clock.now()
    world.queue.receive()
    world.clock.advance(ABANDONED_AFTER_S + 1)
    assert "1 failed with a refund" in owner(world, "/flush")


# -- operations --------------------------------------------------------------------------------------------------


def test_d47_owner_figures_count_every_row_beyond_a_thousand(world):
    """Owner figures count every row: an unpaginated scan with a fixed cap would truncate them."""
    for i in range(1_500):
        world.users.create(User(user_id=100_000 + i, first_name=f"Person{i:04d}", created_at=world.clock.now() - i))
    assert "Users: 1500 (new 1500)" in owner(world, "/stat")
    assert "Users: 1,500" in owner(world, "/report daily")
    assert "👥 Users: 1500 · page 1/75" in owner(world, "/user")
    assert "<code>101499</code>" in owner(world, "/user Person1499")  # the oldest, far past any cap
    owner(world, "/export users")
    document = [e for e in world.chat.events if e.kind == "document"][-1]
    assert document.data.decode("utf-8").count("\n") == 1 + 1_500

