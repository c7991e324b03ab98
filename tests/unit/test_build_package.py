"""The FC package builder, offline: the wheel-or-sdist decision against a fake pip, pruning and zip on a fake
prepared ``build/python``, and the package check (static and real imports) on fake packages."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("build_package", ROOT / "scripts" / "build_package.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_package"] = module
    spec.loader.exec_module(module)
    return module


bp = _load()


def dist(target: Path, name: str, version: str, files: dict[str, bytes], requires: list[str] = ()) -> None:
    info = target / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(meta) + "\n\n")
    record = []
    for relative, data in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        record.append(f"{relative},,")
    record += [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "repo"
    for relative in ("domain/__init__.py", "domain/job.py", "ports/__init__.py", "usecases/__init__.py",
                     "adapters/__init__.py", "adapters/system.py", "entrypoints/__init__.py",
                     "entrypoints/fc_webhook/handler.py", "entrypoints/local/bot.py", "tests/test_x.py",
                     "benchmarks/coldstart.py"):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {relative}\n")
    (root / "domain/__pycache__").mkdir()
    (root / "domain/__pycache__/job.cpython-312.pyc").write_bytes(b"\0pyc")
    (root / "requirements.txt").write_text("# runtime\ndashscope>=2.0.2,<3\naliyun-mns-sdk>=1.3.0\nimageio-ffmpeg>=0.5\n")
    deps = tmp_path / "build" / "python"
    dist(deps, "dashscope", "2.0.2", {"dashscope/__init__.py": b"x"},
         ["fastapi>=0.100", "uvicorn>=0.20", "httpx>=0.27", 'prompt-toolkit>=3.0; extra == "acli"',
          'tomli>=2.0; python_version < "3.11"'])
    dist(deps, "fastapi", "0.165.0", {"fastapi/__init__.py": b"x", "fastapi/params.py": b"x"},
         ["starlette>=1.6", "pydantic>=2.9"])
    dist(deps, "uvicorn", "0.54.0", {"uvicorn/__init__.py": b"x"}, ["h11>=0.8", "click>=7"])
    dist(deps, "starlette", "1.10.0", {"starlette/__init__.py": b"x"}, ["anyio<5"])
    dist(deps, "pydantic", "2.14.3", {"pydantic/__init__.py": b"x"})
    dist(deps, "httpx", "0.28.1", {"httpx/__init__.py": b"x"}, ["anyio", "httpcore==1.*"])
    dist(deps, "httpcore", "1.0.9", {"httpcore/__init__.py": b"x"}, ["h11>=0.16"])
    dist(deps, "h11", "0.16.0", {"h11/__init__.py": b"x"})
    dist(deps, "anyio", "4.16.0", {"anyio/__init__.py": b"x"})
    dist(deps, "click", "8.5.1", {"click/__init__.py": b"x"})
    dist(deps, "aliyun-mns-sdk", "1.3.0", {"mns/__init__.py": b"x", "mns/pkg_info.py": b"name='aliyun-mns-sdk'"})
    dist(deps, "imageio-ffmpeg", "0.8.1",
         {"imageio_ffmpeg/__init__.py": b"x", "imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2": b"\x7fELF"})
    binary = deps / "imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2"
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (deps / "bin").mkdir()
    (deps / "bin/dashscope").write_text("#!/usr/bin/python\n")
    (deps / "fastapi/__pycache__").mkdir()
    (deps / "fastapi/__pycache__/params.cpython-312.pyc").write_bytes(b"\0")
    return root, deps


def test_prune_removes_fastapi_uvicorn_and_what_only_they_needed(project):
    root, deps = project
    removed = bp.prune(deps, root / "requirements.txt")
    assert removed == ["click", "fastapi", "pydantic", "starlette", "uvicorn"]
    assert not (deps / "fastapi").exists() and not (deps / "starlette").exists()
    assert not list(deps.glob("fastapi-*.dist-info"))
    for kept in ("dashscope", "httpx", "httpcore", "h11", "anyio", "mns", "imageio_ffmpeg"):
        assert (deps / kept).is_dir(), kept


def test_zip_layout_is_sources_at_the_root_and_libraries_under_python(project, tmp_path):
    root, deps = project
    bp.prune(deps, root / "requirements.txt")
    count, size = bp.build_zip(root, deps, tmp_path / "dist" / "fc-package.zip")
    with zipfile.ZipFile(tmp_path / "dist" / "fc-package.zip") as archive:
        names = archive.namelist()
        infos = {i.filename: i for i in archive.infolist()}
    assert count == len(names) and size > 0
    assert names == sorted(names)
    assert "entrypoints/fc_webhook/handler.py" in names and "domain/job.py" in names
    assert "python/mns/pkg_info.py" in names and "python/dashscope/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "entrypoints/local/", "python/bin/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "fastapi" in n]
    assert {i.date_time for i in infos.values()} == {(1980, 1, 1, 0, 0, 0)}
    mode = lambda name: (infos[name].external_attr >> 16) & 0o777  # noqa: E731
    assert mode("python/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2") == 0o755
    assert mode("domain/job.py") == 0o644


def test_the_same_inputs_give_the_same_bytes(project, tmp_path):
    root, deps = project
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    bp.build_zip(root, deps, first)
    later = root / "domain" / "job.py"
    os.utime(later, (1_900_000_000, 1_900_000_000))  # mtimes do not matter
    bp.build_zip(root, deps, second)
    assert first.read_bytes() == second.read_bytes()
    assert bp.sha256(first) == bp.sha256(second)


def test_skip_install_without_a_build_dir_fails_clearly(tmp_path, capsys):
    code = bp.main(["--skip-install", "--build-dir", str(tmp_path / "missing"), "--output", str(tmp_path / "o.zip")])
    assert code == 2 and "does not exist" in capsys.readouterr().err


def test_precompiled_bytecode_is_included_and_reproducible(project, tmp_path):
    root, deps = project
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    bp.build_zip(root, deps, first, compile_with=sys.executable, expect_version=None)
    bp.build_zip(root, deps, second, compile_with=sys.executable, expect_version=None)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
    tag = sys.implementation.cache_tag
    assert f"domain/__pycache__/job.{tag}.pyc" in names
    assert f"python/dashscope/__pycache__/__init__.{tag}.pyc" in names
    assert "domain/__pycache__/job.cpython-312.pyc" not in names or tag == "cpython-312"  # the stale one is dropped


def test_compile_with_the_wrong_python_is_refused(project, tmp_path):
    root, deps = project
    with pytest.raises(bp.BuildError, match="needs Python 3.99"):
        bp.build_zip(root, deps, tmp_path / "x.zip", compile_with=sys.executable, expect_version=(3, 99))


# -- 1. install: wheel where there is one, sdist only where there is none -------------------------------

NEW_PIP_FAILURE = """\
Collecting oss2<3,>=2.19.1 (from -r requirements.txt (line 6))
INFO: pip is looking at multiple versions of oss2 to determine which version is compatible with other requirements.
ERROR: Cannot install -r requirements.txt (line 6) because these package versions have conflicting dependencies.

The conflict is caused by:
    oss2 2.19.1 depends on crcmod>=1.7
    The user requested (constraint) crcmod==1.7

Additionally, some packages in these conflicts have no matching distributions available for your environment:
    crcmod

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/
"""
OLD_PIP_FAILURE = """\
ERROR: Could not find a version that satisfies the requirement Aliyun_Python.SDK-core==2.16.1 (from versions: none)
ERROR: No matching distribution found for Aliyun_Python.SDK-core==2.16.1
"""


def test_missing_distributions_reads_both_forms_of_pips_message():
    assert bp.missing_distributions(NEW_PIP_FAILURE) == ["crcmod"]
    assert bp.missing_distributions(OLD_PIP_FAILURE) == ["aliyun-python-sdk-core"]
    network = "WARNING: Retrying (Retry(total=1...)) after connection broken by 'NewConnectionError'\nERROR: x\n"
    assert bp.missing_distributions(network) == []


class FakePip:
    """pip against a fake index: ``index`` maps each distribution the requirements resolve to (in
    resolution order) to the tag of its best wheel for the target, or None when it has only an sdist.
    ``install`` fails like pip 26 at the first distribution with no acceptable wheel, counting the
    wheels built into the ``--find-links`` directory; ``wheel`` builds ``sdist_builds_as``."""

    def __init__(self, index: dict[str, str | None], sdist_builds_as: str = "py3-none-any",
                 sdist_fails: bool = False, install_error: str | None = None) -> None:
        self.index, self.sdist_builds_as, self.sdist_fails = index, sdist_builds_as, sdist_fails
        self.install_error = install_error
        self.calls: list[tuple[str, list[str], dict | None]] = []

    def __call__(self, command, cwd, env):
        verb = command[3]
        self.calls.append((verb, command, env))
        if verb == "wheel":
            name = command[-1]
            wheels = Path(command[command.index("--wheel-dir") + 1])
            if self.sdist_fails:
                return bp.PipResult(1, f"ERROR: Could not build wheels for {name}\n")
            (wheels / f"{name.replace('-', '_')}-1.0-{self.sdist_builds_as}.whl").write_bytes(b"PK")
            return bp.PipResult(0, "Successfully built\n")
        assert verb == "install"
        if self.install_error is not None:
            return bp.PipResult(1, self.install_error)
        links = Path(command[command.index("--find-links") + 1])
        local = {w.name.split("-")[0].replace("_", "-") for w in links.glob("*.whl")}
        for name, tag in self.index.items():
            if tag is None and name not in local:
                return bp.PipResult(1, NEW_PIP_FAILURE.replace("crcmod", name))
        return bp.PipResult(0, "Successfully installed\n")

    def verbs(self) -> list[str]:
        return [verb if verb == "install" else f"wheel {command[-1]}" for verb, command, _ in self.calls]


INDEX = {"attrs": "py3-none-any", "aliyun-python-sdk-core": "py3-none-any", "numpy": "cp312-cp312-manylinux_2_28",
         "oss2": None, "crcmod": None, "dependency-injector": "cp310-abi3-manylinux_2_28"}


def test_only_what_has_no_wheel_for_the_target_is_built_from_its_sdist(tmp_path):
    pip = FakePip(INDEX)
    built = bp.install(tmp_path / "build" / "python", ROOT, run=pip)
    assert built == ["oss2", "crcmod"]  # a pure none-any wheel (aliyun-python-sdk-core) is taken as it is
    assert pip.verbs() == ["install", "wheel oss2", "install", "wheel crcmod", "install"]
    for verb, command, env in pip.calls:
        if verb == "wheel":  # one package from source, fresh (no cached wheel built for this machine), no compiler
            assert f"--no-binary={command[-1]}" in command and "--no-cache-dir" in command
            assert "--no-deps" in command and env["CC"] == "false" and env["LDSHARED"] == "false"
        else:  # the target's wheels only, plus what was built
            assert "--only-binary=:all:" in command and "--python-version" in command
            assert command[command.index("--find-links") + 1] == str(tmp_path / "build" / "wheels")
    assert sorted(w.name for w in (tmp_path / "build" / "wheels").iterdir()) == [
        "crcmod-1.0-py3-none-any.whl", "oss2-1.0-py3-none-any.whl"]


def test_when_everything_has_a_wheel_nothing_is_built(tmp_path):
    pip = FakePip({"attrs": "py3-none-any", "aliyun-python-sdk-core": "py3-none-any"})
    assert bp.install(tmp_path / "python", ROOT, run=pip) == []
    assert pip.verbs() == ["install"]


def test_a_wheel_built_for_this_machine_stops_the_build(tmp_path):
    pip = FakePip(INDEX, sdist_builds_as="cp311-cp311-linux_x86_64")
    with pytest.raises(bp.BuildError, match="oss2-1.0-cp311-cp311-linux_x86_64.whl built for this machine"):
        bp.install(tmp_path / "python", ROOT, run=pip)


def test_an_sdist_that_does_not_build_stops_the_build(tmp_path):
    pip = FakePip(INDEX, sdist_fails=True)
    with pytest.raises(bp.BuildError, match="oss2 has no wheel for Linux x86-64 CPython 3.12"):
        bp.install(tmp_path / "python", ROOT, run=pip)
    assert pip.verbs() == ["install", "wheel oss2"]


def test_a_failure_that_names_no_package_is_not_retried(tmp_path):
    pip = FakePip(INDEX, install_error="ERROR: Could not install packages due to an OSError: [Errno 28]\n")
    with pytest.raises(bp.BuildError, match="pip could not install"):
        bp.install(tmp_path / "python", ROOT, run=pip)
    assert pip.verbs() == ["install"]


def test_a_package_still_refused_after_its_build_is_not_built_again(tmp_path):
    pip = FakePip(INDEX, install_error=NEW_PIP_FAILURE.replace("crcmod", "oss2"))
    with pytest.raises(bp.BuildError, match="already built from sdist: oss2"):
        bp.install(tmp_path / "python", ROOT, run=pip)
    assert pip.verbs() == ["install", "wheel oss2", "install"]


def test_install_summary_tells_pure_binary_and_built_apart(tmp_path):
    def item(name, wheel):
        return {"metadata": {"name": name}, "download_info": {"url": f"https://files/{wheel}"}}
    report = tmp_path / "report.json"
    report.write_text(bp.json.dumps({"install": [
        item("attrs", "attrs-26.1.0-py3-none-any.whl"),
        item("numpy", "numpy-2.4.6-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"),
        item("imageio-ffmpeg", "imageio_ffmpeg-0.8.1-py3-none-manylinux2014_x86_64.whl"),
        item("oss2", "oss2-2.19.1-py3-none-any.whl")]}))
    line = bp.describe_install(report, ["oss2"])
    assert line.startswith("4 distributions: 1 pure wheels from the index, 2 binary wheels")
    assert "numpy (cp312-cp312)" in line and "imageio-ffmpeg (py3-manylinux2014_x86_64)" in line
    assert line.endswith("built here from sdist: oss2")


def test_pip_command_targets_linux_cpython_312_wheels_only():
    command = bp.pip_command(Path("/tmp/t"), find_links=Path("/tmp/w"), report=Path("/tmp/r.json"))
    joined = " ".join(command)
    for part in ("--target /tmp/t", "--platform manylinux2014_x86_64", "--platform manylinux_2_28_x86_64",
                 "--python-version 3.12", "--implementation cp", "--only-binary=:all:", "--find-links /tmp/w",
                 "--report /tmp/r.json", "-c ", "constraints.txt", "-r ", "requirements.txt"):
        assert part in joined, part


# -- interpreters ---------------------------------------------------------------------------------------


def test_a_python312_is_found_only_if_it_runs_as_312(tmp_path):
    shim = tmp_path / "python3.12"  # like a pyenv shim whose version is not selected
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    assert bp.python_version(str(shim)) is None
    assert bp.python_version(sys.executable) == sys.version_info[:2]
    expected = sys.executable if sys.version_info[:2] == (3, 12) else None
    assert bp.find_python312([str(shim), str(tmp_path / "missing"), sys.executable]) == expected


# -- 4. check -------------------------------------------------------------------------------------------


def test_handlers_come_from_s_yaml(tmp_path):
    assert bp.handler_entries(ROOT / "s.yaml") == {
        "entrypoints.fc_webhook.handler": "handler", "entrypoints.fc_worker.handler": "handler",
        "entrypoints.fc_report.handler": "handler"}
    (tmp_path / "s.yaml").write_text("resources:\n  f:\n    props:\n      handler: 'app/main.entry'  # x\n")
    assert bp.handler_entries(tmp_path / "s.yaml") == {"app.main": "entry"}
    (tmp_path / "s.yaml").write_text("resources: {}\n")
    with pytest.raises(bp.BuildError, match="no handler: lines"):
        bp.handler_entries(tmp_path / "s.yaml")


def write(base: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


HANDLER = "entrypoints.fc_worker.handler"


@pytest.fixture
def fc_package(tmp_path):
    """An extracted package: sources at the root, libraries under python/; the handler reaches
    ``adapters.sdk`` only through an import inside a function (like entrypoints.container)."""
    package = tmp_path / "code"
    write(package, {
        "entrypoints/__init__.py": "", "entrypoints/fc_worker/__init__.py": "",
        "entrypoints/fc_worker/handler.py": (
            "from __future__ import annotations\n"
            "from typing import TYPE_CHECKING\n"
            "import json\n"
            "from entrypoints import container\n"
            "if TYPE_CHECKING:\n    import not_installed_anywhere\n"
            "try:\n    import optional_speedup\nexcept ImportError:\n    optional_speedup = None\n"
            "def handler(event, context):\n    return container.build()\n"),
        "entrypoints/container.py": "def build():\n    from adapters import sdk\n    return sdk\n",
        "adapters/__init__.py": "", "adapters/sdk.py": "import attrs\nfrom .helpers import VALUE\n",
        "adapters/helpers.py": "from mns.client import Client\nVALUE = 1\n",
        "python/attrs/__init__.py": "", "python/mns/__init__.py": "",
        "python/mns/client.py": "class Client: pass\n",
    })
    return package


def test_static_check_follows_lazy_and_relative_imports_to_the_libraries(fc_package):
    report = bp.static_check(fc_package, [HANDLER])
    assert report.problems == []
    assert report.project_modules == ["adapters", "adapters.helpers", "adapters.sdk", "entrypoints",
                                      "entrypoints.container", "entrypoints.fc_worker", HANDLER]
    assert report.libraries == {"attrs": ["adapters.sdk"], "mns": ["adapters.helpers"]}
    assert report.notes == ["optional_speedup: not under python/ nor in the 3.12 standard library; imported by "
                            f"{HANDLER} (line 8) (optional: inside try/except ImportError)"]


def test_static_check_fails_when_a_library_is_missing_from_the_package(fc_package):
    (fc_package / "python/mns/client.py").unlink()  # e.g. pruned by mistake, or a dependency no longer pulled
    report = bp.static_check(fc_package, [HANDLER])
    report = bp.static_check(fc_package, [HANDLER])
    assert report.problems == ["mns.client: missing under python/; imported by adapters.helpers (line 1)"]
    shutil.rmtree(fc_package / "python/attrs")
    assert "attrs: not under python/ nor in the 3.12 standard library; imported by adapters.sdk (line 1)" in \
        bp.static_check(fc_package, [HANDLER]).problems


def test_static_check_fails_on_an_extension_built_for_another_python(fc_package):
    (fc_package / "python/mns/client.py").unlink()
    (fc_package / "python/mns/client.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    assert bp.static_check(fc_package, [HANDLER]).problems == [
        "mns.client: only as client.cpython-311-x86_64-linux-gnu.so under python/, not for cp312; "
        "imported by adapters.helpers (line 1)"]
    (fc_package / "python/mns/client.cpython-312-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    assert bp.static_check(fc_package, [HANDLER]).problems == []


def test_static_check_fails_on_a_project_module_left_out_and_on_shadowing(fc_package):
    write(fc_package, {"entrypoints/container.py": "def build():\n    from entrypoints.local import bot\n"})
    write(fc_package, {"python/adapters/__init__.py": "", "python/enum/__init__.py": ""})
    problems = bp.static_check(fc_package, [HANDLER]).problems
    assert "python/adapters shadows the project's package adapters (python/ comes first)" in problems
    assert "python/enum shadows the standard module enum" in problems
    assert ("entrypoints.container (line 2) needs the project module entrypoints.local, which is not in "
            "the package") in problems


def test_import_check_imports_the_lazily_reached_modules_in_a_clean_environment(fc_package):
    modules = bp.static_check(fc_package, [HANDLER]).project_modules
    report = bp.import_check(fc_package, modules, {HANDLER: "handler"}, sys.executable, is_target=True)
    assert report.failures == [] and report.unverifiable == []
    assert sorted(report.imported) == modules
    # httpx is installed in the dev venv, but not in the package: -S and the clean PYTHONPATH hide the venv
    write(fc_package, {"adapters/helpers.py": "import httpx\nVALUE = 1\n"})
    report = bp.import_check(fc_package, modules, {HANDLER: "handler"}, sys.executable, is_target=True)
    assert sorted(f.split("\n")[0] for f in report.failures) == [
        "adapters.helpers: ModuleNotFoundError: No module named 'httpx'",
        "adapters.sdk: ModuleNotFoundError: No module named 'httpx'"]
    assert report.unverifiable == []
    # not an ABI question: a real failure with another interpreter than the target's too
    elsewhere = bp.import_check(fc_package, modules, {HANDLER: "handler"}, sys.executable, is_target=False)
    assert len(elsewhere.failures) == 2 and elsewhere.unverifiable == []


def test_import_check_fails_when_the_handler_is_not_callable(fc_package):
    report = bp.import_check(fc_package, [], {HANDLER: "main"}, sys.executable, is_target=True)
    assert report.failures[0].startswith(f"{HANDLER}: AttributeError: {HANDLER} has no callable main")


FOREIGN = "_speedups.cpython-299-x86_64-linux-gnu.so"  # an ABI that no interpreter running the tests loads


def test_an_import_that_needs_an_extension_for_another_python_is_unverifiable_not_failed(fc_package):
    write(fc_package, {"python/mns/__init__.py": "from mns import _speedups\n"})
    (fc_package / "python/mns" / FOREIGN).write_bytes(b"\x7fELF")
    modules = bp.static_check(fc_package, [HANDLER]).project_modules
    elsewhere = bp.import_check(fc_package, modules, {HANDLER: "handler"}, sys.executable, is_target=False)
    assert elsewhere.failures == []
    assert sorted(elsewhere.unverifiable) == [f"adapters.helpers: needs {FOREIGN} (not loadable by Python "
                                      f"{sys.version.split()[0]})", f"adapters.sdk: needs {FOREIGN} (not "
                                      f"loadable by Python {sys.version.split()[0]})"]
    assert HANDLER in elsewhere.imported  # the handler module itself does not import the SDK at import
    # with the target's interpreter the same failure is a failure
    on_target = bp.import_check(fc_package, modules, {HANDLER: "handler"}, sys.executable, is_target=True)
    assert len(on_target.failures) == 2 and on_target.unverifiable == []


def test_an_optional_extension_that_could_not_load_is_reported(fc_package):
    write(fc_package, {"python/mns/__init__.py": "try:\n    from mns import _speedups\nexcept ImportError:\n"
                                                 "    _speedups = None\n"})
    (fc_package / "python/mns" / FOREIGN).write_bytes(b"\x7fELF")
    report = bp.import_check(fc_package, ["adapters.helpers"], {HANDLER: "handler"}, sys.executable,
                             is_target=False)
    assert report.failures == [] and report.unverifiable == [] and report.skipped_extensions == [FOREIGN]


def test_the_real_handlers_fail_the_check_without_their_libraries(tmp_path, capsys):
    """End to end through main(): the repository's sources with an empty build/python are rejected."""
    deps = tmp_path / "build" / "python"
    deps.mkdir(parents=True)
    output = tmp_path / "dist" / "fc-package.zip"
    code = bp.main(["--skip-install", "--build-dir", str(deps), "--output", str(output), "--no-python312"])
    err = capsys.readouterr().err
    assert code == 2 and not output.exists() and output.with_name("fc-package.zip.rejected").exists()
    assert "FAIL: attrs: not under python/" in err and "FAIL: dependency_injector: not under python/" in err
    assert "ModuleNotFoundError: No module named 'attrs'" in err
    assert "fails the import check" in err
