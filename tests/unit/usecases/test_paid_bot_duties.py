"""What Telegram and users expect of a paid bot, through the use cases: /paysupport, /terms and
/privacy from configuration; the owner's /refund (the Stars back through refundStarPayment once, the
minutes taken back, never below zero); /cancel (the job stops, its minutes come back); /forget (the
user's transcripts deleted, accounting kept). Every test ends with the ledger invariant (tests/ledger.py)."""

from __future__ import annotations

import time

import attrs
import pytest

from adapters.alibaba.tablestore import TABLES
from domain.audio import MediaKind
from domain.job import JobStatus
from domain.users import UserSettings
from ports.errors import PermanentFailure, TransientFailure
from presentation.catalogue import say
from presentation.en import EN
from presentation.keys import M
from presentation.ru import RU
from tests.audio_factory import fixture, make_audio
from tests.unit.usecases.test_payments import buy
from tests.world import OWNER, USER, evolve_policy
from usecases.accept_media import job_id_for
from usecases.refunds import refund_op_key
from usecases.support import JOB_RECORD_DAYS, MENU_COMMANDS, USAGE_LOG_DAYS, command_menus

OTHER = 888


def configure(world, **changes) -> None:
    """The deployment's SUPPORT_CONTACT / REFUND_WINDOW_DAYS, as the container passes them."""
    world.configure(**changes)


def last(world, chat_id: int = USER) -> str:
    return world.texts(chat_id)[-1]


# -- /paysupport, /terms, /privacy --------------------------------------------------------------------


def test_paysupport_gives_the_owners_contact_and_the_refund_policy_in_russian(world):
    configure(world, support_contact="@transcriber_help", refund_window_days=30)
    world.user(balance=5)
    assert world.text("/paysupport") == "command:paysupport"
    text = last(world)
    assert "@transcriber_help" in text and "в течение 30 дн. после оплаты" in text
    assert "не Telegram" in text and "/terms" in text
    assert world.balance() == 5 and world.chat.refunded == []


def test_paysupport_and_terms_in_english_and_a_final_sale_policy(world):
    configure(world, support_contact="help@example.org", refund_window_days=0)
    world.user(settings=UserSettings(ui_language="en"))
    world.text("/paysupport")
    assert "help@example.org" in last(world) and "purchases are final" in last(world)
    world.text("/terms")
    terms = last(world)
    assert terms.startswith("📄 Terms") and "help@example.org" in terms and "purchases are final" in terms
    # The retention, as stored: job rows, the cache (RESULTS_TTL_S), usage rows without text.
    assert f"up to {JOB_RECORD_DAYS} days" in terms and "up to 30 days after it was last used" in terms
    assert f"for {USAGE_LOG_DAYS} days" in terms and "/forget" in terms


def test_terms_state_the_configured_cache_retention_and_privacy_answers_too(world):
    evolve_policy(world, results_ttl_s=10 * 86400)
    configure(world, support_contact="@owner")
    world.user()
    world.text("/terms")
    assert "в кэше (чтобы тот же файл отвечался сразу) — до 10 дн." in last(world)
    assert "в течение 14 дн." in last(world)  # REFUND_WINDOW_DAYS's default
    world.text("/privacy")
    assert last(world).startswith("🛡 Конфиденциальность") and "@owner" in last(world) and "до 10 дн." in last(world)


def test_without_a_contact_the_answer_says_so_rather_than_printing_nothing(world):
    world.user()
    world.text("/paysupport")
    assert RU.support_contact_unset in last(world)


def test_help_lists_the_new_commands(world):
    world.text("/help")
    for command in ("/cancel", "/forget", "/paysupport", "/terms", "/privacy"):
        assert command in last(world)


def test_the_stated_retention_is_the_stores_own():
    assert TABLES["audio_jobs"][1] == JOB_RECORD_DAYS * 86400
    assert TABLES["transcription_logs"][1] == USAGE_LOG_DAYS * 86400


def test_the_command_menu_has_a_list_per_language_within_telegrams_limits():
    menus = {m.language_code: dict(m.commands) for m in command_menus()}
    assert set(menus) == {"", "en", "ru", "uk", "be", "kk"}
    assert menus["ru"]["paysupport"] == RU.menu_paysupport and menus[""]["terms"] == EN.menu_terms
    assert menus["ru"]["upload"] == "Загрузить файл больше 20 МБ" and menus["en"]["upload"] == "Upload a file over 20 MB"
    assert len(MENU_COMMANDS) == 14 and MENU_COMMANDS[-1] == "upload"
    for commands in menus.values():
        assert tuple(commands) == MENU_COMMANDS
        for name, description in commands.items():
            assert 1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()
            assert 1 <= len(description) <= 256


# -- /refund <charge_id> (owner) ------------------------------------------------------------------------


def owner_says(world) -> str:
    return last(world, OWNER)


def test_the_owner_refunds_a_payment_once_and_the_minutes_go_with_it(world):
    world.user(balance=3)
    assert buy(world, "start_50", "ch-refund-1") == "payment:credited"
    assert world.balance() == 53
    assert world.text("/refund ch-refund-1", user_id=OWNER) == "owner:refund"
    assert world.chat.refunded == ["ch-refund-1"]
    assert world.balance() == 3
    assert "took back 50 of 50 min" in owner_says(world) and "35⭐" in owner_says(world)
    assert last(world).startswith("↩️ Платёж на 35⭐ возвращён") and "списано 50 мин." in last(world)
    told = len(world.texts())
    # Typed again (or the update delivered again): Telegram is not asked to do more, nothing moves.
    world.text("/refund ch-refund-1", user_id=OWNER)
    assert world.chat.refunded == ["ch-refund-1"] and world.balance() == 3
    assert owner_says(world).startswith("Already refunded: charge ch-refund-1")
    assert len(world.texts()) == told  # the user is told once
    assert sum(1 for _, key, _ in world.users.journal if key == refund_op_key("ch-refund-1")) == 1


def test_minutes_already_used_are_not_taken_below_zero_and_both_sides_are_told(world):
    world.user(balance=0)
    buy(world, "micro_10", "ch-used")
    world.media(fixture("privet_ru"))  # an inline note: 1 minute used
    assert world.balance() == 9
    world.text("/refund ch-used", user_id=OWNER)
    assert world.balance() == 0 and world.chat.refunded == ["ch-used"]
    assert "took back 9 of 10 min (1 min had already been used)" in owner_says(world)
    assert "списано 9 из 10 мин." in last(world)


def test_an_unknown_charge_a_refusal_and_a_non_owner_change_nothing(world):
    world.user(balance=0)
    buy(world, "start_50", "ch-keep")
    world.text("/refund ch-nope", user_id=OWNER)
    assert owner_says(world) == "No payment with charge ch-nope: nothing refunded (see /export payments)"
    assert world.text("/refund ch-keep") == "ignored"  # the user themself: no reaction at all
    world.text("/refund", user_id=OWNER)
    assert owner_says(world).startswith("Usage: /refund <charge_id>")

    def refuse(user_id, charge_id):
        raise PermanentFailure("telegram", "Bad Request: CHARGE_NOT_FOUND", code="400")

    world.chat.refund_star_payment = refuse
    world.text("/refund ch-keep", user_id=OWNER)
    assert "Telegram refused to refund charge ch-keep" in owner_says(world) and "Nothing was taken back" in owner_says(world)
    assert world.balance() == 50 and world.chat.refunded == []


def test_a_refund_met_by_an_outage_is_finished_by_the_redelivered_command(world):
    world.user(balance=0)
    buy(world, "start_50", "ch-outage")
    apply_balance, outage = world.users.apply_balance, [world.policy.retry_attempts]

    def taking_the_minutes_meets_an_outage(user_id, op_key, delta):
        if op_key.startswith("refund-payment:") and outage[0]:
            outage[0] -= 1
            raise TransientFailure("memory-store", "injected outage")
        return apply_balance(user_id, op_key, delta)

    world.users.apply_balance = taking_the_minutes_meets_an_outage
    update_id = 9000
    with pytest.raises(TransientFailure):  # the webhook answers 503; its update claim is released
        world.text("/refund ch-outage", user_id=OWNER, update_id=update_id)
    assert world.chat.refunded == ["ch-outage"] and world.balance() == 50
    world.text("/refund ch-outage", user_id=OWNER, update_id=update_id)  # Telegram delivers it again
    assert world.chat.refunded == ["ch-outage"] and world.balance() == 0
    assert "took back 50 of 50 min" in owner_says(world)


# -- /cancel ------------------------------------------------------------------------------------------------


def test_cancel_stops_a_queued_job_and_returns_every_minute(world, tmp_path):
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 60.0), "speaker_a"], fmt="ogg")
    update_id, route = world.media(audio)
    assert route == "media:queued" and world.balance() == 8
    assert world.text("/cancel") == "command:cancel"
    assert last(world) == say("ru", M.cancel_requested, count=1, minutes=2)
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and job.error == "job_cancelled" and job.charged_minutes == 0
    assert world.balance() == 10
    assert world.recognizer.clips == []  # no paid work was started
    assert RU.job_cancelled in world.texts()  # the status message says so
    world.text("/cancel")
    assert last(world) == RU.cancel_none


def test_cancel_stops_a_running_job_at_its_next_checkpoint(world, tmp_path):
    """The user sends /cancel while the worker recognises the first of three chunks: the chunk in
    flight finishes, no further one is started, the job fails with a full refund."""
    evolve_policy(world, asr_concurrency=1)
    world.user(balance=20)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 100.0), "speaker_b"],
                       fmt="mp3")
    recognize = world.recognizer.recognize
    cancelled = []

    def recognize_then_cancel(clip, *, language=None):
        if not cancelled:
            cancelled.append(world.text("/cancel"))  # another webhook invocation, meanwhile
        else:
            time.sleep(0.2)  # a real request takes a while: the worker stops before a third one
        return recognize(clip, language=language)

    world.recognizer.recognize = recognize_then_cancel
    update_id, _ = world.media(audio, kind=MediaKind.AUDIO)
    reserved = 20 - world.balance()
    world.drain()
    job = world.job_of(update_id)
    assert cancelled == ["command:cancel"]
    assert job.status is JobStatus.FAILED and job.error == "job_cancelled"
    assert len(world.recognizer.clips) <= 2  # the chunk that saw the cancel, and at most the one in flight
    assert world.balance() == 20 and reserved >= 1
    assert RU.job_cancelled in world.texts()


def test_a_transcript_already_being_sent_is_not_cancelled_and_is_charged(world, tmp_path):
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 60.0), "speaker_a"], fmt="ogg")
    update_id, _ = world.media(audio)
    job = world.job_of(update_id)
    world.jobs.save(attrs.evolve(job, real_duration_ms=68_000, result_text="Готовый текст.", result_mode="plain"))
    world.text("/cancel")
    assert last(world) == say("ru", M.cancel_finishing, count=1)
    assert not world.job_of(update_id).cancel_requested
    world.drain()
    assert world.job_of(update_id).status is JobStatus.COMPLETED and world.balance() == 8


# -- /forget -----------------------------------------------------------------------------------------------


def test_forget_deletes_transcripts_and_cached_texts_and_keeps_the_accounts(world, tmp_path):
    world.user(balance=10)
    world.user(OTHER, balance=10)
    mine, _ = world.media(fixture("privet_ru"), unique="uniq-mine")
    shared, _ = world.media(fixture("privet_ru"), unique="uniq-shared")
    world.media(fixture("privet_ru"), unique="uniq-shared", user_id=OTHER)  # bought from the cache
    audio = make_audio(tmp_path, ["hello_en", ("silence", 60.0), "speaker_a"], fmt="ogg")
    running, _ = world.media(audio)  # queued, not yet run
    assert world.results.get("uniq-shared", "plain", None).paid_by == (USER, OTHER)
    balance, logs = world.balance(), dict(world.logs.transcription_rows)

    assert world.text("/forget") == "command:forget"
    answer = last(world)
    assert answer.startswith("🗑 Удалено: тексты заданий — 2, тексты в кэше — 1.")
    assert "Остаются для учёта: баланс, записи о платежах" in answer
    assert say("ru", M.forget_shared, count=1) in answer and say("ru", M.forget_running, count=1) in answer
    for update_id in (mine, shared):
        job = world.job_of(update_id)
        assert job.status is JobStatus.COMPLETED and job.charged_minutes == 1  # the figures stay
        assert job.result_text is None and job.raw_text is None and job.file_id == "" and job.file_unique_id == ""
    assert world.results.get("uniq-mine", "plain", None) is None
    assert world.results.get("uniq-shared", "plain", None).paid_by == (OTHER,)  # theirs stays
    assert world.balance() == balance and world.logs.transcription_rows == logs
    assert world.job_of(running).status is JobStatus.QUEUED
    # Its export button has nothing left to export.
    assert world.press(f"export:{job_id_for(mine)}:txt", message_id=1) == "export:unavailable"
    world.drain()  # the running job finishes normally (and the ledger closes)
