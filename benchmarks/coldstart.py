"""Cold start of the Function Compute handlers, measured in fresh processes.

Run: ``python benchmarks/coldstart.py [--runs 15]``. Each figure is the median and p90 (ms) of
``--runs`` fresh interpreters; the time is measured inside the child, from before the first
import to the end of the step (interpreter start-up itself is reported separately).

(a) webhook: ``import entrypoints.fc_webhook.handler``, build its container at the first
    invocation (production profile, fake credentials in the FC context, loopback URLs: nothing
    connects) and resolve ``accept_update``. Target: median ≤ 250 ms.
(b) worker: the same for ``entrypoints.fc_worker.handler`` and ``transcribe_job``.
(c) the SDKs the webhook would pay for if it imported them eagerly: ``telegram`` (PTB),
    ``tablestore``, ``mns``, ``dashscope``, in one process (and each alone).

Every step is measured twice: in this virtualenv, and with fastapi hidden. The FC package
(``scripts/build_package.py``) does not contain fastapi/uvicorn, but this development venv does
(dashscope requires them), and ``dependency_injector.wiring`` probes ``fastapi.params`` when
``dependency_injector.containers`` is imported. To mirror the package without touching production
code, the "no fastapi" runs prepend (via PYTHONPATH) a temporary directory whose
``fastapi/__init__.py`` raises ImportError, exactly what the probe sees in FC.

A third variant, "no bytecode cache", points PYTHONPYCACHEPREFIX at an empty directory per run:
every module is compiled from source, which is what happens on FC when the package ships no
``.pyc`` files for Python 3.12 (the code directory is read-only there).

The child also reports which SDK modules the step loaded, so an adapter that imports its SDK
in its constructor (instead of on first use) shows up here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 250.0
MARK = "COLDSTART_RESULT "
SDK_MODULES = ("telegram", "tablestore", "mns", "dashscope", "oss2", "httpx", "numpy", "google.protobuf",
               "websocket", "fastapi", "pydantic", "imageio_ffmpeg", "asyncio")

# Production configuration with fake credentials and loopback endpoints (port 9: discard; nothing
# is called). OSS needs a standard endpoint name to derive the V4 signing region; building the
# client does not connect either.
PRODUCTION_ENV = {
    "APP_PROFILE": "production",
    "TELEGRAM_BOT_TOKEN": "123456789:benchFakeTokenAAAAAAAAAAAAAAAAAAAAAAAAA",
    "TELEGRAM_WEBHOOK_SECRET": "bench-webhook-secret",
    "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
    "DASHSCOPE_API_KEY": "sk-benchfakekey0000000000",
    "DASHSCOPE_HTTP_BASE_URL": "http://127.0.0.1:9/api/v1",
    "DASHSCOPE_WEBSOCKET_BASE_URL": "ws://127.0.0.1:9",
    "TABLESTORE_ENDPOINT": "http://127.0.0.1:9",
    "TABLESTORE_INSTANCE": "bench",
    "MNS_ENDPOINT": "http://127.0.0.1:9",
    "OSS_ENDPOINT": "https://oss-eu-central-1.aliyuncs.com",
    "OSS_BUCKET": "bench",
    "OWNER_ID": "42",
    "LOG_LEVEL": "ERROR",
    # FC python3.12 hands the role's STS credentials as variables (its context has none).
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.benchKeyId0001",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "bench-sts-secret-0001",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "bench-sts-token-0001",
}

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
kind = sys.argv[1]
SDKS = __SDKS__
def loaded():
    return sorted(m for m in SDKS if m in sys.modules)
out = {}
if kind in ("webhook", "worker"):
    from types import SimpleNamespace
    if kind == "webhook":
        import entrypoints.fc_webhook.handler as handler
        provider = "accept_update"
    else:
        import entrypoints.fc_worker.handler as handler
        provider = "transcribe_job"
    t1 = time.perf_counter()
    out["import_loaded"] = loaded()
    context = SimpleNamespace(request_id="bench", function=SimpleNamespace(name="bench", timeout=60))
    handler.runtime.container(context)
    t2 = time.perf_counter()
    error = None
    try:
        handler.runtime.resolve(provider)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    t3 = time.perf_counter()
    out.update(import_ms=(t1 - t0) * 1000, build_ms=(t2 - t1) * 1000, resolve_ms=(t3 - t2) * 1000,
               total_ms=(t3 - t0) * 1000, loaded=loaded(), error=error)
elif kind == "breakdown":
    from types import SimpleNamespace
    import entrypoints.fc_webhook.handler as handler
    context = SimpleNamespace(request_id="bench", function=SimpleNamespace(name="bench", timeout=60))
    handler.runtime.container(context)
    steps = {}
    for name in ("chat", "users", "jobs", "state", "queue", "blobs", "audio_tools", "recognizer",
                 "speaker_pass", "formatters", "transcribe_job", "accept_update"):
        start = time.perf_counter()
        handler.runtime.resolve(name)
        steps[name] = (time.perf_counter() - start) * 1000
    out.update(total_ms=(time.perf_counter() - t0) * 1000, steps=steps, loaded=loaded())
elif kind.startswith("sdk:"):
    import importlib
    for name in kind[4:].split(","):
        importlib.import_module(name)
    out.update(total_ms=(time.perf_counter() - t0) * 1000, loaded=loaded())
else:
    out.update(total_ms=(time.perf_counter() - t0) * 1000)
print(__MARK__ + json.dumps(out), flush=True)
""".replace("__SDKS__", repr(SDK_MODULES)).replace("__MARK__", repr(MARK))

EAGER_SDKS = ("telegram", "tablestore", "mns.account", "dashscope")


def _env(no_fastapi_dir: Path | None, production: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BACKEND") and k not in PRODUCTION_ENV}
    env.pop("PYTHONPATH", None)
    if production:
        env.update(PRODUCTION_ENV)
    paths = ([str(no_fastapi_dir)] if no_fastapi_dir else []) + [str(ROOT)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_child(kind: str, no_fastapi_dir: Path | None, no_bytecode: bool) -> dict:
    env = _env(no_fastapi_dir, production=kind in ("webhook", "worker", "breakdown"))
    with tempfile.TemporaryDirectory(prefix="pycache-") as cache:
        if no_bytecode:
            env["PYTHONPYCACHEPREFIX"] = cache  # empty: everything compiled from source
        result = subprocess.run([sys.executable, "-c", CHILD, kind], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
    for line in result.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise RuntimeError(f"child {kind} failed:\n{result.stderr[-2000:]}")


def interpreter_startup_ms(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def measure_all(configs: dict[tuple, dict], runs: int) -> dict[tuple, dict]:
    """Round-robin over the configurations (run i of every one, then run i + 1 ...), so a change
    in machine load during the benchmark affects every figure alike."""
    for options in configs.values():
        run_child(**options)  # warm the OS file cache and (unless disabled) the bytecode cache
    samples: dict[tuple, list[dict]] = {key: [] for key in configs}
    for _ in range(runs):
        for key, options in configs.items():
            samples[key].append(run_child(**options))
    return {key: summarise(values) for key, values in samples.items()}


def summarise(samples: list[dict]) -> dict:
    summary: dict = {"samples": samples}
    for key in ("import_ms", "build_ms", "resolve_ms", "total_ms"):
        values = [s[key] for s in samples if key in s]
        if values:
            summary[key] = (statistics.median(values), p90(values))
    summary["loaded"] = samples[-1].get("loaded", [])
    summary["import_loaded"] = samples[-1].get("import_loaded", [])
    summary["error"] = samples[-1].get("error")
    return summary


def fmt(pair: tuple[float, float] | None) -> str:
    return "—" if pair is None else f"{pair[0]:7.1f} / {pair[1]:7.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-bytecode", action="store_true", help="skip the no-bytecode-cache variant")
    args = parser.parse_args()
    runs = args.runs

    with tempfile.TemporaryDirectory(prefix="no-fastapi-") as shim:
        shim_dir = Path(shim)
        (shim_dir / "fastapi").mkdir()
        (shim_dir / "fastapi" / "__init__.py").write_text(
            'raise ImportError("fastapi is not in the FC package (benchmark shim)")\n')
        variants = {"venv": None, "no fastapi (FC package)": shim_dir}
        kinds = ["webhook", "worker", "sdk:" + ",".join(EAGER_SDKS), *(f"sdk:{s}" for s in EAGER_SDKS)]
        configs = {(label, kind, False): {"kind": kind, "no_fastapi_dir": shim_path, "no_bytecode": False}
                   for label, shim_path in variants.items() for kind in kinds}
        configs[("no fastapi (FC package)", "breakdown", False)] = {
            "kind": "breakdown", "no_fastapi_dir": shim_dir, "no_bytecode": False}
        if not args.skip_bytecode:
            for kind in ("webhook", "worker"):
                configs[("no fastapi (FC package)", kind, True)] = {
                    "kind": kind, "no_fastapi_dir": shim_dir, "no_bytecode": True}
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        results = measure_all(configs, runs)
        load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    startup = interpreter_startup_ms(runs)

    print(f"Cold start, {runs} fresh processes per figure; median / p90 in ms (Python {sys.version.split()[0]})")
    print(f"interpreter start-up (python -c pass, wall): {statistics.median(startup):.1f} / {p90(startup):.1f}")
    print(f"1-minute load average: {load_before:.2f} before, {load_after:.2f} after (on {os.cpu_count()} CPUs)\n")
    header = f"{'step':44} {'import':>17} {'build':>17} {'resolve':>17} {'total':>17}"
    for (label, kind, no_bytecode), r in results.items():
        if (kind.startswith("sdk:") and "," not in kind) or kind == "breakdown":
            continue
        name = {"webhook": "(a) webhook import+container+accept_update",
                "worker": "(b) worker import+container+transcribe_job"}.get(kind, "(c) eager SDKs: " + kind[4:])
        title = f"[{label}{', no bytecode cache' if no_bytecode else ''}]"
        print(title)
        print(header)
        print(f"{name:44} {fmt(r.get('import_ms')):>17} {fmt(r.get('build_ms')):>17} "
              f"{fmt(r.get('resolve_ms')):>17} {fmt(r.get('total_ms')):>17}")
        if r.get("import_loaded") is not None and kind in ("webhook", "worker"):
            print(f"    SDK modules after import: {', '.join(r['import_loaded']) or 'none'}")
        print(f"    SDK modules at the end:   {', '.join(r['loaded']) or 'none'}")
        if r.get("error"):
            print(f"    resolve failed: {r['error']}")
        print()
    print("(c) each SDK alone (total ms, median / p90):")
    for label in variants:
        parts = [f"{s}: {fmt(results[(label, 'sdk:' + s, False)]['total_ms']).strip()}" for s in EAGER_SDKS]
        print(f"    [{label}] " + "; ".join(parts))

    breakdown = results.get(("no fastapi (FC package)", "breakdown", False))
    if breakdown:
        print("\nWhere resolving accept_update goes (FC package, providers resolved one after another, ms median):")
        for name in breakdown["samples"][0]["steps"]:
            print(f"    {name:15} {statistics.median(s['steps'][name] for s in breakdown['samples']):7.1f}")

    print("\nSummary (medians):")
    for label in variants:
        web = results[(label, "webhook", False)]
        sdk = results[(label, "sdk:" + ",".join(EAGER_SDKS), False)]
        web_import = web["import_ms"][0]
        web_total = web["total_ms"][0]
        web_import_build = web_import + web["build_ms"][0]
        def verdict(ms: float) -> str:
            return f"{ms:.1f} ms ({'≤' if ms <= TARGET_MS else '>'} {TARGET_MS:.0f}: {'met' if ms <= TARGET_MS else 'NOT met'})"

        print(f"  [{label}] webhook import+container {verdict(web_import_build)}; "
              f"with accept_update resolved {verdict(web_total)}; "
              f"eager SDKs {sdk['total_ms'][0]:.1f} ms = {sdk['total_ms'][0] / web_import_build:.2f}× the webhook's "
              f"import+container; worker total {results[(label, 'worker', False)]['total_ms'][0]:.1f} ms")
    venv, fc = results[("venv", "webhook", False)], results[("no fastapi (FC package)", "webhook", False)]
    print(f"  fastapi probe cost on the webhook import: {venv['import_ms'][0] - fc['import_ms'][0]:.1f} ms "
          f"(import ratio venv/FC package {venv['import_ms'][0] / fc['import_ms'][0]:.2f}×)")
    key = ("no fastapi (FC package)", "webhook", True)
    if key in results:
        print(f"  without bytecode cache (FC package shipping no .pyc): webhook total "
              f"{results[key]['total_ms'][0]:.1f} ms = {results[key]['total_ms'][0] / fc['total_ms'][0]:.2f}× "
              f"the cached figure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
