"""Money movements of a job, each exactly once by an operation key derived from the job id.

- ``reserve:{job}``  debit at acceptance (from Telegram's duration; 1 minute for documents)
- ``extra:{job}``    debit of the difference when the decoded duration costs more
- ``release:{job}``  refund of whatever was taken and not charged (everything on failure)

A job ends once (completed or failed), so one release key serves both endings, and a worker
that dies half-way and runs again can neither refund nor charge twice. The job row records the
intended extra *before* it is debited; on failure the extra key is consumed with a zero amount,
which tells whether the debit happened and blocks it from happening later.
"""

from __future__ import annotations

import attrs

from domain.billing import settle
from ports.repositories import BalanceChange, Users


@attrs.frozen
class JobBill:
    """Final figures of a job: what it took in all, what it kept, what went back."""

    taken: int
    charged: int
    refunded: int


class JobBilling:
    def __init__(self, users: Users) -> None:
        self._users = users

    def reserve(self, user_id: int, job_id: str, minutes: int) -> BalanceChange:
        return self._users.apply_balance(user_id, f"reserve:{job_id}", -minutes)

    def charge_extra(self, user_id: int, job_id: str, minutes: int) -> BalanceChange:
        """Debit what the real duration costs beyond the reservation (idempotent)."""
        return self._users.apply_balance(user_id, f"extra:{job_id}", -minutes)

    def complete(self, user_id: int, job_id: str, reserved: int, extra: int, real_cost: int) -> JobBill:
        """Keep ``real_cost`` of what was taken (``extra`` already debited) and refund the rest;
        never more than was taken (whatever is still owed stays unpaid)."""
        taken = reserved + extra
        settlement = settle(taken, real_cost)
        if settlement.refund:
            self._users.apply_balance(user_id, f"release:{job_id}", settlement.refund)
        return JobBill(taken, settlement.kept, settlement.refund)

    def fail(self, user_id: int, job_id: str, reserved: int, extra: int) -> JobBill:
        """Give back everything the job took."""
        extra_taken = extra if self._users.apply_balance(user_id, f"extra:{job_id}", 0).duplicate else 0
        taken = reserved + extra_taken
        if taken:
            self._users.apply_balance(user_id, f"release:{job_id}", taken)
        return JobBill(taken, 0, taken)
