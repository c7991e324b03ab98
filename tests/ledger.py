"""The ledger invariant, checked at the end of every adversarial and fault test.

Over the in-memory stores (``InMemoryUsers.journal`` is the audit trail of every balance move):

1. every balance is the sum of its journal and never below zero;
2. a completed job's operations (``reserve:``/``extra:``/``release:`` + job id) net exactly minus
   its charge, which is the ceiling of the minutes actually recognised (the decoded duration),
   never what a file or Telegram claimed; a delivery that stopped half-way is charged the
   delivered share of that (``domain.billing.minutes_for_share``) and at least one part arrived;
3. a failed job nets to zero (everything it took was given back) and was never delivered:
   nothing is refunded after a delivery;
4. every other job is legitimately in flight: leased by a worker or waiting in the queue;
5. actions on transcripts (``act-reserve:``/``act-release:`` + action id + round): a completed
   action nets exactly minus its price and was delivered; a failed one nets zero and was never
   delivered; any other is leased or queued; no action ever takes more than its price.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from domain.billing import minutes_for, minutes_for_share
from domain.job import JobStatus

JOB_OPERATIONS = ("reserve", "extra", "release")


def job_net(journal: Iterable[tuple[int, str, int]], job_id: str) -> int:
    net = 0
    for _, key, delta in journal:
        kind, _, rest = key.partition(":")
        if kind in JOB_OPERATIONS and rest == job_id:
            net += delta
    return net


def action_net(journal: Iterable[tuple[int, str, int]], action_id: str) -> int:
    net = 0
    for _, key, delta in journal:
        kind, _, rest = key.partition(":")
        if kind in ("act-reserve", "act-release") and rest.partition("#")[0] == action_id:
            net += delta
    return net


def _action_problems(actions, journal: list, now: float, waiting: set[str]) -> list[str]:
    from domain.transcript_actions import ActionStatus

    problems = []
    for record in actions.scan():
        net = action_net(journal, record.action_id)
        name = f"action {record.action_id}"
        if net < -record.price:
            problems.append(f"{name}: took {-net} minutes for a price of {record.price}")
        if record.status is ActionStatus.COMPLETED:
            if net != -record.price or record.charged != record.price:
                problems.append(f"{name}: completed, charged {record.charged} (ledger {-net}), price {record.price}")
            if not (record.delivered or record.delivered_parts):
                problems.append(f"{name}: completed but nothing was delivered")
        else:
            problems += _unfinished_or_failed(name, record.status is ActionStatus.FAILED, record.status.value, net,
                                              bool(record.delivered or record.delivered_parts),
                                              record.is_leased(now) or record.action_id in waiting)
    return problems


def _unfinished_or_failed(name: str, failed: bool, status: str, net: int, delivered: bool,
                         in_flight: bool) -> list[str]:
    """A failed job or action nets zero and was never delivered; any other unfinished one is leased or queued."""
    if failed:
        return ([f"{name}: failed but keeps {-net} minutes"] if net != 0 else []) + \
            ([f"{name}: failed (refunded) after its result was delivered"] if delivered else [])
    return [] if in_flight else [f"{name}: {status}, neither leased nor queued"]


def ledger_problems(users, jobs, *, now: float, queued: Iterable[str] = (), actions=None) -> list[str]:
    problems: list[str] = []
    journal = list(users.journal)
    sums: dict[int, int] = defaultdict(int)
    for user_id, _, delta in journal:
        sums[user_id] += delta
    for user in users.scan():
        if user.balance_minutes < 0:
            problems.append(f"user {user.user_id}: balance {user.balance_minutes} below zero")
        if sums[user.user_id] != user.balance_minutes:
            problems.append(f"user {user.user_id}: balance {user.balance_minutes} but the journal sums to "
                            f"{sums[user.user_id]}")
    waiting = set(queued)
    for job in jobs.scan():
        net = job_net(journal, job.job_id)
        if job.status is JobStatus.COMPLETED:
            heard = minutes_for((job.real_duration_ms or 0) / 1000)
            if not job.delivered:
                if not job.delivered_parts:
                    problems.append(f"job {job.job_id}: completed but nothing was delivered")
                heard = minutes_for_share(heard, job.delivered_parts, job.planned_parts)
            if job.charged_minutes != heard or net != -heard:
                problems.append(f"job {job.job_id}: charged {job.charged_minutes} (ledger {-net}) for "
                                f"{job.real_duration_ms} ms heard, which costs {heard}")
        else:
            problems += _unfinished_or_failed(f"job {job.job_id}", job.status is JobStatus.FAILED, job.status.value,
                                              net, bool(job.delivered or job.delivered_parts),
                                              job.is_leased(now) or job.job_id in waiting)
    if actions is not None:
        problems += _action_problems(actions, journal, now, waiting)
    return problems


def assert_ledger(world) -> None:
    """The invariant over a ``tests.world.World``."""
    problems = ledger_problems(world.users, world.jobs, now=world.clock.now(), queued=world.queue.pending(),
                               actions=getattr(world, "actions_store", None))
    assert not problems, "\n".join(problems)
