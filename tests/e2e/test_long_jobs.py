"""A 4-hour recording, plain and dialogue, through the FC handlers under the trigger's limits.

The MNS trigger pushes each message synchronously and waits at most 300 s (docs/provider-
contracts.md); the worker therefore runs a job in bounded steps (``usecases.steps``). Here a
model of that trigger delivers queue messages to ``fc_worker.handler`` one invocation at a time
and measures each invocation on a simulated clock: real elapsed time (real ffmpeg transcodes the
4-hour file) plus the providers' simulated latency: a pass poll advances it by its wait; a
recognizer call or formatter piece of L seconds advances it by L / c, c being the pool size the
job uses for them (a pool of c workers finishes c calls of L seconds in L seconds). An
invocation over 300 s is a violation. The job must finish, bill exactly 240 minutes, and pay
for every chunk, piece and pass exactly once although it took several invocations.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time

import pytest
from dependency_injector import providers

from adapters.alibaba import dashscope_results
from adapters.memory.formatter import ScriptedFormatter
from adapters.memory.speech import ScriptedRecognizer, ScriptedSpeakerPass, ScriptedTimedTextPass
from domain.audio import Span
from domain.chunking import plan_chunks
from domain.job import JobStatus
from ports.clock import Clock
from tests.e2e.test_fc_handlers import OWNER, USER, cloud_event, fc_context, post, update
from tests.fc_events import FunctionMeta, Python312Context

pytestmark = pytest.mark.slow

PUSH_LIMIT_S = 300.0  # EventBridge's synchronous push to FC (provider-contracts)
HOURS_4_S = 4 * 3600


class SimulatedClock(Clock):
    """Real time since creation plus simulated provider time; ``sleep`` only advances the latter."""

    def __init__(self) -> None:
        self._start_real, self._start = time.perf_counter(), 1_767_225_600.0
        self._virtual = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._start + (time.perf_counter() - self._start_real) + self._virtual

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._virtual += max(0.0, seconds)


class SlowRecognizer(ScriptedRecognizer):
    def __init__(self, clock: SimulatedClock, latency_s: float) -> None:
        super().__init__()
        self._clock, self._cost = clock, latency_s

    def recognize(self, clip, *, language=None):
        self._clock.sleep(self._cost)
        return super().recognize(clip, language=language)


class SlowFormatter(ScriptedFormatter):
    def __init__(self, clock: SimulatedClock, latency_s: float) -> None:
        super().__init__(transform=lambda text: text.replace("[placeholder", "[formatted"), name="slow-llm")
        self._clock, self._cost = clock, latency_s

    def format(self, request):
        self._clock.sleep(self._cost)
        return super().format(request)


@pytest.fixture(scope="module")
def four_hours(tmp_path_factory):
    """A 4-hour Ogg/Opus file (24 × 599 s: 3 h 59 min 36 s, under the 4 h limit once decoded;
    ~5 MB, under the 20 MB download limit), made by stream copy."""
    from imageio_ffmpeg import get_ffmpeg_exe

    folder = tmp_path_factory.mktemp("four-hours")
    ffmpeg = shutil.which("ffmpeg") or get_ffmpeg_exe()
    piece, listing, whole = folder / "ten.ogg", folder / "list.txt", folder / "four-hours.ogg"
    subprocess.run([ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=8000",
                    "-t", "599", "-c:a", "libopus", "-b:a", "6k", str(piece)], check=True)
    listing.write_text(f"file '{piece}'\n" * 24)
    subprocess.run([ffmpeg, "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-c", "copy", str(whole)], check=True)
    return whole


def dialogue_documents() -> tuple[dict, dict]:
    """Fun-ASR and filetrans result documents for 4 hours of two people taking 30-second turns."""
    speakers, sentences = [], []
    for i in range(HOURS_4_S // 30):
        start, end = i * 30_000, (i + 1) * 30_000
        speakers.append({"begin_time": start, "end_time": end, "text": f"turn {i}", "speaker_id": i % 2})
        words = [{"begin_time": start + k * 5000, "end_time": start + k * 5000 + 800, "text": f"w{i}x{k}",
                  "punctuation": "." if k == 4 else ""} for k in range(5)]
        sentences.append({"begin_time": start, "end_time": end, "text": " ".join(w["text"] for w in words),
                          "words": words})
    return {"transcripts": [{"sentences": speakers}]}, {"transcripts": [{"sentences": sentences}]}


class SyncPushTrigger:
    """Delivers queue messages to the worker handler, one synchronous invocation each."""

    def __init__(self, fc_, clock: SimulatedClock) -> None:
        self.fc, self.clock = fc_, clock
        self.durations: list[float] = []
        self.context = Python312Context(function=FunctionMeta(name="transcribe-worker", timeout=300,
                                                              handler="entrypoints/fc_worker/handler.handler"))

    def run(self, max_invocations: int = 60) -> None:
        queue = self.fc.runtime.resolve("queue")
        for _ in range(max_invocations):
            message = queue.receive()
            if message is None:
                return
            start = self.clock.now()
            try:
                self.fc.worker.handler(json.dumps(cloud_event(json.dumps({"job_id": message.job_id}))).encode(),
                                       self.context)
            except Exception:  # noqa: BLE001 - a failed push is delivered again
                queue.release(message.receipt)
            else:
                queue.ack(message.receipt)
            self.durations.append(self.clock.now() - start)
        raise AssertionError("the queue never drained")


def simulated_world(fc_, monkeypatch, *, dialogue: bool):
    monkeypatch.setenv("LLM_PIECE_CHARS", "600")  # many formatter pieces: formatting needs steps too
    container = fc_.runtime.container(fc_context())  # built before anything resolves a provider
    clock = SimulatedClock()
    policy = fc_.runtime.resolve("policy")
    recognizer = SlowRecognizer(clock, latency_s=10.0 / policy.asr_concurrency)
    # 55 s a piece: just under the formatter's 60 s timeout.
    formatter = SlowFormatter(clock, latency_s=55.0 / policy.llm_concurrency)
    speaker_doc, text_doc = dialogue_documents()
    speaker_pass = ScriptedSpeakerPass(dashscope_results.speaker_pass(speaker_doc), clock=clock, ready_after_s=500.0)
    text_pass = ScriptedTimedTextPass(dashscope_results.text_pass(text_doc), clock=clock, ready_after_s=450.0)
    container.clock.override(providers.Object(clock))
    container.recognizer.override(providers.Object(recognizer))
    container.formatters.override(providers.Object([formatter]))
    container.speaker_pass.override(providers.Object(speaker_pass))
    container.text_pass.override(providers.Object(text_pass))
    assert post(fc_, update(1, USER, text="/start"))["statusCode"] == 200
    assert post(fc_, update(2, OWNER, text=f"/credit {USER} 300"))["statusCode"] == 200
    if dialogue:
        assert post(fc_, update(3, USER, text="/dialogue"))["statusCode"] == 200
    return clock, recognizer, formatter, speaker_pass, text_pass


def send_document(fc_, path, update_id: int = 10) -> str:
    shutil.copyfile(path, fc_.media / "talk.ogg")
    answer = post(fc_, update(update_id, USER, document={
        "file_id": "talk.ogg", "file_unique_id": "talk-4h", "file_name": "talk.ogg", "mime_type": "audio/ogg",
        "file_size": path.stat().st_size}))
    assert answer["statusCode"] == 200
    jobs = list(fc_.runtime.resolve("jobs").scan())
    assert len(jobs) == 1
    return jobs[0].job_id


def balance(fc_) -> int:
    return fc_.runtime.resolve("users").get(USER).balance_minutes


def run_through_the_trigger(fc_, clock: SimulatedClock, path):
    """Send ``path`` as a document and let the trigger model deliver the queue until it drains."""
    job_id = send_document(fc_, path)
    trigger = SyncPushTrigger(fc_, clock)
    trigger.run()
    return fc_.runtime.resolve("jobs").get(job_id), trigger


def test_a_4_hour_plain_job_finishes_in_steps_within_the_push_limit(fc, monkeypatch, four_hours):
    clock, recognizer, formatter, _, _ = simulated_world(fc, monkeypatch, dialogue=False)
    job, trigger = run_through_the_trigger(fc, clock, four_hours)
    assert job.status is JobStatus.COMPLETED, job.error
    assert max(trigger.durations) <= PUSH_LIMIT_S, trigger.durations
    assert job.steps >= 1 and len(trigger.durations) == job.steps + 1  # the limit really was binding
    # Every chunk and every piece paid for exactly once across the steps.
    facts = json.loads(job.audio_json)
    silences = [Span(a, b) for a, b in facts["silences"] or []]
    chunks = plan_chunks(facts["duration_ms"], silences, fc.runtime.resolve("policy"))
    assert len(chunks) >= 96 and len(recognizer.clips) == len(chunks)
    assert len(formatter.requests) == len({r.text for r in formatter.requests}) >= 4
    assert job.charged_minutes == 240 and balance(fc) == 300 - 240
    assert "[formatted transcript" in job.result_text and "[placeholder" not in job.result_text
    assert not fc.runtime.resolve("blobs").blobs, "the kept audio is deleted at the end"


def test_a_4_hour_dialogue_job_polls_its_passes_across_steps(fc, monkeypatch, four_hours):
    clock, recognizer, formatter, speaker_pass, text_pass = simulated_world(fc, monkeypatch, dialogue=True)
    job, trigger = run_through_the_trigger(fc, clock, four_hours)
    assert job.status is JobStatus.COMPLETED, job.error
    assert max(trigger.durations) <= PUSH_LIMIT_S, trigger.durations
    assert job.steps >= 3
    assert (speaker_pass.submits, text_pass.submits) == (1, 1) and not recognizer.clips
    assert job.result_mode == "dialogue" and len(json.loads(job.segments_json)) == HOURS_4_S // 30
    assert job.result_text.count("\n— ") + 1 == HOURS_4_S // 30  # every turn delivered, none merged away
    assert len(formatter.requests) == len({r.text for r in formatter.requests})
    assert job.charged_minutes == 240 and balance(fc) == 300 - 240
