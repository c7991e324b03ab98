"""The FC package builder's pruning and zip steps, on a fake prepared ``build/python`` (no pip call)."""

from __future__ import annotations

import importlib.util
import os
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
                     "adapters/__init__.py", "adapters/formatting_prompt.py", "entrypoints/__init__.py",
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


def test_pip_command_targets_linux_cpython_312_wheels_only():
    command = bp.pip_command(Path("/tmp/t"))
    joined = " ".join(command)
    for part in ("--target /tmp/t", "--platform manylinux2014_x86_64", "--python-version 3.12",
                 "--only-binary=:all:", "-c ", "constraints.txt", "-r ", "requirements.txt"):
        assert part in joined, part


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


def test_sdist_only_libraries_are_built_as_pure_wheels_first():
    command = bp.sdist_wheels_command(Path("/tmp/wheels"))
    assert command[3:6] == ["wheel", "--no-deps", "--no-binary=:all:"]
    assert {"oss2", "aliyun-python-sdk-core", "crcmod"} <= set(command)
    assert "--find-links /tmp/wheels" in " ".join(bp.pip_command(Path("/tmp/t"), find_links=Path("/tmp/wheels")))


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
