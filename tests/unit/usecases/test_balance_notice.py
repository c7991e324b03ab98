"""The low-balance warning after a job, at its edges: a job started the very second the user was
warned still counts as started after it; a user row that moved while the warning was being
remembered is read again (the warning goes out once, and is remembered), and a row that keeps
moving costs the user the warning, never the job."""

from __future__ import annotations

import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from ports.errors import ConflictError
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture
from tests.world import USER


def warnings(world) -> list[str]:
    return [t for t in world.texts() if t.startswith(("⚠️ Низкий баланс", "❌ Баланс исчерпан"))]


def test_a_job_started_the_second_the_user_was_warned_warns_again_when_it_crosses_the_line(world):
    # Warned (low) and topped up back to the line (5) at this second; a note sent at the same
    # second takes the balance below the line again: a new crossing.
    world.user(balance=5, balance_notice="low", balance_notice_at=world.clock.now())
    _, route = world.media(fixture("hello_en"))
    assert route == "media:inline:completed" and world.balance() == 4
    assert warnings(world) == [say("ru", M.low_balance, balance=4)]


class MovingRow:
    """The users store, where the first ``conflicts`` saves of a user row find it changed."""

    def __init__(self, target, conflicts: int) -> None:
        self._target, self.conflicts = target, conflicts

    def __getattr__(self, name):
        return getattr(self._target, name)

    def save(self, user):
        if self.conflicts:
            self.conflicts -= 1
            raise ConflictError(f"user {user.user_id} changed")
        return self._target.save(user)


@pytest.mark.parametrize(("conflicts", "warned", "remembered"), [
    (0, True, "low"),
    (1, True, "low"),   # read again, decided again, saved: warned once
    (2, True, "low"),
    (3, False, ""),     # still moving after three reads: no warning this time
])
def test_a_warning_is_remembered_before_it_is_sent_even_when_the_row_moves(world, conflicts, warned, remembered):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)  # queued, 1 minute reserved
    users = world.users
    world.users = MovingRow(users, conflicts)
    world.rebuild()
    world.drain()
    world.users = users
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.charged_minutes == 1 and world.balance() == 4
    assert warnings(world) == ([say("ru", M.low_balance, balance=4)] if warned else [])
    assert users.get(USER).balance_notice == remembered


def test_a_job_accepted_before_the_warning_went_out_does_not_warn_again(world):
    world.user(balance=6)
    queued, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)  # 1 minute reserved: 5
    world.clock.advance(60)
    _, route = world.media(fixture("hello_en"))  # a note answered at once: 4, below the line
    assert route == "media:inline:completed"
    assert warnings(world) == [say("ru", M.low_balance, balance=4)]
    world.clock.advance(60)
    world.drain()  # the document, waiting since before the warning, costs what it reserved
    assert world.job_of(queued).status is JobStatus.COMPLETED and world.balance() == 4
    assert warnings(world) == [say("ru", M.low_balance, balance=4)], "told once"
