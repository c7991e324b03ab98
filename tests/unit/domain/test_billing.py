"""Minute arithmetic: price, settlement, balance changes, packages."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.billing import (
    PACKAGES,
    Settlement,
    apply_delta,
    balance_notice,
    find_package,
    minutes_for,
    settle,
)
from domain.errors import InvalidAmount

# --- minutes_for -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [
        (0, 0),
        (0.0004, 0),
        (0.001, 1),
        (1, 1),
        (59.9, 1),
        (60, 1),
        (60.0000001, 1),
        (61, 2),
        (120, 2),
        (3600, 60),
    ],
)
def test_any_started_minute_counts(seconds: float, minutes: int) -> None:
    assert minutes_for(seconds) == minutes


@pytest.mark.parametrize("seconds", [-1, -0.5, math.nan])
def test_impossible_durations_are_rejected(seconds: float) -> None:
    with pytest.raises(InvalidAmount):
        minutes_for(seconds)


durations = st.floats(min_value=0, max_value=10**7, allow_nan=False, allow_infinity=False)


@given(durations, durations)
def test_minutes_for_is_monotone(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert minutes_for(low) <= minutes_for(high)


@given(st.integers(0, 10**9))
def test_minutes_for_is_the_ceiling_of_whole_milliseconds(ms: int) -> None:
    minutes = minutes_for(ms / 1000)
    assert minutes == -(-ms // 60_000)
    assert (minutes - 1) * 60_000 < ms <= minutes * 60_000 or ms == minutes == 0


# --- settle ------------------------------------------------------------------------------------


def test_settle_examples() -> None:
    assert settle(5, 3) == Settlement(charge=3, refund=2, extra=0)
    assert settle(5, 5) == Settlement(charge=5, refund=0, extra=0)
    assert settle(2, 7) == Settlement(charge=7, refund=0, extra=5)
    assert settle(0, 0) == Settlement(0, 0, 0)


@pytest.mark.parametrize(("reserved", "cost"), [(-1, 0), (0, -1)])
def test_settle_rejects_negative_amounts(reserved: int, cost: int) -> None:
    with pytest.raises(InvalidAmount):
        settle(reserved, cost)


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_settle_conserves_minutes_and_is_never_negative(reserved: int, cost: int) -> None:
    s = settle(reserved, cost)
    assert s.charge == reserved - s.refund + s.extra
    assert s.charge == cost
    assert min(s.charge, s.refund, s.extra) >= 0
    assert s.refund == 0 or s.extra == 0
    assert s.kept == min(reserved, cost)  # what the reservation pays for, never more than it holds


# --- apply_delta -------------------------------------------------------------------------------


def test_apply_delta_examples() -> None:
    assert apply_delta(10, -3) == 7
    assert apply_delta(3, -3) == 0
    assert apply_delta(2, -3) is None
    assert apply_delta(0, 50) == 50


@given(st.integers(0, 10**6), st.integers(-(10**6), 10**6))
def test_apply_delta_never_returns_a_negative_balance(balance: int, delta: int) -> None:
    new = apply_delta(balance, delta)
    if balance + delta >= 0:
        assert new == balance + delta
    else:
        assert new is None


# --- packages and notices ----------------------------------------------------------------------


def test_packages_are_findable_and_sane() -> None:
    assert len({p.id for p in PACKAGES}) == len(PACKAGES)
    for package in PACKAGES:
        assert find_package(package.id) is package
        assert package.minutes > 0 and package.stars > 0
    assert find_package("nope") is None
    assert find_package("micro_10").purchase_limit == 3


@pytest.mark.parametrize(
    ("balance", "notice"), [(0, "empty"), (-1, "empty"), (1, "low"), (4, "low"), (5, None)]
)
def test_balance_notice(balance: int, notice: str | None) -> None:
    assert balance_notice(balance, low_threshold=5) == notice
