"""Races: many files at once against a small balance, payments and credits at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from presentation.keys import M
from tests.audio_factory import fixture
from tests.messages import is_message
from tests.world import OWNER, USER
from usecases.payments import sign_payload


def test_fifty_concurrent_files_on_a_balance_for_ten_accept_exactly_ten(world):
    world.user(balance=20)  # each file is 70 s: 2 minutes
    source = fixture("hello_en")
    start = threading.Barrier(50)

    def send(i: int) -> str:
        start.wait()
        return world.media(source, duration_s=70, update_id=10_000 + i, unique=f"file-{i}")[1]

    with ThreadPoolExecutor(max_workers=50) as pool:
        routes = list(pool.map(send, range(50)))
    assert routes.count("media:queued") == 10
    assert routes.count("media:no_minutes") == 40
    assert world.balance() == 0
    assert len(list(world.jobs.scan())) == 10 and len(world.queue.published) == 10
    refusals = [t for t in world.texts() if is_message(t, M.no_minutes)]
    assert len(refusals) == 40


def test_concurrent_payments_and_credits_sum_exactly(world):
    world.user(balance=0)
    payload = sign_payload(world.payload_secret, "start_50", USER)
    barrier = threading.Barrier(40)

    def pay(i: int) -> None:
        barrier.wait()
        world.paid(payload, 35, charge_id=f"charge-{i % 20}", update_id=20_000 + i)  # each charge delivered twice

    def credit(i: int) -> None:
        barrier.wait()
        world.text(f"/credit {USER} 3", user_id=OWNER, update_id=30_000 + i)

    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = [pool.submit(pay, i) for i in range(30)] + [pool.submit(credit, i) for i in range(10)]
        for f in futures:
            f.result()
    # 20 distinct charges of 50 minutes (30 deliveries, some twice) and 10 credits of 3.
    distinct = len({f"charge-{i % 20}" for i in range(30)})
    assert world.balance() == distinct * 50 + 10 * 3
    assert len(world.logs.payment_rows) == distinct
