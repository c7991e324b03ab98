"""The stuck-job sweeper against healthy work.

Before, the sweeper judged a job by its age alone: past ``lease × (attempts + 1) + 120 s`` (24 min
with the deployed settings) it refunded the job even while a worker held its lease (the user kept
the transcript and every minute, and the worker then died on a ConflictError), failed jobs that
had simply waited their turn in the queue without a single attempt, and republished every
waiting job at every sweep (duplicate queue messages). Now a leased job is never touched,
"stuck" is measured from the last claim or publish, and only a message that was really lost is
published again, once.

The backlog runs on simulated time: a small discrete-event scheduler runs 4 worker threads one
at a time on the ``FakeClock``; a worker holds the clock for as long as its job's recognition
takes, and the sweeper runs every 15 minutes, as deployed.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable

import pytest

from adapters.memory.speech import ScriptedRecognizer
from domain.audio import MediaKind
from domain.job import JobStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture
from tests.ledger import assert_ledger
from tests.messages import returns_minutes
from tests.world import USER, evolve_policy
from usecases.steps import Deadline
from usecases.sweep_jobs import QUEUED_GRACE_S, SweepJobs

pytestmark = pytest.mark.slow

# The deployed settings (s.yaml): JOB_LEASE_S 330, MAX_JOB_ATTEMPTS 3, a 300 s worker whose step
# budget is 200 s, 4 worker tasks, the sweeper every 15 minutes.
DEPLOYED = {"job_lease_s": 330.0, "max_job_attempts": 3, "step_budget_s": 200.0}
WORKERS = 4
SWEEP_EVERY_S = 900.0
JOB_S = 240.0  # each 10-minute file keeps its worker busy for 4 minutes (recognition)
IDLE_POLL_S = 5.0


def sweeper(world) -> SweepJobs:
    return world.container.sweep_jobs()


# -- a worker holds a live lease ---------------------------------------------------------------------

class SweepDuringRecognition(ScriptedRecognizer):
    """While the worker is recognising (its lease live), the timer fires the sweeper."""

    def __init__(self, sweep: Callable[[], object]) -> None:
        super().__init__()
        self.sweep = sweep
        self.reports: list[object] = []

    def recognize(self, clip, *, language=None):
        self.reports.append(self.sweep())
        return super().recognize(clip, language=language)


def test_the_sweeper_never_touches_a_job_a_worker_holds(world):
    evolve_policy(world, **DEPLOYED)
    world.user(balance=10)
    update_id, route = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    assert route == "media:queued"
    # It waited two hours behind a backlog (far past the old age limit of 24 minutes) and is
    # claimed now; the sweep comes while the worker recognises it.
    world.clock.advance(2 * 3600)
    world.recognizer = SweepDuringRecognition(lambda: sweeper(world)())
    world.rebuild()
    world.drain()

    assert [(r.republished, r.failed) for r in world.recognizer.reports] == [((), ())]
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 1 and job.attempts == 1
    assert world.balance() == 9
    assert not any(returns_minutes(t) for t in world.texts())
    assert_ledger(world)


# -- a backlog: 40 files, 4 workers ----------------------------------------------------------------

class Simulation:
    """Threads that run one at a time on simulated time.

    A thread runs until it calls ``hold(seconds)``; when every thread holds, the clock jumps to
    the earliest wake-up (or the next sweep, which runs with every worker paused) and that one
    thread goes on. Execution is sequential, hence deterministic.
    """

    def __init__(self, world) -> None:
        self.world = world
        self.clock = world.clock
        self._cv = threading.Condition()
        self._waiting: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._running = 0
        self.stopping = False
        self.crashes: list[BaseException] = []

    def hold(self, seconds: float) -> None:
        wake = threading.Event()
        with self._cv:
            heapq.heappush(self._waiting, (self.clock.now() + seconds, next(self._order), wake))
            self._running -= 1
            self._cv.notify_all()
        wake.wait()

    def start(self, body: Callable[[], None]) -> None:
        def run() -> None:
            try:
                body()
            finally:
                with self._cv:
                    self._running -= 1
                    self._cv.notify_all()

        with self._cv:
            self._running += 1
        threading.Thread(target=run, daemon=True).start()
        self._settle()

    def _settle(self) -> None:
        with self._cv:
            assert self._cv.wait_for(lambda: self._running == 0, timeout=60), "a simulated thread hung"

    def _wake_next(self) -> None:
        with self._cv:
            at, _, wake = heapq.heappop(self._waiting)
            self.clock.advance(max(0.0, at - self.clock.now()))
            self._running += 1
        wake.set()
        self._settle()

    def run(self, *, until: Callable[[], bool], every_s: float, periodic: Callable[[], None],
            limit_s: float) -> None:
        start = self.clock.now()
        next_periodic = start + every_s
        while not until():
            assert self.clock.now() - start < limit_s, "the simulation did not finish"
            if self._waiting and self._waiting[0][0] < next_periodic:
                self._wake_next()
            else:
                self.clock.advance(next_periodic - self.clock.now())
                periodic()
                next_periodic += every_s
        self.stopping = True
        while self._waiting:
            self._wake_next()

    def worker(self) -> None:
        """The MNS trigger's task: take a message, run one step of its job, acknowledge it. A
        step that raises is not acknowledged (the message comes back after its visibility)."""
        world = self.world
        while not self.stopping:
            message = world.queue.receive()
            if message is None:
                self.hold(IDLE_POLL_S)
                continue
            try:
                world.transcribe_job(message.job_id, Deadline.after(world.clock, world.policy.step_budget_s))
            except Exception as exc:  # noqa: BLE001 - a crash of the worker, recorded for the test
                self.crashes.append(exc)
                continue
            world.queue.ack(message.receipt)


class SlowRecognizer(ScriptedRecognizer):
    def __init__(self, simulation: Simulation) -> None:
        super().__init__()
        self.simulation = simulation

    def recognize(self, clip, *, language=None):
        self.simulation.hold(JOB_S)
        return super().recognize(clip, language=language)


def run_backlog(world, *, files: int = 40, lose_message_of: int | None = None):
    """``files`` documents from as many users at once, then 4 workers and the 15-minute sweeper."""
    evolve_policy(world, **DEPLOYED)
    simulation = Simulation(world)
    world.recognizer = SlowRecognizer(simulation)
    world.rebuild()
    update_ids = []
    for n in range(files):
        world.user(USER + n, balance=5)
        update_id, route = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT, user_id=USER + n)
        assert route == "media:queued"
        update_ids.append(update_id)
    if lose_message_of is not None:  # the webhook's publish of this job never reached the queue
        lost = world.job_of(update_ids[lose_message_of]).job_id
        world.queue._messages = {k: v for k, v in world.queue._messages.items() if v[0] != lost}
    sweep = sweeper(world)
    reports = []
    for _ in range(WORKERS):
        simulation.start(simulation.worker)
    simulation.run(until=lambda: all(world.job_of(u).status.is_terminal for u in update_ids),
                   every_s=SWEEP_EVERY_S, periodic=lambda: reports.append(sweep()), limit_s=6 * 3600)
    return update_ids, reports, simulation


def test_a_backlog_of_40_ten_minute_files_is_worked_off_with_no_failure_and_no_duplicate(world):
    update_ids, reports, simulation = run_backlog(world)

    assert not simulation.crashes
    assert len(reports) >= 2, "the sweeper ran while jobs were still waiting"
    assert all(r.republished == () and r.failed == () for r in reports)
    jobs = [world.job_of(u) for u in update_ids]
    assert [j.status for j in jobs] == [JobStatus.COMPLETED] * 40
    assert {j.attempts for j in jobs} == {1}  # each claimed once, never failed or retried
    assert sorted(world.queue.published) == sorted(j.job_id for j in jobs), "no duplicate queue message"
    assert max(j.finished_at - j.created_at for j in jobs) >= 9 * JOB_S  # the last waited 36 minutes
    assert not any(say("ru", M.err_timeout) in world.texts(USER + n) for n in range(40))
    assert_ledger(world)


def test_a_message_really_lost_in_a_backlog_is_published_again_once_the_workers_are_idle(world):
    update_ids, reports, simulation = run_backlog(world, lose_message_of=5)
    lost = world.job_of(update_ids[5])

    assert not simulation.crashes
    republished = [job_id for r in reports for job_id in r.republished]
    assert republished == [lost.job_id], "only the lost one, and once"
    assert all(r.failed == () for r in reports)
    assert lost.status is JobStatus.COMPLETED and lost.attempts == 1
    # Not while the backlog kept the workers busy: after the last job and the grace.
    others_done = max(world.job_of(u).finished_at for u in update_ids if u != update_ids[5])
    assert lost.republished_at >= others_done + QUEUED_GRACE_S
    assert world.queue.published.count(lost.job_id) == 2
    assert_ledger(world)
