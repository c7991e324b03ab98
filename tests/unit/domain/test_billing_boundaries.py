"""Minute arithmetic exactly at its edges: nothing, a balance that reaches zero, a threshold met,
a delivery that stopped before its first or after its last part."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.billing import apply_delta, balance_notice, minutes_for, minutes_for_share, settle
from domain.errors import InvalidAmount


def test_no_audio_costs_nothing_and_is_not_an_error() -> None:
    assert minutes_for(0) == 0 and minutes_for(0.0) == 0
    assert minutes_for(0.0004) == 0  # under a millisecond rounds to nothing
    assert minutes_for(60.0004) == 1 and minutes_for(60.001) == 2


def test_a_reservation_of_nothing_settles_and_a_negative_one_is_refused() -> None:
    assert settle(0, 0).charge == 0
    assert settle(0, 3).extra == 3 and settle(3, 0).refund == 3
    for reserved, cost in ((-1, 0), (0, -1)):
        with pytest.raises(InvalidAmount):
            settle(reserved, cost)


def test_a_debit_may_take_the_balance_to_zero_but_not_below() -> None:
    assert apply_delta(0, 0) == 0
    assert apply_delta(1, -1) == 0
    assert apply_delta(0, -1) is None


@pytest.mark.parametrize(("balance", "threshold", "notice"), [
    (0, 0, "empty"), (0, 1, "empty"), (1, 1, None), (1, 2, "low"), (2, 2, None), (-3, 2, "empty"),
])
def test_the_notice_at_the_threshold_and_at_zero(balance: int, threshold: int, notice: str | None) -> None:
    assert balance_notice(balance, threshold) == notice


@pytest.mark.parametrize(("delivered", "total", "cost"), [
    (0, 0, 7),   # nothing was planned: the whole job
    (0, -1, 7),  # a nonsensical plan is the whole job too, never a division by zero
    (3, 3, 7),   # all parts out
    (4, 3, 7),   # more parts than planned (a plan made before a resend)
])
def test_a_complete_or_unplanned_delivery_costs_the_whole_job(delivered: int, total: int, cost: int) -> None:
    assert minutes_for_share(cost, delivered, total) == cost


@pytest.mark.parametrize(("delivered", "total", "cost", "share"), [
    (1, 3, 7, 3),    # ceil(7/3): rounded up
    (2, 3, 7, 5),    # ceil(14/3)
    (1, 4, 8, 2),    # exact: not rounded
    (1, 100, 7, 1),  # one part out is never free
    (0, 3, 7, 1),    # a delivery that stopped at once still sent a part (the caller only asks then)
    (0, 1, 7, 1),    # the same for a one-message delivery
    (2, 3, 0, 0),    # a job of no minutes costs none
])
def test_a_delivery_that_stopped_pays_its_share_rounded_up(delivered: int, total: int, cost: int,
                                                           share: int) -> None:
    assert minutes_for_share(cost, delivered, total) == share


@given(st.integers(0, 10_000), st.integers(1, 50), st.data())
def test_the_share_grows_with_the_parts_and_never_passes_the_whole(cost: int, total: int, data) -> None:
    delivered = data.draw(st.integers(1, total))
    share = minutes_for_share(cost, delivered, total)
    assert share <= cost and share >= min(cost, 1)
    if delivered > 1:
        assert minutes_for_share(cost, delivered - 1, total) <= share
