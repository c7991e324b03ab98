"""The bill of a failed job (``JobBilling.fail``): it took the reservation, and the extra only if
that debit happened; it keeps nothing and gives back all it took, once."""

from __future__ import annotations

import pytest

from adapters.memory.repositories import InMemoryUsers
from domain.users import User
from usecases.billing import JobBill, JobBilling

USER = 7


def billing_with(balance: int) -> tuple[InMemoryUsers, JobBilling]:
    users = InMemoryUsers()
    users.create(User(user_id=USER))
    users.apply_balance(USER, "seed", balance)
    return users, JobBilling(users)


@pytest.mark.parametrize(("reserved", "extra", "extra_debited", "bill"), [
    (1, 2, True, JobBill(taken=3, charged=0, refunded=3)),
    (1, 2, False, JobBill(taken=1, charged=0, refunded=1)),  # recorded, never debited
    (2, 0, False, JobBill(taken=2, charged=0, refunded=2)),
    (0, 0, False, JobBill(taken=0, charged=0, refunded=0)),
])
def test_a_failed_job_gives_back_exactly_what_it_took(reserved, extra, extra_debited, bill):
    users, billing = billing_with(10)
    billing.reserve(USER, "j1", reserved)
    if extra_debited:
        billing.charge_extra(USER, "j1", extra)
    assert billing.fail(USER, "j1", reserved, extra) == bill
    assert users.get(USER).balance_minutes == 10


def test_a_failed_job_is_refunded_once_and_its_extra_can_no_longer_be_taken():
    users, billing = billing_with(10)
    billing.reserve(USER, "j1", 1)
    assert billing.fail(USER, "j1", 1, 2) == JobBill(taken=1, charged=0, refunded=1)
    billing.fail(USER, "j1", 1, 2)  # a worker that died after the refund runs again
    assert billing.charge_extra(USER, "j1", 2).duplicate  # the extra key is spent
    assert users.get(USER).balance_minutes == 10


@pytest.mark.parametrize(("reserved", "extra", "real_cost", "bill"), [
    (1, 0, 1, JobBill(taken=1, charged=1, refunded=0)),
    (3, 0, 1, JobBill(taken=3, charged=1, refunded=2)),  # Telegram's duration over-stated
    (1, 2, 3, JobBill(taken=3, charged=3, refunded=0)),  # the extra paid for the rest
    (1, 2, 2, JobBill(taken=3, charged=2, refunded=1)),  # a delivery that stopped half-way
    (2, 0, 5, JobBill(taken=2, charged=2, refunded=0)),  # never more than was taken
    (0, 0, 0, JobBill(taken=0, charged=0, refunded=0)),
])
def test_a_completed_job_keeps_its_cost_of_what_it_took_and_gives_back_the_rest(reserved, extra, real_cost, bill):
    users, billing = billing_with(10)
    billing.reserve(USER, "j1", reserved)
    if extra:
        billing.charge_extra(USER, "j1", extra)
    assert billing.complete(USER, "j1", reserved, extra, real_cost) == bill
    assert users.get(USER).balance_minutes == 10 - bill.charged
    moves = [(key, delta) for _, key, delta in users.journal if key.endswith(":j1") and delta]
    assert moves == [(key, delta) for key, delta in (
        ("reserve:j1", -reserved), ("extra:j1", -extra), ("release:j1", bill.refunded)) if delta]
