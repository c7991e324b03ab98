"""30% transient failures on every provider port at once: every job still finishes, once.

Each port the use cases touch (stores, queue, blob store, chat, recognizer, both passes, both
formatters) fails 30% of its calls before doing anything. Telegram redelivers webhook updates
that got a 5xx, the queue redelivers messages whose worker failed, the sweeper rescues jobs
whose queue message never went out. At the end every job has completed, each transcript is
on screen exactly once, and the ledger adds up.
"""

from __future__ import annotations

import random

import pytest

from adapters.alibaba import dashscope_results
from domain.audio import MediaKind
from domain.job import JobStatus
from domain.policy import Policy
from ports.errors import TransientFailure
from tests.audio_factory import fixture, make_audio
from tests.world import USER, World
from usecases.sweep_jobs import QUEUED_GRACE_S

pytestmark = pytest.mark.slow

FAILURE_RATE = 0.3


class Flaky:
    """Every public method call fails with TransientFailure at ``rate`` before it reaches ``target``."""

    def __init__(self, target, rng: random.Random, name: str) -> None:
        self._target, self._rng, self._name = target, rng, name
        self.failures = 0

    def __getattr__(self, attribute):
        value = getattr(self._target, attribute)
        if attribute.startswith("_") or not callable(value):
            return value

        def call(*args, **kwargs):
            if self._rng.random() < FAILURE_RATE:
                self.failures += 1
                raise TransientFailure(self._name, "injected 30% fault", code="503")
            return value(*args, **kwargs)

        return call


class FlakyWorld(World):
    """The use cases see every port through Flaky (inside the container's RetryingPort)."""

    def __init__(self, *, media_dir, rng: random.Random) -> None:
        self.rng = rng
        self.flaky: list[Flaky] = []
        super().__init__(media_dir=media_dir, policy=Policy(retry_attempts=6, retry_base_delay_s=0.01))

    def _flaky(self, port, name):
        wrapped = Flaky(port, self.rng, name)
        self.flaky.append(wrapped)
        return wrapped

    def plugged(self, port):
        return self._flaky(port, type(port).__name__)


def post_until_accepted(world: World, send) -> str:
    """Telegram redelivers an update that got an error, until the bot takes it."""
    for _ in range(30):
        try:
            return send()
        except TransientFailure:
            continue
    raise AssertionError("update never accepted")


def test_every_job_finishes_once_under_thirty_percent_transient_failures(tmp_path):
    rng = random.Random(20261122)
    world = FlakyWorld(media_dir=tmp_path / "media", rng=rng)
    world.user(balance=100)
    world.recognizer = Flaky(world.recognizer, rng, "recognizer")
    world.speaker_pass.result = dashscope_results.speaker_pass({"transcripts": [{"sentences": [
        {"begin_time": 0, "end_time": 3500, "text": "a", "speaker_id": 0},
        {"begin_time": 3500, "end_time": 7000, "text": "b", "speaker_id": 1}]}]})
    world.text_pass.result = dashscope_results.text_pass({"transcripts": [{"sentences": [{"begin_time": 0, "end_time": 7000, "text": "x",
        "words": [{"begin_time": 100, "end_time": 400, "text": "hello", "punctuation": ". "},
                  {"begin_time": 3600, "end_time": 3900, "text": "world", "punctuation": "."}]}]}]})
    world.speaker_pass = Flaky(world.speaker_pass, rng, "speaker-pass")
    world.text_pass = Flaky(world.text_pass, rng, "text-pass")
    world.primary = Flaky(world.primary, rng, "primary-llm")
    world.fallback = Flaky(world.fallback, rng, "fallback-llm")
    world.rebuild()

    longer = make_audio(tmp_path, ["hello_en", ("silence", 62.0)], fmt="ogg")
    chunked = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 60.0)],
                         fmt="mp3", name="chunked")
    dialogue = make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg", name="dialogue")
    sends = [(fixture("hello_en"), MediaKind.VOICE, None) for _ in range(5)]
    sends += [(longer, MediaKind.VOICE, None) for _ in range(2)]
    sends += [(chunked, MediaKind.AUDIO, None), (fixture("privet_ru"), MediaKind.DOCUMENT, None)]
    update_ids = []
    for i, (path, kind, _) in enumerate(sends):
        update_id = 1000 + i
        post_until_accepted(world, lambda p=path, k=kind, u=update_id: world.media(
            p, kind=k, update_id=u, unique=f"file-{u}"))
        update_ids.append(update_id)
    post_until_accepted(world, lambda: world.text("/dialogue", update_id=2000))
    post_until_accepted(world, lambda: world.media(dialogue, update_id=2001, unique="dialogue"))
    update_ids.append(2001)

    sweep = world.container.sweep_jobs()
    for _ in range(20):
        world.drain()
        if all(world.job_of(u).status.is_terminal for u in update_ids):
            break
        world.clock.advance(QUEUED_GRACE_S + world.policy.job_lease_s)
        try:
            sweep()
        except TransientFailure:
            pass

    jobs = [world.job_of(u) for u in update_ids]
    assert [j.status for j in jobs] == [JobStatus.COMPLETED] * len(jobs), [(j.status, j.error) for j in jobs]
    assert sum(f.failures for f in world.flaky) > 50, "the faults really happened"
    assert world.balance() == 100 - sum(j.charged_minutes for j in jobs)
    assert len(world.logs.transcription_rows) == len(jobs)
    screen = world.texts(USER)
    for job in jobs:
        shown = [t for t in screen if job.result_text.split()[0] in t and job.result_text.split()[-1] in t]
        assert len(shown) >= 1
    placeholders = [t for t in screen if "placeholder transcript" in t]
    assert len(placeholders) == len({t for t in placeholders}), "no transcript is shown twice"
