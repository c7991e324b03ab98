"""Build the Function Compute code package ``dist/fc-package.zip``, reproducibly.

    python scripts/build_package.py                 # pip download + install, prune, zip
    python scripts/build_package.py --skip-install  # zip an already prepared build/python

0. A few pinned libraries are published on PyPI as source only (``oss2``, ``aliyun-python-sdk-core``,
   ``crcmod``: ``SDIST_ONLY``), which ``--only-binary=:all:`` below would refuse. They are pure
   Python (crcmod's C extension is optional and falls back to Python), so they are first built into
   ``py3-none-any`` wheels in ``build/wheels`` (with ``CC=false`` so crcmod cannot compile its
   extension for the build machine's Python); the install then finds them with ``--find-links``.
1. ``pip install --target build/python`` the pinned runtime libraries as **Linux x86-64 CPython 3.12
   wheels** (FC's ``python3.12`` runtime), whatever machine runs the build: ``--platform``
   ``manylinux2014_x86_64`` plus ``manylinux_2_28_x86_64`` (numpy ≥ 2.3, which tablestore needs,
   publishes only 2_28 wheels; FC documents its python3.12 runtime on Debian 11, glibc 2.31
   [check ``ldd --version`` in the console's terminal]), ``--only-binary=:all:``,
   ``-c constraints.txt -r requirements.txt``. ``aliyun-mns-sdk`` is vendored here on purpose: the
   FC runtimes preinstall the old ``aliyun-mns`` (same ``mns`` module) which prints the
   AccessKeySecret; ``PYTHONPATH=/code/python`` (s.yaml) puts the vendored one first.
2. Prune ``fastapi`` and ``uvicorn`` and whatever only they needed (starlette ...): ``dashscope``
   2.0.2 requires them for its fine-tuning server only, and ``dependency_injector.wiring`` (imported
   by ``dependency_injector.containers``) tries ``from fastapi.params import Depends`` at import,
   which costs the webhook ~170–190 ms of cold start when fastapi is importable.
3. Zip: the source packages (``domain ports usecases adapters entrypoints``, without the local
   runner, tests, benchmarks and caches) at the root, the libraries under ``python/``. Entries are
   sorted, every timestamp is 1980-01-01, permissions are normalised (0644, or 0755 for
   executables such as imageio-ffmpeg's bundled ffmpeg binary), so the same inputs give the same
   bytes. With a Python 3.12 interpreter (``--compile-with``, default: this one if it is 3.12)
   every module is precompiled (``unchecked-hash`` pycs, deterministic): FC's code directory is
   read-only, so without them each cold start compiles everything from source (~3× slower).
   Prints the size and the SHA-256.

Without network pip fails: the script stops with a message saying so (use ``--skip-install`` with
a ``build/python`` prepared elsewhere).
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_PACKAGES = ("domain", "ports", "usecases", "adapters", "entrypoints")
SOURCE_EXCLUDES = ("entrypoints/local",)
EXCLUDED_DISTRIBUTIONS = ("fastapi", "uvicorn")
# Published as sdists only (pure Python); re-check when a pin changes.
SDIST_ONLY = ("oss2", "aliyun-python-sdk-core", "crcmod")
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
PYTHON_VERSION = "3.12"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
API_UPLOAD_LIMIT = 100 * 1024 * 1024  # base64 through the API; console/OSS upload allows 500 MB
PACKAGE_LIMIT = 500 * 1024 * 1024
TARGET_ENV = {  # PEP 508 marker environment of FC's python3.12 runtime
    "implementation_name": "cpython", "implementation_version": "3.12.0", "os_name": "posix",
    "platform_machine": "x86_64", "platform_python_implementation": "CPython", "platform_release": "",
    "platform_system": "Linux", "platform_version": "", "python_full_version": "3.12.0",
    "python_version": PYTHON_VERSION, "sys_platform": "linux", "extra": "",
}


class BuildError(Exception):
    """The package cannot be built; the message says why and what to do."""


# -- 1. install ---------------------------------------------------------------------------------------


def sdist_wheels_command(wheels: Path, root: Path = ROOT) -> list[str]:
    return [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-binary=:all:", "--wheel-dir", str(wheels),
            "--disable-pip-version-check", "-c", str(root / "constraints.txt"), *SDIST_ONLY]


def pip_command(target: Path, root: Path = ROOT, find_links: Path | None = None, retries: int = 2,
                timeout: int = 30) -> list[str]:
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    links = ["--find-links", str(find_links)] if find_links else []
    return [sys.executable, "-m", "pip", "install", "--target", str(target), "--upgrade", *platforms,
            "--python-version", PYTHON_VERSION, "--implementation", "cp", "--only-binary=:all:", *links,
            "--no-compile", "--disable-pip-version-check", "--retries", str(retries), "--timeout", str(timeout),
            "-c", str(root / "constraints.txt"), "-r", str(root / "requirements.txt")]


def _run(command: list[str], root: Path, what: str, env: dict[str, str] | None = None) -> None:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=root, env=env)
    if result.returncode != 0:
        raise BuildError(
            f"pip could not {what} (exit {result.returncode}): no network access to the package index, "
            "or a pinned library has no wheel for Linux/CPython 3.12. Run the build on a machine with "
            "internet access, or prepare build/python there and run this script with --skip-install."
        )


def install(target: Path, root: Path = ROOT) -> None:
    wheels = target.parent / "wheels"
    for directory in (target, wheels):
        if directory.exists():
            shutil.rmtree(directory)
    # CC/LDSHARED=false: crcmod's optional C extension fails to build and it installs pure Python.
    env = {**os.environ, "CC": "false", "LDSHARED": "false"}
    _run(sdist_wheels_command(wheels, root), root, f"build pure-Python wheels of {', '.join(SDIST_ONLY)}", env)
    impure = [w.name for w in wheels.glob("*.whl") if not w.name.endswith("-none-any.whl")]
    if impure:
        raise BuildError(f"{', '.join(impure)} built for this machine, not as pure Python; build on Linux "
                         "x86-64 with Python 3.12 (e.g. in the python:3.12-slim image) instead")
    _run(pip_command(target, root, find_links=wheels), root, f"install the Linux/CPython {PYTHON_VERSION} wheels")


# -- 2. prune -----------------------------------------------------------------------------------------


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_roots(requirements: Path) -> set[str]:
    roots = set()
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match and not line.startswith("-"):
            roots.add(normalise(match.group(1)))
    return roots


def _marker_applies(marker: str) -> bool:
    try:
        from packaging.markers import Marker
    except ImportError:  # without packaging: keep everything that is not an extra
        return "extra" not in marker
    return Marker(marker).evaluate(TARGET_ENV)


def read_distributions(target: Path) -> dict[str, tuple[Path, set[str]]]:
    """name → (dist-info dir, names it requires on the target platform)."""
    found = {}
    for info in sorted(target.glob("*.dist-info")):
        metadata = email.parser.Parser().parsestr((info / "METADATA").read_text(encoding="utf-8", errors="replace"))
        requires = set()
        for requirement in metadata.get_all("Requires-Dist") or []:
            spec, _, marker = requirement.partition(";")
            if marker.strip() and not _marker_applies(marker.strip()):
                continue
            match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
            if match:
                requires.add(normalise(match.group(1)))
        found[normalise(metadata["Name"])] = (info, requires)
    return found


def unreachable(distributions: dict[str, tuple[Path, set[str]]], roots: Iterable[str],
                excluded: Iterable[str]) -> set[str]:
    """Distributions not needed once ``excluded`` are cut out of the dependency graph."""
    cut = {normalise(e) for e in excluded}
    seen: set[str] = set()
    stack = [normalise(r) for r in roots if normalise(r) not in cut]
    while stack:
        name = stack.pop()
        if name in seen or name not in distributions:
            continue
        seen.add(name)
        stack.extend(d for d in distributions[name][1] if d not in cut)
    return set(distributions) - seen


def remove_distribution(target: Path, info: Path) -> None:
    record = info / "RECORD"
    paths = []
    if record.exists():
        for line in record.read_text(encoding="utf-8").splitlines():
            relative = line.rsplit(",", 2)[0]
            if relative:
                paths.append((target / relative).resolve())
    for path in paths:
        if path.is_relative_to(target.resolve()) and path.is_file():
            path.unlink()
    shutil.rmtree(info, ignore_errors=True)
    for directory in sorted({p.parent for p in paths}, key=lambda p: len(p.parts), reverse=True):
        while directory != target.resolve() and directory.is_relative_to(target.resolve()):
            pycache = directory / "__pycache__"
            if pycache.is_dir() and not any(f.suffix != ".pyc" for f in pycache.iterdir()):
                shutil.rmtree(pycache)
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
                directory = directory.parent
            else:
                break


def prune(target: Path, requirements: Path, excluded: Iterable[str] = EXCLUDED_DISTRIBUTIONS) -> list[str]:
    distributions = read_distributions(target)
    removed = sorted(unreachable(distributions, requirement_roots(requirements), excluded))
    for name in removed:
        remove_distribution(target, distributions[name][0])
    return removed


# -- 3. zip -------------------------------------------------------------------------------------------


def _skip(relative: str) -> bool:
    parts = relative.split("/")
    return "__pycache__" in parts or relative.endswith((".pyc", ".pyo")) or parts[-1] == ".DS_Store"


def package_files(root: Path, deps: Path) -> Iterator[tuple[str, Path]]:
    """(name inside the zip, file) for every file that goes into the package."""
    for package in SOURCE_PACKAGES:
        for path in (root / package).rglob("*"):
            relative = path.relative_to(root).as_posix()
            if path.is_file() and not _skip(relative) and not relative.startswith(SOURCE_EXCLUDES):
                yield relative, path
    if deps.exists():
        for path in deps.rglob("*"):
            relative = path.relative_to(deps).as_posix()
            if path.is_file() and not _skip(relative) and not relative.startswith("bin/"):
                yield f"python/{relative}", path


def compile_bytecode(staging: Path, python: str, expect_version: tuple[int, int] | None = (3, 12)) -> None:
    """Precompile every module with ``python`` (FC's /code is read-only, so without .pyc files each
    cold start compiles all imported modules from source: ~3× slower, see benchmarks/coldstart.py).
    ``unchecked-hash`` pycs do not embed mtimes, and PYTHONHASHSEED=0 makes marshal output stable."""
    if expect_version is not None:
        probe = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                               text=True)
        found = tuple(int(x) for x in probe.stdout.split()) if probe.returncode == 0 else ()
        if found != expect_version:
            raise BuildError(f"--compile-with needs Python {'.'.join(map(str, expect_version))} (FC's runtime); "
                             f"{python} is {'.'.join(map(str, found)) or 'not runnable'}")
    command = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
               "-s", str(staging), "-p", "/code", str(staging)]
    result = subprocess.run(command, env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True)
    if result.returncode != 0:  # a vendored file that does not compile (tests, py2 leftovers) is not fatal
        print(f"note: compileall reported problems:\n{result.stdout[-2000:]}", file=sys.stderr)


def build_zip(root: Path, deps: Path, output: Path, compile_with: str | None = None,
              expect_version: tuple[int, int] | None = (3, 12)) -> tuple[int, int]:
    """Write the zip; returns (entries, bytes). Same inputs → same bytes."""
    entries = sorted(package_files(root, deps))
    if not any(name.startswith("entrypoints/") for name, _ in entries):
        raise BuildError(f"no source packages under {root}")
    if compile_with:
        with tempfile.TemporaryDirectory(prefix="fc-package-") as tmp:
            staging = Path(tmp)
            for name, path in entries:
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, staging / name)
            compile_bytecode(staging, compile_with, expect_version)
            staged = sorted((p.relative_to(staging).as_posix(), p) for p in staging.rglob("*") if p.is_file())
            return _write_zip(staged, output)
    return _write_zip(entries, output)


def _write_zip(entries: list[tuple[str, Path]], output: Path) -> tuple[int, int]:
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.create_system = 3  # unix, so the permission bits below are honoured
            executable = path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            large = path.stat().st_size >= zipfile.ZIP64_LIMIT
            with path.open("rb") as source, archive.open(info, "w", force_zip64=large) as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
    os.replace(partial, output)
    return len(entries), output.stat().st_size


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-install", action="store_true", help="use the existing build/python")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "python")
    parser.add_argument("--output", type=Path, default=ROOT / "dist" / "fc-package.zip")
    parser.add_argument("--compile-with", metavar="PYTHON3.12",
                        default=sys.executable if sys.version_info[:2] == (3, 12) else None,
                        help="precompile .pyc with this Python 3.12 (default: this interpreter if it is 3.12)")
    args = parser.parse_args(argv)
    try:
        if args.skip_install:
            if not args.build_dir.is_dir():
                raise BuildError(f"{args.build_dir} does not exist: run without --skip-install first")
        else:
            install(args.build_dir)
        removed = prune(args.build_dir, ROOT / "requirements.txt")
        print(f"pruned: {', '.join(removed) or 'nothing'}")
        if not (args.build_dir / "mns").is_dir() and not args.skip_install:
            raise BuildError("aliyun-mns-sdk (module mns) is missing from build/python")
        if not args.compile_with:
            print("note: no Python 3.12 to precompile with (--compile-with): the package ships no .pyc and "
                  "every cold start compiles from source", file=sys.stderr)
        count, size = build_zip(ROOT, args.build_dir, args.output, compile_with=args.compile_with)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {count} files, {size:,} bytes ({size / 1024 / 1024:.1f} MiB), sha256 {sha256(args.output)}")
    if size > PACKAGE_LIMIT:
        print("error: over FC's 500 MB code package limit", file=sys.stderr)
        return 2
    if size > API_UPLOAD_LIMIT:
        print("note: over 100 MB; upload through OSS (s deploy does) rather than inline base64", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
