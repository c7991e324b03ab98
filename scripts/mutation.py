"""Mutation testing on demand: how many one-line changes of the money rules the tests notice.

    .venv/bin/python scripts/mutation.py            # run (cached verdicts are reused), then report
    .venv/bin/python scripts/mutation.py --fresh    # start from scratch (deletes mutants/)
    .venv/bin/python scripts/mutation.py --survivors  # run again what survived or has no verdict yet
    .venv/bin/python scripts/mutation.py --report   # only report the last run
    .venv/bin/python scripts/mutation.py --diff     # report with the diff of every survivor

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) copies the code into ``mutants/``,
mutates ``domain/`` and the money use cases, and runs, for each mutant, only the tests that
executed the mutated function. It mutates whole files; of ``usecases/transcribe_job.py`` only
the settlement methods are run and counted (``SCOPE`` below), the rest of that file is the
job's plumbing, covered by the use-case tests but not part of this measure.

Score = detected / (detected + undetected), where detected is killed, timed out or rejected by
the type checker, and undetected is survived or not run by any test. Equivalent mutants (no
behaviour can tell them apart) are listed with their reason in ``docs/mutation.md``.
Not part of ``./dev test``: a full run takes tens of minutes on two cores.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"

# The measured mutants, as mutmut names them (module.function, methods as ``xǁClassǁmethod``).
SETTLEMENT = ("_charge_real_duration", "_complete", "_balance_notice", "_fail", "give_up")
SCOPE = (
    "domain.*",
    "usecases.billing.*",
    "usecases.payments.*",
    *(f"usecases.transcribe_job.xǁTranscribeJobǁ{name}__mutmut_*" for name in SETTLEMENT),
)

DETECTED = {1, 3, 24, -24, 152, 255, 36, 37, -9, -11}  # killed, timeout, type check, crash
UNDETECTED = {0, 5, 33, 35}  # survived, no tests, suspicious


def in_scope(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in SCOPE)


def verdicts() -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        found.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return {name: code for name, code in found.items() if in_scope(name)}


def module_of(name: str) -> str:
    module = name.split(".x", 1)[0] if ".x" in name else name.rsplit(".", 1)[0]
    if module == "usecases.transcribe_job":
        return "usecases.transcribe_job (settlement)"
    return module


def report(show_diff: bool) -> float:
    found = verdicts()
    if not found:
        print("no mutants found: run without --report first")
        return 0.0
    detected: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    unchecked: Counter[str] = Counter()
    survivors: list[tuple[str, int]] = []
    for name, code in found.items():
        module = module_of(name)
        if code in DETECTED:
            detected[module] += 1
            counted[module] += 1
        elif code in UNDETECTED:
            counted[module] += 1
            survivors.append((name, code))
        else:
            unchecked[module] += 1  # not run yet, skipped or interrupted
    width = max(len(m) for m in counted | unchecked)
    print(f"\n{'module':<{width}}  killed / total   score")
    for module in sorted(counted | unchecked):
        total = counted[module]
        score = detected[module] / total if total else 0.0
        note = f"   ({unchecked[module]} not run)" if unchecked[module] else ""
        print(f"{module:<{width}}  {detected[module]:6d} / {total:<6d} {score:6.1%}{note}")
    total_detected, total = sum(detected.values()), sum(counted.values())
    not_run = sum(unchecked.values())
    if not total:
        print("no mutant was run: the score is unknown (see mutmut's output above)")
        return 0.0
    score = total_detected / total
    print(f"{'all':<{width}}  {total_detected:6d} / {total:<6d} {score:6.1%}"
          + (f"   ({not_run} not run: the score covers only the mutants that ran)" if not_run else ""))
    print(f"\nsurviving mutants ({len(survivors)}):")
    for name, code in sorted(survivors):
        print(f"  {name}{'   (no test runs it)' if code in (5, 33) else ''}")
        if show_diff:
            diff = subprocess.run([str(ROOT / ".venv/bin/mutmut"), "show", name], cwd=ROOT,
                                  capture_output=True, text=True).stdout
            print("    " + "\n    ".join(line for line in diff.splitlines() if line.startswith(("-", "+"))
                                        and not line.startswith(("---", "+++"))))
    return score


def refresh_tests() -> None:
    """mutmut runs the tests from its own copy in ``mutants/``, made when it first generated the
    mutants: bring the copy up to date, so a rerun judges the mutants with the tests as they are."""
    copy = MUTANTS / "tests"
    if copy.exists():
        shutil.rmtree(copy)
        shutil.copytree(ROOT / "tests", copy, ignore=shutil.ignore_patterns("__pycache__"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="delete mutants/ first (no cached verdicts)")
    parser.add_argument("--report", action="store_true", help="only print the report of the last run")
    parser.add_argument("--survivors", action="store_true",
                        help="run only the mutants that survived the last run, or have no verdict yet "
                             "(after adding tests, or after a change to some of the mutated files)")
    parser.add_argument("--diff", action="store_true", help="show each survivor's diff")
    parser.add_argument("--only", nargs="+", metavar="PATTERN", default=None,
                        help="run only these mutants (fnmatch patterns over mutmut's names, e.g. 'domain.merge.*')")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fail-under", type=float, default=None, help="exit 1 below this score (0-100)")
    args = parser.parse_args()
    if not args.report:
        if args.fresh and MUTANTS.exists():
            shutil.rmtree(MUTANTS)
        # Named mutants are always run again (mutmut reuses a verdict only for unnamed ones).
        names = list(SCOPE) if args.only is None else list(args.only)
        if args.survivors:
            # Survivors, and mutants without a verdict: those of a file changed since (mutmut made
            # them afresh) or left over when a run was stopped.
            names = [name for name, code in verdicts().items() if code not in DETECTED
                     and (args.only is None or any(fnmatch.fnmatch(name, p) for p in args.only))]
            if not names:
                print("nothing survived the last run")
                report(args.diff)
                return 0
        refresh_tests()
        started = time.monotonic()
        # Property tests with few, fixed examples: a mutant's verdict does not change between runs.
        env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}
        run = subprocess.run([str(ROOT / ".venv/bin/mutmut"), "run", "--max-children", str(args.max_children),
                              *names], cwd=ROOT, env=env)
        print(f"\nmutmut run: exit {run.returncode}, {time.monotonic() - started:.0f} s")
        if run.returncode not in (0, 1):
            return run.returncode
    score = report(args.diff)
    if args.fail_under is not None and score * 100 < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
