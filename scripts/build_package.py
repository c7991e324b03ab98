"""Build the Function Compute code package ``dist/fc-package.zip``, reproducibly, and check it.

    python scripts/build_package.py                 # pip install, prune, zip, check
    python scripts/build_package.py --skip-install  # zip and check an already prepared build/python

1. Install the pinned runtime libraries (``-c constraints.txt -r requirements.txt``) into
   ``build/python`` as **Linux x86-64 CPython 3.12 wheels** (FC's ``python3.12`` runtime), whatever
   machine runs the build: ``pip install --target --platform manylinux2014_x86_64 --platform
   manylinux_2_28_x86_64 --python-version 3.12 --implementation cp --only-binary=:all:`` (numpy ≥ 2.3,
   which tablestore needs, publishes only 2_28 wheels; FC documents its python3.12 runtime on Debian
   11, glibc 2.31 [check ``ldd --version`` in the console's terminal]). Any wheel that fits the
   target is taken: ``cp312``/``abi3`` manylinux ones and pure ``py3-none-any`` ones alike.
   **Wheel or sdist is decided per package by trying, not by a list**: when pip reports that a
   distribution has no wheel for the target (``No matching distribution found for X``, or ``no
   matching distributions available for your environment: X``), X alone is built from its sdist
   into ``build/wheels`` (``pip wheel --no-deps --no-binary=X --no-cache-dir``, version from
   constraints.txt, with ``CC=false LDSHARED=false`` so an optional C extension such as crcmod's
   cannot be compiled for the build machine's Python; without ``--no-cache-dir`` pip reuses the
   wheel it compiled when the dev venv installed crcmod), the wheel must come out ``-none-any``
   (else the build stops: it would be a binary for the wrong machine), and the install runs again
   with ``--find-links build/wheels``, until it succeeds or a package can be neither downloaded
   nor built. With the pins of this writing: oss2 and crcmod come from sdists, everything else
   (aliyun-python-sdk-core 2.16.1 included, which is published only as a ``py3-none-any`` wheel)
   from wheels. pip's ``--report`` (``build/install-report.json``) gives the per-package summary
   that is printed.
   ``aliyun-mns-sdk`` is vendored on purpose: the FC runtimes preinstall the old ``aliyun-mns``
   (same ``mns`` module) which prints the AccessKeySecret; ``PYTHONPATH=/code/python`` (s.yaml)
   puts the vendored one first.
2. Prune ``fastapi`` and ``uvicorn`` and whatever only they needed (starlette ...): ``dashscope``
   2.0.2 requires them for its fine-tuning server only, and ``dependency_injector.wiring`` (imported
   by ``dependency_injector.containers``) tries ``from fastapi.params import Depends`` at import,
   which costs the webhook ~170–190 ms of cold start when fastapi is importable.
3. Zip: the source packages (``domain ports presentation usecases adapters entrypoints``, without the local
   runner, tests, benchmarks and caches) at the root, the libraries under ``python/``. Entries are
   sorted, every timestamp is 1980-01-01, permissions are normalised (0644, or 0755 for
   executables such as imageio-ffmpeg's bundled ffmpeg binary), so the same inputs give the same
   bytes. With a Python 3.12 interpreter every module is precompiled (``unchecked-hash`` pycs,
   deterministic): FC's code directory is read-only, so without them each cold start compiles
   everything from source (~3× slower). The 3.12 interpreter is ``--python312`` (alias
   ``--compile-with``), else the first of: this interpreter, ``python3.12`` on PATH, a pyenv or uv
   managed 3.12, ``/usr/{local/,}bin/python3.12`` that answers as 3.12 (``--no-python312``: none).
   Prints the size (MB) and the SHA-256.
4. Check the zip (extracted to a temporary directory) the way FC will load it. The handlers are
   the ``handler:`` lines of ``s.yaml``. Two checks, because the second alone cannot always be
   conclusive on the build machine:

   a. **Static, interpreter-independent.** From each handler module, the ``import`` statements of
      the project's own modules are followed transitively (the AST, so the imports that
      ``entrypoints.container`` does lazily inside its builders count too; imports under ``if
      TYPE_CHECKING:`` do not; imports inside ``try: … except ImportError`` are optional). Every
      module they name is resolved in FC's order (``python/`` first, then the package root): a
      project module that is missing (e.g. something under an excluded directory), a library
      module that is not under ``python/`` and not in the 3.12 standard library, a library whose
      extension module exists only for another ABI than cp312/abi3, a ``python/`` entry that
      shadows a project package or a standard module, each fails the build. This is what catches
      a wheel dropped by the pruning, a pin that stopped pulling a dependency, or an excluded file
      still in use, on any machine.
   b. **Real imports**, in a subprocess with a clean environment, ``-S`` (no site-packages, so the
      dev venv is not visible) and ``PYTHONPATH=<pkg>/python:<pkg>`` like FC's
      ``PYTHONPATH=/code/python:/code``: the handler modules and every project module reachable
      from them (so the lazily imported adapters and their SDKs are imported too), and each
      handler attribute must be callable. With a 3.12 interpreter every failure fails the build.
      Without one, the host interpreter runs it and a failure is reported as *not verifiable
      here* when the import needed an extension module present only for another ABI (a
      ``*.cpython-312-*.so``: numpy's, pydantic-core's, PyYAML's …; a meta-path hook records each
      such miss) or hit 3.12-only syntax in ``python/``; any other failure (``ModuleNotFoundError``
      for a module that is not there, an exception at import) fails the build. In that mode the
      static check (a) is the conclusive one for modules behind a binary, and the script says so;
      it also lists the cp312 extensions that imports which did succeed went without (optional
      speed-ups, or fallbacks that 3.12 would not take).

   A package that fails is renamed ``fc-package.zip.rejected`` so that ``s deploy`` cannot ship it.
   Neither check covers imports that libraries make lazily inside their own functions (tablestore's
   flatbuffer code imports numpy only when used), nor anything past import (credentials, network).

Without network pip fails: the script stops with a message saying so (use ``--skip-install`` with
a ``build/python`` prepared elsewhere).
"""

from __future__ import annotations

import argparse
import ast
import email.parser
import glob
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_PACKAGES = ("domain", "ports", "presentation", "usecases", "adapters", "entrypoints")
SOURCE_EXCLUDES = ("entrypoints/local",)
EXCLUDED_DISTRIBUTIONS = ("fastapi", "uvicorn")
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
PYTHON_VERSION = "3.12"
TARGET_VERSION = (3, 12)
# What FC's python3.12 import system accepts for an extension module (most specific first).
TARGET_EXTENSION_SUFFIXES = (".cpython-312-x86_64-linux-gnu.so", ".abi3.so", ".so")
# Standard modules this (3.11+) interpreter knows that 3.12 no longer has (PEP 594, PEP 632).
REMOVED_IN_TARGET = frozenset({"asynchat", "asyncore", "distutils", "imp", "smtpd"})
TARGET_STDLIB = frozenset(sys.stdlib_module_names) - REMOVED_IN_TARGET
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


@dataclass(frozen=True)
class PipResult:
    returncode: int
    output: str  # stdout and stderr together: pip explains a failed resolution on both


Runner = Callable[[list[str], Path, Mapping[str, str] | None], PipResult]


def run_pip(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> PipResult:
    """Run pip, echoing its output as it comes and keeping it to be read."""
    print("$", " ".join(command), flush=True)
    noise = "WARNING: Location 'file:"  # an extra local index of this machine without the project: not news
    lines = []
    with subprocess.Popen(command, cwd=cwd, env=dict(env) if env is not None else None, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace") as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if not line.startswith(noise):
                print(line, end="", flush=True)
    return PipResult(process.returncode, "".join(lines))


def pip_command(target: Path, root: Path = ROOT, find_links: Path | None = None, report: Path | None = None,
                retries: int = 2, timeout: int = 30) -> list[str]:
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    links = ["--find-links", str(find_links)] if find_links else []
    reports = ["--report", str(report)] if report else []
    return [sys.executable, "-m", "pip", "install", "--target", str(target), "--upgrade", *platforms,
            "--python-version", PYTHON_VERSION, "--implementation", "cp", "--only-binary=:all:", *links,
            *reports, "--no-compile", "--disable-pip-version-check", "--retries", str(retries), "--timeout",
            str(timeout), "-c", str(root / "constraints.txt"), "-r", str(root / "requirements.txt")]


def sdist_wheel_command(name: str, wheels: Path, root: Path = ROOT) -> list[str]:
    """Build ``name`` (only it: ``--no-binary`` names it, its build backend may come as a wheel)."""
    return [sys.executable, "-m", "pip", "wheel", "--no-deps", f"--no-binary={name}", "--no-cache-dir",
            "--wheel-dir", str(wheels), "--disable-pip-version-check", "-c", str(root / "constraints.txt"), name]


_NO_DISTRIBUTION = re.compile(
    r"(?:No matching distribution found for|Could not find a version that satisfies the requirement)"
    r"\s+([A-Za-z0-9][A-Za-z0-9._-]*)")
_NO_DISTRIBUTION_LIST = re.compile(r"no matching distributions? available for your environment:[ \t]*\n"
                                   r"((?:[ \t]+[A-Za-z0-9][A-Za-z0-9._-]*[ \t]*(?:\n|$))+)", re.IGNORECASE)


def missing_distributions(pip_output: str) -> list[str]:
    """Distributions pip found no acceptable file for (normalised, in order), from its error text."""
    names = [m.group(1) for m in _NO_DISTRIBUTION.finditer(pip_output)]
    for block in _NO_DISTRIBUTION_LIST.finditer(pip_output):
        names += block.group(1).split()
    return list(dict.fromkeys(normalise(n) for n in names))


def build_pure_wheel(name: str, wheels: Path, root: Path = ROOT, run: Runner = run_pip) -> Path:
    """The sdist of ``name`` as a ``-none-any`` wheel in ``wheels``; BuildError if it is not one."""
    before = set(wheels.glob("*.whl"))
    # CC/LDSHARED=false: an optional C extension (crcmod's) fails to build and the package installs pure.
    env = {**os.environ, "CC": "false", "LDSHARED": "false"}
    result = run(sdist_wheel_command(name, wheels, root), root, env)
    built = sorted(set(wheels.glob("*.whl")) - before)
    if result.returncode != 0 or not built:
        raise BuildError(
            f"{name} has no wheel for Linux x86-64 CPython {PYTHON_VERSION} on the index and its sdist did "
            f"not build (pip exit {result.returncode}): no network access to the package index, or it needs "
            "a compiler. Build on Linux x86-64 with Python 3.12 (e.g. the python:3.12-slim image), or prepare "
            "build/python there and run this script with --skip-install.")
    impure = [w.name for w in built if not w.name.endswith("-none-any.whl")]
    if impure:
        raise BuildError(f"{', '.join(impure)} built for this machine, not as pure Python; build on Linux "
                         "x86-64 with Python 3.12 (e.g. in the python:3.12-slim image) instead")
    return built[0]


def install(target: Path, root: Path = ROOT, run: Runner = run_pip) -> list[str]:
    """Install the target's wheels into ``target``; returns the distributions built from sdists."""
    wheels = target.parent / "wheels"
    report = target.parent / "install-report.json"
    for directory in (target, wheels):
        if directory.exists():
            shutil.rmtree(directory)
    wheels.mkdir(parents=True)
    report.unlink(missing_ok=True)
    built: list[str] = []
    while True:
        result = run(pip_command(target, root, find_links=wheels, report=report), root, None)
        if result.returncode == 0:
            return built
        missing = missing_distributions(result.output)
        new = [name for name in missing if name not in built]
        if not new:
            already = f" (already built from sdist: {', '.join(missing)})" if missing else ""
            raise BuildError(
                f"pip could not install the Linux/CPython {PYTHON_VERSION} wheels (exit {result.returncode})"
                f"{already}: no network access to the package index, or a conflict in the pins (see pip's "
                "message above). Run the build on a machine with internet access, or prepare build/python "
                "there and run this script with --skip-install.")
        for name in new:
            print(f"{name}: no wheel for the target on the index; building it from its sdist", flush=True)
            build_pure_wheel(name, wheels, root, run)
            built.append(name)


def describe_install(report: Path, built: Iterable[str] = ()) -> str:
    """One line per origin, from pip's installation report: index wheels (pure / binary), sdists."""
    try:
        items = json.loads(report.read_text())["install"]
    except (OSError, ValueError, KeyError):
        return "(no installation report)"
    built = {normalise(b) for b in built}
    pure, binary, local = [], [], []
    for item in items:
        name = normalise(item["metadata"]["name"])
        wheel = item.get("download_info", {}).get("url", "").rsplit("/", 1)[-1]
        if name in built:
            local.append(name)
        elif wheel.endswith("-none-any.whl"):
            pure.append(name)
        else:
            python_tag, abi, platform = wheel.removesuffix(".whl").split("-")[-3:]
            binary.append(f"{name} ({python_tag}-{abi if abi != 'none' else platform.split('.')[0]})")
    return (f"{len(items)} distributions: {len(pure)} pure wheels from the index, {len(binary)} binary wheels "
            f"from the index [{', '.join(sorted(binary))}], "
            f"built here from sdist: {', '.join(sorted(local)) or 'none'}")


# -- interpreters ---------------------------------------------------------------------------------------


def python_version(python: str) -> tuple[int, int] | None:
    """(major, minor) of ``python``, or None when it does not run (e.g. a pyenv shim with no such version)."""
    try:
        probe = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                               text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    try:
        major, minor = (int(x) for x in probe.stdout.split())
    except ValueError:
        return None
    return (major, minor) if probe.returncode == 0 else None


def python312_candidates() -> list[str]:
    home = Path.home()
    pyenv = Path(os.environ.get("PYENV_ROOT") or home / ".pyenv")
    patterns = [str(pyenv / "versions" / "3.12*" / "bin" / "python3.12"),
                str(home / ".local" / "share" / "uv" / "python" / "cpython-3.12*" / "bin" / "python3.12")]
    found = [sys.executable, shutil.which("python3.12")]
    for pattern in patterns:  # newest patch release first
        found += sorted(glob.glob(pattern), key=lambda p: [int(x) for x in re.findall(r"\d+", p)], reverse=True)
    found += ["/usr/local/bin/python3.12", "/usr/bin/python3.12"]
    return list(dict.fromkeys(p for p in found if p and os.access(p, os.X_OK)))


def find_python312(candidates: Iterable[str] | None = None) -> str | None:
    """The first candidate that really runs as Python 3.12."""
    for python in python312_candidates() if candidates is None else candidates:
        if python_version(python) == TARGET_VERSION:
            return python
    return None


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
    ``unchecked-hash`` pycs do not embed mtimes, and PYTHONHASHSEED=0 makes marshal output stable.
    One process (``-j 1``), files in compileall's sorted order: marshal sets its FLAG_REF bit from
    reference counts, which depend on what the process compiled before, so with ``-j 0`` the worker
    that happens to get a file changes its bytes (seen: pycparser's c_parser.pyc differed between
    two builds)."""
    if expect_version is not None:
        probe = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                               text=True)
        found = tuple(int(x) for x in probe.stdout.split()) if probe.returncode == 0 else ()
        if found != expect_version:
            raise BuildError(f"--python312 needs Python {'.'.join(map(str, expect_version))} (FC's runtime); "
                             f"{python} is {'.'.join(map(str, found)) or 'not runnable'}")
    command = [python, "-m", "compileall", "-q", "-j", "1", "--invalidation-mode", "unchecked-hash",
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


# -- 4. check -----------------------------------------------------------------------------------------


def handler_entries(s_yaml: Path) -> dict[str, str]:
    """module → function, from the ``handler: path/to/module.function`` lines of s.yaml."""
    if not s_yaml.is_file():
        raise BuildError(f"{s_yaml} not found: the handlers to check are its handler: lines")
    entries = {}
    for match in re.finditer(r"^\s*handler:\s*['\"]?([A-Za-z0-9_/.]+)\.([A-Za-z_]\w*)['\"]?\s*(?:#.*)?$",
                             s_yaml.read_text(), re.MULTILINE):
        entries[match.group(1).replace("/", ".")] = match.group(2)
    if not entries:
        raise BuildError(f"no handler: lines in {s_yaml}")
    return entries


def find_module(base: Path, dotted: str) -> Path | None:
    """The file (package ``__init__.py``, module, cp312/abi3 extension) or namespace directory that
    ``dotted`` names under the sys.path entry ``base``, or None."""
    *parents, last = dotted.split(".")
    directory = base.joinpath(*parents)
    if not directory.is_dir():
        return None
    package = directory / last
    if (package / "__init__.py").is_file():
        return package / "__init__.py"
    if (directory / f"{last}.py").is_file():
        return directory / f"{last}.py"
    for suffix in TARGET_EXTENSION_SUFFIXES:
        if (directory / f"{last}{suffix}").is_file():
            return directory / f"{last}{suffix}"
    return package if package.is_dir() else None


def foreign_extensions(base: Path, dotted: str) -> list[str]:
    """Extension files for ``dotted`` under ``base`` that FC's python3.12 would not load."""
    *parents, last = dotted.split(".")
    directory = base.joinpath(*parents)
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.glob(f"{last}.*") if p.suffix in (".so", ".pyd")
                  and p.name[len(last):] not in TARGET_EXTENSION_SUFFIXES)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name | ast.Attribute) and getattr(n, "id", getattr(n, "attr", "")) in
               ("ImportError", "ModuleNotFoundError", "Exception", "BaseException") for n in names)


@dataclass(frozen=True)
class ImportStatement:
    module: str  # absolute dotted name
    names: tuple[str, ...]  # the ``from module import names`` (may be submodules), () for ``import module``
    optional: bool  # inside try/except ImportError
    line: int


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, package: str) -> None:
        self.package = package  # the package relative imports start from
        self.optional = 0
        self.found: list[ImportStatement] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):  # not executed at run time
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        guarded = any(_catches_import_error(h) for h in node.handlers)
        self.optional += guarded
        for child in node.body:
            self.visit(child)
        self.optional -= guarded
        for child in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(child)

    visit_TryStar = visit_Try

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append(ImportStatement(alias.name, (), self.optional > 0, node.lineno))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.package.split(".") if self.package else []
            base = parts[:len(parts) - node.level + 1]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        if module and module != "__future__":
            names = tuple(a.name for a in node.names if a.name != "*")
            self.found.append(ImportStatement(module, names, self.optional > 0, node.lineno))


def imports_of(source: str, module: str, is_package: bool, filename: str = "<module>") -> list[ImportStatement]:
    collector = _ImportCollector(module if is_package else module.rpartition(".")[0])
    collector.visit(ast.parse(source, filename))
    return collector.found


@dataclass
class StaticReport:
    project_modules: list[str] = field(default_factory=list)  # reachable from the handlers, sorted
    libraries: dict[str, list[str]] = field(default_factory=dict)  # top-level name under python/ → importers
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def static_check(package: Path, handlers: Iterable[str]) -> StaticReport:
    """Follow the imports of the project's modules from the handlers (see the module docstring, 4a)."""
    libraries = package / "python"
    report = StaticReport()
    for entry in sorted(libraries.iterdir()) if libraries.is_dir() else []:
        top = entry.name.split(".")[0]
        if entry.name.endswith((".dist-info", ".pth")) or top in ("__pycache__", "bin"):
            continue
        if top in SOURCE_PACKAGES:
            report.problems.append(f"python/{entry.name} shadows the project's package {top} (python/ comes first)")
        elif top in TARGET_STDLIB and (entry.is_dir() or entry.suffix in (".py", ".so")):
            report.problems.append(f"python/{entry.name} shadows the standard module {top}")

    def where(dotted: str) -> str | None:
        top = dotted.split(".")[0]
        if find_module(libraries, top):
            return "library"
        if find_module(package, top):
            return "project"
        return "stdlib" if top in TARGET_STDLIB else None

    seen: set[str] = set()
    queue: list[tuple[str, str]] = []  # (project module, who needs it)
    unresolved: dict[tuple[str, str, bool], list[str]] = {}  # (module, what is wrong, optional) → importers

    def need(module: str, importer: str) -> None:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
            queue.append((".".join(parts[:i]), importer))

    for handler in handlers:
        need(handler, "s.yaml")
    while queue:
        module, importer = queue.pop(0)
        if module in seen:
            continue
        seen.add(module)
        path = find_module(package, module)
        if where(module) != "project" or path is None or path.suffix not in ("", ".py"):
            report.problems.append(f"{importer} needs the project module {module}, which is not in the package")
            continue
        report.project_modules.append(module)
        if path.is_dir():  # a namespace package: no code of its own
            continue
        statements = imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py", str(path))
        for statement in statements:
            targets = [statement.module]
            origin = where(statement.module)
            base = package if origin == "project" else libraries
            targets += [f"{statement.module}.{name}" for name in statement.names
                        if find_module(base, f"{statement.module}.{name}")]
            for target in targets:
                kind = where(target)
                label = f"{module} (line {statement.line})"
                if kind == "project":
                    need(target, label)
                    continue
                if kind == "library":
                    report.libraries.setdefault(target.split(".")[0], []).append(module)
                    if find_module(libraries, target) is not None:
                        continue
                    foreign = foreign_extensions(libraries, target)
                    what = f"only as {', '.join(foreign)} under python/, not for cp312" if foreign else (
                        "missing under python/")
                elif kind is None:
                    target = target.split(".")[0]  # its submodules are missing with it
                    what = "not under python/ nor in the 3.12 standard library"
                else:
                    continue
                key = (target, what, statement.optional)
                unresolved.setdefault(key, []).append(label)
    required = {target for target, _, optional in unresolved if not optional}
    for (target, what, optional), importers in unresolved.items():
        if optional and target in required:
            continue
        importers = list(dict.fromkeys(importers))
        shown = ", ".join(importers[:3]) + (f" and {len(importers) - 3} more" if len(importers) > 3 else "")
        line = f"{target}: {what}; imported by {shown}"
        if optional:
            report.notes.append(line + " (optional: inside try/except ImportError)")
        else:
            report.problems.append(line)
    report.project_modules.sort()
    report.libraries = {k: sorted(set(v)) for k, v in sorted(report.libraries.items())}
    return report


# Runs in the package's interpreter: imports each module, reports per module as JSON in argv[3].
_IMPORT_PROBE = r"""
import importlib, importlib.machinery, json, os, sys, traceback
modules, handlers, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
foreign = []
class ForeignExtensions:
    # Last on sys.meta_path: called only when no finder found the module; records extension files
    # for it that this interpreter does not load (built for another Python).
    def find_spec(self, name, path=None, target=None):
        last = name.rpartition(".")[2]
        for directory in (sys.path if path is None else path):
            try:
                entries = os.listdir(directory or ".")
            except OSError:
                continue
            for entry in entries:
                if (entry.startswith(last + ".") and entry.endswith((".so", ".pyd"))
                        and entry[len(last):] not in importlib.machinery.EXTENSION_SUFFIXES):
                    foreign.append(os.path.join(directory, entry))
        return None
sys.meta_path.append(ForeignExtensions())
results = {}
for module in modules:
    del foreign[:]
    error = None
    try:
        loaded = importlib.import_module(module)
        if module in handlers and not callable(getattr(loaded, handlers[module], None)):
            raise AttributeError(f"{module} has no callable {handlers[module]}")
    except BaseException as exc:
        error = {"type": type(exc).__name__, "message": str(exc)[:400],
                 "file": getattr(exc, "filename", None) if isinstance(exc, SyntaxError) else None,
                 "where": "".join(traceback.format_exception(exc)[-3:])[-600:]}
    results[module] = {"error": error, "foreign": sorted(set(foreign))}
with open(out, "w") as f:
    json.dump({"python": sys.version.split()[0], "results": results}, f)
"""


@dataclass
class ImportReport:
    python: str = ""
    imported: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # real: fail the build
    unverifiable: list[str] = field(default_factory=list)  # another interpreter than the target's
    # cp312-only extensions that an import that succeeded went without (an optional speed-up, or a
    # fallback path that the target interpreter would not take)
    skipped_extensions: list[str] = field(default_factory=list)


def fc_environment(package: Path, home: Path) -> dict[str, str]:
    """A clean environment for the probe: FC's PYTHONPATH order, nothing from the dev shell."""
    return {"PYTHONPATH": f"{package / 'python'}{os.pathsep}{package}", "PATH": "/usr/bin:/bin",
            "HOME": str(home), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


def import_check(package: Path, modules: Iterable[str], handlers: Mapping[str, str], python: str,
                 is_target: bool, timeout: int = 300) -> ImportReport:
    """Import ``modules`` with ``python -S`` in FC's layout (see the module docstring, 4b)."""
    modules = list(dict.fromkeys([*handlers, *modules]))
    with tempfile.TemporaryDirectory(prefix="fc-import-") as tmp:
        out = Path(tmp) / "result.json"
        try:
            probe = subprocess.run([python, "-S", "-c", _IMPORT_PROBE, json.dumps(modules), json.dumps(dict(handlers)),
                                    str(out)], cwd=package, env=fc_environment(package, Path(tmp)),
                                   capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"importing the handlers with {python} took over {timeout} s") from exc
        if probe.returncode != 0 or not out.exists():
            raise BuildError(f"the import check could not run with {python} (exit {probe.returncode}): "
                             f"{probe.stderr[-1500:]}")
        data = json.loads(out.read_text())
    report = ImportReport(python=data["python"])
    libraries = str(package / "python")
    skipped = set()
    for module in modules:
        result = data["results"].get(module) or {"error": {"type": "?", "message": "no result", "file": None,
                                                           "where": ""}, "foreign": []}
        failure, foreign = result["error"], sorted({Path(f).name for f in result["foreign"]})
        if failure is None:
            report.imported.append(module)
            skipped.update(foreign)
            continue
        summary = f"{module}: {failure['type']}: {failure['message']}"
        if not is_target and foreign:
            report.unverifiable.append(f"{module}: needs {', '.join(foreign)} (not loadable by Python "
                                       f"{report.python})")
        elif not is_target and failure["type"] == "SyntaxError" and str(failure["file"] or "").startswith(libraries):
            report.unverifiable.append(f"{summary} (newer syntax than Python {report.python}'s)")
        else:
            report.failures.append(f"{summary}\n{failure['where']}".rstrip())
    report.skipped_extensions = sorted(skipped)
    return report


def check_package(zip_path: Path, s_yaml: Path, python312: str | None) -> bool:
    """Extract the zip and run both checks; prints what they found; False when the package is broken."""
    handlers = handler_entries(s_yaml)
    with tempfile.TemporaryDirectory(prefix="fc-code-") as tmp:
        package = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(package)
        static = static_check(package, handlers)
        print(f"check (static): {len(handlers)} handlers reach {len(static.project_modules)} project modules, "
              f"which import {len(static.libraries)} libraries from python/: {', '.join(static.libraries)}")
        for note in static.notes:
            print(f"  note: {note}")
        for problem in static.problems:
            print(f"  FAIL: {problem}", file=sys.stderr)
        python = python312 or sys.executable
        imports = import_check(package, static.project_modules, handlers, python, is_target=python312 is not None)
    print(f"check (imports, Python {imports.python}, -S, PYTHONPATH=<pkg>/python:<pkg>): "
          f"{len(imports.imported)} of {len(imports.imported) + len(imports.failures) + len(imports.unverifiable)} "
          f"modules imported, handlers {', '.join(f'{m}.{f}' for m, f in handlers.items())}")
    for number, failure in enumerate(imports.failures):
        print(f"  FAIL: {failure if number < 3 else failure.splitlines()[0]}", file=sys.stderr)
    if imports.skipped_extensions:
        print(f"  note: imported without these extension modules, which Python {imports.python} cannot load; "
              f"under {PYTHON_VERSION} they load (or a fallback path differs): "
              f"{', '.join(imports.skipped_extensions)}", file=sys.stderr)
    if imports.unverifiable:
        print(f"  not verifiable with Python {imports.python} (the package is for {PYTHON_VERSION}; pass "
              f"--python312 to import them for real), covered by the static check only:", file=sys.stderr)
        for line in imports.unverifiable:
            print(f"    {line}", file=sys.stderr)
    return not static.problems and not imports.failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-install", action="store_true", help="use the existing build/python")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "python")
    parser.add_argument("--output", type=Path, default=ROOT / "dist" / "fc-package.zip")
    parser.add_argument("--python312", "--compile-with", dest="python312", metavar="PYTHON3.12",
                        help="a Python 3.12 to precompile .pyc and import the handlers with "
                             "(default: the first 3.12 found: this one, python3.12 on PATH, pyenv, uv)")
    parser.add_argument("--no-python312", action="store_true",
                        help="do not look for one: no .pyc, import check with this interpreter (as on a machine "
                             "without 3.12)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        python312 = args.python312 or (None if args.no_python312 else find_python312())
        if args.python312 and python_version(args.python312) != TARGET_VERSION:
            raise BuildError(f"--python312 {args.python312} is not a runnable Python {PYTHON_VERSION}")
        if args.skip_install:
            if not args.build_dir.is_dir():
                raise BuildError(f"{args.build_dir} does not exist: run without --skip-install first")
        else:
            built = install(args.build_dir)
            print(describe_install(args.build_dir.parent / "install-report.json", built))
        removed = prune(args.build_dir, ROOT / "requirements.txt")
        print(f"pruned: {', '.join(removed) or 'nothing'}")
        if not (args.build_dir / "mns").is_dir() and not args.skip_install:
            raise BuildError("aliyun-mns-sdk (module mns) is missing from build/python")
        if python312:
            print(f"Python {PYTHON_VERSION} for the .pyc files and the import check: {python312}")
        else:
            print(f"note: no Python {PYTHON_VERSION} found (--python312): the package ships no .pyc, so every cold "
                  "start compiles from source, and the import check runs with this Python, which cannot load "
                  "the cp312 binary modules", file=sys.stderr)
        count, size = build_zip(ROOT, args.build_dir, args.output, compile_with=python312)
        print(f"{args.output}: {count} files, {size:,} bytes ({size / 1e6:.1f} MB), sha256 {sha256(args.output)}")
        if size > PACKAGE_LIMIT:
            raise BuildError("over FC's 500 MB code package limit")
        if size > API_UPLOAD_LIMIT:
            print("note: over 100 MB; upload through OSS (s deploy does) rather than inline base64", file=sys.stderr)
        if not check_package(args.output, ROOT / "s.yaml", python312):
            rejected = args.output.with_name(args.output.name + ".rejected")
            os.replace(args.output, rejected)
            raise BuildError(f"the package fails the import check (above); moved it to {rejected} so that "
                             "s deploy cannot pick it up")
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"built and checked in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
