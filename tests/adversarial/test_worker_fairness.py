"""One user's backlog never occupies every worker.

With ``max_active_jobs_per_user`` = 2, a third job of a user whose two other jobs are being worked
on is handed back to the queue (not counted as an attempt), while another user's job runs at once.
"""

from __future__ import annotations

import pytest

from domain.job import JobStatus
from tests.audio_factory import make_audio
from usecases.errors import UserBusy

pytestmark = pytest.mark.slow

ALICE, BOB = 777, 888


def test_a_users_third_job_waits_while_another_users_job_runs(world, tmp_path):
    world.user(ALICE, balance=30)
    world.user(BOB, balance=30)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 65.0)], fmt="ogg")
    alice_jobs = [world.job_of(world.media(audio, user_id=ALICE)[0]).job_id for _ in range(3)]
    bob_job = world.job_of(world.media(audio, user_id=BOB)[0]).job_id
    now = world.clock.now()
    # Two of Alice's jobs are being worked on by other workers right now.
    for job_id in alice_jobs[:2]:
        assert world.users.hold_worker_slot(ALICE, job_id, now + world.policy.job_lease_s,
                                            world.policy.max_active_jobs_per_user, now)
    with pytest.raises(UserBusy):
        world.transcribe_job(alice_jobs[2])
    waiting = world.jobs.get(alice_jobs[2])
    assert waiting.attempts == 0 and not waiting.is_leased(world.clock.now())  # nothing counted, nothing held
    assert world.transcribe_job(bob_job).status == "completed"
    # The other workers finish: Alice's slots are free again, and all her jobs complete.
    for job_id in alice_jobs[:2]:
        world.users.release_worker_slot(ALICE, job_id)
    world.drain()
    assert all(world.jobs.get(j).status is JobStatus.COMPLETED for j in alice_jobs + [bob_job])
