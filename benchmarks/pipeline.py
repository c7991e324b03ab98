"""Wall time of one long plain-mode job through the real Transcriber, with a simulated recognizer.

A 60-minute file (24 chunks at the 150 s limit: a silence every 149.5 s) is transcoded by the
real ffmpeg, planned, cut, and "recognised" by a scripted recognizer that takes 2 s per call
(the provider's latency). Printed in one run: the wall time with concurrency 24, with the
default concurrency, and with concurrency 1, next to one chunk's latency plus transcoding —
the floor a perfectly parallel job could reach.

    .venv/bin/python benchmarks/pipeline.py [--latency 2.0] [--skip-serial]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import attrs  # noqa: E402

from adapters.ffmpeg.ffmpeg_audio_tools import FfmpegAudioTools, default_binary  # noqa: E402
from adapters.memory.blob_store import InMemoryBlobStore  # noqa: E402
from adapters.memory.speech import ScriptedRecognizer, ScriptedSpeakerPass, ScriptedTimedTextPass  # noqa: E402
from adapters.system import SystemClock  # noqa: E402
from domain.policy import Policy  # noqa: E402
from usecases.transcription import Transcriber  # noqa: E402

DURATION_S = 3588  # 24 chunks: silence every 149.5 s keeps each cut under the 150 s limit
PERIOD_S = 149.5


def make_hour(folder: Path) -> Path:
    import subprocess

    target = folder / "hour.ogg"
    gate = f"volume='if(lt(mod(t\\,{PERIOD_S})\\,{PERIOD_S - 1})\\,1\\,0)':eval=frame"
    subprocess.run([default_binary(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"anoisesrc=d={DURATION_S}:c=pink:r=48000:a=0.3,{gate}",
                    "-ac", "1", "-c:a", "libopus", "-b:a", "24k", str(target)], check=True)
    return target


def run(source: Path, policy: Policy, latency_s: float) -> tuple[float, float, int]:
    """(total wall seconds, transcode seconds, chunks) for one job."""
    clock = SystemClock()
    recognizer = ScriptedRecognizer(latency_s=latency_s)
    transcriber = Transcriber(
        audio=FfmpegAudioTools(), recognizer=recognizer, speaker_pass=ScriptedSpeakerPass(),
        text_pass=ScriptedTimedTextPass(), blobs=InMemoryBlobStore(clock), clock=clock,
        policy=policy,
    )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        audio = transcriber.transcode(source, Path(tmp), 3600)
        transcoded = time.perf_counter()
        transcriber.transcribe(lambda: audio, dialogue=False, language=None, progress=lambda *a, **k: None)
        end = time.perf_counter()
    return end - start, transcoded - start, len(recognizer.clips)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--skip-serial", action="store_true", help="skip the slow concurrency-1 run")
    args = parser.parse_args()
    default = Policy()
    with tempfile.TemporaryDirectory() as tmp:
        source = make_hour(Path(tmp))
        results = {}
        for concurrency in (24, default.asr_concurrency) + (() if args.skip_serial else (1,)):
            results[concurrency] = run(source, attrs.evolve(default, asr_concurrency=concurrency), args.latency)
    total24, transcode24, chunks = results[24]
    floor = args.latency + transcode24
    print(f"audio: {DURATION_S / 60:.1f} min, {chunks} chunks, recognizer latency {args.latency:.1f} s per call")
    print(f"one chunk + transcoding (floor): {floor:6.2f} s   (transcoding {transcode24:.2f} s)")
    for concurrency, (total, transcode, _) in results.items():
        print(f"concurrency {concurrency:>2}: {total:6.2f} s   = {total / floor:4.2f}x the floor"
              f"   (transcoding {transcode:.2f} s, then plan+cut+recognise {total - transcode:6.2f} s)")
    if 1 in results:
        whole = results[1][0] / total24
        after = (results[1][0] - results[1][1]) / (total24 - transcode24)
        print(f"speed-up of concurrency 24 over 1: whole job {whole:.1f}x, after transcoding {after:.1f}x")


if __name__ == "__main__":
    main()
