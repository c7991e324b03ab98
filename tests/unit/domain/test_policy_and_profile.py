"""Policy defaults, audio spans and encoding profiles, and the job life cycle."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audio import (
    SHORT_PROFILE,
    STANDARD_PROFILE,
    MediaKind,
    Span,
    choose_profile,
)
from domain.errors import InvalidSpan, InvalidTransition
from domain.job import Job, JobStatus
from domain.policy import Policy

# --- Policy ------------------------------------------------------------------------------------


def test_policy_defaults_are_the_documented_ones() -> None:
    policy = Policy()
    assert policy.chunk_max_s == 150.0 and policy.chunk_max_ms == 150_000
    assert policy.chunk_overlap_s < policy.chunk_min_s < policy.chunk_max_s
    assert policy.message_limit == 4096 and policy.edit_limit <= policy.message_limit
    assert policy.download_limit_bytes == 20 * 1024 * 1024


def test_policy_is_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Policy().chunk_max_s = 1.0  # type: ignore[misc]


@given(st.floats(min_value=0.001, max_value=10_000, allow_nan=False))
def test_chunk_max_ms_is_the_whole_milliseconds_of_the_seconds(seconds: float) -> None:
    assert Policy(chunk_max_s=seconds).chunk_max_ms == int(seconds * 1000)


# --- Span --------------------------------------------------------------------------------------


def test_span_basics() -> None:
    span = Span(1000, 2500)
    assert span.length_ms == 1500 and span.mid_ms == 1750
    assert Span(0, 0).length_ms == 0


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (10, 5)])
def test_bad_spans_are_rejected(start: int, end: int) -> None:
    with pytest.raises(InvalidSpan):
        Span(start, end)
    with pytest.raises(ValueError):  # InvalidSpan is also a ValueError
        Span(start, end)
    # A bad span is a bug upstream: its log line must show the numbers.
    with pytest.raises(InvalidSpan, match=rf"^bad span {start}\.\.{end}$"):
        Span(start, end)


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_valid_spans_hold_their_midpoint(a: int, b: int) -> None:
    span = Span(min(a, b), max(a, b))
    assert span.start_ms <= span.mid_ms <= span.end_ms
    assert span.length_ms == abs(a - b)


def test_media_kinds_with_video() -> None:
    assert {k for k in MediaKind if k.has_video} == {MediaKind.VIDEO, MediaKind.VIDEO_NOTE}


# --- choose_profile ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "profile"),
    [
        (None, STANDARD_PROFILE),
        (0, STANDARD_PROFILE),  # unknown (documents report 0), not "short"
        (-3, STANDARD_PROFILE),
        (0.5, SHORT_PROFILE),
        (9.99, SHORT_PROFILE),
        (10.0, STANDARD_PROFILE),
        (3600, STANDARD_PROFILE),
    ],
)
def test_choose_profile(duration: float | None, profile) -> None:
    assert choose_profile(duration) == profile


def test_profiles_are_mono_mp3() -> None:
    assert (SHORT_PROFILE.bitrate_kbps, SHORT_PROFILE.sample_rate_hz) == (24, 8000)
    assert (STANDARD_PROFILE.bitrate_kbps, STANDARD_PROFILE.sample_rate_hz) == (32, 16000)
    for profile in (SHORT_PROFILE, STANDARD_PROFILE):
        assert profile.channels == 1 and profile.codec == "libmp3lame" and profile.mime_type == "audio/mpeg"


@given(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)))
def test_choose_profile_is_total_and_short_only_for_short_known_durations(duration: float | None) -> None:
    profile = choose_profile(duration)
    assert profile in (SHORT_PROFILE, STANDARD_PROFILE)
    assert (profile is SHORT_PROFILE) == (duration is not None and 0 < duration < 10)


# --- Job ---------------------------------------------------------------------------------------


def make_job(**changes) -> Job:
    job = Job(
        job_id="j1",
        user_id=1,
        chat_id=1,
        message_id=10,
        file_id="f",
        file_unique_id="u",
        kind=MediaKind.VOICE,
        declared_duration_s=12.0,
        file_size=1000,
        reserved_minutes=1,
        status_message_id=None,
        created_at=100.0,
    )
    return attrs.evolve(job, **changes)


def test_a_job_is_claimed_leased_and_completed() -> None:
    job = make_job()
    assert job.status is JobStatus.QUEUED and not job.is_leased(100.0)
    claimed = job.claimed(now=200.0, lease_s=900.0)
    assert claimed.status is JobStatus.PROCESSING and claimed.attempts == 1 and claimed.lease_until == 1100.0
    assert claimed.is_leased(1099.0) and not claimed.is_leased(1100.0)
    reclaimed = claimed.claimed(now=1200.0, lease_s=900.0)  # lease ran out: another worker retries
    assert reclaimed.attempts == 2
    done = reclaimed.completed(now=1300.0, charged=1)
    assert done.status is JobStatus.COMPLETED and done.charged_minutes == 1 and done.finished_at == 1300.0
    assert job.status is JobStatus.QUEUED  # values are immutable


def test_a_failed_job_charges_nothing_and_keeps_a_short_error() -> None:
    failed = make_job().claimed(0.0, 10.0).failed(now=5.0, error="x" * 2000)
    assert failed.status is JobStatus.FAILED and failed.charged_minutes == 0
    assert failed.error == "x" * 500 and failed.finished_at == 5.0


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED])
def test_terminal_jobs_do_not_move(status: JobStatus) -> None:
    job = make_job(status=status)
    assert status.is_terminal
    with pytest.raises(InvalidTransition):
        job.claimed(0.0, 10.0)
    with pytest.raises(InvalidTransition):
        job.completed(0.0, 1)
    with pytest.raises(InvalidTransition):
        job.failed(0.0, "boom")


def test_non_terminal_statuses() -> None:
    assert not JobStatus.QUEUED.is_terminal and not JobStatus.PROCESSING.is_terminal


@given(st.lists(st.sampled_from(["claim", "complete", "fail"]), max_size=8))
def test_any_sequence_of_transitions_ends_terminal_at_most_once(steps: list[str]) -> None:
    job = make_job()
    finished = 0
    for t, step in enumerate(steps):
        try:
            if step == "claim":
                job = job.claimed(float(t), 10.0)
            elif step == "complete":
                job = job.completed(float(t), 1)
                finished += 1
            else:
                job = job.failed(float(t), "e")
                finished += 1
        except InvalidTransition:
            assert job.status.is_terminal
    assert finished <= 1
    assert job.status.is_terminal == (finished == 1)


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED])
def test_a_refused_transition_names_the_job_and_its_state(status: JobStatus) -> None:
    # The error reaches the operator's logs when a late delivery tries to move a finished job.
    job = make_job(status=status)
    for move in (lambda: job.claimed(0.0, 10.0), lambda: job.completed(0.0, 1), lambda: job.failed(0.0, "boom")):
        with pytest.raises(InvalidTransition, match=f"^job j1 is {status.value}$"):
            move()


def test_a_claim_records_when_it_was_made() -> None:
    # The stuck-job sweeper measures "stuck" from the last claim, not from when the job was queued.
    claimed = make_job(status=JobStatus.QUEUED, created_at=1.0).claimed(7.0, 10.0)
    assert claimed.claimed_at == 7.0 and claimed.lease_until == 17.0
    assert claimed.claimed(30.0, 10.0).claimed_at == 30.0
