"""Minute arithmetic: the price of a file, reservations, settlement and refunds.

The bot sells whole minutes. A file costs ``ceil(seconds / 60)`` minutes of its real (decoded)
duration. Minutes are reserved when a file is accepted, settled once the real duration is known,
and whatever was reserved but not used goes back. A balance never drops below zero.
"""

from __future__ import annotations

import math

import attrs

from domain.errors import InvalidAmount


def minutes_for(seconds: float) -> int:
    """Price of a file in whole minutes: any started minute counts; silence of 0 s is free."""
    if seconds < 0 or math.isnan(seconds):
        raise InvalidAmount(f"duration must be >= 0, got {seconds}")
    # Durations from ffmpeg carry float noise (60.0000001 s): round to the millisecond first.
    return math.ceil(round(seconds * 1000) / 60000)


@attrs.frozen
class Settlement:
    """How a reservation ends: ``charge`` minutes kept, ``refund`` returned, ``extra`` still owed.

    ``extra`` is positive only when the real duration costs more than was reserved (Telegram's
    metadata under-reported it, or a document had no duration at all).
    """

    charge: int
    refund: int
    extra: int

    @property
    def kept(self) -> int:
        """What the reservation itself pays for: the charge, less any extra still owed."""
        return self.charge - self.extra


def settle(reserved: int, real_cost: int) -> Settlement:
    """Split a reservation against the real cost. Conserves minutes: charge = reserved - refund + extra."""
    if reserved < 0 or real_cost < 0:
        raise InvalidAmount(f"reserved={reserved} real_cost={real_cost}")
    if real_cost <= reserved:
        return Settlement(charge=real_cost, refund=reserved - real_cost, extra=0)
    return Settlement(charge=real_cost, refund=0, extra=real_cost - reserved)


def minutes_for_share(real_cost: int, delivered_parts: int, total_parts: int) -> int:
    """What a delivery that stopped after ``delivered_parts`` of ``total_parts`` messages costs:
    the delivered share of the job's minutes, rounded up (one part out is never free)."""
    if total_parts <= 0 or delivered_parts >= total_parts:
        return real_cost
    return min(real_cost, max(1, math.ceil(real_cost * delivered_parts / total_parts)))


def apply_delta(balance: int, delta: int) -> int | None:
    """New balance after ``delta``, or ``None`` when a debit would take it below zero."""
    new = balance + delta
    return new if new >= 0 else None


@attrs.frozen
class Package:
    """A Telegram Stars package of minutes."""

    id: str
    title: str
    minutes: int
    stars: int
    purchase_limit: int | None = None


PACKAGES: tuple[Package, ...] = (
    Package("micro_10", "Micro", 10, 5, purchase_limit=3),
    Package("start_50", "Start", 50, 35),
    Package("standard_200", "Standard", 200, 119),
    Package("profi_1000", "Pro", 1000, 549),
    Package("max_8888", "MAX", 8888, 4444),
)


def find_package(package_id: str) -> Package | None:
    return next((p for p in PACKAGES if p.id == package_id), None)


def balance_notice(balance: int, low_threshold: int) -> str | None:
    """``"empty"`` at zero, ``"low"`` under the threshold, else nothing to say."""
    if balance <= 0:
        return "empty"
    if balance < low_threshold:
        return "low"
    return None


_SEVERITY = {None: 0, "": 0, "low": 1, "empty": 2}


def balance_warning(balance: int, low_threshold: int, in_force: str, before: int | None) -> tuple[str | None, str]:
    """Whether to warn about the balance after a job, once per crossing: (the notice to show or
    None, the warning in force afterwards, "" for none).

    ``in_force`` is the warning the user already got and that still holds; ``before`` the balance
    before this job took its minutes, when the job started after that warning (None otherwise:
    a job already running when the user was warned crosses nothing new). A warning is shown when
    the balance falls to a worse level than the one in force, or when this job itself took it
    across the line (the user topped up in between); a balance back at or above the threshold
    clears it, so the next crossing warns again.
    """
    level = balance_notice(balance, low_threshold)
    if level is None:
        return None, ""
    crossed = before is not None and _SEVERITY[balance_notice(before, low_threshold)] < _SEVERITY[level]
    if _SEVERITY[level] > _SEVERITY.get(in_force, 0) or crossed:
        return level, level
    return None, level
