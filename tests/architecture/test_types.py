"""mypy, as configured in pyproject.toml ([tool.mypy]): the core (domain, ports, presentation, use cases) under the
flags of --strict, adapters and entrypoints in mypy's default mode, reports no error."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = {"domain.*", "ports.*", "presentation.*", "usecases.*"}


def test_mypy_reports_no_error_on_the_configured_packages() -> None:
    # Its own cache under the git-ignored .mypy_cache, apart from the one `./dev lint` uses.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache" / "architecture-test")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"Success: no issues found in (\d+) source files", result.stdout)
    assert match, result.stdout + result.stderr
    # Wrong `files` in the configuration would check next to nothing; the project has far more.
    assert int(match.group(1)) >= 50, result.stdout


def test_the_core_is_held_to_the_strict_flags() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert set(config["files"]) >= {"domain", "ports", "presentation", "usecases", "adapters", "entrypoints"}
    core = [o for o in config["overrides"] if set(o["module"]) == CORE]
    assert len(core) == 1, config["overrides"]
    for flag in ("disallow_untyped_defs", "disallow_incomplete_defs", "disallow_any_generics",
                 "disallow_untyped_calls", "check_untyped_defs", "warn_return_any", "no_implicit_reexport",
                 "strict_equality", "warn_unused_ignores"):
        assert core[0].get(flag) is True, flag
